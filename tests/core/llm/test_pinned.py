"""PinnedLLM: one chat answer asks "is the LLM up?" once, and a failure is seen by every later step."""

from __future__ import annotations

import pytest

from core.errors import LLMUnavailable
from core.llm import LLM, Message
from core.llm.bounds import reply_options
from core.llm.pinned import PinnedLLM
from tests.support.scripted_llm import ScriptedLLM


class Counting(ScriptedLLM):
    def __init__(self, *replies, **kwargs):
        super().__init__(*replies, **kwargs)
        self.asked = 0

    def available(self):
        self.asked += 1
        return super().available()


def test_availability_is_asked_once_and_calls_pass_through():
    inner = Counting("routed", "answer")
    pinned = PinnedLLM(inner)
    assert isinstance(pinned, LLM) and pinned.name == "scripted"
    assert all(pinned.available()[0] for _ in range(5)) and inner.asked == 1
    assert pinned.complete([Message.user("route?")], options=reply_options(pinned, "route")) == "routed"
    assert list(pinned.complete([Message.user("answer?")], stream=True)) == ["answer"]
    assert inner.calls[0].options == {"max_tokens": 128}


@pytest.mark.parametrize("mid_stream", [False, True])
def test_a_failed_call_turns_the_rest_of_the_request_to_evidence_mode(mid_stream):
    class Failing(Counting):
        def complete(self, messages, *, stream=False, json_schema=None, options=None):
            if not mid_stream:
                raise LLMUnavailable("server went away")

            def pieces():
                yield "Half an "
                raise LLMUnavailable("server went away")
            return pieces()

    inner = Failing()
    pinned = PinnedLLM(inner)
    assert pinned.available()[0]
    with pytest.raises(LLMUnavailable):
        list(pinned.complete([Message.user("q")], stream=True))
    assert pinned.available() == (False, "server went away") and inner.asked == 1
    with pytest.raises(LLMUnavailable, match="server went away"):
        pinned.complete([Message.user("summary?")])
