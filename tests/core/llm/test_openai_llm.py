"""OpenAILLM against a real OpenAI-compatible server: xllamacpp's HTTP server with SmolLM2 behind it."""

from __future__ import annotations

import logging
import time

import pytest

from core.errors import ConfigError, LLMUnavailable
from core.llm import LLM, Message, parse_json_reply
from core.llm.openai_llm import OpenAILLM, _scrub
from core.registry import build_chosen, chosen_name
from core.settings import Settings
from tests.conftest import clean_env
from tests.support.real_llm import closed_port_url, generating, token_count

ANSWER = {
    "type": "object",
    "properties": {"answer": {"type": "string", "maxLength": 60}, "confident": {"type": "boolean"}},
    "required": ["answer", "confident"],
    "additionalProperties": False,
}
STORY = [Message.user("Tell me a very long story about a dragon who learns to count.")]


def settings_for(base_url: str, key: str = "", **env: str) -> Settings:
    return Settings.from_env(clean_env(), AW_DATA_DIR="/nonexistent-aw-test", AW_OPENAI_BASE_URL=base_url,
                             AW_OPENAI_API_KEY=key, AW_LLM_TEMPERATURE="0", **env)


@pytest.fixture
def make_llm(request):
    def make(base_url: str, key: str = "", **env: str) -> OpenAILLM:
        provider = build_chosen("llm", settings_for(base_url, key, **env))
        request.addfinalizer(provider.close)
        return provider

    return make


@pytest.fixture
def llm(openai_server, make_llm):
    url, key = openai_server
    return make_llm(url, key)


def test_it_is_an_llm_chosen_by_its_base_url_and_uses_the_servers_model(llm, openai_server):
    assert isinstance(llm, LLM)
    assert chosen_name("llm", settings_for(openai_server[0])) == "openai"
    assert llm.name == "openai/default"
    ok, reason = llm.available()
    assert ok, reason
    assert llm.models() and llm.models()[0].endswith(".gguf")  # llama.cpp lists the file it serves


def test_whole_and_streamed_replies_stop_at_their_token_cap(llm, openai_server):
    reply = llm.complete(STORY, options={"max_tokens": 8})
    assert reply.strip() and token_count(openai_server, reply) <= 8

    pieces = list(llm.complete(STORY, stream=True, options={"max_tokens": 8}))
    assert 1 <= len(pieces) <= 8 and token_count(openai_server, "".join(pieces)) <= 8


def test_a_json_reply_uses_the_schema_and_validates(llm):
    question = [Message.user("Is Paris the capital of France? Answer in JSON.")]
    reply = llm.complete(question, json_schema=ANSWER, options={"max_tokens": 128})
    data = parse_json_reply(reply, ANSWER)
    assert isinstance(data["confident"], bool)


def test_closing_a_stream_early_stops_the_server_generating(llm, openai_server):
    stream = llm.complete(STORY, stream=True, options={"max_tokens": 2000})
    assert next(stream) and next(stream)
    stream.close()

    deadline = time.monotonic() + 3  # 2,000 tokens would keep it busy for half a minute
    while generating(openai_server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not generating(openai_server)


@pytest.mark.parametrize("stream", [False, True])
def test_a_call_over_its_time_limit_is_unavailable_and_says_which_setting(llm, stream):
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"did not finish within 0\.3 s \(AW_LLM_TIMEOUT\)"):
        reply = llm.complete(STORY, stream=stream, options={"max_tokens": 2000, "timeout_seconds": 0.3})
        list(reply) if stream else None
    assert time.monotonic() - started < 2


def test_the_api_key_never_appears_in_repr_errors_logs_or_health(openai_server, make_llm, caplog):
    url, key = openai_server
    wrong = "sk-wrong-" + key[-12:]
    caplog.set_level(logging.DEBUG)

    good = make_llm(url, key)
    assert good.complete([Message.user("Hi")], options={"max_tokens": 2})
    bad = make_llm(url, wrong)
    with pytest.raises(LLMUnavailable, match=r"refused the API key \(HTTP 401\).*AW_OPENAI_API_KEY") as refused:
        bad.complete([Message.user("Hi")], options={"max_tokens": 2})
    ok, reason = bad.available()
    assert not ok and "refused the API key" in reason
    good_health = OpenAILLM.check_health(settings_for(url, key).llm)
    bad_health = OpenAILLM.check_health(settings_for(url, wrong).llm)
    assert good_health.ok and not bad_health.ok and "API key was refused" in bad_health.detail

    shown = " ".join([repr(good), repr(bad), good.name, str(refused.value), reason, caplog.text,
                      repr(settings_for(url, key)), repr(good_health), repr(bad_health)])
    for secret in (key, wrong, key[-12:]):
        assert secret not in shown
    assert "api_key=set" in repr(good)


def test_a_key_a_server_echoes_back_is_masked():
    key = "sk-proj-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
    echoed = f"Incorrect API key provided: {key[:8]}**********{key[-4:]}. Or the whole {key}."
    masked = _scrub(echoed, key)
    assert key not in masked and key[:8] not in masked and "Incorrect API key provided" in masked


def test_a_server_that_is_down_is_unavailable_fast_and_the_probe_is_remembered(make_llm):
    url = closed_port_url("/v1")
    provider = make_llm(url, AW_OPENAI_MODEL="any", AW_LLM_AVAILABILITY_TTL="30")

    started = time.monotonic()
    answers = [provider.available() for _ in range(5)]
    assert time.monotonic() - started < 2
    assert all(not ok for ok, _ in answers) and answers[0][1].startswith(f"Cannot reach the server at {url}: ")
    assert "AW_OPENAI_BASE_URL" in answers[0][1]
    assert provider._availability.probes == 1  # one chat answer asks up to five times; the server is asked once
    for stream in (False, True):
        with pytest.raises(LLMUnavailable, match="Cannot reach the server"):
            provider.complete([Message.user("Hi")], stream=stream)
    health = OpenAILLM.check_health(settings_for(url).llm)
    assert not health.ok and health.implementation == "openai" and "AW_OPENAI_BASE_URL" in health.next_step


def test_a_model_the_server_does_not_serve_is_named_with_what_it_does(openai_server, make_llm):
    url, key = openai_server
    ok, reason = make_llm(url, key, AW_OPENAI_MODEL="gpt-imaginary").available()
    assert not ok and "does not serve model 'gpt-imaginary'" in reason and ".gguf" in reason


def test_settings_are_checked_at_start():
    with pytest.raises(ConfigError, match="AW_OPENAI_BASE_URL is empty"):
        Settings.from_env(clean_env(), AW_LLM_PROVIDER="openai")
    with pytest.raises(ConfigError, match="must start with http"):
        build_chosen("llm", settings_for("localhost:8000/v1"))
    empty = OpenAILLM.check_health(Settings.from_env(clean_env()).llm)
    assert not empty.ok and "AW_OPENAI_BASE_URL is empty" in empty.detail
