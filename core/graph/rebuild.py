"""Rebuild a workspace's graph from the documents already ingested, with progress.

The metadata ``chunks`` table (read through ``core.document_repository``) holds the canonical
text of every chunk of every indexed document, so the graph can be rebuilt without the
original files or the embedding model: after the graph backend changed, after extraction
improved, after an LLM was configured, or after the database behind the workspace gained rows
to link to.

The workspace's graph is cleared first, so what was left behind (by documents deleted while
the graph was unreachable, say) goes too. One document that fails is reported and the
others are still rebuilt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from core.document_repository import DocumentRepository
from core.errors import WorkbenchError
from core.graph.indexer import GraphIndexer
from core.metadata import MetadataStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RebuildProgress:
    """Sent before each document (``done`` of ``total`` finished so far) and once at the end."""

    done: int
    total: int
    title: str = ""


@dataclass(frozen=True)
class RebuildReport:
    workspace: str
    documents: int
    chunks: int
    entities: int
    relations: int
    failed: tuple[tuple[str, str], ...] = ()  # (document title, what went wrong)

    def to_dict(self) -> dict:
        return {
            "workspace": self.workspace, "documents": self.documents, "chunks": self.chunks,
            "entities": self.entities, "relations": self.relations,
            "failed": [{"document": title, "error": error} for title, error in self.failed],
        }


def rebuild_graph(
    metadata: MetadataStore,
    indexer: GraphIndexer,
    workspace: str,
    *,
    progress: Callable[[RebuildProgress], None] | None = None,
) -> RebuildReport:
    """Clear the workspace's graph and add every indexed document again; returns what was built."""
    report = progress or (lambda _event: None)
    repository = DocumentRepository(metadata)
    docs = repository.visible(workspace, oldest_first=True)
    indexer.refresh(workspace)  # the database may have changed since the gazetteer was read
    indexer.store.clear_workspace(workspace)
    failed: list[tuple[str, str]] = []
    chunk_total = 0
    for done, document in enumerate(docs):
        report(RebuildProgress(done, len(docs), document.title))
        records = repository.chunks_of(workspace, document.id)
        try:
            indexer.add(workspace, document, records)
        except WorkbenchError as exc:
            logger.warning("Graph rebuild: %s failed: %s", document.title, exc)
            indexer.remove(workspace, document.id)
            failed.append((document.title, str(exc)))
            continue
        chunk_total += len(records)
    report(RebuildProgress(len(docs), len(docs)))
    stats = indexer.store.stats(workspace, top=1)
    return RebuildReport(workspace, len(docs) - len(failed), chunk_total, stats.entities, stats.relations, tuple(failed))
