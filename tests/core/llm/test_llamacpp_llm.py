"""LlamaCppLLM on the real SmolLM2-135M model through xllamacpp: contracts on real, messy output."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from core.errors import ConfigError, LLMReplyError, LLMUnavailable
from core.llm import LLM, Message, parse_json_reply
from core.llm.bounds import reply_options
from core.llm.llamacpp_llm import LlamaCppLLM
from core.registry import build_chosen, chosen_name
from core.settings import Settings
from tests.conftest import ROOT, clean_env
from tests.support.real_llm import model_env

ROUTE = {
    "type": "object",
    "properties": {"documents": {"type": "boolean"}, "graph": {"type": "boolean"}, "database": {"type": "boolean"},
                   "reason": {"type": "string", "maxLength": 80}},
    "required": ["documents", "graph", "database", "reason"],
    "additionalProperties": False,
}
STORY = [Message.user("Tell me a very long story about a dragon who learns to count.")]


def test_it_is_an_llm_chosen_by_its_model_setting(llamacpp_llm, gguf_path, tmp_path):
    assert isinstance(llamacpp_llm, LLM)
    assert llamacpp_llm.name == "llamacpp/SmolLM2-135M-Instruct.Q4_1"
    assert llamacpp_llm.models() == [gguf_path.name]
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), AW_LLAMACPP_MODEL=str(gguf_path))
    assert chosen_name("llm", settings) == "llamacpp"  # AW_LLAMACPP_MODEL alone turns it on
    assert settings.llm.llamacpp_threads == 0 and build_chosen("llm", settings).threads >= 1


def test_a_reply_stops_at_its_token_cap(llamacpp_llm):
    reply = llamacpp_llm.complete(STORY, options={"max_tokens": 8})

    stats = llamacpp_llm.last_reply
    assert reply.strip()
    assert stats.tokens <= 8 and stats.ended == "length"


def test_json_under_a_schema_parses_and_a_truncated_one_is_a_clear_reply_error(llamacpp_llm):
    question = [Message.user('Which sources answer "How many orders did Acme place in March?" Reply in JSON.')]

    # The routing cap (AW_LLM_MAX_TOKENS_ROUTE) leaves room for this model's habit of padding JSON with whitespace.
    reply = llamacpp_llm.complete(question, json_schema=ROUTE, options=reply_options(llamacpp_llm, "route"))
    assert llamacpp_llm.last_reply.ended == "stop" and llamacpp_llm.last_reply.tokens <= 128
    data = parse_json_reply(reply, ROUTE)  # constrained decoding: valid against the schema
    assert set(data) == {"documents", "graph", "database", "reason"}

    cut = llamacpp_llm.complete(question, json_schema=ROUTE, options={"max_tokens": 3})
    assert llamacpp_llm.last_reply.ended == "length"
    with pytest.raises(LLMReplyError, match="not valid JSON"):
        parse_json_reply(cut, ROUTE)


def test_closing_a_stream_early_stops_generation(llamacpp_llm):
    stream = llamacpp_llm.complete(STORY, stream=True, options={"max_tokens": 2000})
    read = [next(stream), next(stream)]
    stream.close()

    stats = llamacpp_llm.last_reply
    assert all(read) and stats.ended == "closed"
    assert stats.tokens < 20  # 2,000 tokens would take this model half a minute on one thread
    started = time.monotonic()
    assert llamacpp_llm.complete([Message.user("Hi")], options={"max_tokens": 2})
    assert time.monotonic() - started < 3  # nothing left generating ahead of the next call


def test_a_call_over_its_time_limit_is_unavailable_and_says_which_setting(llamacpp_llm):
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"did not finish within 0\.3 s \(AW_LLM_TIMEOUT\)"):
        llamacpp_llm.complete(STORY, options={"max_tokens": 2000, "timeout_seconds": 0.3})
    assert time.monotonic() - started < 2
    assert llamacpp_llm.last_reply.ended == "timeout"
    assert llamacpp_llm.available()[0]  # slow is not down: the model stays usable


def test_a_prompt_larger_than_the_context_fails_at_the_call_with_the_setting_to_raise(llamacpp_llm):
    too_long = [Message.user("word " * 3000)]
    for stream in (False, True):
        with pytest.raises(LLMUnavailable, match=r"does not fit the local model's context of 2048 tokens.*AW_LLM_NUM_CTX"):
            llamacpp_llm.complete(too_long, stream=stream, options={"max_tokens": 4})


def test_a_schema_llama_cpp_cannot_constrain_to_is_a_reply_error(llamacpp_llm):
    with pytest.raises(LLMReplyError, match="cannot constrain"):
        llamacpp_llm.complete(STORY, json_schema={"type": "no-such-type"}, options={"max_tokens": 4})


def test_bad_model_settings_are_refused_at_start_and_in_health(tmp_path):
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_bytes(b"<html>a download error page</html>")
    base = clean_env() | {"AW_DATA_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match="AW_LLAMACPP_MODEL is empty"):
        Settings.from_env(base, AW_LLM_PROVIDER="llamacpp")
    for path, problem in ((tmp_path / "missing.gguf", "which is not a file"), (not_gguf, "is not a GGUF model file")):
        settings = Settings.from_env(base, **model_env(path))
        with pytest.raises(ConfigError, match=problem):
            build_chosen("llm", settings)
        health = LlamaCppLLM.check_health(settings.llm)
        assert not health.ok and problem in health.detail and health.mode == "embedded"


def test_health_reports_the_file_without_loading_it(gguf_path, tmp_path):
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), **model_env(gguf_path))
    health = LlamaCppLLM.check_health(settings.llm)
    assert health.ok and health.implementation == "llamacpp"
    assert str(gguf_path) in health.detail and "1 thread)" in health.detail
    fresh = build_chosen("llm", settings)
    assert "loaded=False" in repr(fresh) and fresh.models() == [gguf_path.name]


def test_the_model_loads_after_the_embedded_graph_was_opened(gguf_path, tmp_path):
    # xllamacpp's library aborts the process if it loads after a LadybugDB database was opened; the
    # registry loads it before the ladybug store. A fresh process, so nothing is loaded yet.
    code = (
        "import sys\n"
        "from core.registry import build_chosen\n"
        "from core.settings import Settings\n"
        f"settings = Settings.from_env({{}}, AW_DATA_DIR={str(tmp_path)!r}, AW_LLAMACPP_MODEL={str(gguf_path)!r},"
        " AW_LLAMACPP_THREADS='1', AW_LLM_TEMPERATURE='0', AW_LLM_NUM_CTX='512')\n"
        "graph = build_chosen('graph', settings)\n"
        "graph.upsert_document('default', 'd1', 'A document')\n"
        "from core.llm import Message\n"
        "print(build_chosen('llm', settings).complete([Message.user('Hi')], options={'max_tokens': 2}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()
