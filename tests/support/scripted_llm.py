"""ScriptedLLM: a test double for the ``LLM`` protocol that answers with queued replies.

Tests enqueue the replies the "model" will give, run the code under test, then inspect
``calls`` to see exactly which prompts were sent. Never used by product code.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Iterator

from core.llm.base import Message


class ScriptExhausted(AssertionError):
    """The code under test asked for more replies than the test enqueued."""


@dataclass(frozen=True)
class ScriptedCall:
    """One call to ``complete``: the prompt and every keyword argument."""

    messages: tuple[Message, ...]
    stream: bool
    json_schema: dict | None
    options: dict | None

    @property
    def prompt(self) -> str:
        """All message contents joined, for easy ``in`` assertions."""
        return "\n".join(message.content for message in self.messages)


def split_into_pieces(text: str) -> list[str]:
    """Split text the way a model streams it: word by word, keeping the whitespace."""
    return re.findall(r"\s*\S+\s*", text) or ([text] if text else [])


class ScriptedLLM:
    """Answers each ``complete`` call with the next enqueued reply (or raises an enqueued error)."""

    name = "scripted"

    def __init__(self, *replies: str, available: tuple[bool, str] = (True, "Scripted replies are ready.")) -> None:
        self._queue: deque[str | Exception] = deque(replies)
        self._available = available
        self.calls: list[ScriptedCall] = []

    def enqueue(self, reply: str) -> "ScriptedLLM":
        """Queue the next reply; returns self so calls chain."""
        self._queue.append(reply)
        return self

    def enqueue_error(self, error: Exception) -> "ScriptedLLM":
        """Queue an error the next call raises (e.g. ``LLMUnavailable``), to test failure paths."""
        self._queue.append(error)
        return self

    @property
    def pending(self) -> int:
        """How many replies are still queued."""
        return len(self._queue)

    @property
    def last_call(self) -> ScriptedCall:
        """The most recent call; fails clearly if there was none."""
        if not self.calls:
            raise AssertionError("ScriptedLLM was never called.")
        return self.calls[-1]

    def complete(
        self,
        messages: list[Message],
        *,
        stream: bool = False,
        json_schema: dict | None = None,
        options: dict | None = None,
    ) -> str | Iterator[str]:
        """Record the call, then return (or stream) the next queued reply."""
        call = ScriptedCall(tuple(messages), stream, json_schema, dict(options) if options is not None else None)
        self.calls.append(call)
        if not self._queue:
            raise ScriptExhausted(
                f"ScriptedLLM has no reply queued for call #{len(self.calls)}; enqueue() one more. "
                f"The prompt was: {call.prompt[-500:]!r}"
            )
        reply = self._queue.popleft()
        if isinstance(reply, Exception):
            raise reply
        return iter(split_into_pieces(reply)) if stream else reply

    def available(self) -> tuple[bool, str]:
        """What the test said at construction (ready by default)."""
        return self._available

    def models(self) -> list[str]:
        return ["scripted"]
