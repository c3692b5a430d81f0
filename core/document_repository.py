"""Every query on the ``documents`` and ``chunks`` tables, and the one place that says which
documents are visible: only indexed ones.

Modelled on datasette's ``Database`` class: one object over one database owns its queries, so
the pipeline, search, the graph and backups ask for what they mean ("the visible documents of
a workspace", "the unfinished ones") instead of each writing the SQL, and the visibility rule
cannot drift between them. It also keeps each workspace's index generation (``index_state``):
every write that changes chunks bumps it in the same transaction, so the keyword index knows
it is stale without every writer having to remember.

Reads open their own connection. Each write is one transaction; pass ``conn`` (an open
``begin()``) to make it part of a larger one. Construction only stores the database handle, so
building one where needed costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection, Row

from core.errors import NotFound
from core.metadata import chunks, documents, index_state, now_iso
from core.records import Chunk, Document, DocumentStatus

# The visibility rule. Searches, listings, graph rebuilds and backup counts see a document only
# once every store has it; documents being indexed, repaired or deleted stay out of sight.
VISIBLE_STATUS = DocumentStatus.INDEXED
_visible = documents.c.status == VISIBLE_STATUS
_unfinished = documents.c.status != VISIBLE_STATUS


def is_visible(status: str) -> bool:
    """The visibility rule for a status read outside SQL (a backup's dumped rows)."""
    return status == VISIBLE_STATUS


class Database(Protocol):
    """What the repository needs: a ``MetadataStore``, or a bare ``Engine`` for a database that
    must not be migrated (a backup's copy)."""

    def connect(self): ...
    def begin(self): ...


class DocumentRepository:
    def __init__(self, database: Database):
        self.database = database

    # ---- documents a user can see ------------------------------------------------------

    def visible(self, workspace: str, *, oldest_first: bool = False) -> list[Document]:
        """The workspace's visible documents: newest first (then by title) for listing, or in
        the order they were ingested for rebuilding derived stores."""
        order = (documents.c.created_at, documents.c.id) if oldest_first \
            else (documents.c.created_at.desc(), documents.c.title)
        with self._reading() as conn:
            rows = conn.execute(select(documents).where(documents.c.workspace == workspace, _visible).order_by(*order)).all()
        return [document_from_row(row) for row in rows]

    def visible_document(self, workspace: str, document_id: str) -> Document:
        """One visible document; NotFound when it does not exist or is not indexed."""
        with self._reading() as conn:
            row = conn.execute(select(documents).where(
                documents.c.workspace == workspace, documents.c.id == document_id, _visible)).first()
        if row is None:
            raise NotFound(f"No document {document_id} in workspace {workspace}.")
        return document_from_row(row)

    def visible_titles(self, workspace: str) -> dict[str, str]:
        """Document id -> title of every visible document."""
        with self._reading() as conn:
            rows = conn.execute(select(documents.c.id, documents.c.title).where(documents.c.workspace == workspace, _visible)).all()
        return {row.id: row.title for row in rows}

    def visible_chunks(self, workspace: str, chunk_ids: Iterable[str]) -> dict[str, tuple[Chunk, str]]:
        """Chunk id -> (chunk, its document's title) for the ids that belong to visible documents."""
        ids = list(chunk_ids)
        if not ids:
            return {}
        with self._reading() as conn:
            rows = conn.execute(
                select(chunks, documents.c.title)
                .join(documents, documents.c.id == chunks.c.document_id)
                .where(chunks.c.workspace == workspace, chunks.c.id.in_(ids), _visible)
            ).all()
        return {row.id: (chunk_from_row(row), row.title) for row in rows}

    def count_visible(self, workspace: str | None = None) -> int:
        """Visible documents in one workspace, or in all of them."""
        query = select(func.count()).select_from(documents).where(_visible)
        if workspace is not None:
            query = query.where(documents.c.workspace == workspace)
        with self._reading() as conn:
            return int(conn.execute(query).scalar() or 0)

    # ---- documents in any state ----------------------------------------------------------

    def row(self, workspace: str, document_id: str) -> Row | None:
        """The full row of a document in any state (with its chunk settings and last touch), for
        the pipeline that moves it between states."""
        with self._reading() as conn:
            return conn.execute(select(documents).where(documents.c.workspace == workspace, documents.c.id == document_id)).first()

    def find_by_hash(self, workspace: str, content_hash: str) -> Row | None:
        """The row of the document with these bytes, a visible one first."""
        with self._reading() as conn:
            rows = conn.execute(select(documents).where(documents.c.workspace == workspace,
                                                        documents.c.content_hash == content_hash)).all()
        return next((r for r in rows if is_visible(r.status)), rows[0] if rows else None)

    def unfinished(self, workspace: str) -> list[Row]:
        """Rows of documents being indexed, repaired or deleted, least recently touched first."""
        with self._reading() as conn:
            return conn.execute(select(documents).where(documents.c.workspace == workspace, _unfinished)
                                .order_by(documents.c.updated_at)).all()

    def unfinished_ids(self, workspace: str) -> list[str]:
        """Ids of documents being indexed, repaired or deleted: few at any time."""
        with self._reading() as conn:
            return [row.id for row in conn.execute(select(documents.c.id).where(documents.c.workspace == workspace, _unfinished))]

    def workspaces_with_unfinished(self) -> list[str]:
        """Workspaces (sorted) holding a document that is not indexed."""
        with self._reading() as conn:
            return sorted({row.workspace for row in conn.execute(select(documents.c.workspace).where(_unfinished))})

    def all_documents(self, workspace: str) -> list[Document]:
        """Every document of the workspace, whatever its state (for filters applied before search
        results are narrowed to visible documents)."""
        with self._reading() as conn:
            rows = conn.execute(select(documents).where(documents.c.workspace == workspace)).all()
        return [document_from_row(row) for row in rows]

    def titles(self, workspace: str, document_ids: Iterable[str]) -> dict[str, str]:
        """Document id -> title for these ids, whatever their state."""
        ids = sorted(set(document_ids))
        if not ids:
            return {}
        with self._reading() as conn:
            rows = conn.execute(select(documents.c.id, documents.c.title)
                                .where(documents.c.workspace == workspace, documents.c.id.in_(ids))).all()
        return {row.id: row.title for row in rows}

    # ---- chunks -----------------------------------------------------------------------

    def chunks_of(self, workspace: str, document_id: str) -> list[Chunk]:
        """A document's chunks in order. Only indexed documents have chunk rows (they are written
        in the transaction that marks the document indexed)."""
        with self._reading() as conn:
            rows = conn.execute(select(chunks).where(chunks.c.workspace == workspace, chunks.c.document_id == document_id)
                                .order_by(chunks.c.position)).all()
        return [chunk_from_row(row) for row in rows]

    def passages(self, workspace: str, chunk_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Chunk id -> (text, document id) for these ids, in one query."""
        ids = sorted(set(chunk_ids))
        if not ids:
            return {}
        with self._reading() as conn:
            rows = conn.execute(select(chunks.c.id, chunks.c.text, chunks.c.document_id)
                                .where(chunks.c.workspace == workspace, chunks.c.id.in_(ids))).all()
        return {row.id: (row.text, row.document_id) for row in rows}

    def keyword_corpus(self, workspace: str) -> list[Row]:
        """Every chunk of the workspace with its document's title, by chunk id: rows with ``id``,
        ``title``, ``heading`` and ``text``."""
        with self._reading() as conn:
            return conn.execute(
                select(chunks.c.id, chunks.c.heading, chunks.c.text, documents.c.title)
                .join(documents, documents.c.id == chunks.c.document_id)
                .where(chunks.c.workspace == workspace)
                .order_by(chunks.c.id)
            ).all()

    def count_chunks(self) -> int:
        """Chunk rows in every workspace (each has a vector)."""
        with self._reading() as conn:
            return int(conn.execute(select(func.count()).select_from(chunks)).scalar() or 0)

    # ---- the index generation -------------------------------------------------------------

    def generation(self, workspace: str, *, conn: Connection | None = None) -> int:
        """Bumped by every write that changes the workspace's chunks."""
        with self._reading(conn) as conn:
            row = conn.execute(select(index_state.c.generation).where(index_state.c.workspace == workspace)).first()
        return int(row[0]) if row else 0

    def _bump_generation(self, conn: Connection, workspace: str) -> None:
        if conn.execute(select(index_state.c.workspace).where(index_state.c.workspace == workspace)).first() is None:
            conn.execute(index_state.insert().values(workspace=workspace, generation=1))
        else:
            conn.execute(index_state.update().where(index_state.c.workspace == workspace)
                         .values(generation=index_state.c.generation + 1))

    # ---- writes, as the ingestion pipeline makes them ------------------------------------

    def insert(self, document: Document, *, chunk_settings: str, conn: Connection | None = None) -> None:
        """The document's row (its intent record, usually "indexing"), without chunks."""
        with self._writing(conn) as conn:
            conn.execute(documents.insert().values(
                id=document.id, workspace=document.workspace, title=document.title, filename=document.filename,
                doc_type=document.doc_type, tags=json.dumps(list(document.tags)), content_hash=document.content_hash,
                size_bytes=document.size_bytes, chunk_count=0, status=document.status, chunk_settings=chunk_settings,
                created_at=document.created_at, updated_at=document.created_at,
            ))

    def set_status(self, workspace: str, document_id: str, status: DocumentStatus, *, conn: Connection | None = None) -> None:
        with self._writing(conn) as conn:
            conn.execute(update(documents).where(documents.c.workspace == workspace, documents.c.id == document_id)
                         .values(status=status, updated_at=now_iso()))

    def relabel(self, document_id: str, *, filename: str, tags: Sequence[str], doc_type: str = "",
                conn: Connection | None = None) -> None:
        """A new name and tags (and type, when given) for a document, as a re-upload asks."""
        values = {"filename": filename, "tags": json.dumps(list(tags))}
        if doc_type:
            values["doc_type"] = doc_type
        with self._writing(conn) as conn:
            conn.execute(update(documents).where(documents.c.id == document_id).values(**values, updated_at=now_iso()))

    def touch(self, document_id: str, *, conn: Connection | None = None) -> None:
        """Record that work on the document is alive (an untouched unfinished row was left by a crash)."""
        with self._writing(conn) as conn:
            conn.execute(update(documents).where(documents.c.id == document_id).values(updated_at=now_iso()))

    def clear_chunks(self, workspace: str, document_id: str, *, conn: Connection | None = None) -> None:
        """Remove a document's chunk rows, before it is chunked again."""
        with self._writing(conn) as conn:
            conn.execute(delete(chunks).where(chunks.c.document_id == document_id))
            conn.execute(update(documents).where(documents.c.id == document_id).values(chunk_count=0))
            self._bump_generation(conn, workspace)

    def mark_indexed(self, workspace: str, document_id: str, records: Sequence[Chunk], *, chunk_settings: str,
                     conn: Connection | None = None) -> None:
        """Write the chunk rows and flip the document to indexed, together: it becomes visible
        with all its chunks or not at all."""
        with self._writing(conn) as conn:
            if records:
                conn.execute(chunks.insert(), [
                    {"id": c.id, "workspace": workspace, "document_id": document_id, "position": c.position, "page": c.page,
                     "heading": " > ".join(c.heading_path), "text": c.text, "token_count": c.token_count}
                    for c in records
                ])
            conn.execute(update(documents).where(documents.c.id == document_id).values(
                status=DocumentStatus.INDEXED, chunk_count=len(records), chunk_settings=chunk_settings, updated_at=now_iso()))
            self._bump_generation(conn, workspace)

    def remove(self, workspace: str, document_id: str, *, conn: Connection | None = None) -> None:
        """Delete the document's row and its chunks, together."""
        with self._writing(conn) as conn:
            conn.execute(delete(chunks).where(chunks.c.document_id == document_id))
            conn.execute(delete(documents).where(documents.c.id == document_id))
            self._bump_generation(conn, workspace)

    # ---- connections ----------------------------------------------------------------------

    @contextmanager
    def _reading(self, conn: Connection | None = None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
            return
        with self.database.connect() as opened:
            yield opened

    @contextmanager
    def _writing(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
            return
        with self.database.begin() as opened:
            yield opened


def document_from_row(row) -> Document:
    return Document(
        id=row.id, workspace=row.workspace, title=row.title, filename=row.filename, doc_type=row.doc_type,
        tags=tuple(json.loads(row.tags or "[]")), content_hash=row.content_hash, size_bytes=row.size_bytes,
        chunk_count=row.chunk_count, created_at=row.created_at, status=DocumentStatus(row.status),
    )


def chunk_from_row(row) -> Chunk:
    return Chunk(
        id=row.id, document_id=row.document_id, workspace=row.workspace, text=row.text, position=row.position,
        page=row.page, heading_path=tuple(row.heading.split(" > ")) if row.heading else (), token_count=row.token_count,
    )
