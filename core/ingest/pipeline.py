"""The ingestion pipeline: bytes -> parsed blocks -> chunks -> vectors, keyword corpus, graph.

Atomic per document. The document row is written first with status "indexing" (an intent
record); vectors and graph data are written next; the chunk rows (the keyword corpus) and
the flip to "indexed" land in one metadata transaction at the end. Any failure removes
what was written. Searches filter to indexed documents before ranking, so nothing
half-written is ever visible or crowds real results out.

A file that carries files (a mail's attachments) produces several documents: the mail, then
each attachment as a document of its own, ingested as if uploaded beside it; each attachment's
result names the mail's document (``parent_id``). The link is not stored yet (the documents
table has no column for it), so a mail ingested again as a duplicate does not revisit them.

A process killed mid-way leaves an "indexing" row and the vectors it had written. The
process working on a document holds its owner lock (``core/ingest/ownership.py``), so a
killed one is recognised at once: uploading the same file again resumes that document
from its stored text and the vectors already written, and every ingest hands what is left
to a background repair (``core/ingest/repair_worker.py``) instead of making the upload wait.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Collection, Iterable, Protocol, Sequence

from core.data_lock import DataLock
from core.document_repository import DocumentRepository, document_from_row
from core.errors import InvalidInput, NotFound, UnsupportedFile, WorkbenchError
from core.ingest.chunking import ChunkDraft, chunk_blocks
from core.ingest.ownership import Claim, has_lock_file, try_claim
from core.ingest.parsers import Block, ParsedDocument, ParseLimits, display_name, parse_document
from core.ingest.repair_worker import RepairWorker
from core.metadata import MetadataStore, new_id, now_iso
from core.records import Chunk, Document, DocumentStatus, chunk_id
from core.vectors import clean_metadata

logger = logging.getLogger(__name__)

CHUNK_PURPOSE = "chunks"
# Where no owner lock can tell (rows written before locks existed, or no fcntl): an
# "indexing" or "deleting" row untouched for this long was left by a process that died.
STALE_SECONDS = 600
# A mail attached to a mail attached to a mail...: deeper attachments are reported, not read.
MAX_ATTACHMENT_DEPTH = 3


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
    # ingested | duplicate | indexing (the same file is being indexed or repaired by another
    # run right now; it appears when that finishes) | error
    status: str
    document_id: str | None = None
    chunks: int = 0
    error: str | None = None
    error_kind: str | None = None
    parent_id: str | None = None  # for a file's attachment: the document of the file (the mail) it came in
    warnings: tuple[str, ...] = ()  # parts of the file that were left out while the rest was indexed

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

    def __post_init__(self) -> None:
        # The name is shown in the library, in results and by the CLI: one printable line, no
        # folders (a newline in a name would forge a row in the CLI's listing).
        object.__setattr__(self, "filename", display_name(self.filename))

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
                 chunk_overlap: int, max_bytes: int, batch_size: int = 64, indexers: Iterable[DocumentIndexer] = (),
                 parse_limits: ParseLimits | None = None):
        self.metadata = metadata
        self.documents = DocumentRepository(metadata)
        self.embedder = embedder
        self.vectors = vectors
        self.files_root = files_root
        self.chunk_tokens = chunk_tokens
        self.chunk_overlap = chunk_overlap
        self.max_bytes = max_bytes
        self.batch_size = batch_size
        self.indexers = list(indexers)
        self.parse_limits = parse_limits  # None: parse under the defaults
        self._repairs = RepairWorker(self._repair_in_background)
        # Held shared around each document's writes, so a backup never captures half a document.
        self._data_lock = DataLock(files_root.parent)

    # ---- public operations -------------------------------------------------------------

    def ingest(self, workspace: str, uploads: Sequence[Upload], *, doc_type: str = "", tags: Sequence[str] = (),
               progress: ProgressCallback | None = None) -> list[IngestResult]:
        """Ingest every upload; one bad file never stops the others.

        An unreachable vector store stops the whole batch up front (BackendUnavailable):
        every file would fail the same way, and nothing is written. Work that interrupted
        runs left behind is handed to the background repair afterwards: the uploads never
        wait for it.
        """
        self.vectors.heartbeat()
        results = []
        for index, upload in enumerate(uploads):
            report = _reporter(progress, upload.filename, index, len(uploads))
            attachments: list[IngestResult] = []
            results.append(self._ingest_guarded(workspace, upload, doc_type, tuple(tags), report, attachments, 0))
            results.extend(attachments)  # after their file's own result
            report("done")
        self._repairs.schedule(workspace, self.documents.unfinished_ids(workspace))
        return results

    def _ingest_guarded(self, workspace, upload: Upload, doc_type, tags, report, attachments: list[IngestResult],
                        depth: int, label: str = "") -> IngestResult:
        """One file's result, whatever happens; its attachments' results go to ``attachments``."""
        label = label or upload.filename
        try:
            return replace(self._ingest_one(workspace, upload, doc_type, tags, report, attachments, depth), file=label)
        except WorkbenchError as exc:
            return IngestResult(label, "error", error=str(exc), error_kind=exc.kind)
        except Exception as exc:  # a store's own error type: still one file's failure, not the batch's
            logger.exception("ingesting %s failed", label)
            return IngestResult(label, "error", error=f"{label} could not be indexed: "
                                f"{type(exc).__name__}. Nothing of it was kept; try again.", error_kind="error")

    def _ingest_attachments(self, workspace, parent: IngestResult, parsed: ParsedDocument, tags, report,
                            depth: int) -> list[IngestResult]:
        """Each attachment of a just-ingested file as a document of its own, linked by ``parent_id``.

        They get the file's tags; their type comes from their own content (the type the user
        gave was for the file itself). One failing attachment fails alone.
        """
        results: list[IngestResult] = []
        for attachment in parsed.attachments:
            label = f"{parent.file} › {attachment.filename}"
            if depth + 1 >= MAX_ATTACHMENT_DEPTH:
                results.append(IngestResult(label, "error", parent_id=parent.document_id, error_kind=UnsupportedFile.kind,
                                            error=f"{label} was not read: attachments nested more than {MAX_ATTACHMENT_DEPTH} "
                                                  "files deep are left out; save it and upload it on its own."))
                continue
            nested: list[IngestResult] = []
            result = self._ingest_guarded(workspace, Upload(attachment.filename, attachment.data), "", tags, report,
                                          nested, depth + 1, label)
            results.append(replace(result, parent_id=parent.document_id))
            results.extend(nested)
        return results

    def wait_for_repairs(self, timeout: float | None = None) -> bool:
        """Block until the background repair is idle; False when the timeout passed first."""
        return self._repairs.wait(timeout)

    def stop_repairs(self, timeout: float | None = None) -> None:
        """Stop the background repair after its current batch; what is left resumes next time."""
        self._repairs.stop(timeout)

    def close(self) -> None:
        self.stop_repairs()

    def delete(self, workspace: str, document_id: str) -> None:
        """Remove a document from every store."""
        row = self.documents.row(workspace, document_id)
        if row is None:
            raise NotFound(f"No document {document_id} in workspace {workspace}.")
        with self._claim_or_refuse(workspace, row), self._data_lock.shared():
            # Marked first, so that a store failing half-way leaves a row repair() finishes removing.
            self.documents.set_status(workspace, document_id, DocumentStatus.DELETING)
            self._discard(workspace, document_id)

    def reindex(self, workspace: str, document_id: str, *, chunk_tokens: int, chunk_overlap: int,
                progress: ProgressCallback | None = None) -> IngestResult:
        """Re-chunk a document with new settings; its old chunks are replaced in every store."""
        if chunk_overlap >= chunk_tokens:
            raise InvalidInput("Chunk overlap must be smaller than the chunk size.")
        row = self.documents.row(workspace, document_id)
        if row is None:
            raise NotFound(f"No document {document_id} in workspace {workspace}.")
        with self._claim_or_refuse(workspace, row), self._data_lock.shared():
            count = self._rebuild(workspace, row, chunk_tokens, chunk_overlap, _reporter(progress, row.filename, 0, 1))
        return IngestResult(row.filename, "ingested", document_id, count)

    def _rebuild(self, workspace: str, row, chunk_tokens: int, chunk_overlap: int, report,
                 stop: threading.Event | None = None) -> int:
        """Index a document again from its stored blocks; the caller holds its claim.

        Vectors already in Chroma for the same chunk (same id, text and metadata) are kept, so
        a document a killed process left at chunk 896 of 20,000 resumes there. On failure or
        ``stop`` the row stays "indexing" with its files: never lost, the next repair resumes it.
        """
        blocks = self._load_blocks(workspace, row.id)
        drafts = chunk_blocks(blocks, count_tokens=self.embedder.count_tokens, count_tokens_many=self.embedder.count_tokens_many,
                              target_tokens=chunk_tokens, overlap_tokens=chunk_overlap)
        self.documents.set_status(workspace, row.id, DocumentStatus.INDEXING)
        self.documents.clear_chunks(workspace, row.id)
        for indexer in self.indexers:
            indexer.remove(workspace, row.id)
        return self._index(workspace, document_from_row(row), drafts, f"{chunk_tokens}/{chunk_overlap}", report,
                           resume=True, stop=stop)

    def repair(self, workspace: str, *, stale_after: float = 0, only: Collection[str] | None = None,
               stop: threading.Event | None = None) -> list[str]:
        """Finish what interrupted work left: documents being indexed are indexed again from their
        stored text, resuming from the vectors already written (or removed when there is no
        stored text), documents being deleted are removed.

        A document whose owner lock is held (an upload, re-chunk or repair running in some
        process right now) is always left alone. ``stale_after`` (seconds) applies to rows
        without an owner lock to ask: those are left alone until untouched that long.
        ``only`` limits the repair to these ids; ``stop`` ends it between batches. Returns the
        ids repaired.
        """
        done = []
        for row in self.documents.unfinished(workspace):
            if (only is not None and row.id not in only) or (stop is not None and stop.is_set()):
                continue
            claim = self._claim_abandoned(workspace, row, stale_after)
            if claim is None:
                continue
            with claim, self._data_lock.shared():
                try:
                    if self._repair_one(workspace, row.id, stop):
                        done.append(row.id)
                except _Stopped:
                    logger.info("repair of document %s paused; it resumes on the next repair", row.id)
        return done

    def _repair_one(self, workspace: str, document_id: str, stop: threading.Event | None) -> bool:
        row = self.documents.row(workspace, document_id)  # again, now that we hold its claim
        if row is None or row.status == DocumentStatus.INDEXED:
            if row is None:  # finished and removed meanwhile: drop the folder our claim created
                shutil.rmtree(self._files_dir(workspace, document_id), ignore_errors=True)
            return False
        if row.status == DocumentStatus.INDEXING and (self._files_dir(workspace, row.id) / "blocks.json").exists():
            logger.warning("Indexing document %s again: an earlier run was interrupted", row.id)
            tokens, overlap = self._chunk_settings_of(row)
            self._rebuild(workspace, row, tokens, overlap, _reporter(None, row.filename, 0, 1), stop=stop)
        else:
            logger.warning("Removing document %s left half-written by an interrupted run", row.id)
            self._discard(workspace, row.id)
        return True

    def _repair_in_background(self, workspace: str, document_ids: Collection[str], stop: threading.Event) -> None:
        for document_id in sorted(document_ids):
            if stop.is_set():
                return
            try:
                self.repair(workspace, stale_after=STALE_SECONDS, only={document_id}, stop=stop)
            except Exception:  # one document's failure (logged) must not hold up the others
                logger.exception("background repair of document %s failed; the next ingest retries it", document_id)

    def _chunk_settings_of(self, row) -> tuple[int, int]:
        tokens, _, overlap = (row.chunk_settings or f"{self.chunk_tokens}/{self.chunk_overlap}").partition("/")
        return int(tokens), int(overlap)

    # ---- ownership ---------------------------------------------------------------------

    def _claim_abandoned(self, workspace: str, row, stale_after: float) -> Claim | None:
        """The claim on a non-indexed document if whoever worked on it is gone, else None."""
        folder = self._files_dir(workspace, row.id)
        if not has_lock_file(folder):
            # Nothing to ask: only the row's age tells that its writer is gone.
            cutoff = (datetime.now(timezone.utc) - timedelta(seconds=stale_after)).isoformat(timespec="seconds")
            if (row.updated_at or "") > cutoff:
                return None
        return try_claim(folder)

    def _claim_or_refuse(self, workspace: str, row) -> Claim:
        claim = try_claim(self._files_dir(workspace, row.id))
        if claim is None:
            raise InvalidInput(f"{row.filename} is being indexed right now; try again when that finishes.")
        return claim

    # ---- one document ------------------------------------------------------------------

    def _ingest_one(self, workspace, upload: Upload, doc_type, tags, report, attachments: list[IngestResult],
                    depth: int) -> IngestResult:
        # Size first, before the bytes are read: five 200 MB files must not sit in memory
        # only to be refused.
        if upload.byte_size > self.max_bytes:
            raise UnsupportedFile(too_large_message(upload.filename, upload.byte_size, self.max_bytes))
        upload = upload.loaded()
        if not upload.data:
            raise UnsupportedFile(f"{upload.filename} is empty (0 bytes).")
        content_hash = hashlib.sha256(upload.data).hexdigest()
        existing = self.documents.find_by_hash(workspace, content_hash)
        if existing is not None:
            if existing.status == DocumentStatus.INDEXED:
                return IngestResult(upload.filename, "duplicate", existing.id, existing.chunk_count)
            finished = self._finish_unfinished(workspace, existing, upload, doc_type, tags, report)
            if finished is not None:
                return finished
        report("parse")
        parsed = parse_document(upload.data, upload.filename, password=upload.password, max_bytes=self.max_bytes, limits=self.parse_limits)
        drafts = chunk_blocks(parsed.blocks, count_tokens=self.embedder.count_tokens, count_tokens_many=self.embedder.count_tokens_many, target_tokens=self.chunk_tokens, overlap_tokens=self.chunk_overlap)
        if not drafts:
            raise UnsupportedFile(f"{upload.filename} has no text to index.")
        document_id = new_id()
        # Claimed before the row exists, so no one ever sees the row without a live owner.
        with try_claim(self._files_dir(workspace, document_id)) or _unexpected_claim(document_id), self._data_lock.shared():
            result = self._ingest_new(workspace, document_id, upload, parsed, drafts, doc_type, tags, content_hash, report)
        result = replace(result, warnings=parsed.warnings)
        # After the file itself, outside its claim: each attachment takes its own.
        attachments.extend(self._ingest_attachments(workspace, result, parsed, tags, report, depth))
        return result

    def _ingest_new(self, workspace, document_id, upload, parsed, drafts, doc_type, tags, content_hash, report) -> IngestResult:
        document = Document(
            id=document_id, workspace=workspace, title=parsed.title, filename=upload.filename,
            doc_type=doc_type or parsed.doc_type, tags=tags, content_hash=content_hash,
            size_bytes=len(upload.data), chunk_count=0, created_at=now_iso(), status=DocumentStatus.INDEXING,
        )
        self.documents.insert(document, chunk_settings=f"{self.chunk_tokens}/{self.chunk_overlap}")
        try:
            self._save_files(workspace, document.id, upload, parsed)
            count = self._index(workspace, document, drafts, f"{self.chunk_tokens}/{self.chunk_overlap}", report)
        except BaseException:
            # Includes KeyboardInterrupt: whatever was written for this document goes.
            self._discard(workspace, document.id)
            raise
        return IngestResult(upload.filename, "ingested", document.id, count)

    def _finish_unfinished(self, workspace, row, upload: Upload, doc_type, tags, report) -> IngestResult | None:
        """The same file again while its document is not indexed: an earlier run was killed, or
        is still running. Resumes the document (from its stored text and the vectors already
        written) when its run is gone, reports "indexing" when it is still running, and
        returns None when there is nothing to resume (the caller then ingests afresh)."""
        claim = self._claim_abandoned(workspace, row, STALE_SECONDS)
        if claim is None:
            return IngestResult(upload.filename, "indexing", row.id, 0)
        document_id = row.id
        with claim, self._data_lock.shared():
            row = self.documents.row(workspace, document_id)  # again, now that we hold its claim
            if row is not None and row.status == DocumentStatus.INDEXED:
                return IngestResult(upload.filename, "duplicate", row.id, row.chunk_count)
            if row is None or row.status != DocumentStatus.INDEXING or not (self._files_dir(workspace, row.id) / "blocks.json").exists():
                # An interrupted delete, or killed before its text was stored: remove what is
                # left (the folder our claim created included) and ingest afresh.
                self._discard(workspace, document_id)
                return None
            # The re-upload's name, type and tags win: they are what the user asked for now.
            self.documents.relabel(row.id, filename=upload.filename, tags=tags, doc_type=doc_type)
            row = self.documents.row(workspace, row.id)
            tokens, overlap = self._chunk_settings_of(row)
            logger.warning("Resuming document %s: an earlier upload of %s was interrupted", row.id, upload.filename)
            count = self._rebuild(workspace, row, tokens, overlap, report)
        return IngestResult(upload.filename, "ingested", row.id, count)

    def _index(self, workspace: str, document: Document, drafts: Sequence[ChunkDraft], chunk_settings: str, report,
               *, resume: bool = False, stop: threading.Event | None = None) -> int:
        records = [_chunk_record(workspace, document.id, draft) for draft in drafts]
        day = int(document.created_at[:10].replace("-", ""))
        total = len(records)
        todo = records
        if resume:
            todo = self._vectors_to_write(workspace, document, records, day)
        report("embed", total - len(todo), total)
        for start in range(0, len(todo), self.batch_size):
            if stop is not None and stop.is_set():
                raise _Stopped()
            batch = todo[start:start + self.batch_size]
            vectors = self.embedder.embed([c.text for c in batch])
            self.vectors.upsert(
                workspace, CHUNK_PURPOSE, [c.id for c in batch], vectors, [c.text for c in batch],
                [_vector_metadata(c, document, day) for c in batch],
            )
            self.documents.touch(document.id)
            report("embed", total - len(todo) + min(start + self.batch_size, len(todo)), total)
        report("index", 0, total)
        for indexer in self.indexers:
            indexer.add(workspace, document, records)
        self.documents.mark_indexed(workspace, document.id, records, chunk_settings=chunk_settings)
        report("index", total, total)
        return total

    def _vectors_to_write(self, workspace: str, document: Document, records: Sequence[Chunk], day: int) -> list[Chunk]:
        """The chunks whose vector is missing or differs; vectors of no current chunk are deleted."""
        wanted = {c.id: c for c in records}
        kept = set()
        stale = []
        for existing in self.vectors.get(workspace, CHUNK_PURPOSE, where={"document_id": document.id}):
            chunk = wanted.get(existing.id)
            if chunk is not None and existing.text == chunk.text \
                    and existing.metadata == clean_metadata(_vector_metadata(chunk, document, day)):
                kept.add(existing.id)
            else:
                stale.append(existing.id)
        self.vectors.delete(workspace, CHUNK_PURPOSE, ids=stale)
        return [c for c in records if c.id not in kept]

    # ---- removal -----------------------------------------------------------------------

    def _discard(self, workspace: str, document_id: str) -> None:
        """Remove a document from every store; safe to call on partial state.

        Index data goes first and the metadata row last: if a store cannot be reached, the
        row stays (as "indexing") so that ``repair()`` finishes the removal later.
        """
        self._remove_index_data(workspace, document_id)
        self.documents.remove(workspace, document_id)
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


class _Stopped(Exception):
    """A background repair was asked to stop between batches."""


def _unexpected_claim(document_id: str):
    raise RuntimeError(f"the owner lock of new document {document_id} is already held")


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
        id=chunk_id(document_id, draft.position), document_id=document_id, workspace=workspace, text=draft.text,
        position=draft.position, page=draft.page, heading_path=tuple(draft.heading_path), token_count=draft.token_count,
    )


def _vector_metadata(chunk: Chunk, document: Document, day: int) -> dict:
    return {
        "document_id": document.id, "position": chunk.position, "page": chunk.page,
        "heading": " > ".join(chunk.heading_path), "doc_type": document.doc_type,
        "tags": list(document.tags), "day": day,
    }
