"""Backends picked by name, imported only when first used.

Adding a backend is one line here plus its module: ``kind -> name -> "module:Class"``.
Each class is built with ``Class.from_settings(settings_section)`` so it sees only its own
section and checks it at start.
"""

from __future__ import annotations

import importlib
from typing import Any

from core.errors import ConfigError

BACKENDS: dict[str, dict[str, str]] = {
    "embedder": {
        "sentence-transformers": "core.embeddings:SentenceTransformerEmbedder",
    },
    "vectors": {
        "chroma": "core.vectors:ChromaVectorStore",
    },
    "graph": {
        "ladybug": "core.graph.ladybug_store:LadybugGraphStore",
        "neo4j": "core.graph.neo4j_store:Neo4jGraphStore",
    },
    "llm": {
        "none": "core.llm.no_llm:NoLLM",
        "ollama": "core.llm.ollama_llm:OllamaLLM",
    },
}


def backend_class(kind: str, name: str) -> Any:
    """Import and return the class registered as ``name`` for ``kind``."""
    try:
        target = BACKENDS[kind][name]
    except KeyError:
        known = ", ".join(sorted(BACKENDS.get(kind, {}))) or "none"
        raise ConfigError(f"Unknown {kind} backend {name!r}; choose one of: {known}.") from None
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)


def build_backend(kind: str, name: str, section: Any) -> Any:
    """Build a backend from its settings section (``from_settings`` when the class has one)."""
    cls = backend_class(kind, name)
    factory = getattr(cls, "from_settings", cls)
    return factory(section)
