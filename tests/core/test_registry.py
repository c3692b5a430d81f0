"""core/registry.py is the one place that names backends: every entry works, and nothing else names them."""

from __future__ import annotations

import dataclasses
import re

import pytest

from core.errors import ConfigError
from core.registry import (
    BACKENDS, CHOSEN_BY, backend_class, build_chosen, chosen_class, chosen_name, describe, kinds, names,
    section_for,
)
from core.settings import SETTINGS_TABLE, Settings
from tests.conftest import ROOT, clean_env

ENTRIES = [(kind, name, target) for kind, entries in BACKENDS.items() for name, target in entries.items()]
# The setting that chooses each kind. Empty AW_LLM_PROVIDER means "decide from AW_OLLAMA_HOST".
CHOOSERS = {"embedder": "AW_EMBEDDING_PROVIDER", "vectors": "AW_VECTOR_STORE", "graph": "AW_GRAPH_BACKEND",
            "llm": "AW_LLM_PROVIDER"}
# Modules that also hold their kind's protocol and helpers (``Embedder``, ``VectorStore``,
# ``clean_metadata``...): importing those is fine; naming the backend class is not.
PROTOCOL_MODULES = {"core.embeddings", "core.vectors"}
# The Ollama embedder reuses the Ollama LLM module's error translation and health probe, so
# one module knows the Ollama API's quirks (and its model-name matching).
SHARED = {("core.llm.ollama_llm", "core/llm/ollama_embedder.py")}


def product_files():
    for folder in ("core", "connectors", "pages", "ui"):
        yield from sorted((ROOT / folder).rglob("*.py"))
    yield ROOT / "app.py"


def module_file(module: str) -> str:
    return module.replace(".", "/") + ".py"


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"))


@pytest.mark.parametrize(("kind", "name", "target"), ENTRIES, ids=[f"{k}:{n}" for k, n, _ in ENTRIES])
def test_every_registered_backend_imports_and_describes_itself(kind, name, target, settings):
    cls = backend_class(kind, name)

    assert f"{cls.__module__}:{cls.__name__}" == target
    assert callable(cls.from_settings) and callable(cls.check_health)
    assert isinstance(cls.description, str) and cls.description.strip()
    assert describe(kind, name) == cls.description
    section = section_for(cls, settings)
    assert dataclasses.is_dataclass(section), f"{target} reads settings.{cls.settings_section}, not a section"
    if kind == "llm":
        assert isinstance(cls.generates, bool)
    # A health check is cheap and always answers, whatever the section says.
    health = cls.check_health(section)
    assert health.implementation == name and health.mode in {"embedded", "server", "off"}


def test_every_kind_is_chosen_by_one_setting_whose_choices_are_the_registry(settings):
    assert set(CHOSEN_BY) == set(BACKENDS) == set(CHOOSERS)
    specs = {spec.env: spec for spec in SETTINGS_TABLE}
    for kind, env in CHOOSERS.items():
        for name in names(kind):
            assert specs[env].parse(name) == name
        with pytest.raises(ValueError, match=", ".join(names(kind))):
            specs[env].parse("no-such-backend")
    defaults = {kind: chosen_name(kind, settings) for kind in kinds()}
    assert defaults == {"embedder": "sentence-transformers", "vectors": "chroma", "graph": "ladybug", "llm": "none"}
    assert all(defaults[kind] == names(kind)[0] for kind in kinds())  # the embedded default is registered first


def test_the_embedder_and_vector_store_are_chosen_by_their_settings(tmp_path):
    env = clean_env() | {"AW_DATA_DIR": str(tmp_path)}
    chosen = Settings.from_env(env, AW_EMBEDDING_PROVIDER="ollama", AW_OLLAMA_HOST="http://127.0.0.1:11434",
                               AW_VECTOR_STORE="chroma")
    assert chosen_name("embedder", chosen) == "ollama" and chosen_class("embedder", chosen).__name__ == "OllamaEmbedder"
    assert chosen.embeddings.ollama_host == "http://127.0.0.1:11434"  # the embedder's section carries what it needs
    with pytest.raises(ConfigError, match="AW_VECTOR_STORE"):
        Settings.from_env(env, AW_VECTOR_STORE="qdrant")
    with pytest.raises(ConfigError, match="AW_EMBEDDING_PROVIDER"):
        Settings.from_env(env, AW_EMBEDDING_PROVIDER="torch")  # not AW_EMBEDDING_BACKEND's values


def test_build_chosen_gives_each_default_backend_only_its_own_section(settings):
    built = {kind: build_chosen(kind, settings) for kind in kinds()}
    try:
        for kind, backend in built.items():
            assert type(backend) is chosen_class(kind, settings)
        assert built["embedder"].model_path.name == "model" and built["embedder"].batch_size == 64
        assert built["vectors"].settings is settings.chroma
        assert built["graph"].path == settings.graph.path and (settings.graph.path / "graph.lbug").exists()
        assert built["llm"].settings is settings.llm
    finally:
        for backend in built.values():
            getattr(backend, "close", lambda: None)()


def test_unknown_names_and_kinds_are_config_errors(settings):
    with pytest.raises(ConfigError, match="Unknown graph backend 'oracle'; choose one of: ladybug, neo4j"):
        backend_class("graph", "oracle")
    with pytest.raises(ConfigError, match="kinds are: embedder, vectors, graph, llm"):
        names("cache")
    with pytest.raises(ConfigError, match="kinds are"):
        chosen_name("cache", settings)


def test_no_backend_class_or_module_is_named_outside_the_registry_and_its_own_module():
    offenders = []
    for path in product_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative == "core/registry.py":
            continue
        text = path.read_text(encoding="utf-8")
        for _kind, _name, target in ENTRIES:
            module, _, class_name = target.partition(":")
            if relative == module_file(module):
                continue
            if re.search(rf"\b{class_name}\b", text):
                offenders.append(f"{relative} names {class_name}")
            if (module not in PROTOCOL_MODULES and (module, relative) not in SHARED
                    and re.search(rf"\b{re.escape(module)}\b", text)):
                offenders.append(f"{relative} names {module}")
    assert offenders == []
