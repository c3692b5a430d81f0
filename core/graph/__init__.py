"""The knowledge graph: the GraphStore protocol, its backends, entity extraction and rendering.

Backends are registered in ``core/registry.py`` (``ladybug``, ``neo4j``) and built with
``Class.from_settings(settings.graph)``. Importing this package loads neither LadybugDB, the
Neo4j driver, spaCy nor pyvis: those are imported by the modules that need them, when used.
"""

from __future__ import annotations

from core.graph.store import (
    AMOUNT,
    DATED,
    MENTIONED_WITH,
    DbRef,
    EntityChunk,
    EntityRecord,
    Fact,
    GraphStats,
    GraphStore,
    RelationRecord,
    readable_relation,
)

__all__ = [
    "AMOUNT",
    "DATED",
    "MENTIONED_WITH",
    "DbRef",
    "EntityChunk",
    "EntityRecord",
    "Fact",
    "GraphStats",
    "GraphStore",
    "RelationRecord",
    "readable_relation",
]
