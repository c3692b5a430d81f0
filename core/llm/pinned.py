"""One request's view of an LLM: availability decided once, and a failure seen by every later step.

A chat answer asks "is the LLM up?" in several places (rewriting the follow-up, routing,
summarising, writing the answer). Asked separately, one answer could see the server up and then
down and come out half generated, half evidence. Wrapping the provider in ``PinnedLLM`` for the
request makes the first answer stick; a call that fails with ``LLMUnavailable`` turns the rest of
the request to evidence mode.
"""

from __future__ import annotations

from typing import Any, Iterator

from core.errors import LLMUnavailable
from core.llm.base import LLM, Message


class PinnedLLM:
    """Implements ``LLM`` over ``llm`` with ``available()`` asked at most once."""

    def __init__(self, llm: LLM) -> None:
        self._llm = llm
        self.name = llm.name
        self._state: tuple[bool, str] | None = None

    @property
    def settings(self) -> Any:
        # reply_options reads the provider's caps through here.
        return getattr(self._llm, "settings", None)

    def available(self) -> tuple[bool, str]:
        if self._state is None:
            self._state = self._llm.available()
        return self._state

    def complete(self, messages: list[Message], *, stream: bool = False, json_schema: dict | None = None,
                 options: dict | None = None) -> str | Iterator[str]:
        if self._state is not None and not self._state[0]:
            raise LLMUnavailable(self._state[1])
        try:
            reply = self._llm.complete(messages, stream=stream, json_schema=json_schema, options=options)
        except LLMUnavailable as exc:
            self._state = (False, str(exc))
            raise
        return self._watch(reply) if stream else reply

    def _watch(self, pieces: Iterator[str]) -> Iterator[str]:
        try:
            yield from pieces
        except LLMUnavailable as exc:
            self._state = (False, str(exc))
            raise
        finally:
            closer = getattr(pieces, "close", None)
            if callable(closer):
                closer()  # a reader that stops early stops the provider's generation too

    def models(self) -> list[str]:
        return self._llm.models()

    @property
    def count_tokens(self) -> Any:
        """The provider's ``count_tokens(text) -> int``; absent (``AttributeError``) when it has no tokenizer,
        so ``getattr(pinned, "count_tokens", None)`` tells callers to estimate instead."""
        count = getattr(self._llm, "count_tokens", None)
        if not callable(count):
            raise AttributeError(f"{self.name} has no tokenizer to count with.")
        return count
