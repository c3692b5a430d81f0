"""Backends picked by name, imported only when first used: the one place that names them.

Adding a backend is one line here plus its module: ``kind -> name -> "module:Class"``. The
class describes itself (``description``), names the settings section it reads
(``settings_section``), checks that section at start (``from_settings(section)``) and reports
its own health (``check_health(section)``); nothing else in the code knows its name.

This module imports nothing of the workbench beyond ``core.errors`` at import time, so
``core.settings`` can read ``BACKENDS`` for its allowed values.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from core.errors import ConfigError

BACKENDS: dict[str, dict[str, str]] = {
    "embedder": {
        "sentence-transformers": "core.embeddings:SentenceTransformerEmbedder",
        "ollama": "core.llm.ollama_embedder:OllamaEmbedder",
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
        "openai": "core.llm.openai_llm:OpenAILLM",
        "llamacpp": "core.llm.llamacpp_llm:LlamaCppLLM",
    },
}

# Where in ``core.settings.Settings`` the name of each kind's chosen backend is (dotted attributes).
CHOSEN_BY: dict[str, str] = {
    "embedder": "embeddings.provider",  # AW_EMBEDDING_PROVIDER
    "vectors": "vector_store",  # AW_VECTOR_STORE
    "graph": "graph.backend",  # AW_GRAPH_BACKEND
    "llm": "llm.provider",  # AW_LLM_PROVIDER
}


# Native libraries that must be loaded before a backend's own. xllamacpp (the llamacpp provider)
# aborts the whole process (std::bad_alloc in llama.cpp's static std::regex set-up) when its library
# is loaded after a LadybugDB database was opened: the two extensions share GNU-unique C++ symbols,
# and the first to initialise them wins. The Settings page can switch to llamacpp while the graph is
# open, so xllamacpp is loaded (about 35 ms, when installed) before the ladybug store's module.
LOAD_FIRST: dict[tuple[str, str], tuple[str, ...]] = {
    ("graph", "ladybug"): ("xllamacpp",),
}


def kinds() -> tuple[str, ...]:
    """Every kind of backend, in the order the workbench builds and reports them."""
    return tuple(BACKENDS)


def names(kind: str) -> tuple[str, ...]:
    """The names a setting may choose for ``kind``, in registration order (the default first)."""
    if kind not in BACKENDS:
        raise ConfigError(f"Unknown kind of backend {kind!r}; the kinds are: {', '.join(BACKENDS)}.")
    return tuple(BACKENDS[kind])


def backend_class(kind: str, name: str) -> Any:
    """Import and return the class registered as ``name`` for ``kind``."""
    try:
        target = BACKENDS[kind][name]
    except KeyError:
        known = ", ".join(sorted(BACKENDS.get(kind, {}))) or "none"
        raise ConfigError(f"Unknown {kind} backend {name!r}; choose one of: {known}.") from None
    for first in LOAD_FIRST.get((kind, name), ()):
        if importlib.util.find_spec(first) is not None:
            importlib.import_module(first)
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)


def describe(kind: str, name: str) -> str:
    """What the backend is, in a few words a user can choose by (its class's ``description``)."""
    return backend_class(kind, name).description


def chosen_name(kind: str, settings: Any) -> str:
    """The name the settings (a whole ``core.settings.Settings``) choose for ``kind``."""
    if kind not in CHOSEN_BY:
        raise ConfigError(f"Unknown kind of backend {kind!r}; the kinds are: {', '.join(CHOSEN_BY)}.")
    value: Any = settings
    for attribute in CHOSEN_BY[kind].split("."):
        value = getattr(value, attribute)
    return value


def chosen_class(kind: str, settings: Any) -> Any:
    """The class of the backend the settings choose for ``kind`` (imported, not built)."""
    return backend_class(kind, chosen_name(kind, settings))


def section_for(cls: Any, settings: Any) -> Any:
    """The one settings section ``cls`` reads (its ``settings_section``)."""
    return getattr(settings, cls.settings_section)


def build_chosen(kind: str, settings: Any) -> Any:
    """Build the backend the settings choose for ``kind``; it sees only its own section.

    Construction does no network or model work, so this is cheap; the backend connects on first use.
    """
    cls = chosen_class(kind, settings)
    return cls.from_settings(section_for(cls, settings))
