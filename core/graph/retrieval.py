"""Graph-aware retrieval: the entities a question names, the facts around them, and chunks for fusion.

- ``entities_in``: spaCy NER on the question, plus a fuzzy match (rapidfuzz) of the
  question's words against entity names and aliases the store suggests, so lower-case or
  slightly misspelt names ("priya ramen") still find their entity.
- ``evidence``: facts one and two relations away from those entities (and from names the
  caller adds, e.g. the text values of a SQL result), ranked, each with the passage that
  supports it and that passage's document title.
- ``ranked_chunks``: chunks that mention the entities (then their neighbours), as a ranked
  list that hybrid search fuses with its vector and keyword lists.
"""

from __future__ import annotations

import functools

import math
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

from rapidfuzz import fuzz

from core.document_repository import DocumentRepository
from core.graph import normalize as norm
from core.graph.store import AMOUNT, DATED, MENTIONED_WITH, DbRef, Fact, GraphStore
from core.records import GraphNode

_ATTRIBUTE_RELATIONS = frozenset({DATED, AMOUNT})
_CANDIDATES_PER_WORD = 30
_MAX_WORDS = 12
_MIN_HUB_CAP = 10
_REMEMBER_SECONDS = 10.0
_REMEMBERED_QUESTIONS = 64
_NEIGHBOUR_WEIGHT = 0.5
_SECOND_HOP_WEIGHT = 0.25
_HUB_FACTS = 25
_SECOND_HOP_SEEDS = 4
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class EntityMatch:
    """An entity a question names: how sure the match is (0-100) and where (word positions)."""

    node: GraphNode
    score: float
    start: int
    end: int


@dataclass(frozen=True)
class CitedFact:
    """A fact with the passage that supports it."""

    fact: Fact
    score: float
    evidence_text: str
    evidence_title: str
    chunk_id: str = ""
    document_id: str = ""


@dataclass(frozen=True)
class GraphEvidence:
    """What the graph knows about a question: its entities and ranked, cited facts."""

    entities: tuple[GraphNode, ...]
    facts: tuple[CitedFact, ...]

    def cited_facts(self) -> list[tuple[Fact, str, str]]:
        """``(fact, evidence text, evidence document title)`` for each fact, best first."""
        return [(item.fact, item.evidence_text, item.evidence_title) for item in self.facts]


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    document_id: str
    title: str
    text: str
    position: int


@dataclass(frozen=True)
class EntityDetails:
    """One entity for a side panel: the node (with mentions, degree, db_links), its facts, its passages."""

    node: GraphNode
    facts: tuple[CitedFact, ...]
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class LinkedRow:
    """An entity of a document that names a database row."""

    entity: GraphNode
    ref: DbRef


def _one_opening(method):
    """Run a retrieval method with the store held open: its many small reads share one opening."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.store.batch():
            return method(self, *args, **kwargs)

    return wrapper


class GraphRetriever:
    """Reads the graph for questions. ``metadata`` (the MetadataStore) supplies document titles
    and evidence passages."""

    def __init__(self, store: GraphStore, extractor, *, metadata=None) -> None:
        self.store = store
        self.extractor = extractor
        self.metadata = metadata
        self.documents = DocumentRepository(metadata) if metadata is not None else None
        self._recent: dict[tuple[str, str], tuple[float, list[EntityMatch]]] = {}
        self._lock = threading.Lock()

    # -- entities -----------------------------------------------------------------------

    @_one_opening
    def entities_in(self, workspace: str, question: str, *, limit: int = 8) -> list[GraphNode]:
        """The graph entities a question names, surest first."""
        return [match.node for match in self.match_entities(workspace, question, limit=limit)]

    def match_entities(self, workspace: str, question: str, *, limit: int = 8) -> list[EntityMatch]:
        """Entities the question names, with how sure each match is. Remembered for a few seconds,
        because one question is looked up several times (routing, evidence, fused search)."""
        remembered = self._recent.get((workspace, question))
        if remembered and time.monotonic() - remembered[0] < _REMEMBER_SECONDS:
            return remembered[1][:limit]
        matches = self._match(workspace, question)
        with self._lock:
            if len(self._recent) >= _REMEMBERED_QUESTIONS:
                self._recent.pop(next(iter(self._recent)))
            self._recent[(workspace, question)] = (time.monotonic(), matches)
        return matches[:limit]

    def _match(self, workspace: str, question: str) -> list[EntityMatch]:
        words = _words(question)
        if not words:
            return []
        candidates: dict[str, GraphNode] = {}
        for record in self.extractor.extract([("question", question)]).entities:  # what NER calls a name
            for node in self.store.find_entities(workspace, record.name, limit=5):
                candidates.setdefault(node.key, node)
        stop_words = _stop_words()
        content = [w for w in dict.fromkeys(words) if len(w) >= 3 and w not in stop_words and not w.isdigit()]
        for word in content[:_MAX_WORDS]:
            needle = word[:4] if len(word) >= 6 else word  # a prefix survives a typo at the end
            for node in self.store.find_entities(workspace, needle, limit=_CANDIDATES_PER_WORD):
                candidates.setdefault(node.key, node)
        matches = [m for node in candidates.values() if (m := _best_match(node, words)) is not None]
        return _without_overlaps(matches)

    @_one_opening
    def resolve_names(self, workspace: str, names: Iterable[str]) -> list[GraphNode]:
        """Entities for names given by a caller (e.g. a query result's values): the same key, else a close name."""
        found: dict[str, GraphNode] = {}
        for name in names:
            key = norm.entity_key(str(name))
            if not key:
                continue
            suggested = self.store.find_entities(workspace, str(name), limit=5) or self.store.find_entities(workspace, key, limit=5)
            scored = [(100.0 if node.key == key else fuzz.ratio(key, node.key), node) for node in suggested]
            score, node = max(scored, key=lambda pair: pair[0], default=(0.0, None))
            if node is not None and score >= 90:
                found.setdefault(node.key, node)
        return list(found.values())

    # -- facts --------------------------------------------------------------------------

    @_one_opening
    def evidence(self, workspace: str, question: str, *, extra_names: Sequence[str] = (), limit: int = 6) -> GraphEvidence:
        """Facts about the question's entities (and ``extra_names``), one and two hops out, ranked and cited."""
        seeds: dict[str, tuple[GraphNode, float]] = {}
        for match in self.match_entities(workspace, question):
            seeds[match.node.key] = (match.node, match.score / 100.0)
        for node in self.resolve_names(workspace, extra_names):
            seeds.setdefault(node.key, (node, 1.0))
        if not seeds:
            return GraphEvidence((), ())
        scored: dict[tuple[str, str, str], tuple[Fact, float, str]] = {}

        def consider(fact: Fact, score: float, seed_key: str) -> None:
            identity = (fact.subject_key, fact.predicate, fact.object_key)
            if identity not in scored or scored[identity][1] < score:
                scored[identity] = (fact, score, seed_key)

        for rank, (key, (_node, confidence)) in enumerate(seeds.items()):
            facts = self.store.facts(workspace, key, limit=20)
            for fact in facts:
                both = fact.subject_key in seeds and fact.object_key in seeds
                consider(fact, _fact_score(fact, confidence) * (2.0 if both else 1.0), key)
            if rank >= _SECOND_HOP_SEEDS:
                continue  # thirty names from a query result: their own facts are plenty
            for other in _named_neighbours(facts, key)[:3]:
                second = self.store.facts(workspace, other, limit=_HUB_FACTS)
                if len(second) >= _HUB_FACTS:
                    continue  # a hub's facts are about everything, so about nothing asked
                for fact in second:
                    consider(fact, _fact_score(fact, confidence) * _SECOND_HOP_WEIGHT, key)
        chosen = _diverse(scored.values(), list(seeds), limit)
        cited = self._cite_all(workspace, chosen)
        return GraphEvidence(tuple(node for node, _ in seeds.values()), cited)

    @_one_opening
    def entity_details(self, workspace: str, key: str, *, facts: int = 10, passages: int = 5) -> EntityDetails:
        """An entity, its strongest facts with their passages, and the passages that mention it."""
        node = self.store.entity(workspace, key)
        cited = self._cite_all(workspace, [(fact, fact.weight) for fact in self.store.facts(workspace, key, limit=facts)])
        rows = self.store.chunks_for_entities(workspace, [key], limit=passages)
        titles = self.titles(workspace, [row.document_id for row in rows])
        found = tuple(Passage(r.chunk_id, r.document_id, titles.get(r.document_id, _untitled(r.document_id)), r.text, r.position)
                      for r in rows)
        return EntityDetails(node, cited, found)

    @_one_opening
    def linked_rows(self, workspace: str, document_id: str) -> list[LinkedRow]:
        """The database rows a document leads to: its entities' links (a complaint -> the customer's row)."""
        rows = []
        for node in self.store.document_subgraph(workspace, document_id, limit_nodes=1000).nodes:
            entity = self.store.entity(workspace, node.key)
            for link in entity.properties.get("db_links", ()):
                rows.append(LinkedRow(entity, DbRef(link["table"], link["column"], link["key_column"], link["key_value"])))
        return rows

    # -- chunks for fusion --------------------------------------------------------------

    @_one_opening
    def ranked_chunks(self, workspace: str, question: str, k: int) -> list[tuple[str, float]]:
        """Up to ``k`` chunk ids that mention the question's entities (then their neighbours), best first.

        An entity mentioned in more chunks than can be ranked (a hub like the company's own
        name) adds nothing: every one of its chunks would tie, and ties are noise in a fusion.
        """
        if k <= 0:
            return []
        cap = max(k, _MIN_HUB_CAP)
        scores: dict[str, float] = defaultdict(float)
        seeds = {m.node.key: m.score / 100.0 for m in self.match_entities(workspace, question)}
        used = []
        for key, confidence in seeds.items():
            weight = self._add_chunks(workspace, [key], {key: confidence}, cap, scores).get(key)
            if weight:
                used.append((key, weight))
        neighbours: dict[str, float] = {}
        for key, weight in used[:3]:
            for other in _named_neighbours(self.store.facts(workspace, key, limit=10), key)[:3]:
                if other not in seeds:
                    neighbours[other] = max(neighbours.get(other, 0.0), weight * _NEIGHBOUR_WEIGHT)
        if neighbours:  # one lookup for all of them
            self._add_chunks(workspace, list(neighbours), neighbours, cap, scores)
        return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:k]

    def _add_chunks(self, workspace: str, keys: list[str], confidence: dict[str, float], cap: int,
                    scores: dict[str, float]) -> dict[str, float]:
        """Score the chunks mentioning ``keys``; returns the weight each key had (hubs have none)."""
        rows = self.store.chunks_for_entities(workspace, keys, limit=cap * len(keys) + 1)
        mentions = defaultdict(int)
        for row in rows:
            for key in row.entity_keys:
                mentions[key] += 1
        # a rarer entity says more about a chunk; one in more chunks than can be ranked says nothing
        weights = {key: confidence[key] / math.log2(1 + n) for key, n in mentions.items() if key in confidence and n <= cap}
        for row in rows:
            score = sum(weights.get(key, 0.0) for key in row.entity_keys)
            if score:
                scores[row.chunk_id] += score
        return weights

    # -- citations ----------------------------------------------------------------------

    def _cite_all(self, workspace: str, chosen: Sequence[tuple[Fact, float]]) -> tuple[CitedFact, ...]:
        """Each fact with its first evidence passage and that passage's document title."""
        passages = self._passages(workspace, [fact for fact, _ in chosen])
        titles = self.titles(workspace, [document_id for _, document_id in passages.values()])
        cited = []
        for fact, score in chosen:
            if not fact.evidence or fact.evidence[0] not in passages:
                cited.append(CitedFact(fact, score, "", ""))
                continue
            text, document_id = passages[fact.evidence[0]]
            cited.append(CitedFact(fact, score, text, titles.get(document_id, _untitled(document_id)),
                                   fact.evidence[0], document_id))
        return tuple(cited)

    def _passages(self, workspace: str, facts: Sequence[Fact]) -> dict[str, tuple[str, str]]:
        """First evidence chunk id -> (text, document id): from the metadata store in one query, else the graph."""
        wanted = sorted({fact.evidence[0] for fact in facts if fact.evidence})
        if not wanted:
            return {}
        if self.documents is not None:
            return self.documents.passages(workspace, wanted)
        found: dict[str, tuple[str, str]] = {}
        for fact in facts:  # without metadata: the graph's own copy of the text, a lookup per fact
            if fact.evidence and fact.evidence[0] not in found:
                for row in self.store.chunks_for_entities(workspace, [fact.subject_key, fact.object_key], limit=50):
                    if row.chunk_id == fact.evidence[0]:
                        found[row.chunk_id] = (row.text, row.document_id)
        return found

    def titles(self, workspace: str, document_ids: Iterable[str]) -> dict[str, str]:
        """Document titles from the metadata store (empty without one)."""
        if self.documents is None:
            return {}
        return self.documents.titles(workspace, document_ids)


def _untitled(document_id: str) -> str:
    return f"document {document_id[:8]}"


def _words(text: str) -> list[str]:
    # "Raman's" is "Raman": drop possessives before the key folds the apostrophe away
    return norm.entity_key(re.sub(r"['\u2019]s\b", "", text)).split()


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # spaCy is loaded anyway by the extractor

    return frozenset(STOP_WORDS)


def _threshold(name_key: str, entity_type: str) -> float:
    if entity_type in norm.ATTRIBUTE_TYPES or len(name_key) < 5:
        return 100.0  # "12 October" must never find "13 October"; short names only exactly
    return 90.0 if len(name_key) < 10 else 85.0


def _name_forms(name: str) -> list[tuple[str, float]]:
    """A name and, for names of 3+ words, its leading words ("Deccan Express"), scored a little lower."""
    words = name.split()
    forms = [(name, 1.0)]
    if len(words) >= 3:
        forms += [(" ".join(words[:size]), 0.9 + 0.1 * size / len(words)) for size in range(len(words) - 1, 1, -1)]
    return forms


def _best_match(node: GraphNode, words: list[str]) -> EntityMatch | None:
    best: EntityMatch | None = None
    names = dict.fromkeys((node.key, *(norm.entity_key(alias) for alias in node.aliases)))
    for name in (n for n in names if n):
        forms = [(name, 1.0)] if node.type in norm.ATTRIBUTE_TYPES else _name_forms(name)
        for form, factor in forms:
            needed, digits, size_of_form = _threshold(form, node.type), _DIGITS.findall(form), len(form.split())
            for size in sorted({max(1, size_of_form - 1), size_of_form, size_of_form + 1}):
                for start in range(0, len(words) - size + 1):
                    window = " ".join(words[start:start + size])
                    given = _DIGITS.findall(window)
                    if given and given != digits:
                        continue  # "Tea 250g" is not "Tea 500g", however alike they look
                    score = fuzz.ratio(window, form) * factor
                    if score >= needed and (best is None or (score, size) > (best.score, best.end - best.start)):
                        best = EntityMatch(node, float(score), start, start + size)
    return best


def _without_overlaps(matches: list[EntityMatch]) -> list[EntityMatch]:
    """Longest (then surest) first; a match overlapping a kept one is dropped unless it is an exact tie."""
    ordered = sorted(matches, key=lambda m: (-(m.end - m.start), -m.score, m.start, m.node.key))
    kept: list[EntityMatch] = []
    for match in ordered:
        clash = [k for k in kept if match.start < k.end and k.start < match.end]
        if all(k.score == match.score and (k.start, k.end) == (match.start, match.end) for k in clash):
            kept.append(match)
    return sorted(kept, key=lambda m: (-m.score, m.start))


def _fact_score(fact: Fact, confidence: float) -> float:
    # log of the weight: a pair mentioned together 20 times is surer, not 20 times more relevant
    return confidence * _relation_factor(fact) * (1.0 + math.log1p(max(fact.weight, 0.0)))


def _relation_factor(fact: Fact) -> float:
    if fact.predicate in _ATTRIBUTE_RELATIONS:
        return 0.5
    if fact.predicate == MENTIONED_WITH:
        return 1.0
    return 1.5  # a stated relation (an LLM's typed one) says more than co-occurrence


def _named_neighbours(facts: Sequence[Fact], key: str) -> list[str]:
    """The other ends of an entity's relations to named things, strongest first."""
    ranked = sorted((f for f in facts if f.predicate not in _ATTRIBUTE_RELATIONS), key=lambda f: -f.weight)
    return list(dict.fromkeys(f.object_key if f.subject_key == key else f.subject_key for f in ranked))


def _diverse(scored: Iterable[tuple[Fact, float, str]], seed_order: list[str], limit: int) -> list[tuple[Fact, float]]:
    """The best fact of each seed first (so every named thing is covered), then the rest by score."""
    ranked = sorted(scored, key=lambda item: (-item[1], item[0].subject_key, item[0].predicate, item[0].object_key))
    firsts = [next((i for i, item in enumerate(ranked) if item[2] == seed), None) for seed in seed_order]
    order = dict.fromkeys([i for i in firsts if i is not None] + list(range(len(ranked))))
    return [(ranked[i][0], ranked[i][1]) for i in list(order)[:limit]]
