"""NoLLM: evidence mode says generation is off and never pretends to generate."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError, LLMUnavailable
from core.llm import LLM, Message
from core.llm.no_llm import NoLLM
from core.registry import build_chosen
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def test_no_llm_is_the_default_when_no_host_is_set():
    provider = build_chosen("llm", Settings.from_env({}))

    assert isinstance(provider, NoLLM)
    assert isinstance(provider, LLM)
    assert provider.name == "none"


def test_no_llm_says_how_to_turn_generation_on():
    ok, reason = NoLLM().available()

    assert ok is False
    assert reason.startswith("Generation is off: no LLM is configured.")
    assert all(name in reason for name in ("AW_OLLAMA_HOST", "AW_OLLAMA_MODEL", "AW_OPENAI_BASE_URL", "AW_LLAMACPP_MODEL"))


@pytest.mark.parametrize("stream", [False, True])
def test_no_llm_refuses_to_complete(stream):
    with pytest.raises(LLMUnavailable, match="Generation is off") as caught:
        NoLLM().complete([Message.user("What were sales in March?")], stream=stream)
    assert caught.value.kind == "llm_unavailable"


def test_no_llm_has_no_models():
    assert NoLLM().models() == []


def test_an_explicit_none_provider_wins_over_a_host():
    settings = Settings.from_env({}, AW_LLM_PROVIDER="none", AW_OLLAMA_HOST="http://127.0.0.1:11434")
    assert isinstance(build_chosen("llm", settings), NoLLM)


def test_an_unknown_provider_is_a_config_error():
    settings = Settings.from_env({})
    settings = dataclasses.replace(settings, llm=dataclasses.replace(settings.llm, provider="vllm"))
    with pytest.raises(ConfigError, match="Unknown llm backend 'vllm'; choose one of: llamacpp, none, ollama, openai"):
        build_chosen("llm", settings)


def test_evidence_mode_does_not_import_the_ollama_client():
    code = (
        "import sys\n"
        "from core.health import check_backend\n"
        "from core.registry import build_chosen\n"
        "from core.settings import Settings\n"
        "settings = Settings.from_env({})\n"
        "build_chosen('llm', settings).available()\n"
        "assert check_backend('llm', settings).mode == 'off'\n"
        "assert 'ollama' not in sys.modules, 'ollama was imported'\n"
        "assert 'xllamacpp' not in sys.modules, 'xllamacpp was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
