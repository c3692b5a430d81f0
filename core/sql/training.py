"""The one Vanna adapter: training data in the workbench's Chroma collections, prompts to its LLM.

``WorkbenchVanna`` subclasses ``vanna.legacy.base.VannaBase`` for one (workspace, connection).
DDL, documentation and question/SQL pairs (with certified-query parameters) are embedded with
the workbench's ``Embedder``, stored in three collections of that workspace named
``sql_<connection id>_ddl|doc|sql``, and recorded in the metadata table ``training_items``
(the list analysts see and remove from). Items added together (``add_many``, ``train_schema``)
are embedded in a few calls of similar-length texts and stored in one write per kind, instead of
one embedding call, one transaction and one upsert per item; the ids, texts and metadata stored
are exactly those of adding them one at a time. ``generate_sql`` builds Vanna's prompt from the
retrieved context and sends it to the workbench's ``LLM``.

Vanna's own database and plotting paths are disabled: ``ask``, ``run_sql``, ``train``,
every ``connect_to_*``, ``get_plotly_figure`` and ``generate_plotly_code`` raise, because they
run SQL outside the read-only runner or execute model-written Python (CVE-2024-5565). The SQL
this adapter returns is only text; ``core.sql.service`` runs it through ``GuardedRunner``.

``QueryHistory`` keeps what ran (``query_history``) with the analyst's thumbs up or down: the
record from which answers are saved as correct, that is, turned into training.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from sqlalchemy import select, update
from vanna.legacy.base import VannaBase

from core.errors import InvalidInput, LLMReplyError, NotFound, UnsafeSQL
from core.llm.base import Message
from core.llm.bounds import reply_options
from core.llm.tokens import token_counter
from core.metadata import MetadataStore, new_id, now_iso, query_history, training_items
from core.sql.certified import Candidate, CertifiedParameter, parameters_from_json, parameters_to_json
from core.sql.guard import DIALECT_LABELS

if TYPE_CHECKING:  # pragma: no cover
    from core.sql.introspect import SchemaInfo

logger = logging.getLogger(__name__)

KINDS = ("ddl", "documentation", "question_sql")
_SUFFIX = {"ddl": "ddl", "documentation": "doc", "question_sql": "sql"}
_ID_PREFIX = {"ddl": "ddl", "documentation": "doc", "question_sql": "sql"}
# Items embedded and stored per round of add_many: small enough that a schema of thousands of
# tables neither holds the data lock long nor piles up vectors.
_STORE_BATCH = 256
# A model pads every text of one call to the longest of them, so one call for a 100-character
# DDL and a 1,600-character one costs sixteen long texts. Texts are embedded shortest first in
# calls whose padded size (count x longest) stays under this many characters: few calls, little padding.
# (On Chinook's 11 tables, one call for all was 1.7x slower than one call per table; these 5 groups
# embed as fast as one call per table, and the stores then take one write instead of 11: bench/schema_training.py.)
_PADDED_CHARS = 2000
_SQL_START = re.compile(
    r"^\s*(\(|SELECT|WITH|VALUES|TABLE|EXPLAIN|INSERT|UPDATE|DELETE|MERGE|REPLACE|UPSERT|CREATE|DROP|ALTER|TRUNCATE|"
    r"GRANT|REVOKE|SET|CALL|EXEC|EXECUTE|DO|COPY|PRAGMA|ATTACH|DETACH|LOAD|SHOW|DESCRIBE|DESC|USE|BEGIN|START|COMMIT|"
    r"ROLLBACK|LOCK|VACUUM|ANALYZE|KILL|RENAME|COMMENT|HANDLER)\b", re.IGNORECASE)
_PLACEHOLDER_NOTE = (
    "Some example queries use :name placeholders (such as :city, :start and :end) that the workbench fills in. "
    "Never write placeholders in your answer: write literal values. Write exactly one read-only SELECT statement."
)
_NOT_ALLOWED_TO_SEE_DATA = "The LLM is not allowed to see the data"


@dataclass(frozen=True)
class TrainingItem:
    """One piece of training data for one connection: a table's DDL, a note, or a question/SQL pair."""

    id: str
    workspace: str
    connection_id: str
    kind: str  # "ddl" | "documentation" | "question_sql"
    question: str
    content: str  # the DDL, the note, or the SQL
    parameters: tuple[CertifiedParameter, ...] = ()
    created_at: str = ""


@dataclass(frozen=True)
class TrainingInput:
    """One piece of training data to add with ``WorkbenchVanna.add_many``; build it with ``ddl``,
    ``documentation`` or ``question_sql``, which say what makes its id."""

    kind: str
    content: str
    question: str = ""
    parameters: tuple[CertifiedParameter, ...] = ()
    key: str = ""  # what the id is made from: retraining the same key replaces the item
    table: str | None = ""  # DDL only: the table it describes, kept in the vector's metadata

    @classmethod
    def ddl(cls, ddl: str, table: str | None = "") -> "TrainingInput":
        """One table's DDL; naming the ``table`` makes retraining it replace the item."""
        return cls("ddl", ddl, key=table or ddl, table=table)

    @classmethod
    def documentation(cls, text: str) -> "TrainingInput":
        return cls("documentation", text, key=text)

    @classmethod
    def question_sql(cls, question: str, sql: str,
                     parameters: Sequence[CertifiedParameter] = ()) -> "TrainingInput":
        return cls("question_sql", sql, question=question, parameters=tuple(parameters or ()),
                   key=_question_key(question or ""))


@dataclass(frozen=True)
class _Prepared:
    """A checked ``TrainingInput``: its id, the row's values and what goes into the vector store."""

    id: str
    kind: str
    question: str
    content: str
    parameters: str  # JSON
    embedded_text: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class HistoryEntry:
    """One query that ran (or was refused), where it came from, and the analyst's thumbs (1, -1 or 0)."""

    id: str
    connection_id: str
    question: str
    sql: str
    source: str
    row_count: int | None
    elapsed: float | None
    error: str
    feedback: int
    created_at: str


class QueryHistory:
    """``query_history`` rows: every statement run, with its outcome and feedback, the raw material for
    deciding what to save as correct."""

    def __init__(self, metadata: MetadataStore) -> None:
        self.metadata = metadata

    def record(self, workspace: str, connection_id: str, question: str, sql: str, source: str, *,
               row_count: int | None = None, elapsed: float | None = None, error: str = "") -> str:
        history_id = new_id()
        # Microseconds (32 characters, the column's width) keep queries in the order they ran.
        created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
        with self.metadata.begin() as conn:
            conn.execute(query_history.insert().values(
                id=history_id, workspace=workspace, connection_id=connection_id, question=question, sql=sql,
                source=source, row_count=row_count, elapsed=elapsed, error=error, feedback=0, created_at=created))
        return history_id

    def recent(self, workspace: str, limit: int = 50) -> list[HistoryEntry]:
        with self.metadata.connect() as conn:
            rows = conn.execute(select(query_history).where(query_history.c.workspace == workspace)
                                .order_by(query_history.c.created_at.desc(), query_history.c.id).limit(limit)).all()
        return [HistoryEntry(r.id, r.connection_id, r.question, r.sql, r.source, r.row_count, r.elapsed, r.error,
                             r.feedback, r.created_at) for r in rows]

    def set_feedback(self, workspace: str, history_id: str, value: int) -> None:
        if value not in (-1, 0, 1):
            raise InvalidInput("Feedback must be 1 (thumbs up), -1 (thumbs down) or 0 (none).")
        with self.metadata.begin() as conn:
            changed = conn.execute(update(query_history).where(
                query_history.c.id == history_id, query_history.c.workspace == workspace).values(feedback=value))
        if not changed.rowcount:
            raise NotFound(f"No query {history_id} in workspace {workspace}'s history.")


def collection_purpose(connection_id: str, kind: str) -> str:
    """The vector-store purpose of one connection's training data of one kind."""
    return f"sql_{connection_id}_{_SUFFIX[kind]}"


def training_id(connection_id: str, kind: str, key: str) -> str:
    """A stable id: training the same table, note or question again replaces the item instead of duplicating it."""
    digest = hashlib.sha256(f"{connection_id}\n{kind}\n{key}".encode("utf-8")).hexdigest()[:40]
    return f"{_ID_PREFIX[kind]}-{digest}"


def length_groups(texts: Sequence[str]) -> list[list[int]]:
    """Positions of ``texts`` in groups to embed together: shortest first, each group's count times
    its longest text within ``_PADDED_CHARS`` (a longer text goes alone)."""
    groups: list[list[int]] = []
    for index in sorted(range(len(texts)), key=lambda i: len(texts[i])):
        if groups and (len(groups[-1]) + 1) * len(texts[index]) <= _PADDED_CHARS:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def _question_key(question: str) -> str:
    return " ".join(question.lower().split()).rstrip("?.! ")


def _refused(name: str):
    def refuse(self, *args: Any, **kwargs: Any):
        raise UnsafeSQL(f"Vanna's {name}() is disabled in the workbench: it would run SQL outside the read-only runner "
                        "or execute model-written code. Use SqlService.ask/run instead.")

    refuse.__name__ = name
    return refuse


class WorkbenchVanna(VannaBase):
    """VannaBase over the workbench's embedder, vector store, metadata store and LLM, for one connection."""

    def __init__(self, *, workspace: str, connection_id: str, dialect: str, embedder: Any, vectors: Any,
                 metadata: MetadataStore, llm: Any, max_prompt_tokens: int = 6000,
                 n_ddl: int = 8, n_documentation: int = 6, n_pairs: int = 6, write_lock: Any = None) -> None:
        # Vanna adds the DDL, notes and examples that fit max_tokens, counted by str_to_approx_token_count,
        # which here is the model's own tokenizer (or a safe estimate): the prompt fits the context.
        super().__init__(config={"dialect": DIALECT_LABELS.get(dialect, dialect),
                                 "max_tokens": max(256, max_prompt_tokens)})
        self.workspace = workspace
        self.connection_id = connection_id
        self.embedder = embedder
        self.vectors = vectors
        self.metadata = metadata
        self.llm = llm
        self._count_tokens = token_counter(llm)
        # Held shared around each write of a row and its vector, so a backup never takes one without the other.
        self._write_lock = write_lock.shared if write_lock is not None else nullcontext
        self.limits = {"ddl": n_ddl, "documentation": n_documentation, "question_sql": n_pairs}
        self.static_documentation = _PLACEHOLDER_NOTE

    def __repr__(self) -> str:
        return f"WorkbenchVanna(workspace={self.workspace!r}, connection_id={self.connection_id!r})"

    def __setattr__(self, name: str, value: Any) -> None:
        # Vanna's connect_to_* work by assigning run_sql; refuse that route as well.
        if name in BLOCKED_METHODS:
            raise UnsafeSQL(f"Vanna's {name} cannot be replaced: every statement goes through the read-only runner.")
        super().__setattr__(name, value)

    def str_to_approx_token_count(self, string: str) -> int:
        # Vanna's own count is 4 characters a token; schema text runs nearer 3 in real tokenizers (SmolLM2
        # read a prompt Vanna put at 1,228 tokens as 2,153), which overflowed small contexts.
        return self._count_tokens(string)

    def log(self, message: str, title: str = "Info") -> None:
        # Vanna prints prompts and replies to stdout; keep them in debug logs instead.
        logger.debug("%s: %s", title, message)

    # --- training data -------------------------------------------------------------------------

    def add_ddl(self, ddl: str, **kwargs: Any) -> str:
        """Store one table's DDL; ``table=`` names it so retraining that table replaces it."""
        return self.add_many([TrainingInput.ddl(ddl, kwargs.get("table", ""))])[0]

    def add_documentation(self, documentation: str, **kwargs: Any) -> str:
        """Store a documentation note (business rules, definitions)."""
        return self.add_many([TrainingInput.documentation(documentation)])[0]

    def add_question_sql(self, question: str, sql: str, **kwargs: Any) -> str:
        """Store a question/SQL pair; ``parameters=`` makes it a parameterised certified query."""
        return self.add_many([TrainingInput.question_sql(question, sql, tuple(kwargs.get("parameters") or ()))])[0]

    def add_many(self, inputs: Sequence[TrainingInput]) -> list[str]:
        """Store several items of any kinds, embedded in batches; returns their ids in order.

        Every item is checked before anything is embedded or stored, so one empty note fails the
        whole call and changes nothing. The same key twice keeps the last, as adding one at a time would.
        """
        prepared = [self._prepare(item) for item in inputs]
        latest = {item.id: item for item in prepared}
        unique = list(latest.values())
        for start in range(0, len(unique), _STORE_BATCH):
            self._store(unique[start:start + _STORE_BATCH])
        return [item.id for item in prepared]

    def train_schema(self, schema: "SchemaInfo") -> list[TrainingItem]:
        """One DDL item per table of ``schema`` (a fresh introspection), keyed by the table's shown name;
        the DDL of tables no longer there is removed. Raises ``NoReadableTables``, changing nothing,
        when the schema has no table (a role without grants must not look trained)."""
        schema.require_tables()
        current = set(self.add_many([TrainingInput.ddl(table.ddl(), table.name) for table in schema.tables]))
        self._remove([item.id for item in self.items("ddl") if item.id not in current])
        return self.items("ddl")

    def _prepare(self, item: TrainingInput) -> _Prepared:
        kind = item.kind
        if kind not in KINDS:
            raise InvalidInput(f"Training kind must be one of {', '.join(KINDS)}; got {kind!r}.")
        content, question = (item.content or "").strip(), " ".join((item.question or "").split())
        if not content:
            raise InvalidInput(f"There is nothing to train: the {kind.replace('_', '/')} text is empty.")
        if kind == "question_sql" and not question:
            raise InvalidInput("A question/SQL pair needs the question it answers.")
        parameters = parameters_to_json(item.parameters)
        extra = {"table": item.table} if kind == "ddl" else {}
        metadata = {"kind": kind, "question": question, "content": content, "parameters": parameters,
                    "connection_id": self.connection_id, **extra}
        return _Prepared(training_id(self.connection_id, kind, item.key), kind, question, content, parameters,
                         question if kind == "question_sql" else content, metadata)

    def _store(self, batch: list[_Prepared]) -> None:
        # Embedded first, in a few calls of similar lengths (outside the lock: it is the slow part), then
        # one transaction and one upsert per kind, so a failing vector store rolls back only that kind's rows.
        vectors: list[Any] = [None] * len(batch)
        for group in length_groups([item.embedded_text for item in batch]):
            for index, vector in zip(group, self.embedder.embed([batch[index].embedded_text for index in group])):
                vectors[index] = vector
        for kind in KINDS:
            positions = [index for index, item in enumerate(batch) if item.kind == kind]
            if not positions:
                continue
            items = [batch[index] for index in positions]
            created = now_iso()
            with self._write_lock(), self.metadata.begin() as conn:
                conn.execute(training_items.delete().where(training_items.c.id.in_([item.id for item in items])))
                conn.execute(training_items.insert(), [
                    {"id": item.id, "workspace": self.workspace, "connection_id": self.connection_id, "kind": kind,
                     "question": item.question, "content": item.content, "parameters": item.parameters,
                     "created_at": created} for item in items])
                # Inside the transaction: if the vector store fails, the rows are rolled back with it.
                self.vectors.upsert(self.workspace, collection_purpose(self.connection_id, kind),
                                    [item.id for item in items], [vectors[index] for index in positions],
                                    [item.embedded_text for item in items], [item.metadata for item in items])

    def items(self, kind: str | None = None) -> list[TrainingItem]:
        """This connection's training data, newest first within each kind."""
        if kind is not None and kind not in KINDS:
            raise InvalidInput(f"Training kind must be one of {', '.join(KINDS)}; got {kind!r}.")
        query = select(training_items).where(training_items.c.workspace == self.workspace,
                                             training_items.c.connection_id == self.connection_id)
        if kind:
            query = query.where(training_items.c.kind == kind)
        with self.metadata.connect() as conn:
            rows = conn.execute(query.order_by(training_items.c.kind, training_items.c.created_at.desc(),
                                               training_items.c.id)).all()
        return [TrainingItem(r.id, r.workspace, r.connection_id, r.kind, r.question, r.content,
                             parameters_from_json(r.parameters), r.created_at) for r in rows]

    def get_training_data(self, **kwargs: Any):
        import pandas as pd

        return pd.DataFrame([{"id": i.id, "training_data_type": i.kind, "question": i.question, "content": i.content}
                             for i in self.items()], columns=["id", "training_data_type", "question", "content"])

    def remove_training_data(self, id: str, **kwargs: Any) -> bool:  # noqa: A002 (Vanna's signature)
        """Remove one item from the list and its collection; False if this connection has no such item."""
        return self._remove([id]) == 1

    def _remove(self, ids: Sequence[str]) -> int:
        """Remove this connection's items among ``ids`` (rows and vectors together); returns how many."""
        if not ids:
            return 0
        with self._write_lock(), self.metadata.begin() as conn:
            rows = conn.execute(select(training_items.c.id, training_items.c.kind).where(
                training_items.c.id.in_(list(ids)), training_items.c.workspace == self.workspace,
                training_items.c.connection_id == self.connection_id)).all()
            if not rows:
                return 0
            conn.execute(training_items.delete().where(training_items.c.id.in_([row.id for row in rows])))
            for kind in KINDS:
                found = [row.id for row in rows if row.kind == kind]
                if found:
                    self.vectors.delete(self.workspace, collection_purpose(self.connection_id, kind), ids=found)
        return len(rows)

    def remove_all(self) -> int:
        """Forget every item of this connection (when the connection is removed); returns how many."""
        with self._write_lock():
            with self.metadata.begin() as conn:
                removed = conn.execute(training_items.delete().where(
                    training_items.c.workspace == self.workspace, training_items.c.connection_id == self.connection_id))
            for kind in KINDS:
                self.vectors.drop(self.workspace, collection_purpose(self.connection_id, kind))
        return int(removed.rowcount or 0)

    def reembed_all(self) -> int:
        """Embed every stored item again with the current model (after the model changed); returns how many.

        The text and metadata come from the vector store itself, so nothing but the vectors changes.
        """
        count = 0
        for kind in KINDS:
            with self._write_lock():
                count += self._reembed(collection_purpose(self.connection_id, kind))
        return count

    def _reembed(self, purpose: str) -> int:
        records = self.vectors.get(self.workspace, purpose)
        if records:  # embedded before the drop, so a failure leaves the old vectors in place
            vectors = self.embedder.embed([r.text for r in records])
        self.vectors.drop(self.workspace, purpose)  # a new model may have another dimension
        if records:
            self.vectors.upsert(self.workspace, purpose, [r.id for r in records], vectors,
                                [r.text for r in records], [r.metadata for r in records])
        return len(records)

    # --- retrieval -------------------------------------------------------------------------------

    def generate_embedding(self, data: str, **kwargs: Any) -> list[float]:
        return [float(x) for x in self._vector(data)]

    def _vector(self, text: str):
        # generate_sql looks up pairs, DDL and notes for the same question; the workbench's embedder keeps
        # recent question vectors (core/query_vectors.py), so that is one embedding.
        return self.embedder.embed_query(text)

    def _nearest(self, kind: str, question: str, k: int | None = None):
        return self.vectors.query(self.workspace, collection_purpose(self.connection_id, kind), self._vector(question),
                                  k or self.limits[kind])

    def similar_pairs(self, question: str, k: int = 5) -> list[Candidate]:
        """The trained question/SQL pairs nearest to ``question``, with cosine similarity."""
        return [Candidate(record.id, record.metadata.get("question", record.text), record.metadata.get("content", ""),
                          parameters_from_json(record.metadata.get("parameters", "[]")),
                          1.0 - float(record.distance or 0.0))
                for record in self._nearest("question_sql", question, k)]

    def get_similar_question_sql(self, question: str, **kwargs: Any) -> list:
        return [{"question": c.question, "sql": c.sql} for c in self.similar_pairs(question, self.limits["question_sql"])]

    def get_related_ddl(self, question: str, **kwargs: Any) -> list:
        return [record.metadata.get("content", record.text) for record in self._nearest("ddl", question)]

    def get_related_documentation(self, question: str, **kwargs: Any) -> list:
        return [record.metadata.get("content", record.text) for record in self._nearest("documentation", question)]

    # --- the LLM -------------------------------------------------------------------------------

    def system_message(self, message: str) -> Message:
        return Message.system(message)

    def user_message(self, message: str) -> Message:
        return Message.user(message)

    def assistant_message(self, message: str) -> Message:
        return Message.assistant(message)

    def submit_prompt(self, prompt: Iterable[Message], **kwargs: Any) -> str:
        """Send Vanna's message list to the workbench's LLM and return the whole reply."""
        # Bounded like every LLM call: SQL (and the summaries Vanna writes through here) get the SQL reply cap.
        reply = self.llm.complete(list(prompt), options=reply_options(self.llm, "sql"))
        return reply if isinstance(reply, str) else "".join(reply)

    def generate_sql(self, question: str, allow_llm_to_see_data: bool = False, **kwargs: Any) -> str:
        """SQL text for ``question`` from the LLM, given the retrieved pairs, DDL and notes. It is not run here."""
        if allow_llm_to_see_data:
            raise UnsafeSQL("Letting the model run its own intermediate queries is disabled: every statement goes "
                            "through the read-only runner.")
        sql = super().generate_sql(question, allow_llm_to_see_data=False, **kwargs).strip()
        if sql.startswith(_NOT_ALLOWED_TO_SEE_DATA):
            raise LLMReplyError("The model wanted to look at the data before writing the query. Add a documentation "
                                 "note or a question/SQL pair that names the values it needs, then ask again.")
        if not _SQL_START.match(sql):
            preview = " ".join(sql.split())[:300]
            raise LLMReplyError(f"The model did not write a SQL query; it replied: {preview!r}")
        return sql


# Vanna entry points that run SQL outside the runner or execute model-written code.
BLOCKED_METHODS = frozenset(
    ["ask", "run_sql", "train", "get_plotly_figure", "generate_plotly_code", "get_training_plan_generic",
     "get_training_plan_snowflake", "_get_databases", "_get_information_schema_tables"]
    + [name for name in dir(VannaBase) if name.startswith("connect_to_") or name.startswith("run_sql_")]
)
for _name in BLOCKED_METHODS:
    setattr(WorkbenchVanna, _name, _refused(_name))
