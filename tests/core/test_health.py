"""core/health.py on real components: each chosen backend reports its own health, cheaply."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from core.embeddings import packaged_model_path
from core.errors import LLMUnavailable
from core.health import check_all, check_backend, llm_models
from core.metadata import MetadataStore
from core.settings import Settings
from tests.conftest import ROOT, clean_env
from tests.support.fake_ollama import FakeOllama


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_settings(tmp_path, **env: str) -> Settings:
    return Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"), **env)


def test_the_report_lists_metadata_every_kind_then_the_demo_database(tmp_path):
    settings = make_settings(tmp_path)
    store = MetadataStore(settings.metadata_url)
    try:
        report = check_all(settings, store)
    finally:
        store.close()
    assert [item.backend for item in report] == ["metadata", "embeddings", "vectors", "graph", "llm", "demo_database"]
    assert [item.implementation for item in report] == ["sqlalchemy", "sentence-transformers", "chroma", "ladybug",
                                                        "none", "sqlite"]


def test_embedded_defaults_are_ready_and_say_where_they_keep_their_data(tmp_path):
    settings = make_settings(tmp_path)

    embeddings = check_backend("embedder", settings)
    assert embeddings.ok and embeddings.mode == "embedded"
    assert embeddings.detail == f"packaged all-MiniLM-L6-v2 ({packaged_model_path()}) on ONNX Runtime"  # the default backend
    vectors = check_backend("vectors", settings)
    assert vectors.ok and vectors.mode == "embedded" and vectors.detail == str(settings.chroma.path)
    assert settings.chroma.path.is_dir()  # the embedded folder is made writable-checked, not opened
    graph = check_backend("graph", settings)
    assert graph.ok and graph.mode == "embedded" and graph.detail == str(settings.graph.path)
    llm = check_backend("llm", settings)
    assert llm.ok and llm.mode == "off" and "AW_OLLAMA_HOST" in llm.next_step


def test_a_missing_embedding_model_folder_says_what_to_fix(tmp_path):
    settings = make_settings(tmp_path, AW_EMBEDDING_MODEL=str(tmp_path / "no-model"))
    health = check_backend("embedder", settings)
    assert not health.ok and "config.json" in health.detail and "AW_EMBEDDING_MODEL" in health.next_step


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to any folder")
def test_an_unwritable_data_dir_is_reported_for_the_embedded_stores(tmp_path):
    settings = make_settings(tmp_path)
    settings.data_dir.mkdir(parents=True)
    settings.data_dir.chmod(0o500)
    try:
        for kind in ("vectors", "graph"):
            health = check_backend(kind, settings)
            assert not health.ok and "AW_DATA_DIR" in health.next_step, kind
    finally:
        settings.data_dir.chmod(0o700)


def test_health_loads_no_model_and_opens_no_store(tmp_path):
    code = (
        "import sys\n"
        "from core.health import check_all\n"
        "from core.metadata import MetadataStore\n"
        "from core.settings import Settings\n"
        f"settings = Settings.from_env({{'AW_DATA_DIR': {str(tmp_path / 'data')!r}}})\n"
        "assert all(h.ok for h in check_all(settings, MetadataStore(settings.metadata_url))[:5])\n"
        "loaded = {'sentence_transformers', 'torch', 'chromadb', 'ladybug', 'ollama'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "data" / "graph" / "graph.lbug").exists()


def test_the_embedded_stores_stay_ready_once_they_hold_data(tmp_path):
    from core.registry import build_chosen

    settings = make_settings(tmp_path)
    vectors, graph = build_chosen("vectors", settings), build_chosen("graph", settings)
    try:
        vectors.upsert("default", "chunks", ["a"], [[1.0, 0.0]], ["text"], [{"document_id": "d"}])
        assert vectors.count("default", "chunks") == 1
        assert check_backend("vectors", settings).ok and check_backend("graph", settings).ok
    finally:
        graph.close()


def test_a_real_chroma_server_is_reachable(tmp_path, chroma_server):
    health = check_backend("vectors", make_settings(tmp_path, AW_CHROMA_HOST="127.0.0.1", AW_CHROMA_PORT=str(chroma_server)))
    assert health.ok and health.mode == "server" and health.detail == f"http://127.0.0.1:{chroma_server}: reachable"


def test_servers_that_are_down_are_reported_with_the_next_step(tmp_path):
    port = closed_port()
    settings = make_settings(
        tmp_path, AW_CHROMA_HOST="127.0.0.1", AW_CHROMA_PORT=str(port), AW_OLLAMA_HOST=f"http://127.0.0.1:{port}",
        AW_GRAPH_BACKEND="neo4j", AW_NEO4J_URI=f"bolt://127.0.0.1:{port}", AW_NEO4J_PASSWORD="hunter2-secret",
    )
    steps = {"vectors": "chroma run", "graph": "AW_NEO4J_URI", "llm": "ollama serve"}
    for kind, step in steps.items():
        health = check_backend(kind, settings)
        assert health.mode == "server" and not health.ok, kind
        assert str(port) in health.detail and step in health.next_step, kind
        assert "hunter2-secret" not in health.detail + health.next_step


def test_ollama_health_reads_the_servers_models(tmp_path):
    with FakeOllama(models=("llama3.1", "nomic-embed-text")) as server:
        env = clean_env() | {"AW_DATA_DIR": str(tmp_path), "AW_OLLAMA_HOST": server.url}
        ready = check_backend("llm", Settings.from_env(env))
        assert ready.ok and ready.detail == f"{server.url}: llama3.1"  # a missing tag means :latest
        missing = check_backend("llm", Settings.from_env(env, AW_OLLAMA_MODEL="mistral"))
        assert not missing.ok and "not pulled" in missing.detail and "`ollama pull mistral`" in missing.next_step
        embedder = check_backend("embedder", Settings.from_env(env, AW_EMBEDDING_PROVIDER="ollama"))
        assert embedder.ok and embedder.backend == "embeddings" and embedder.detail == f"{server.url}: nomic-embed-text"
        assert server.requests_to("/api/tags") and not server.requests_to("/api/embed")  # nothing was embedded


def test_the_ollama_embedder_without_a_host_says_what_to_set(tmp_path):
    health = check_backend("embedder", make_settings(tmp_path, AW_EMBEDDING_PROVIDER="ollama"))
    assert not health.ok and "AW_OLLAMA_HOST" in health.detail + health.next_step


def test_credentials_in_the_ollama_url_are_never_shown(tmp_path):
    settings = make_settings(tmp_path, AW_OLLAMA_HOST=f"http://admin:s3cr3t@127.0.0.1:{closed_port()}")
    health = check_backend("llm", settings)
    assert not health.ok and "s3cr3t" not in health.detail and "admin" not in health.detail


def test_llm_models_tests_a_proposed_connection(tmp_path):
    with FakeOllama(models=("llama3.1", "qwen2.5:7b")) as server:
        assert llm_models(make_settings(tmp_path, AW_OLLAMA_HOST=server.url)) == ["llama3.1:latest", "qwen2.5:7b"]
    down = make_settings(tmp_path, AW_OLLAMA_HOST=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(LLMUnavailable, match="Cannot reach Ollama"):
        llm_models(down)
    assert llm_models(make_settings(tmp_path)) == []  # evidence mode has no models


def test_every_llm_provider_reports_its_own_health_through_one_method(tmp_path):
    from core.health import llm_providers
    from core.registry import names
    from tests.support.real_llm import smollm2_path

    settings = make_settings(tmp_path, AW_LLAMACPP_MODEL=str(smollm2_path()), AW_OPENAI_BASE_URL=f"http://127.0.0.1:{closed_port()}/v1",
                             AW_LLM_PROVIDER="none")
    report = {health.implementation: health for health in llm_providers(settings)}
    assert list(report) == list(names("llm"))
    assert report["none"].ok and report["llamacpp"].ok and str(smollm2_path()) in report["llamacpp"].detail
    assert not report["openai"].ok and "AW_OPENAI_BASE_URL" in report["openai"].next_step
    assert not report["ollama"].ok  # AW_OLLAMA_HOST is empty
