"""The ingestion pipeline: bytes -> parsed blocks -> chunks -> vectors, keyword corpus, graph.

Atomic per document. The document row is written first with status "indexing" (an intent
record); vectors and graph data are written next; the chunk rows (the keyword corpus) and
the flip to "indexed" land in one metadata transaction at the end. Any failure removes
what was written. A process killed mid-way leaves an "indexing" row that ``repair()``
(run at the start of every ingest) uses to remove the partial data, and searches ignore
chunks of documents that are not indexed, so nothing half-written is ever visible.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

from sqlalchemy import delete, select, update

from core.errors import InvalidInput, NotFound, UnsupportedFile, WorkbenchError
from core.ingest.chunking import ChunkDraft, chunk_blocks
from core.ingest.parsers import Block, ParsedDocument, parse_document
from core.keyword import bump_generation
from core.metadata import MetadataStore, chunks, documents, new_id, now_iso
from core.records import Chunk, Document

logger = logging.getLogger(__name__)

CHUNK_PURPOSE = "chunks"
# An "indexing" or "deleting" row untouched for this long was left by a process that died.
STALE_SECONDS = 600


@dataclass(frozen=True)
class Progress:
    """One step of work: per file (stage "file") and per chunk batch (stage "embed")."""

    filename: str
    file_index: int
    file_count: int
    stage: str  # parse | embed | index | done
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class IngestResult:
    file: str
    status: str  # ingested | duplicate | error
    document_id: str | None = None
    chunks: int = 0
    error: str | None = None
    error_kind: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "error_kind"}


@dataclass(frozen=True)
class Upload:
    """A file to ingest: its bytes, or (``deferred``) its size and a way to read it.

    Deferred uploads let the pipeline refuse a file over the size limit before reading it,
    and hold only one file's bytes at a time however many files a batch has.
    """

    filename: str
    data: bytes = b""
    password: str | None = None
    size: int | None = None
    read: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def deferred(cls, filename: str, size: int, read: Callable[[], bytes], password: str | None = None) -> "Upload":
        return cls(filename, b"", password, size, read)

    @property
    def byte_size(self) -> int:
        return len(self.data) if self.read is None else int(self.size or 0)

    def loaded(self) -> "Upload":
        return self if self.read is None else replace(self, data=self.read(), size=None, read=None)


class DocumentIndexer(Protocol):
    """A store that indexes a document's chunks besides Chroma (the graph, for example)."""

    def add(self, workspace: str, document: Document, chunks: Sequence[Chunk]) -> None: ...
    def remove(self, workspace: str, document_id: str) -> None: ...


ProgressCallback = Callable[[Progress], None]


class IngestionPipeline:
    def __init__(self, metadata: MetadataStore, embedder, vectors, files_root: Path, *, chunk_tokens: int,
                 chunk_overlap: int, max_bytes: int, batch_size: int = 64, indexers: Iterable[DocumentIndexer] = ()):
        self.metadata = metadata
        self.embedder = embedder
        self.vectors = vectors
        self.files_root = files_root
        self.chunk_tokens = chunk_tokens
        self.chunk_overlap = chunk_overlap
        self.max_bytes = max_bytes
        self.batch_size = batch_size
        self.indexers = list(indexers)

    # ---- public operations -------------------------------------------------------------

    def ingest(self, workspace: str, uploads: Sequence[Upload], *, doc_type: str = "", tags: Sequence[str] = (),
               progress: ProgressCallback | None = None) -> list[IngestResult]:
        """Ingest every upload; one bad file never stops the others.

        An unreachable vector store stops the whole batch up front (BackendUnavailable):
        every file would fail the same way, and nothing is written.
        """
        self.vectors.heartbeat()
        self.repair(workspace, stale_after=STALE_SECONDS)
        results = []
        for index, upload in enumerate(uploads):
            report = _reporter(progress, upload.filename, index, len(uploads))
            try:
                results.append(self._ingest_one(workspace, upload, doc_type, tuple(tags), report))
            except WorkbenchError as exc:
                results.append(IngestResult(upload.filename, "error", error=str(exc), error_kind=exc.kind))
            except Exception as exc:  # a store's own error type: still one file's failure, not the batch's
                logger.exception("ingesting %s failed", upload.filename)
                results.append(IngestResult(upload.filename, "error", error=f"{upload.filename} could not be indexed: "
                                            f"{type(exc).__name__}. Nothing of it was kept; try again.", error_kind="error"))
            report("done")
        return results

    def delete(self, workspace: str, document_id: str) -> None:
        """Remove a document from every store."""
        if self._document_row(workspace, document_id) is None:
            raise NotFound(f"No document {document_id} in workspace {workspace}.")
        # Marked first, so that a store failing half-way leaves a row repair() finishes removing.
        self._set_status(workspace, document_id, "deleting")
        self._discard(workspace, document_id)

    def reindex(self, workspace: str, document_id: str, *, chunk_tokens: int, chunk_overlap: int,
                progress: ProgressCallback | None = None) -> IngestResult:
        """Re-chunk a document with new settings; its old chunks are replaced in every store."""
        if chunk_overlap >= chunk_tokens:
            raise InvalidInput("Chunk overlap must be smaller than the chunk size.")
        row = self._document_row(workspace, document_id)
        if row is None:
            raise NotFound(f"No document {document_id} in workspace {workspace}.")
        count = self._rebuild(workspace, row, chunk_tokens, chunk_overlap, _reporter(progress, row.filename, 0, 1))
        return IngestResult(row.filename, "ingested", document_id, count)

    def _rebuild(self, workspace: str, row, chunk_tokens: int, chunk_overlap: int, report) -> int:
        """Index a document again from its stored blocks. On failure the row stays "indexing"
        with its files, so the document is never lost: the next repair() retries it."""
        blocks = self._load_blocks(workspace, row.id)
        drafts = chunk_blocks(blocks, count_tokens=self.embedder.count_tokens, count_tokens_many=self.embedder.count_tokens_many,
                              target_tokens=chunk_tokens, overlap_tokens=chunk_overlap)
        self._set_status(workspace, row.id, "indexing")
        with self.metadata.begin() as conn:
            conn.execute(delete(chunks).where(chunks.c.document_id == row.id))
            conn.execute(update(documents).where(documents.c.id == row.id).values(chunk_count=0))
            bump_generation(conn, workspace)
        self._remove_index_data(workspace, row.id)
        return self._index(workspace, document_from_row(row), drafts, f"{chunk_tokens}/{chunk_overlap}", report)

    def repair(self, workspace: str, *, stale_after: float = 0) -> list[str]:
        """Finish what interrupted work left: documents being indexed are indexed again from their
        stored text (or removed when there is none), documents being deleted are removed.

        ``stale_after`` (seconds) leaves alone rows another process touched recently: ingestion
        calls it with STALE_SECONDS so it never disturbs an upload running elsewhere. Returns the ids.
        """
        cutoff = (datetime.now(timezone.utc) - timedelta(seconds=stale_after)).isoformat(timespec="seconds")
        with self.metadata.connect() as conn:
            rows = conn.execute(select(documents).where(
                documents.c.workspace == workspace, documents.c.status != "indexed", documents.c.updated_at <= cutoff)).all()
        for row in rows:
            blocks = self._files_dir(workspace, row.id) / "blocks.json"
            if row.status == "indexing" and blocks.exists():
                logger.warning("Indexing document %s again: an earlier run was interrupted", row.id)
                tokens, _, overlap = (row.chunk_settings or f"{self.chunk_tokens}/{self.chunk_overlap}").partition("/")
                self._rebuild(workspace, row, int(tokens), int(overlap), _reporter(None, row.filename, 0, 1))
            else:
                logger.warning("Removing document %s left half-written by an interrupted run", row.id)
                self._discard(workspace, row.id)
        return [row.id for row in rows]

    def _set_status(self, workspace: str, document_id: str, status: str) -> None:
        with self.metadata.begin() as conn:
            conn.execute(update(documents).where(documents.c.workspace == workspace, documents.c.id == document_id)
                         .values(status=status, updated_at=now_iso()))

    # ---- one document ------------------------------------------------------------------

    def _ingest_one(self, workspace, upload: Upload, doc_type, tags, report) -> IngestResult:
        # Size first, before the bytes are read: five 200 MB files must not sit in memory
        # only to be refused.
        if upload.byte_size > self.max_bytes:
            raise UnsupportedFile(too_large_message(upload.filename, upload.byte_size, self.max_bytes))
        upload = upload.loaded()
        if not upload.data:
            raise UnsupportedFile(f"{upload.filename} is empty (0 bytes).")
        content_hash = hashlib.sha256(upload.data).hexdigest()
        existing = self._find_by_hash(workspace, content_hash)
        if existing is not None:
            return IngestResult(upload.filename, "duplicate", existing.id, existing.chunk_count)
        report("parse")
        parsed = parse_document(upload.data, upload.filename, password=upload.password, max_bytes=self.max_bytes, limits=getattr(self, "parse_limits", None))
        drafts = chunk_blocks(parsed.blocks, count_tokens=self.embedder.count_tokens, count_tokens_many=self.embedder.count_tokens_many, target_tokens=self.chunk_tokens, overlap_tokens=self.chunk_overlap)
        if not drafts:
            raise UnsupportedFile(f"{upload.filename} has no text to index.")
        document = Document(
            id=new_id(), workspace=workspace, title=parsed.title, filename=upload.filename,
            doc_type=doc_type or parsed.doc_type, tags=tags, content_hash=content_hash,
            size_bytes=len(upload.data), chunk_count=0, created_at=now_iso(), status="indexing",
        )
        with self.metadata.begin() as conn:
            conn.execute(documents.insert().values(
                id=document.id, workspace=workspace, title=document.title, filename=document.filename,
                doc_type=document.doc_type, tags=json.dumps(list(tags)), content_hash=content_hash,
                size_bytes=document.size_bytes, chunk_count=0, status="indexing",
                chunk_settings=f"{self.chunk_tokens}/{self.chunk_overlap}", created_at=document.created_at,
                updated_at=document.created_at,
            ))
        try:
            self._save_files(workspace, document.id, upload, parsed)
            count = self._index(workspace, document, drafts, f"{self.chunk_tokens}/{self.chunk_overlap}", report)
        except BaseException:
            # Includes KeyboardInterrupt: whatever was written for this document goes.
            self._discard(workspace, document.id)
            raise
        return IngestResult(upload.filename, "ingested", document.id, count)

    def _index(self, workspace: str, document: Document, drafts: Sequence[ChunkDraft], chunk_settings: str, report) -> int:
        records = [_chunk_record(workspace, document.id, draft) for draft in drafts]
        day = int(document.created_at[:10].replace("-", ""))
        total = len(records)
        report("embed", 0, total)
        for start in range(0, total, self.batch_size):
            batch = records[start:start + self.batch_size]
            vectors = self.embedder.embed([c.text for c in batch])
            self.vectors.upsert(
                workspace, CHUNK_PURPOSE, [c.id for c in batch], vectors, [c.text for c in batch],
                [_vector_metadata(c, document, day) for c in batch],
            )
            self._touch(document.id)
            report("embed", min(start + self.batch_size, total), total)
        report("index", 0, total)
        for indexer in self.indexers:
            indexer.add(workspace, document, records)
        with self.metadata.begin() as conn:
            conn.execute(chunks.insert(), [
                {"id": c.id, "workspace": workspace, "document_id": document.id, "position": c.position, "page": c.page,
                 "heading": " > ".join(c.heading_path), "text": c.text, "token_count": c.token_count}
                for c in records
            ])
            conn.execute(update(documents).where(documents.c.id == document.id).values(
                status="indexed", chunk_count=total, chunk_settings=chunk_settings, updated_at=now_iso()))
            bump_generation(conn, workspace)
        report("index", total, total)
        return total

    def _touch(self, document_id: str) -> None:
        with self.metadata.begin() as conn:
            conn.execute(update(documents).where(documents.c.id == document_id).values(updated_at=now_iso()))

    # ---- removal -----------------------------------------------------------------------

    def _discard(self, workspace: str, document_id: str) -> None:
        """Remove a document from every store; safe to call on partial state.

        Index data goes first and the metadata row last: if a store cannot be reached, the
        row stays (as "indexing") so that ``repair()`` finishes the removal later.
        """
        self._remove_index_data(workspace, document_id)
        with self.metadata.begin() as conn:
            conn.execute(delete(chunks).where(chunks.c.document_id == document_id))
            conn.execute(delete(documents).where(documents.c.id == document_id))
            bump_generation(conn, workspace)
        shutil.rmtree(self._files_dir(workspace, document_id), ignore_errors=True)

    def _remove_index_data(self, workspace: str, document_id: str) -> None:
        self.vectors.delete(workspace, CHUNK_PURPOSE, where={"document_id": document_id})
        for indexer in self.indexers:
            indexer.remove(workspace, document_id)

    # ---- stored originals --------------------------------------------------------------

    def _files_dir(self, workspace: str, document_id: str) -> Path:
        return self.files_root / workspace / document_id

    def _save_files(self, workspace: str, document_id: str, upload: Upload, parsed: ParsedDocument) -> None:
        # The original (for download from cited sources) and the parsed blocks (so a re-chunk
        # never needs the file's password again).
        folder = self._files_dir(workspace, document_id)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "original").write_bytes(upload.data)
        (folder / "blocks.json").write_text(json.dumps([asdict(b) for b in parsed.blocks]), encoding="utf-8")

    def original_path(self, workspace: str, document_id: str) -> Path:
        return self._files_dir(workspace, document_id) / "original"

    def _load_blocks(self, workspace: str, document_id: str) -> list[Block]:
        path = self._files_dir(workspace, document_id) / "blocks.json"
        if not path.exists():
            raise NotFound(f"The stored text of document {document_id} is missing; upload the file again.")
        return [Block(**b) for b in json.loads(path.read_text(encoding="utf-8"))]

    # ---- lookups -----------------------------------------------------------------------

    def _find_by_hash(self, workspace: str, content_hash: str):
        with self.metadata.connect() as conn:
            return conn.execute(select(documents).where(documents.c.workspace == workspace, documents.c.content_hash == content_hash)).first()

    def _document_row(self, workspace: str, document_id: str):
        with self.metadata.connect() as conn:
            return conn.execute(select(documents).where(documents.c.workspace == workspace, documents.c.id == document_id)).first()


def too_large_message(filename: str, size: int, max_bytes: int) -> str:
    return (f"{filename} is {_megabytes(size)}, over the upload limit of {_megabytes(max_bytes)} "
            "(AW_MAX_FILE_MB): split the file or ask an administrator to raise the limit.")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _reporter(callback: ProgressCallback | None, filename: str, index: int, count: int):
    def report(stage: str, done: int = 0, total: int = 0) -> None:
        if callback is not None:
            callback(Progress(filename, index, count, stage, done, total))
    return report


def _chunk_record(workspace: str, document_id: str, draft: ChunkDraft) -> Chunk:
    return Chunk(
        id=f"{document_id}:{draft.position}", document_id=document_id, workspace=workspace, text=draft.text,
        position=draft.position, page=draft.page, heading_path=tuple(draft.heading_path), token_count=draft.token_count,
    )


def _vector_metadata(chunk: Chunk, document: Document, day: int) -> dict:
    return {
        "document_id": document.id, "position": chunk.position, "page": chunk.page,
        "heading": " > ".join(chunk.heading_path), "doc_type": document.doc_type,
        "tags": list(document.tags), "day": day,
    }


def document_from_row(row) -> Document:
    return Document(
        id=row.id, workspace=row.workspace, title=row.title, filename=row.filename, doc_type=row.doc_type,
        tags=tuple(json.loads(row.tags or "[]")), content_hash=row.content_hash, size_bytes=row.size_bytes,
        chunk_count=row.chunk_count, created_at=row.created_at, status=row.status,
    )

