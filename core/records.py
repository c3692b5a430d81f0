"""Frozen data types that cross module boundaries. DataFrames appear only at the UI edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class DocumentStatus(StrEnum):
    """A document row's state. Only INDEXED documents are listed and searched (the rule lives in
    ``core.document_repository``)."""

    INDEXING = "indexing"  # its stores are being written (or a crashed write waits for repair)
    INDEXED = "indexed"  # every store has it
    DELETING = "deleting"  # being removed from every store


def chunk_id(document_id: str, position: int) -> str:
    """A chunk's id: its document's id and its position, so the document is known from the id alone."""
    return f"{document_id}:{position}"


def document_id_of(chunk_id_: str) -> str:
    """The id of the document a chunk id belongs to."""
    return chunk_id_.split(":", 1)[0]


@dataclass(frozen=True)
class Document:
    id: str
    workspace: str
    title: str
    filename: str
    doc_type: str
    tags: tuple[str, ...]
    content_hash: str
    size_bytes: int
    chunk_count: int
    created_at: str
    status: DocumentStatus = DocumentStatus.INDEXED


@dataclass(frozen=True)
class Chunk:
    id: str
    document_id: str
    workspace: str
    text: str
    position: int
    page: int | None = None
    heading_path: tuple[str, ...] = ()
    token_count: int = 0


@dataclass(frozen=True)
class Hit:
    """One search result: a chunk with where it came from and how well it matched."""

    chunk: Chunk
    document_title: str
    score: float
    mode: str  # "vector" | "keyword" | "hybrid" | "graph"

    @property
    def citation(self) -> str:
        where = [self.document_title]
        if self.chunk.page is not None:
            where.append(f"p. {self.chunk.page}")
        if self.chunk.heading_path:
            where.append(" > ".join(self.chunk.heading_path))
        return ", ".join(where)


@dataclass(frozen=True)
class GraphNode:
    key: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    properties: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    type: str
    weight: float = 1.0
    evidence: tuple[str, ...] = ()  # chunk ids


@dataclass(frozen=True)
class Subgraph:
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    truncated: bool = False


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool
    elapsed: float
    sql: str = ""
    truncated_reason: str = ""  # which limit cut the result: the row cap or the byte budget

    def to_frame(self, *, max_cell_chars: int | None = None):
        """The rows as a DataFrame; ``max_cell_chars`` shortens long text and bytes for display."""
        import pandas as pd  # imported lazily: pandas is only needed at the UI edge

        rows = self.rows if max_cell_chars is None else [
            tuple(shorten_cell(value, max_cell_chars) for value in row) for row in self.rows
        ]
        return pd.DataFrame(list(rows), columns=list(self.columns))


def shorten_cell(value: Any, max_chars: int) -> Any:
    """``value`` cut to ``max_chars`` characters with a note of its full length; other values unchanged."""
    if isinstance(value, bytes) and len(value) > max_chars:
        return f"<{len(value):,} bytes>"
    if isinstance(value, str) and len(value) > max_chars:
        return f"{value[:max_chars]}… ({len(value):,} characters)"
    return value


@dataclass(frozen=True)
class Source:
    """A numbered piece of evidence an answer cites as [n]."""

    index: int
    kind: str  # "passage" | "graph" | "sql"
    title: str
    text: str
    reference: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Answer:
    text: str
    mode: str  # "generated" | "evidence"
    sources: tuple[Source, ...] = ()
    notice: str = ""
    message_id: str = ""  # set when the answer was stored in a conversation (for feedback)
