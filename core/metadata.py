"""The metadata store: everything that is not vectors or graph, in one SQLAlchemy database.

SQLite file under the data dir by default, any SQLAlchemy URL otherwise. The tables below are
the models; the database gets them through the Alembic revisions in ``core/migrations``,
applied on first use (a test checks the two never differ). Only plain rows live here; other
modules own the meaning of their rows: every query on ``documents``, ``chunks`` and
``index_state`` is in ``core.document_repository``.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from core.errors import BackendUnavailable, InvalidInput

metadata_schema = MetaData()

workspaces = Table(
    "workspaces",
    metadata_schema,
    Column("name", String(64), primary_key=True),
    Column("created_at", String(32), nullable=False),
)

documents = Table(
    "documents",
    metadata_schema,
    Column("id", String(36), primary_key=True),
    Column("workspace", String(64), ForeignKey("workspaces.name"), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("doc_type", String(32), nullable=False),
    Column("tags", Text, nullable=False, default="[]"),  # JSON list
    Column("content_hash", String(64), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("chunk_count", Integer, nullable=False, default=0),
    # A DocumentStatus: "indexing" while stores are being written, "indexed" once every store has
    # the document, "deleting" while it is removed from them.
    Column("status", String(16), nullable=False),
    Column("chunk_settings", String(64), nullable=False, default=""),
    Column("created_at", String(32), nullable=False),
    # Touched after every chunk batch: an "indexing" row not touched for a while was left by a
    # crash, while a recent one belongs to an ingestion still running in another process.
    Column("updated_at", String(32), nullable=False, default=""),
    UniqueConstraint("workspace", "content_hash", name="uq_document_hash"),
)

# The canonical text of every chunk of every indexed document. Rows are written in the same
# transaction that marks the document indexed, so they double as the keyword index's corpus.
chunks = Table(
    "chunks",
    metadata_schema,
    Column("id", String(80), primary_key=True),
    Column("workspace", String(64), nullable=False, index=True),
    Column("document_id", String(36), ForeignKey("documents.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("page", Integer, nullable=True),
    Column("heading", Text, nullable=False, default=""),  # heading path joined with " > "
    Column("text", Text, nullable=False),
    Column("token_count", Integer, nullable=False, default=0),
)

# Bumped whenever a workspace's chunks change, so derived indexes know they are stale.
index_state = Table(
    "index_state",
    metadata_schema,
    Column("workspace", String(64), primary_key=True),
    Column("generation", Integer, nullable=False, default=0),
)

sql_connections = Table(
    "sql_connections",
    metadata_schema,
    Column("id", String(36), primary_key=True),
    Column("workspace", String(64), nullable=False, index=True),
    Column("name", String(128), nullable=False),
    # The URL is stored with its password removed; the password (if any) lives in secret_ref's store.
    Column("url", Text, nullable=False),
    Column("secret_ref", String(128), nullable=False, default=""),
    Column("is_default", Integer, nullable=False, default=0),
    Column("created_at", String(32), nullable=False),
    UniqueConstraint("workspace", "name", name="uq_connection_name"),
)

training_items = Table(
    "training_items",
    metadata_schema,
    Column("id", String(64), primary_key=True),
    Column("workspace", String(64), nullable=False, index=True),
    Column("connection_id", String(36), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # ddl | documentation | question_sql
    Column("question", Text, nullable=False, default=""),
    Column("content", Text, nullable=False),
    Column("parameters", Text, nullable=False, default="{}"),  # JSON
    Column("created_at", String(32), nullable=False),
)

query_history = Table(
    "query_history",
    metadata_schema,
    Column("id", String(36), primary_key=True),
    Column("workspace", String(64), nullable=False, index=True),
    Column("connection_id", String(36), nullable=False, default=""),
    Column("question", Text, nullable=False, default=""),
    Column("sql", Text, nullable=False),
    Column("source", String(16), nullable=False),  # typed | certified | generated | edited
    Column("row_count", Integer, nullable=True),
    Column("elapsed", Float, nullable=True),
    Column("error", Text, nullable=False, default=""),
    Column("feedback", Integer, nullable=False, default=0),  # -1, 0, 1
    Column("created_at", String(32), nullable=False),
)

conversations = Table(
    "conversations",
    metadata_schema,
    Column("id", String(36), primary_key=True),
    Column("workspace", String(64), nullable=False, index=True),
    # The id callers use (a Streamlit session, a bridge's sender); unique only within a workspace,
    # so the same id from two workspaces is two conversations.
    Column("external_id", String(128), nullable=False),
    Column("user_id", String(128), nullable=False, default=""),
    Column("title", Text, nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    UniqueConstraint("workspace", "external_id", name="uq_conversation_external_id"),
)

chat_messages = Table(
    "chat_messages",
    metadata_schema,
    Column("id", String(36), primary_key=True),
    Column("conversation_id", String(36), ForeignKey("conversations.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),  # order within the conversation
    Column("role", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("sources", Text, nullable=False, default="[]"),  # JSON
    Column("mode", String(16), nullable=False, default=""),
    Column("feedback", Integer, nullable=False, default=0),
    Column("created_at", String(32), nullable=False),
)

# Webhook deliveries already handled (a hash of channel + platform id), kept until expires_at (Unix
# seconds) so a redelivered or replayed call is not answered twice, even after a restart.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata_schema,
    Column("id", String(80), primary_key=True),
    Column("expires_at", Float, nullable=False, index=True),
)

# The analyst's additions to a connection's semantic model (core.sql.semantic_overrides), one row per
# saved version: a save never overwrites, so any earlier version can be looked at or restored.
semantic_models = Table(
    "semantic_models",
    metadata_schema,
    Column("id", String(36), primary_key=True),
    Column("workspace", String(64), nullable=False, index=True),
    Column("connection_id", String(36), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    UniqueConstraint("connection_id", "version", name="uq_semantic_model_version"),
)

# Background work (core.jobs): uploads, re-chunks, deletes, graph rebuilds, schema training. A job is
# queued, running (with progress and a heartbeat), then done, failed (with the reason) or cancelled; a
# transient failure is retried after next_attempt_at. payload and result are JSON.
jobs = Table(
    "jobs",
    metadata_schema,
    Column("id", String(36), primary_key=True),
    Column("workspace", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("title", Text, nullable=False, default=""),
    Column("payload", Text, nullable=False, default="{}"),
    Column("result", Text, nullable=False, default="{}"),
    Column("error", Text, nullable=False, default=""),
    Column("done", Integer, nullable=False, default=0),
    Column("total", Integer, nullable=False, default=0),
    Column("message", Text, nullable=False, default=""),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False, default=0.0),  # Unix seconds; 0 = now
    Column("cancel_requested", Integer, nullable=False, default=0),
    Column("worker", String(128), nullable=False, default=""),
    Column("heartbeat_at", Float, nullable=False, default=0.0),  # Unix seconds, while running
    Column("created_at", String(32), nullable=False),
    Column("started_at", String(32), nullable=False, default=""),
    Column("finished_at", String(32), nullable=False, default=""),
)

WORKSPACE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_id() -> str:
    return str(uuid.uuid4())


def validate_workspace_name(name: str) -> str:
    name = (name or "").strip()
    if not WORKSPACE_NAME.match(name):
        raise InvalidInput(
            f"Workspace name {name!r} is not valid: use 1-40 letters, digits, '-' or '_', starting with a letter or digit."
        )
    return name


class MetadataStore:
    """Owns the SQLAlchemy engine of the metadata database."""

    def __init__(self, url: str):
        self.url = url
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._created = False

    def ensure_schema(self) -> None:
        """Migrate the database to the code's schema once per process (cheap when already there)."""
        if self._created:
            return
        from core.migrations import upgrade  # imported here: alembic is only needed when the store opens

        try:
            upgrade(self.engine)
        except SQLAlchemyError as exc:
            raise BackendUnavailable(f"Cannot open the metadata store: {_safe(exc)}") from None
        self._created = True

    def schema_report(self):
        """Where the database's schema stands against the code's (``core.migrations.SchemaReport``)."""
        from core.migrations import schema_report

        try:
            return schema_report(self.engine)
        except SQLAlchemyError as exc:
            raise BackendUnavailable(f"Cannot open the metadata store: {_safe(exc)}") from None

    def begin(self):
        """A transaction: every write in it lands together or not at all."""
        self.ensure_schema()
        return self.engine.begin()

    def connect(self):
        self.ensure_schema()
        return self.engine.connect()

    def ensure_workspace(self, name: str) -> str:
        name = validate_workspace_name(name)
        with self.begin() as conn:
            exists = conn.execute(select(workspaces.c.name).where(workspaces.c.name == name)).first()
            if not exists:
                conn.execute(workspaces.insert().values(name=name, created_at=now_iso()))
        return name

    def list_workspaces(self) -> list[str]:
        with self.connect() as conn:
            return [row[0] for row in conn.execute(select(workspaces.c.name).order_by(workspaces.c.name))]

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def describe(self) -> str:
        """The URL without its password, safe to display."""
        return make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the Streamlit app, the Gradio endpoint and the CLI read while one of them writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _safe(exc: Exception) -> str:
    # SQLAlchemy messages can embed the URL; keep only the first line of the driver's message.
    message = str(getattr(exc, "orig", exc) or exc)
    return message.splitlines()[0] if message else type(exc).__name__
