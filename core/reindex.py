"""Re-embed everything with the current embedding model: documents and SQL training data, every workspace.

Run when the data dir's manifest says its vectors came from another model (``core.data_manifest``).
Each workspace's passage collection is dropped and rebuilt document by document from the
stored text (the new model may have another dimension, and kept vectors would be the old
model's); a document being rebuilt is "indexing", so an interrupted re-index leaves nothing
half-visible and simply runs again. The manifest records the new model only at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.ingest.pipeline import CHUNK_PURPOSE


@dataclass(frozen=True)
class ReindexReport:
    model: str
    workspaces: int
    documents: int
    training_items: int


def reindex_everything(workbench, progress: Callable[[str], None] | None = None) -> ReindexReport:
    """Re-embed every workspace's documents and training data with the model the settings name."""
    say = progress or (lambda _message: None)
    state, ingest = workbench.data_state, workbench.settings.ingest
    documents = training = 0
    names = workbench.workspaces()
    with state.reindexing():
        for name in names:
            workspace = workbench.workspace(name)
            rows = workspace.documents()
            workbench.vectors.drop(name, CHUNK_PURPOSE)
            for number, document in enumerate(rows, start=1):
                say(f"{name}: re-embedding {document.title} ({number}/{len(rows)})")
                workspace.reindex_document(document.id, chunk_tokens=ingest.chunk_tokens,
                                           chunk_overlap=ingest.chunk_overlap)
                documents += 1
            workspace.repair()  # documents an earlier, interrupted run left "indexing"
            training += workbench.sql.reembed_training(name)
        dimension = int(workbench.embedder.dimension)
    state.record_reindexed(dimension)
    return ReindexReport(state.current.embedding_model, len(names), documents, training)
