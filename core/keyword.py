"""Keyword search (BM25, via bm25s) over a workspace's chunks.

The corpus is the ``chunks`` table of the metadata store (read through the document
repository), which only holds chunks of fully indexed documents, and search results are
resolved to visible documents only, so keyword results never show a half-ingested document.
The bm25s index is a derived cache, persisted under ``<data dir>/keyword/<workspace>/`` with
the workspace's index generation, which the repository bumps with every change to chunks; it
is rebuilt on first search after any add or delete.
Rebuilding once per change batch (not per document) keeps bulk ingestion linear.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from core.document_repository import DocumentRepository
from core.metadata import MetadataStore

# bm25s logs progress bars and info lines we do not want in the CLI's stderr or the app log.
logging.getLogger("bm25s").setLevel(logging.WARNING)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    score: float


@dataclass
class _Loaded:
    generation: int
    chunk_ids: list[str]
    retriever: object | None  # None when the workspace has no chunks


class KeywordIndex:
    def __init__(self, metadata: MetadataStore, root: Path):
        self.metadata = metadata
        self.documents = DocumentRepository(metadata)
        self.root = root
        self._loaded: dict[str, _Loaded] = {}
        self._lock = threading.Lock()

    def search(self, workspace: str, query: str, k: int) -> list[KeywordHit]:
        loaded = self._ensure(workspace)
        if loaded.retriever is None or k <= 0:
            return []
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False, return_ids=False)
        if not tokens or not tokens[0]:
            return []
        k = min(k, len(loaded.chunk_ids))
        documents, scores = loaded.retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return [
            KeywordHit(loaded.chunk_ids[int(i)], float(s))
            for i, s in zip(documents[0], scores[0])
            if float(s) > 0.0
        ]

    def _ensure(self, workspace: str) -> _Loaded:
        generation = self.documents.generation(workspace)
        with self._lock:
            loaded = self._loaded.get(workspace)
            if loaded is not None and loaded.generation == generation:
                return loaded
            loaded = self._load_from_disk(workspace, generation) or self._rebuild(workspace, generation)
            self._loaded[workspace] = loaded
            return loaded

    def _folder(self, workspace: str) -> Path:
        return self.root / workspace

    def _load_from_disk(self, workspace: str, generation: int) -> _Loaded | None:
        folder = self._folder(workspace)
        stamp = folder / "stamp.json"
        if not stamp.exists():
            return None
        try:
            meta = json.loads(stamp.read_text(encoding="utf-8"))
            if meta.get("generation") != generation:
                return None
            chunk_ids = meta["chunk_ids"]
            if not chunk_ids:
                return _Loaded(generation, [], None)
            import bm25s

            retriever = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
        except (OSError, ValueError, KeyError):
            return None  # a damaged cache is rebuilt from the chunks table
        return _Loaded(generation, chunk_ids, retriever)

    def _rebuild(self, workspace: str, generation: int) -> _Loaded:
        rows = self.documents.keyword_corpus(workspace)
        chunk_ids = [row.id for row in rows]
        retriever = None
        if rows:
            import bm25s

            # The document title and headings are indexed with the text: a query naming a
            # document ("the delivery policy") or a section should find it.
            corpus = [f"{row.title}\n{row.heading}\n{row.text}" for row in rows]
            tokens = bm25s.tokenize(corpus, stopwords="en", show_progress=False)
            retriever = bm25s.BM25()
            retriever.index(tokens, show_progress=False)
        self._persist(workspace, generation, chunk_ids, retriever)
        return _Loaded(generation, chunk_ids, retriever)

    def _persist(self, workspace: str, generation: int, chunk_ids: list[str], retriever) -> None:
        """Save the index for the next process start. It is only a cache: if two processes save at
        once and one loses, the loser keeps its index in memory and logs why."""
        folder = self._folder(workspace)
        staging = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{workspace}-", dir=self.root))  # one per process
            if retriever is not None:
                retriever.save(str(staging / "bm25"), show_progress=False)
            (staging / "stamp.json").write_text(json.dumps({"generation": generation, "chunk_ids": chunk_ids}), encoding="utf-8")
            # Swap the folder whole, so a crash never leaves a stamp that describes other files.
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
        except OSError as exc:
            logger.warning("could not save the keyword index of %s (kept in memory): %s", workspace, exc)
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)

    def drop(self, workspace: str) -> None:
        with self._lock:
            self._loaded.pop(workspace, None)
            shutil.rmtree(self._folder(workspace), ignore_errors=True)
