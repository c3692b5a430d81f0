"""The SQL, graph and chat parts of a workspace handle: ``ws.sql``, ``ws.graph``, ``ws.chat``.

Each view binds the workspace name once (the handle has already validated it), so a page, the
CLI or the Gradio endpoint never passes a workspace name again and cannot cross workspaces.
They delegate to the workbench's shared services; they hold no state of their own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import URL

    from core.chat.memory import ConversationStore, ConversationSummary, StoredMessage
    from core.graph.indexer import GraphIndexer
    from core.graph.llm_extraction import ExtractionTypes
    from core.graph.rebuild import RebuildReport
    from core.graph.retrieval import EntityDetails, GraphRetriever
    from core.graph.store import GraphStats, GraphStore
    from core.ingest.pipeline import Upload
    from core.jobs.service import JobService
    from core.jobs.store import Job
    from core.llm.base import LLM
    from core.metadata import MetadataStore
    from core.records import Answer, GraphNode, QueryResult, Subgraph
    from core.sql.connections import SqlConnection
    from core.sql.introspect import SchemaInfo
    from core.sql.plan import Plan
    from core.sql.planner import PlanOutcome
    from core.sql.semantic import SemanticModel
    from core.sql.semantic_overrides import Overrides
    from core.sql.semantic_store import SemanticVersion
    from core.sql.service import ConnectionRef, SqlAnswer, SqlService
    from core.sql.training import HistoryEntry, TrainingItem


class SqlView:
    """Database questions in one workspace: connections, schema, training, asking, running, history."""

    def __init__(self, service: "SqlService", workspace: str):
        self._service = service
        self.workspace = workspace

    @property
    def allow_privileged(self) -> bool:
        """Whether privileged connections are allowed (the page warns when they are)."""
        return self._service.settings.allow_privileged

    # connections
    def connections(self) -> list["SqlConnection"]:
        return self._service.connections(self.workspace)

    def connection(self, connection: "ConnectionRef" = None) -> "SqlConnection":
        return self._service.connection(self.workspace, connection)

    def connection_for(self, db: str | None) -> "SqlConnection":
        """A saved connection named by ``db``, or one saved on the fly from a URL."""
        return self._service.connection_for(self.workspace, db)

    def add_connection(self, name: str, url: "str | URL", *, password: str | None = None,
                       make_default: bool = False) -> "SqlConnection":
        return self._service.add_connection(self.workspace, name, url, password=password, make_default=make_default)

    def test_connection(self, connection: "ConnectionRef" = None) -> str:
        return self._service.test_connection(self.workspace, connection)

    def remove_connection(self, connection: "ConnectionRef") -> "SqlConnection":
        return self._service.remove_connection(self.workspace, connection)

    def set_default_connection(self, connection: "ConnectionRef") -> "SqlConnection":
        return self._service.set_default_connection(self.workspace, connection)

    # schema and training
    def schema(self, connection: "ConnectionRef" = None, *, refresh: bool = False) -> "SchemaInfo":
        return self._service.schema(self.workspace, connection, refresh=refresh)

    def train_schema(self, connection: "ConnectionRef" = None) -> list["TrainingItem"]:
        return self._service.train_schema(self.workspace, connection)

    def add_documentation(self, text: str, *, connection: "ConnectionRef" = None) -> "TrainingItem":
        return self._service.add_documentation(self.workspace, text, connection=connection)

    def add_question_sql(self, question: str, sql: str, *, parameters: "str | Sequence[Any] | None" = None,
                         connection: "ConnectionRef" = None) -> "TrainingItem":
        return self._service.add_question_sql(self.workspace, question, sql, parameters=parameters, connection=connection)

    def save_as_correct(self, question: str, sql: str, *, connection: "ConnectionRef" = None,
                        parameters: "str | Sequence[Any] | None" = None, plan: "Plan | None" = None) -> "TrainingItem":
        """A planned answer is saved from its ``plan`` (its value filters stay parameters)."""
        return self._service.save_as_correct(self.workspace, question, sql, connection=connection,
                                             parameters=parameters, plan=plan)

    def training_items(self, connection: "ConnectionRef" = None, *, kind: str | None = None) -> list["TrainingItem"]:
        return self._service.training_items(self.workspace, connection, kind=kind)

    def remove_training_item(self, item_id: str, *, connection: "ConnectionRef" = None) -> None:
        self._service.remove_training_item(self.workspace, item_id, connection=connection)

    def answerable_questions(self, connection: "ConnectionRef" = None) -> list[str]:
        return self._service.answerable_questions(self.workspace, connection)

    # asking and running
    def ask(self, question: str, *, connection: "ConnectionRef" = None, today: dt.date | None = None) -> "SqlAnswer":
        return self._service.ask(self.workspace, question, connection=connection, today=today)

    def semantic_model(self, connection: "ConnectionRef" = None) -> "SemanticModel":
        """What the connection's tables, columns and metrics mean in words."""
        return self._service.semantic_model(self.workspace, connection)

    def plan(self, question: str, *, connection: "ConnectionRef" = None, today: dt.date | None = None) -> "PlanOutcome":
        """The question read as a plan, or why it cannot be; no SQL runs."""
        return self._service.plan(self.workspace, question, connection=connection, today=today)

    def semantic_yaml(self, connection: "ConnectionRef" = None) -> str:
        """The analyst's semantic model additions as YAML (a commented starting file when there are none)."""
        return self._service.semantic_yaml(self.workspace, connection)

    def check_semantic_yaml(self, text: str, connection: "ConnectionRef" = None) -> "Overrides":
        return self._service.check_semantic_yaml(self.workspace, text, connection)

    def save_semantic_yaml(self, text: str, connection: "ConnectionRef" = None) -> "SemanticVersion":
        return self._service.save_semantic_yaml(self.workspace, text, connection)

    def semantic_versions(self, connection: "ConnectionRef" = None) -> list["SemanticVersion"]:
        return self._service.semantic_versions(self.workspace, connection)

    def semantic_version(self, number: int, connection: "ConnectionRef" = None) -> "SemanticVersion":
        return self._service.semantic_version(self.workspace, number, connection)

    def run_plan(self, plan: "Plan", *, connection: "ConnectionRef" = None, question: str = "") -> "SqlAnswer":
        """Run a plan whose chips the analyst changed (``core.sql.plan_edit``)."""
        return self._service.run_plan(self.workspace, plan, connection=connection, question=question)

    def run(self, sql: str, connection: "ConnectionRef" = None, source: str = "typed", *, question: str = "",
            params: Mapping[str, Any] | None = None) -> "SqlAnswer":
        return self._service.run(self.workspace, sql, connection, source, question=question, params=params)

    def run_editor(self, sql: str, connection: "ConnectionRef" = None, *,
                   previous: "SqlAnswer | None" = None) -> "SqlAnswer":
        """Run the editor's SQL, recorded as edited or typed relative to the answer it came from."""
        return self._service.run_editor(self.workspace, sql, connection, previous=previous)

    def run_url(self, url: "str | URL", sql: str, params: Mapping[str, Any] | None = None) -> "QueryResult":
        """Run SQL on a database that is not saved (the CLI's ``--db URL``); not recorded in history."""
        return self._service.run_url(url, sql, params)

    def llm_status(self) -> tuple[bool, str]:
        return self._service.llm_status()

    def summarize(self, answer: "SqlAnswer") -> str:
        return self._service.summarize(self.workspace, answer)

    def follow_up_questions(self, answer: "SqlAnswer", *, count: int = 3) -> list[str]:
        return self._service.follow_up_questions(self.workspace, answer, count=count)

    # history
    def history(self, *, limit: int = 50) -> list["HistoryEntry"]:
        return self._service.history(self.workspace, limit=limit)

    def record_feedback(self, history_id: str, value: int) -> None:
        self._service.record_feedback(self.workspace, history_id, value)


class GraphView:
    """The knowledge graph of one workspace: explore, look up, rebuild, and the LLM extraction types."""

    def __init__(self, *, store: "GraphStore", retriever: "GraphRetriever", indexer: Callable[[], "GraphIndexer"],
                 metadata: "MetadataStore", types_path: Path, workspace: str):
        self._store, self._retriever, self._indexer = store, retriever, indexer
        self._metadata, self._types_path = metadata, types_path
        self.workspace = workspace

    def stats(self, *, top: int = 10) -> "GraphStats":
        return self._store.stats(self.workspace, top=top)

    def entity(self, key: str) -> "GraphNode":
        return self._store.entity(self.workspace, key)

    def find_entities(self, text: str, *, limit: int = 10) -> list["GraphNode"]:
        return self._store.find_entities(self.workspace, text, limit=limit)

    def resolve(self, name: str) -> "GraphNode":
        """The entity a typed name means: the same normalised name, else the closest the graph knows."""
        from core.errors import NotFound
        from core.graph.normalize import entity_key

        key = entity_key(name)
        if key:
            try:
                return self._store.entity(self.workspace, key)
            except NotFound:
                pass  # not spelt as stored: look for the closest name below
        found = (self._retriever.resolve_names(self.workspace, [name])
                 or self._retriever.entities_in(self.workspace, name)
                 or self._store.find_entities(self.workspace, name, limit=1))
        if not found:
            raise NotFound(f"No entity named like {name!r} in the graph of workspace {self.workspace!r}. "
                           "Try another spelling, or rebuild the graph.")
        return found[0]

    def neighbors(self, entity_key: str, depth: int = 1, *, limit_nodes: int = 100,
                  types: Iterable[str] | None = None) -> "Subgraph":
        return self._store.neighbors(self.workspace, entity_key, depth, limit_nodes=limit_nodes, types=types)

    def document_subgraph(self, document_id: str, *, limit_nodes: int = 100,
                          types: Iterable[str] | None = None) -> "Subgraph":
        return self._store.document_subgraph(self.workspace, document_id, limit_nodes=limit_nodes, types=types)

    def entity_details(self, key: str) -> "EntityDetails":
        return self._retriever.entity_details(self.workspace, key)

    def rebuild(self, *, progress: Callable[[Any], None] | None = None) -> "RebuildReport":
        """Re-extract every indexed document of the workspace into the graph."""
        from core.graph.rebuild import rebuild_graph

        return rebuild_graph(self._metadata, self._indexer(), self.workspace, progress=progress)

    def extraction_types(self) -> "ExtractionTypes":
        return self._types_store().get(self.workspace)

    def set_extraction_types(self, entity_types: str, relation_types: str) -> None:
        """Save the types the LLM may give entities and relations (comma-separated text, checked)."""
        from core.graph.llm_extraction import ExtractionTypes

        self._types_store().set(self.workspace, ExtractionTypes.parse(entity_types, relation_types))

    def _types_store(self):
        from core.graph.llm_extraction import ExtractionTypesStore

        return ExtractionTypesStore(self._types_path)


class ChatView:
    """The assistant in one workspace, and that workspace's conversations."""

    def __init__(self, *, assistant: Callable[[], Any], conversations: "ConversationStore",
                 llm: Callable[[], "LLM"], workspace: str):
        self._assistant = assistant  # built on the first question, not to list chats
        self._conversations = conversations
        self._llm = llm
        self.workspace = workspace

    def generation_status(self) -> tuple[bool, str]:
        """Whether answers are written by an LLM (else evidence mode), and why not."""
        return self._llm().available()

    def ask(self, question: str, *, conversation_id: str = "", user_id: str = "") -> "Answer":
        return self._assistant().ask(self.workspace, question, conversation_id=conversation_id, user_id=user_id)

    def ask_stream(self, question: str, *, conversation_id: str = "", user_id: str = "") -> Iterator["str | Answer"]:
        """Pieces of answer text, then the final Answer (stored in the conversation when one is given)."""
        return self._assistant().ask_stream(self.workspace, question, conversation_id=conversation_id, user_id=user_id)

    def conversations(self, *, user_id: str | None = None) -> list["ConversationSummary"]:
        return self._conversations.list(self.workspace, user_id=user_id)

    def messages(self, conversation_id: str) -> list["StoredMessage"]:
        return self._conversations.messages(self.workspace, conversation_id)

    def set_feedback(self, message_id: str, value: int) -> None:
        self._conversations.set_feedback(self.workspace, message_id, value)


class JobsView:
    """Background jobs of one workspace: submit long work, watch its progress, cancel it."""

    def __init__(self, service: "JobService", workspace: str):
        self._service = service
        self.workspace = workspace

    def ingest_paths(self, paths: Sequence[Path], *, password: str | None = None, doc_type: str = "",
                     tags: Sequence[str] = ()) -> "Job":
        return self._service.submit_paths(self.workspace, paths, password=password, doc_type=doc_type, tags=tags)

    def ingest_uploads(self, uploads: Sequence["Upload"], *, doc_type: str = "", tags: Sequence[str] = ()) -> "Job":
        return self._service.submit_uploads(self.workspace, uploads, doc_type=doc_type, tags=tags)

    def reindex(self, document_id: str, title: str, *, chunk_tokens: int, chunk_overlap: int) -> "Job":
        return self._service.submit_reindex(self.workspace, document_id, title, chunk_tokens=chunk_tokens,
                                            chunk_overlap=chunk_overlap)

    def delete(self, document_id: str, title: str) -> "Job":
        return self._service.submit_delete(self.workspace, document_id, title)

    def rebuild_graph(self) -> "Job":
        return self._service.submit_graph_rebuild(self.workspace)

    def train_schema(self, connection: str | None, label: str) -> "Job":
        return self._service.submit_train_schema(self.workspace, connection, label)

    def list(self, *, limit: int = 50) -> list["Job"]:
        return self._service.list(self.workspace, limit=limit)

    def get(self, job_id: str) -> "Job":
        return self._service.get(self.workspace, job_id)

    def cancel(self, job_id: str) -> "Job":
        return self._service.cancel(self.workspace, job_id)

    def wait(self, job_id: str, *, on_change: Callable[["Job"], None] | None = None,
             timeout: float | None = None) -> "Job":
        return self._service.wait(self.workspace, job_id, on_change=on_change, timeout=timeout)

    def start_worker(self) -> None:
        """Run this process's worker thread (the app does; a CLI waits instead)."""
        self._service.start_worker()
