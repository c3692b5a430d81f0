"""The GraphStore protocol, the records it takes and returns, and helpers every backend shares.

Model (identical in every backend):

- ``Document`` (one per ingested document), ``Chunk`` -[PART_OF]-> ``Document``;
- ``Entity`` (display name, normalised key, type, aliases), ``Chunk`` -[MENTIONS]-> ``Entity``;
- ``Entity`` -[RELATED {rtype, evidence: chunk ids, evidence_weights, weight}]-> ``Entity``;
- ``Entity`` -[LINKED_TO]-> ``DbRow`` (a row of a SQL table the entity names).

Every node carries its ``workspace`` and a ``uid`` that prefixes the workspace to the caller's
id, so MERGE on ``uid`` is idempotent and two workspaces never share a node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol, runtime_checkable

from core.errors import InvalidInput
from core.records import GraphNode, Subgraph

# Relation types the no-LLM extractor writes. Other types (an LLM's) are stored as given.
MENTIONED_WITH = "MENTIONED_WITH"  # two named things in one sentence (undirected in meaning)
DATED = "DATED"  # a named thing and a date in one sentence
AMOUNT = "AMOUNT"  # a named thing and an amount of money in one sentence

_READABLE_RELATIONS = {
    MENTIONED_WITH: "is mentioned with",
    DATED: "is mentioned on",
    AMOUNT: "is mentioned with the amount",
}

# Separates the workspace from an id inside a uid; a control character cannot clash with a
# printable workspace name or document/chunk id.
_UID_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class EntityRecord:
    """An entity to upsert: ``key`` is its normalised identity, ``name`` what people read."""

    key: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelationRecord:
    """A relation to add, with the chunks that support it.

    ``weights`` holds the weight each evidence chunk contributes (same length as ``evidence``;
    empty means 1.0 each). Adding a chunk that is already evidence replaces its contribution,
    so re-ingesting a document never inflates a weight.
    """

    source_key: str
    target_key: str
    type: str
    evidence: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()

    def evidence_weights(self) -> dict[str, float]:
        """Map each evidence chunk id to its weight contribution."""
        if self.weights and len(self.weights) != len(self.evidence):
            raise InvalidInput(
                f"Relation {self.source_key!r} -> {self.target_key!r} has {len(self.evidence)} evidence "
                f"chunks but {len(self.weights)} weights; give one weight per chunk or none."
            )
        weights = self.weights or (1.0,) * len(self.evidence)
        merged: dict[str, float] = {}
        for chunk_id, weight in zip(self.evidence, weights):
            merged[chunk_id] = merged.get(chunk_id, 0.0) + float(weight)
        return merged

    @property
    def weight(self) -> float:
        return sum(self.evidence_weights().values())


@dataclass(frozen=True)
class DbRef:
    """A row of a SQL table: ``table.column`` holds the name, ``key_column = key_value`` finds the row."""

    table: str
    column: str
    key_column: str
    key_value: str

    def as_dict(self) -> dict[str, str]:
        return {"table": self.table, "column": self.column, "key_column": self.key_column, "key_value": self.key_value}


@dataclass(frozen=True)
class Fact:
    """A readable triple from the graph with the chunks that support it."""

    subject_key: str
    subject: str
    predicate: str
    object_key: str
    object: str
    weight: float
    evidence: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.subject} {readable_relation(self.predicate)} {self.object}"


@dataclass(frozen=True)
class EntityChunk:
    """A chunk that mentions some of the asked-for entities (``entity_keys``)."""

    chunk_id: str
    document_id: str
    text: str
    position: int
    entity_keys: tuple[str, ...]


@dataclass(frozen=True)
class GraphStats:
    documents: int
    chunks: int
    entities: int
    relations: int
    mentions: int
    entities_by_type: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    top_entities: tuple[tuple[GraphNode, int], ...] = ()  # (entity, degree), highest degree first


@runtime_checkable
class GraphStore(Protocol):
    """A knowledge graph partitioned by workspace. Every method is scoped to ``workspace``."""

    def upsert_document(self, workspace: str, document_id: str, title: str) -> None:
        """Create or update a document node."""

    def upsert_chunks(self, workspace: str, document_id: str, chunks: list[tuple[str, str, int]]) -> None:
        """Create or update chunks ``(chunk_id, text, position)`` of an existing document."""

    def upsert_entities(self, workspace: str, entities: list[EntityRecord]) -> None:
        """Create entities, or add aliases to existing ones (their name and type are kept)."""

    def add_mentions(self, workspace: str, chunk_id: str, entity_keys: list[str]) -> None:
        """Record that a chunk mentions entities (both must exist)."""

    def add_relations(self, workspace: str, relations: list[RelationRecord]) -> None:
        """Create relations or add evidence to them (both entities must exist)."""

    def delete_document(self, workspace: str, document_id: str) -> bool:
        """Remove a document, its chunks and mentions, and what is left without evidence.

        Returns False when the document was not in the graph.
        """

    def neighbors(
        self, workspace: str, entity_key: str, depth: int = 1, *, limit_nodes: int = 100, types: Iterable[str] | None = None
    ) -> Subgraph:
        """The entity and the entities up to ``depth`` (1 or 2) relations away, strongest first."""

    def find_entities(self, workspace: str, text: str, limit: int = 10) -> list[GraphNode]:
        """Entities whose name or an alias contains ``text`` (case-insensitive), prefix matches first."""

    def entity(self, workspace: str, key: str) -> GraphNode:
        """One entity with ``properties`` mentions, degree and db_links; NotFound if absent."""

    def facts(self, workspace: str, entity_key: str, limit: int = 20) -> list[Fact]:
        """Readable triples about an entity, strongest first."""

    def chunks_for_entities(self, workspace: str, keys: list[str], limit: int = 20) -> list[EntityChunk]:
        """Chunks that mention the entities, those mentioning most of them first."""

    def document_subgraph(self, workspace: str, document_id: str, limit_nodes: int = 100, *,
                          types: Iterable[str] | None = None) -> Subgraph:
        """Entities a document mentions (only of ``types`` when given; most mentioned first) and the relations it supports."""

    def stats(self, workspace: str, top: int = 10) -> GraphStats:
        """Counts, entities by type and the entities with the most relations."""

    def link_entity_to_row(
        self, workspace: str, entity_key: str, table: str, column: str, key_column: str, key_value: Any
    ) -> None:
        """Link an entity to the database row whose ``column`` holds its name."""

    def batch(self):
        """A context manager that keeps the store open across the calls made inside it."""
        ...

    def clear_workspace(self, workspace: str) -> None:
        """Delete everything in a workspace."""

    def health(self) -> tuple[bool, str]:
        """Whether the backend answers, and a short description safe to show."""

    def close(self) -> None:
        """Release connections and files."""


def check_workspace(workspace: str) -> str:
    """Return the workspace name or raise InvalidInput when it cannot scope a graph."""
    if not isinstance(workspace, str) or not workspace.strip():
        raise InvalidInput("A workspace name is required for every graph operation.")
    if _UID_SEPARATOR in workspace:
        raise InvalidInput("A workspace name must not contain control characters.")
    return workspace


def uid(workspace: str, local_id: str) -> str:
    """The backend-wide identity of a node: its workspace and its id within the workspace."""
    return f"{workspace}{_UID_SEPARATOR}{local_id}"


def row_uid(workspace: str, ref: DbRef) -> str:
    return uid(workspace, _UID_SEPARATOR.join((ref.table, ref.column, ref.key_column, ref.key_value)))


def readable_relation(relation_type: str) -> str:
    """``MENTIONED_WITH`` -> ``is mentioned with``; unknown types become lower-case words."""
    return _READABLE_RELATIONS.get(relation_type, relation_type.replace("_", " ").lower())


def search_text(name: str, key: str, aliases: Iterable[str]) -> str:
    """Lower-cased names, one per line with a leading newline, so ``CONTAINS "\\n" + q`` is a prefix test."""
    seen: list[str] = []
    for value in (name, key, *aliases):
        lowered = value.lower().strip()
        if lowered and lowered not in seen:
            seen.append(lowered)
    return "".join(f"\n{value}" for value in seen)


def merge_evidence(
    evidence: Iterable[str], weights: Iterable[float], additions: dict[str, float]
) -> tuple[list[str], list[float]]:
    """Existing per-chunk evidence with ``additions`` applied (a re-added chunk replaces its weight)."""
    merged = dict(zip(evidence, weights))
    merged.update(additions)
    return list(merged), [float(w) for w in merged.values()]


def drop_evidence(
    evidence: Iterable[str], weights: Iterable[float], removed: set[str]
) -> tuple[list[str], list[float]]:
    """Existing per-chunk evidence without the ``removed`` chunk ids."""
    kept = [(chunk_id, float(w)) for chunk_id, w in zip(evidence, weights) if chunk_id not in removed]
    return [c for c, _ in kept], [w for _, w in kept]


def check_limit(name: str, value: int, maximum: int = 10_000) -> int:
    """Validate a positive size limit given by a caller (a page, the CLI)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
        raise InvalidInput(f"{name} must be a whole number between 1 and {maximum}, got {value!r}.")
    return value

