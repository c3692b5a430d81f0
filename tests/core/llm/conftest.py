"""One loaded copy of the real test model per session, for the llamacpp provider and an OpenAI-compatible server."""

from __future__ import annotations

import secrets

import pytest

from tests.conftest import clean_env
from tests.support.real_llm import model_env, server_params, smollm2_path


@pytest.fixture(scope="session")
def gguf_path():
    return smollm2_path()


@pytest.fixture(scope="session")
def llamacpp_llm(gguf_path, tmp_path_factory):
    """The llamacpp provider over SmolLM2, built from settings exactly as the workbench builds it."""
    from core.registry import build_chosen
    from core.settings import Settings

    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path_factory.mktemp("llamacpp")), **model_env(gguf_path))
    provider = build_chosen("llm", settings)
    yield provider
    provider.close()


@pytest.fixture(scope="session")
def openai_server(gguf_path):
    """xllamacpp's own OpenAI-compatible HTTP server on 127.0.0.1 with the test model behind it and an API key.

    Yields ``(base_url, api_key)``; ``base_url`` ends in ``/v1`` as AW_OPENAI_BASE_URL does.
    """
    import xllamacpp

    key = "sk-test-" + secrets.token_hex(16)
    params = server_params(gguf_path, n_ctx=2048, api_key=key)
    params.endpoint_slots = True  # tests read /slots to see whether the server is still generating
    server = xllamacpp.Server(params)
    yield server.listening_address + "/v1", key
    del server
