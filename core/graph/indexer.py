"""GraphIndexer: how ingested documents enter the knowledge graph (a ``DocumentIndexer``).

The ingestion pipeline calls ``add`` inside its atomic ingestion, after the vectors are
written, and ``remove`` when a document is deleted or an ingestion fails (so a failure in
``add`` never leaves half a document in the graph). ``add`` extracts first and writes
after, so an extraction error writes nothing.

Extraction: the LLM extractor when one is configured and answering, otherwise spaCy; both
get the workspace's gazetteer (the names its database knows), so entities naming a
customer, a product or a city are linked to the rows that hold them.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from core.errors import WorkbenchError
from core.graph.extraction import EntityExtractor, ExtractionResult, Gazetteer, write_extraction
from core.graph.linking import SqlServiceRunners, SqlValueSource, ValueSource, gazetteer_from_values
from core.graph.store import GraphStore
from core.records import Chunk, Document
from core.settings import SQLSettings

if TYPE_CHECKING:
    from core.graph.llm_extraction import LLMEntityExtractor

logger = logging.getLogger(__name__)

EXTRACTION_TYPES_FILE = "graph_extraction_types.json"


class GraphIndexer:
    """Writes documents, chunks, entities, mentions, relations and database links into a GraphStore."""

    def __init__(
        self,
        store: GraphStore,
        extractor: EntityExtractor,
        *,
        values: ValueSource | None = None,
        llm_extractor: "LLMEntityExtractor | None" = None,
        column_types: Mapping[str, str] | None = None,
        gazetteer_seconds: float = 300.0,
    ) -> None:
        self.store = store
        self.extractor = extractor
        self.values = values
        self.llm_extractor = llm_extractor
        self.column_types = dict(column_types or {})
        self.gazetteer_seconds = gazetteer_seconds
        self._gazetteers: dict[str, tuple[float, Gazetteer]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release what the value source holds open (pooled connections to the workspaces' databases)."""
        closer = getattr(self.values, "close", None)
        if callable(closer):
            closer()

    # -- DocumentIndexer ----------------------------------------------------------------

    def add(self, workspace: str, document: Document, chunks: Sequence[Chunk]) -> None:
        """Extract from the document's chunks, then write it and everything found into the graph."""
        result = self.extract(workspace, [(chunk.id, chunk.text) for chunk in chunks])
        self.store.upsert_document(workspace, document.id, document.title)
        self.store.upsert_chunks(workspace, document.id, [(chunk.id, chunk.text, chunk.position) for chunk in chunks])
        write_extraction(self.store, workspace, result)

    def remove(self, workspace: str, document_id: str) -> None:
        """Delete the document, its chunks and mentions, and entities and relations left without evidence."""
        self.store.delete_document(workspace, document_id)

    # -- extraction ---------------------------------------------------------------------

    def extract(self, workspace: str, chunks: Sequence[tuple[str, str]]) -> ExtractionResult:
        """What the graph would get from ``(chunk_id, text)`` pairs, without writing anything."""
        gazetteer = self.gazetteer(workspace)
        if self.llm_extractor is not None and self.llm_extractor.available():
            return self.llm_extractor.extract(chunks, gazetteer, workspace=workspace)
        return self.extractor.extract(chunks, gazetteer)

    def gazetteer(self, workspace: str) -> Gazetteer | None:
        """The names the workspace's database knows, or None without a database.

        A database that cannot be read (a server down) must not stop documents from being
        ingested: the graph is built without links and a warning says why.
        """
        if self.values is None:
            return None
        with self._lock:
            cached = self._gazetteers.get(workspace)
            if cached and time.monotonic() - cached[0] < self.gazetteer_seconds:
                return cached[1] or None
        try:
            gazetteer = gazetteer_from_values(self.values.text_values(workspace), self.column_types)
        except WorkbenchError as exc:
            logger.warning("Entities of workspace %s are not linked to its database this time: %s", workspace, exc)
            return None
        with self._lock:
            self._gazetteers[workspace] = (time.monotonic(), gazetteer)
        return gazetteer or None

    def refresh(self, workspace: str | None = None) -> None:
        """Read the database's values again on next use (after the database or its connection changed)."""
        with self._lock:
            if workspace is None:
                self._gazetteers.clear()
            else:
                self._gazetteers.pop(workspace, None)
        invalidate = getattr(self.values, "invalidate", None)
        if invalidate is not None:
            invalidate(workspace)


def workspace_value_source(sql_service, sql_settings: SQLSettings) -> SqlValueSource:
    """The names in each workspace's default SQL connection (the demo database for the default workspace).

    A workspace without a connection simply gets no links.
    """
    runners = SqlServiceRunners(sql_service, sql_settings)
    source = SqlValueSource(runners)
    source.on_close(runners.close)
    return source


def extraction_types_path(data_dir: Path) -> Path:
    """Where each workspace's LLM extraction types are kept."""
    return data_dir / EXTRACTION_TYPES_FILE


def build_graph_indexer(graph: GraphStore, extractor: EntityExtractor, *, values: ValueSource | None,
                        llm=None, types_path: Path | None = None) -> GraphIndexer:
    """A GraphIndexer over ``graph``; typed LLM extraction (with the types kept at ``types_path``) when ``llm`` is given."""
    llm_extractor = None
    if llm is not None:
        from core.graph.llm_extraction import ExtractionTypesStore, LLMEntityExtractor

        if types_path is None:
            raise ValueError("LLM extraction needs the path of the extraction types file")
        llm_extractor = LLMEntityExtractor(llm, extractor, types=ExtractionTypesStore(types_path))
    return GraphIndexer(graph, extractor, values=values, llm_extractor=llm_extractor)
