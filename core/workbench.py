"""The composition root: ``build_workbench(settings)`` builds every backend once.

Streamlit wraps it in ``st.cache_resource``; the Gradio endpoint and the CLI call the same
function. Backends are created on first use (so the Home page and ``health`` never load the
embedding model) and then shared. ``workbench.workspace(name)`` scopes every operation.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from sqlalchemy import func, select

from core.data_lock import DataLock
from core.data_manifest import FORMAT_VERSION, DataDirState, DataManifest, ManifestCheckedEmbedder
from core.health import BackendHealth, check_all
from core.metadata import MetadataStore, training_items, validate_workspace_name
from core.registry import build_chosen, chosen_class, chosen_name
from core.settings import Settings


class _Lazy:
    """A value built once, on first access, safely across Streamlit's script threads."""

    def __init__(self, factory: Callable[[], Any], prebuilt: Any = None):
        self._factory = factory
        self._value: Any = prebuilt
        self._built = prebuilt is not None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if not self._built:
            with self._lock:
                if not self._built:
                    self._value = self._factory()
                    self._built = True
        return self._value

    @property
    def built(self) -> bool:
        return self._built


class Workbench:
    def __init__(self, settings: Settings, *, embedder=None, vectors=None, graph=None, llm=None):
        self.settings = settings
        self.metadata = MetadataStore(settings.metadata_url)
        self.data_state = DataDirState(settings.data_dir, self._current_manifest, self._count_vectors)
        # Every embedding goes through the manifest check: two models' vectors are never mixed.
        self._embedder = _Lazy(lambda: ManifestCheckedEmbedder(build_chosen("embedder", settings), self.data_state),
                               ManifestCheckedEmbedder(embedder, self.data_state) if embedder is not None else None)
        self._vectors = _Lazy(lambda: build_chosen("vectors", settings), vectors)
        self._graph = _Lazy(lambda: build_chosen("graph", settings), graph)
        self._llm = _Lazy(lambda: build_chosen("llm", settings), llm)
        self._services: dict[str, _Lazy] = {}
        self._services_lock = threading.Lock()

    def _current_manifest(self) -> DataManifest:
        ingest = self.settings.ingest
        return DataManifest(FORMAT_VERSION, self.embedder.model_id, None, ingest.chunk_tokens, ingest.chunk_overlap,
                            chosen_name("graph", self.settings))

    def _count_vectors(self) -> int:
        with self.metadata.connect() as conn:
            training = conn.execute(select(func.count()).select_from(training_items)).scalar() or 0
        return self.documents.count_chunks() + training

    @property
    def embedder(self):
        return self._embedder.get()

    @property
    def vectors(self):
        return self._vectors.get()

    @property
    def graph(self):
        return self._graph.get()

    @property
    def llm(self):
        return self._llm.get()

    def service(self, name: str, factory: Callable[[], Any]) -> Any:
        """A shared helper object (keyword index, extractor...) built once per workbench."""
        with self._services_lock:
            lazy = self._services.setdefault(name, _Lazy(factory))
        return lazy.get()

    @property
    def documents(self):
        """Every query on the documents and chunks tables (core.document_repository)."""
        from core.document_repository import DocumentRepository

        return self.service("documents", lambda: DocumentRepository(self.metadata))

    @property
    def keyword(self):
        from core.keyword import KeywordIndex

        return self.service("keyword", lambda: KeywordIndex(self.metadata, self.settings.data_dir / "keyword"))

    @property
    def ingestion(self):
        from core.ingest.parsers import ParseLimits
        from core.ingest.pipeline import IngestionPipeline

        def build():
            ingest = self.settings.ingest
            pipeline = IngestionPipeline(
                self.metadata, self.embedder, self.vectors, self.settings.data_dir / "files",
                chunk_tokens=ingest.chunk_tokens, chunk_overlap=ingest.chunk_overlap,
                max_bytes=ingest.max_file_bytes, batch_size=self.settings.embeddings.batch_size,
                indexers=self.document_indexers(), parse_limits=ParseLimits.from_settings(ingest),
            )
            return pipeline

        return self.service("ingestion", build)

    def document_indexers(self) -> list:
        """Stores that index documents besides Chroma and the keyword corpus: the knowledge graph."""
        return [self.graph_indexer]

    @property
    def graph_indexer(self):
        """How documents enter the graph; shared by ingestion, the rebuild action, the page and the CLI."""
        from core.graph.indexer import build_graph_indexer, extraction_types_path, workspace_value_source

        def build():
            # Typed LLM extraction only when an LLM is configured; spaCy otherwise (and as its fallback).
            llm = self.llm if chosen_class("llm", self.settings).generates else None
            return build_graph_indexer(self.graph, self.entity_extractor,
                                       values=workspace_value_source(self.sql, self.settings.sql), llm=llm,
                                       types_path=extraction_types_path(self.settings.data_dir))

        return self.service("graph_indexer", build)

    @property
    def retriever(self):
        from core.retrieval import Retriever

        return self.service("retriever", lambda: Retriever(self.metadata, self.embedder, self.vectors, self.keyword,
                                                           graph=self.graph_retriever))

    @property
    def sql(self):
        """Database questions: connections, introspection, training, certified queries, runs."""
        from core.sql.service import SqlService

        settings = self.settings
        return self.service("sql", lambda: SqlService(
            settings.sql, metadata=self.metadata, secrets_path=settings.data_dir / "secrets" / "connections.json",
            write_lock=DataLock(settings.data_dir), default_workspace=settings.default_workspace,
            llm=lambda: self.llm, embedder=lambda: self.embedder, vectors=lambda: self.vectors,
            # the rest of the context is the question, the answer and the model's own prompt
            max_prompt_tokens=int(settings.llm.num_ctx * 0.6)))

    @property
    def graph_retriever(self):
        """Entities and facts for a question (graph-aware retrieval)."""
        from core.graph.retrieval import GraphRetriever

        return self.service("graph_retriever", lambda: GraphRetriever(self.graph, self.entity_extractor, metadata=self.metadata))

    @property
    def entity_extractor(self):
        from core.graph.extraction import EntityExtractor

        return self.service("entity_extractor", EntityExtractor)

    @property
    def jobs(self):
        """Background jobs: the queue in the metadata store and this process's worker."""
        from core.jobs.service import JobService

        return self.service("jobs", lambda: JobService(self))

    @property
    def conversations(self):
        from core.chat.memory import ConversationStore

        return self.service("conversations", lambda: ConversationStore(self.metadata))

    @property
    def assistant(self):
        """The one assistant the Chat page, the Gradio endpoint and the CLI share."""
        from core.chat.assistant import Assistant

        return self.service("assistant", lambda: Assistant(
            conversations=self.conversations, llm=lambda: self.llm, sql=lambda: self.sql,
            retriever=lambda: self.retriever, graph_retriever=lambda: self.graph_retriever,
            document_filenames=self._document_filenames,
            certified_threshold=self.settings.sql.certified_threshold))

    def _document_filenames(self, workspace: str, document_ids) -> dict[str, str]:
        return {doc_id: self.documents.visible_document(workspace, doc_id).filename for doc_id in document_ids}

    def workspace(self, name: str | None = None) -> "Workspace":
        from core.workspace import Workspace

        name = validate_workspace_name(self.settings.default_workspace if name is None else name)
        self.metadata.ensure_workspace(name)
        self.data_state.changes()  # records the manifest of a new data dir; cached after the first call
        return Workspace(self, name)

    def workspaces(self) -> list[str]:
        names = self.metadata.list_workspaces()
        default = self.settings.default_workspace
        return names if default in names else [default, *names]

    def health(self) -> list[BackendHealth]:
        return check_all(self.settings, self.metadata)

    def close(self) -> None:
        """Close everything built: services newest first (they use the backends), then the backends.

        A failure closing one does not stop the others from closing; the first is raised at the end.
        """
        with self._services_lock:
            services = list(self._services.values())
        first_error: BaseException | None = None
        for lazy in (*reversed(services), self._llm, self._graph, self._vectors, self._embedder):
            closer = getattr(lazy.get(), "close", None) if lazy.built else None
            if callable(closer):
                try:
                    closer()
                except Exception as exc:  # close the rest; report the first
                    first_error = first_error or exc
        self.metadata.close()
        if first_error is not None:
            raise first_error


def build_workbench(settings: Settings | None = None, **prebuilt: Any) -> Workbench:
    """Build the workbench from settings (read from the environment when not given).

    ``prebuilt`` passes already-built backends (``embedder``, ``vectors``, ``graph``, ``llm``):
    notebooks reuse a loaded model this way, and tests inject a scripted LLM.
    """
    return Workbench(settings or Settings.from_env(), **prebuilt)
