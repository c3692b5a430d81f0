"""OpenAILLM against a real server that refuses ``response_format`` json_schema (SmolLM2 behind a proxy).

The provider must learn from the first refusal to ask for ``json_object`` with the schema in the prompt,
remember that, and leave validation to ``parse_json_reply``: a reply that does not fit the schema falls
back exactly as the caller says (routing falls back to the rules).
"""

from __future__ import annotations

import json
import logging
import secrets

import pytest

from core.chat.routing import ROUTE_SCHEMA, Signals, route_by_rules, route_with_llm
from core.errors import LLMReplyError
from core.llm import Message, parse_json_reply
from core.llm.openai_llm import OpenAILLM
from core.registry import build_chosen
from core.settings import Settings
from tests.conftest import clean_env
from tests.support.real_llm import server_params
from tests.support.schema_refusing_openai import SchemaRefusingProxy

ANSWER = {
    "type": "object",
    "properties": {"answer": {"type": "string", "maxLength": 40}, "confident": {"type": "boolean"}},
    "required": ["answer", "confident"],
    "additionalProperties": False,
}
QUESTION = [Message.system("You answer briefly."), Message.user("Is Paris the capital of France? Answer in JSON.")]
SCHEMA_IN_PROMPT = "Reply with one JSON object that matches this JSON schema: "


@pytest.fixture(scope="module")
def proxy(openai_server):
    with SchemaRefusingProxy(openai_server[0]) as running:
        yield running


@pytest.fixture
def make_llm(proxy, openai_server, request):
    def make(**env: str) -> OpenAILLM:
        settings = Settings.from_env(clean_env(), AW_DATA_DIR="/nonexistent-aw-test", AW_OPENAI_BASE_URL=proxy.url,
                                     AW_OPENAI_API_KEY=openai_server[1], AW_LLM_TEMPERATURE="0", **env)
        provider = build_chosen("llm", settings)
        request.addfinalizer(provider.close)
        return provider

    return make


def validated_or_refused(text: str, schema: dict) -> dict | None:
    """The reply checked against its schema: the object, or None when ``parse_json_reply`` refuses it."""
    try:
        return parse_json_reply(text, schema)
    except LLMReplyError:
        return None


def test_a_refused_schema_falls_back_to_json_object_once_and_is_remembered(proxy, make_llm, caplog):
    llm = make_llm()
    caplog.set_level(logging.INFO, logger="core.llm.openai_llm")
    first = len(proxy.attempts)

    reply = llm.complete(QUESTION, json_schema=ANSWER, options={"max_tokens": 48})

    refused, retried = proxy.attempts[first:]
    assert refused.refused and refused.response_format == "json_schema"
    assert not retried.refused and retried.response_format == "json_object"
    # The schema joins the conversation's own system message: many chat templates allow only one.
    assert retried.body["messages"] == [
        {"role": "system", "content": f"{QUESTION[0].content}\n\n{SCHEMA_IN_PROMPT}{json.dumps(ANSWER)}"},
        {"role": "user", "content": QUESTION[1].content}]
    assert retried.body["max_tokens"] == 48
    assert reply == retried.reply
    # Only some JSON is promised, cut at the cap (the tiny model likes to echo the schema): the caller validates.
    data = validated_or_refused(reply, ANSWER)
    assert data is None or isinstance(data["confident"], bool)
    assert caplog.text.count("refuses json_schema; using json_object") == 1

    # Remembered: the next JSON call, streamed or not, goes straight to json_object, with the schema said once.
    for stream in (True, False):
        before = len(proxy.attempts)
        again = llm.complete(QUESTION, stream=stream, json_schema=ANSWER, options={"max_tokens": 16})
        text = again if isinstance(again, str) else "".join(again)
        (attempt,) = proxy.attempts[before:]
        assert attempt.response_format == "json_object" and attempt.body["stream"] is stream
        assert attempt.body["messages"] == retried.body["messages"]  # the schema said once, as the first time
        assert text.strip()
    before = len(proxy.attempts)
    assert llm.complete(QUESTION, options={"max_tokens": 4}).strip()  # a plain call asks for no format at all
    (plain,) = proxy.attempts[before:]
    assert "response_format" not in plain.body and plain.body["messages"][0]["content"] == QUESTION[0].content
    assert caplog.text.count("refuses json_schema") == 1


@pytest.mark.parametrize("cap", ["3", "48"])
def test_routing_through_the_fallback_uses_the_reply_only_when_it_validates(make_llm, proxy, cap):
    llm = make_llm(AW_LLM_MAX_TOKENS_ROUTE=cap)  # 3 tokens cannot hold the JSON: a certain fallback to the rules
    question = "How many invoices did customers in Brazil pay last year?"
    signals = Signals(has_database=True)
    first = len(proxy.attempts)

    route = route_with_llm(llm, question, signals)

    attempts = proxy.attempts[first:]
    assert [a.response_format for a in attempts] == ["json_schema", "json_object"]  # a new provider learns anew
    assert attempts[-1].body["max_tokens"] == int(cap)
    data = validated_or_refused(attempts[-1].reply, ROUTE_SCHEMA)
    if cap == "3":
        assert data is None
    if data is None or not any(data[name] for name in ("documents", "graph", "database")):
        assert route == route_by_rules(question, signals)  # exactly the rules' route
    else:
        assert route.by == "llm"
        assert (route.documents, route.graph, route.database) == (data["documents"], data["graph"], data["database"])


# Llama 2's chat template as Meta publishes it: one optional system message, then strict user/assistant turns.
LLAMA2_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
)


@pytest.fixture(scope="module")
def one_system_message_server(gguf_path):
    """xllamacpp's server with Llama 2's chat template, behind the proxy that refuses json_schema."""
    import xllamacpp

    key = "sk-test-" + secrets.token_hex(16)
    params = server_params(gguf_path, n_ctx=512, api_key=key)
    params.chat_template = LLAMA2_TEMPLATE
    server = xllamacpp.Server(params)
    with SchemaRefusingProxy(server.listening_address) as proxy:
        yield proxy, key
    del server


def test_the_fallback_works_on_a_server_whose_template_allows_one_system_message(one_system_message_server, request):
    proxy, key = one_system_message_server
    settings = Settings.from_env(clean_env(), AW_DATA_DIR="/nonexistent-aw-test", AW_OPENAI_BASE_URL=proxy.url,
                                 AW_OPENAI_API_KEY=key, AW_LLM_TEMPERATURE="0")
    llm = build_chosen("llm", settings)
    request.addfinalizer(llm.close)

    for conversation in (QUESTION, QUESTION[1:]):  # with a system message of its own, and without
        before = len(proxy.attempts)
        reply = llm.complete(conversation, json_schema=ANSWER, options={"max_tokens": 8})  # not refused
        sent = proxy.attempts[-1].body["messages"]
        assert [m["role"] for m in sent] == ["system", "user"] and SCHEMA_IN_PROMPT in sent[0]["content"]
        assert len(proxy.attempts) - before == (2 if conversation is QUESTION else 1)
        assert isinstance(reply, str)  # whether it fits the schema is for the caller's parse_json_reply
    assert llm.available()[0]  # no refusal marked the provider down


def test_a_schema_the_server_cannot_use_falls_back_for_that_request_only(openai_server, caplog):
    # llama.cpp answers 400 "JSON schema error at #/properties/a: cannot resolve $ref" for a schema it cannot
    # turn into a grammar; that says nothing about other schemas, which must keep constrained decoding.
    unusable = {"type": "object", "properties": {"a": {"$ref": "#/nowhere"}}}
    caplog.set_level(logging.INFO, logger="core.llm.openai_llm")
    with SchemaRefusingProxy(openai_server[0], refuse_schemas=False) as passing:
        settings = Settings.from_env(clean_env(), AW_DATA_DIR="/nonexistent-aw-test", AW_OPENAI_BASE_URL=passing.url,
                                     AW_OPENAI_API_KEY=openai_server[1], AW_LLM_TEMPERATURE="0")
        llm = build_chosen("llm", settings)
        try:
            llm.complete(QUESTION, json_schema=unusable, options={"max_tokens": 8})
            llm.complete(QUESTION, json_schema=ANSWER, options={"max_tokens": 8})
        finally:
            llm.close()
        first, retried, second = passing.attempts
    assert first.response_format == "json_schema" and first.upstream_status == 400
    assert retried.response_format == "json_object" and retried.upstream_status == 200
    assert second.response_format == "json_schema" and second.upstream_status == 200  # not switched for good
    assert "cannot use this JSON schema" in caplog.text and "refuses json_schema" not in caplog.text
