"""ScriptedLLM, the test double other tests rely on, behaves like an LLM and fails loudly."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, LLMUnavailable
from core.llm import LLM, Message, parse_json_reply
from tests.support.scripted_llm import ScriptedLLM, ScriptExhausted, split_into_pieces


def test_replies_come_back_in_order_and_every_call_is_recorded():
    llm = ScriptedLLM("first").enqueue("second")
    schema = {"type": "object"}

    assert llm.complete([Message.user("one")]) == "first"
    second = llm.complete([Message.system("be brief"), Message.user("two")], json_schema=schema, options={"seed": 1})
    assert second == "second"

    assert isinstance(llm, LLM)
    assert len(llm.calls) == 2
    assert llm.calls[0].messages == (Message("user", "one"),)
    assert llm.last_call.json_schema == schema and llm.last_call.options == {"seed": 1}
    assert llm.last_call.prompt == "be brief\ntwo"
    assert llm.pending == 0


def test_streaming_yields_pieces_that_join_to_the_reply():
    llm = ScriptedLLM("Sales rose 4% in March.")

    stream = llm.complete([Message.user("sales?")], stream=True)
    pieces = list(stream)

    assert pieces == ["Sales ", "rose ", "4% ", "in ", "March."]
    assert llm.last_call.stream is True


def test_an_empty_queue_fails_the_test_and_shows_the_prompt():
    llm = ScriptedLLM()

    with pytest.raises(ScriptExhausted, match=r"no reply queued for call #1.*'What changed\?'") as caught:
        llm.complete([Message.user("What changed?")])

    assert isinstance(caught.value, AssertionError)
    assert len(llm.calls) == 1  # the call is still recorded for the failure report


def test_an_enqueued_error_is_raised_in_turn():
    llm = ScriptedLLM().enqueue_error(LLMUnavailable("server went away")).enqueue("back again")

    with pytest.raises(LLMUnavailable, match="server went away"):
        llm.complete([Message.user("hi")])
    assert llm.complete([Message.user("hi")]) == "back again"


def test_availability_is_what_the_test_says():
    assert ScriptedLLM().available()[0] is True
    assert ScriptedLLM(available=(False, "pretend it is down")).available() == (False, "pretend it is down")
    assert ScriptedLLM().models() == ["scripted"]


def test_scripted_json_replies_go_through_the_same_validation():
    llm = ScriptedLLM('{"sql": "SELECT 1"}')
    schema = {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]}

    assert parse_json_reply(llm.complete([Message.user("q")], json_schema=schema), schema) == {"sql": "SELECT 1"}


def test_last_call_without_calls_is_a_clear_failure():
    with pytest.raises(AssertionError, match="never called"):
        ScriptedLLM().last_call


@pytest.mark.parametrize("text", ["", "   ", "one", "  leading and trailing  ", "line\nbreaks\n\nkept"])
def test_split_into_pieces_loses_nothing(text):
    assert "".join(split_into_pieces(text)) == text


def test_a_message_with_an_unknown_role_is_refused():
    with pytest.raises(InvalidInput, match="role must be one of system, user, assistant, tool; got 'bot'"):
        Message("bot", "hello")
