"""A handle whose every operation is scoped to one workspace."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from core.document_repository import DocumentRepository
from core.errors import UnsupportedFile
from core.records import Chunk, Document, Hit

if TYPE_CHECKING:  # pragma: no cover
    from core.ingest.pipeline import IngestResult, ProgressCallback, Upload
    from core.retrieval import SearchFilters
    from core.settings import IngestSettings
    from core.workbench import Workbench
    from core.workspace_views import ChatView, GraphView, JobsView, SqlView


class Workspace:
    def __init__(self, workbench: "Workbench", name: str):
        self.workbench = workbench
        self.name = name

    def __repr__(self) -> str:
        return f"Workspace({self.name!r})"

    # ---- views: the same name bound for databases, the graph and chat -----------------

    @property
    def sql(self) -> "SqlView":
        from core.workspace_views import SqlView

        return SqlView(self.workbench.sql, self.name)

    @property
    def graph(self) -> "GraphView":
        from core.graph.indexer import extraction_types_path
        from core.workspace_views import GraphView

        wb = self.workbench
        return GraphView(store=wb.graph, retriever=wb.graph_retriever, indexer=lambda: wb.graph_indexer,
                         metadata=wb.metadata, types_path=extraction_types_path(wb.settings.data_dir), workspace=self.name)

    @property
    def chat(self) -> "ChatView":
        from core.workspace_views import ChatView

        wb = self.workbench
        return ChatView(assistant=lambda: wb.assistant, conversations=wb.conversations, llm=lambda: wb.llm,
                        workspace=self.name)

    @property
    def jobs(self) -> "JobsView":
        from core.workspace_views import JobsView

        return JobsView(self.workbench.jobs, self.name)

    @property
    def ingest_settings(self) -> "IngestSettings":
        """Upload limits and chunking defaults, for forms that show them."""
        return self.workbench.settings.ingest

    # ---- documents ---------------------------------------------------------------------

    def ingest(self, uploads: Sequence["Upload"], *, doc_type: str = "", tags: Sequence[str] = (),
               progress: "ProgressCallback | None" = None) -> list["IngestResult"]:
        """Ingest uploaded files; each gets its own result (ingested, duplicate or error)."""
        return self.workbench.ingestion.ingest(self.name, uploads, doc_type=doc_type, tags=tags, progress=progress)

    def ingest_paths(self, paths: Iterable[Path], *, password: str | None = None, doc_type: str = "",
                     tags: Sequence[str] = (), progress: "ProgressCallback | None" = None) -> list["IngestResult"]:
        """Ingest files from disk. Each is stat-ed, not read, up front: the pipeline refuses one
        over the size limit before reading it, and reads the others one at a time."""
        from core.ingest.pipeline import IngestResult, Upload

        uploads, unreadable = [], []
        for path in map(Path, paths):
            try:
                info = path.stat()
            except OSError as exc:
                unreadable.append(IngestResult(str(path), "error", error=f"Cannot read {path}: {exc.strerror}.", error_kind=UnsupportedFile.kind))
                continue
            if not stat.S_ISREG(info.st_mode):
                unreadable.append(IngestResult(str(path), "error", error=f"{path} is not a regular file; give the path of a document.",
                                               error_kind=UnsupportedFile.kind))
                continue
            uploads.append(Upload.deferred(path.name, info.st_size, _reader(path), password))
        return unreadable + self.ingest(uploads, doc_type=doc_type, tags=tags, progress=progress)

    def documents(self) -> list[Document]:
        return self._documents().visible(self.name)

    def document(self, document_id: str) -> Document:
        return self._documents().visible_document(self.name, document_id)

    def chunks(self, document_id: str) -> list[Chunk]:
        repository = self._documents()
        repository.visible_document(self.name, document_id)  # NotFound for a document not visible
        return repository.chunks_of(self.name, document_id)

    def _documents(self) -> DocumentRepository:
        return self.workbench.documents

    def delete_document(self, document_id: str) -> None:
        self.workbench.ingestion.delete(self.name, document_id)

    def reindex_document(self, document_id: str, *, chunk_tokens: int, chunk_overlap: int,
                         progress: "ProgressCallback | None" = None) -> "IngestResult":
        return self.workbench.ingestion.reindex(self.name, document_id, chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap, progress=progress)

    def original_file(self, document_id: str) -> Path:
        self.document(document_id)
        return self.workbench.ingestion.original_path(self.name, document_id)

    def repair(self) -> list[str]:
        return self.workbench.ingestion.repair(self.name)

    # ---- search ------------------------------------------------------------------------

    def search(self, query: str, *, k: int = 5, mode: str = "hybrid", filters: "SearchFilters | None" = None,
               min_similarity: float | None = None) -> list[Hit]:
        return self.workbench.retriever.search(self.name, query, k=k, mode=mode, filters=filters, min_similarity=min_similarity)


def _reader(path: Path):
    def read() -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise UnsupportedFile(f"Cannot read {path}: {exc.strerror}.") from None
    return read
