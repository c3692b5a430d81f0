"""Counting a prompt's tokens: with the provider's own tokenizer when it has one, else a safe estimate.

Used wherever a prompt must fit the model's context: a chat answer's evidence (core/chat/budget.py)
and the schema, notes and examples in a SQL prompt (core/sql/training.py).
"""

from __future__ import annotations

import logging
import math
from typing import Any, Callable

logger = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3  # bytes of UTF-8 per token in the estimate: fewer than any tokenizer here uses for prose


def estimate_tokens(text: str) -> int:
    """A count no tokenizer in use exceeds for ordinary text: one token per three bytes."""
    return math.ceil(len(text.encode("utf-8")) / CHARS_PER_TOKEN)


def token_counter(llm: Any) -> Callable[[str], int]:
    """The provider's ``count_tokens`` when it has one, falling back to the estimate if it fails."""
    count = getattr(llm, "count_tokens", None)
    if not callable(count):
        return estimate_tokens
    failed: list[str] = []

    def counted(text: str) -> int:
        if failed:
            return estimate_tokens(text)
        try:
            return int(count(text))
        except Exception as exc:  # a tokenizer that fails must not cost the answer: estimate instead
            failed.append(str(exc))
            logger.warning("token counting failed, estimating instead: %s", exc)
            return estimate_tokens(text)

    return counted
