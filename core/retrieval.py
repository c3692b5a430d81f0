"""Search over a workspace's documents: vector, keyword (BM25) and hybrid (reciprocal rank fusion).

Only fully indexed documents are searched. The vector query itself excludes documents that
are not indexed (a ``where`` Chroma applies before ranking): filtering afterwards let the
thousands of vectors a killed upload left crowd every real result out of the top k. Every
hit is then resolved through the document repository, which only returns chunks of visible
(indexed) documents.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Sequence

from core.document_repository import DocumentRepository
from core.errors import InvalidInput, WorkbenchError
from core.ingest.pipeline import CHUNK_PURPOSE
from core.keyword import KeywordIndex
from core.metadata import MetadataStore
from core.records import Hit, document_id_of

logger = logging.getLogger(__name__)

MODES = ("hybrid", "vector", "keyword")
RRF_K = 60  # the usual constant from Cormack et al.; damps the weight of top ranks
CANDIDATES_PER_RESULT = 4


@dataclass(frozen=True)
class SearchFilters:
    doc_types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return bool(self.doc_types or self.tags or self.since or self.until)

    def chroma_where(self) -> dict | None:
        clauses: list[dict] = []
        if self.doc_types:
            clauses.append({"doc_type": {"$in": list(self.doc_types)}})
        for tag in self.tags:
            clauses.append({"tags": {"$contains": tag}})
        if self.since:
            clauses.append({"day": {"$gte": _day(self.since)}})
        if self.until:
            clauses.append({"day": {"$lte": _day(self.until)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class Retriever:
    def __init__(self, metadata: MetadataStore, embedder, vectors, keyword: KeywordIndex, graph=None):
        self.metadata = metadata
        self.documents = DocumentRepository(metadata)
        self.embedder = embedder
        self.vectors = vectors
        self.keyword = keyword
        self.graph = graph  # anything with ranked_chunks(workspace, question, k); fused in hybrid mode

    def search(self, workspace: str, query: str, *, k: int = 5, mode: str = "hybrid",
               filters: SearchFilters | None = None, min_similarity: float | None = None) -> list[Hit]:
        query = (query or "").strip()
        if not query:
            raise InvalidInput("Type something to search for.")
        if mode not in MODES:
            raise InvalidInput(f"Search mode must be one of {', '.join(MODES)}; got {mode!r}.")
        if k <= 0:
            raise InvalidInput("The number of results must be at least 1.")
        filters = filters or SearchFilters()
        pool = k * CANDIDATES_PER_RESULT if mode == "hybrid" else k
        vector_ranked: list[tuple[str, float]] = []
        keyword_ranked: list[tuple[str, float]] = []
        if mode in ("vector", "hybrid"):
            vector_ranked = self._vector(workspace, query, pool, filters, min_similarity)
        if mode in ("keyword", "hybrid"):
            keyword_ranked = self._keyword(workspace, query, pool, filters)
        if mode == "vector":
            ranked = vector_ranked
        elif mode == "keyword":
            ranked = keyword_ranked
        else:
            named = self._named_documents(workspace, query)
            by_title = [pair for pair in (keyword_ranked + vector_ranked) if document_id_of(pair[0]) in named]
            ranked = reciprocal_rank_fusion([vector_ranked, keyword_ranked, self._graph(workspace, query, pool, filters),
                                             _unique(by_title)])
        return self._resolve(workspace, ranked, mode)[:k]

    def _named_documents(self, workspace: str, query: str) -> set[str]:
        """Documents the query names by title ("what does the delivery policy say...").

        A question that names a document should find that document first, even when other
        documents (emails quoting the policy, say) are closer in wording.
        """
        words = set(_content_words(query))
        if len(words) < 2:
            return set()
        named = set()
        for document_id, title in self.documents.visible_titles(workspace).items():
            title_words = set(_content_words(title))
            shared = title_words & words
            if len(shared) >= 2 and len(shared) * 2 >= len(title_words):
                named.add(document_id)
        return named

    def _vector(self, workspace, query, pool, filters, min_similarity) -> list[tuple[str, float]]:
        vector = self.embedder.embed_query(query)
        where = _all_of(filters.chroma_where(), self._exclude_unindexed(workspace))
        records = self.vectors.query(workspace, CHUNK_PURPOSE, vector, pool, where=where)
        ranked = [(r.id, 1.0 - float(r.distance or 0.0)) for r in records]  # cosine distance -> similarity
        if min_similarity is not None:
            ranked = [(i, s) for i, s in ranked if s >= min_similarity]
        return ranked

    def _exclude_unindexed(self, workspace: str) -> dict | None:
        """A Chroma filter leaving out documents being indexed, repaired or deleted."""
        ids = sorted(self._unindexed(workspace))
        return {"document_id": {"$nin": ids}} if ids else None

    def _unindexed(self, workspace: str) -> set[str]:
        """Documents being indexed, repaired or deleted: few at any time (indexed ones are the many)."""
        return set(self.documents.unfinished_ids(workspace))

    def _keyword(self, workspace, query, pool, filters) -> list[tuple[str, float]]:
        # BM25 has no metadata filter: over-fetch, then keep chunks of documents that pass.
        fetch = pool * 5 if filters.active else pool
        hits = self.keyword.search(workspace, query, fetch)
        if filters.active:
            allowed = self._documents_matching(workspace, filters)
            hits = [h for h in hits if document_id_of(h.chunk_id) in allowed]
        return [(h.chunk_id, h.score) for h in hits[:pool]]

    def _graph(self, workspace, query, pool, filters) -> list[tuple[str, float]]:
        if self.graph is None:
            return []
        try:
            ranked = self.graph.ranked_chunks(workspace, query, pool)
        except WorkbenchError as exc:
            # An unreachable graph must not take document search down with it.
            logger.warning("graph expansion skipped: %s", exc)
            return []
        # Before fusion, as for vectors: a half-indexed document's chunks must not take ranks.
        unindexed = self._unindexed(workspace)
        if unindexed:
            ranked = [(i, s) for i, s in ranked if document_id_of(i) not in unindexed]
        if filters.active:
            allowed = self._documents_matching(workspace, filters)
            ranked = [(i, s) for i, s in ranked if document_id_of(i) in allowed]
        return ranked

    def _documents_matching(self, workspace: str, filters: SearchFilters) -> set[str]:
        allowed = set()
        for document in self.documents.all_documents(workspace):
            day = date.fromisoformat(document.created_at[:10])
            if filters.doc_types and document.doc_type not in filters.doc_types:
                continue
            if filters.tags and not set(filters.tags) <= set(document.tags):
                continue
            if (filters.since and day < filters.since) or (filters.until and day > filters.until):
                continue
            allowed.add(document.id)
        return allowed

    def _resolve(self, workspace: str, ranked: Sequence[tuple[str, float]], mode: str) -> list[Hit]:
        if not ranked:
            return []
        found = self.documents.visible_chunks(workspace, [chunk_id for chunk_id, _ in ranked])
        hits = []
        for chunk_id, score in ranked:
            if chunk_id not in found:
                continue
            chunk, title = found[chunk_id]
            hits.append(Hit(chunk=chunk, document_title=title, score=round(float(score), 6), mode=mode))
        return hits


def reciprocal_rank_fusion(rankings: Sequence[Sequence[tuple[str, float]]]) -> list[tuple[str, float]]:
    """Fuse ranked id lists: each id scores sum(1 / (RRF_K + rank)) over the lists it is in."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, (item, _score) in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


TITLE_STOP_WORDS = frozenset("the and for with from what does say about this that which how are was were our your".split())


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]{3,}", text.lower()) if w not in TITLE_STOP_WORDS]


def _all_of(*clauses: dict | None) -> dict | None:
    """Chroma's ``$and`` of the given where clauses (it wants two or more, so one stays bare)."""
    parts: list[dict] = []
    for clause in clauses:
        if clause:
            parts.extend(clause["$and"] if set(clause) == {"$and"} else [clause])
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _unique(ranked: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    seen: dict[str, float] = {}
    for item, score in ranked:
        seen.setdefault(item, score)
    return list(seen.items())


def highlight(text: str, query: str, *, marker: str = "**") -> str:
    """Wrap the query's words (3+ letters) where they occur in text, for display."""
    words = sorted({w for w in re.findall(r"\w{3,}", query.lower())}, key=len, reverse=True)
    if not words:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)
    return pattern.sub(lambda m: f"{marker}{m.group(0)}{marker}", text)


def _day(value: date) -> int:
    return value.year * 10000 + value.month * 100 + value.day
