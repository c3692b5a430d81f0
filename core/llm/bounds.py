"""Bounded generation, shared by every provider: reply-token caps per task, a wall-clock limit
per call, and availability probes remembered for a few seconds.

A real model left to itself once streamed 3,976 tokens for one answer until its context was
full, and an unreachable server was probed five times per question. So:

- every call carries a reply-token cap: callers name their task (``reply_options(llm, "route")``)
  and a call that names none gets the answer cap (``AW_LLM_MAX_TOKENS_ANSWER``);
- every call has a deadline (``AW_LLM_TIMEOUT``, or less when the caller asks for less);
- ``available()`` is asked of the server at most once per ``AW_LLM_AVAILABILITY_TTL`` seconds,
  and a call that finds the server gone makes the next ``available()`` say so at once.

The caps travel in ``options`` (``max_tokens``, ``timeout_seconds``), so the ``LLM`` protocol
stays the same and a provider that does not know a task still gets a number.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from core.errors import InvalidInput

MAX_TOKENS = "max_tokens"  # options key: most tokens the reply may have
TIMEOUT = "timeout_seconds"  # options key: wall-clock limit of this one call, in seconds


def _defaults():
    # The dataclass defaults of the LLM section are the caps when an LLM carries no settings (a test double).
    from core.settings import LLMSettings

    return LLMSettings("none", "", "", 0.1, 8192, "", 120.0)


def reply_options(llm: Any, task: str, **extra: Any) -> dict[str, Any]:
    """``options`` for a call of ``task``: its reply-token cap from the provider's settings, plus ``extra``."""
    settings = getattr(llm, "settings", None)
    if not callable(getattr(settings, "max_tokens", None)):
        settings = _defaults()
    return {MAX_TOKENS: settings.max_tokens(task), **extra}


@dataclass(frozen=True)
class CallBounds:
    """What one call may spend: ``max_tokens`` reply tokens and ``timeout`` seconds; ``rest`` are model options."""

    max_tokens: int
    timeout: float
    rest: dict[str, Any]


def call_bounds(options: dict | None, settings: Any) -> CallBounds:
    """Split ``options`` into the bounds of this call and the model's own options.

    A caller may lower the wall-clock limit but never raise it above ``AW_LLM_TIMEOUT``.
    """
    rest = dict(options or {})
    max_tokens = rest.pop(MAX_TOKENS, None)
    max_tokens = settings.max_tokens("answer") if max_tokens is None else max_tokens
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens <= 0:
        raise InvalidInput(f"options[{MAX_TOKENS!r}] must be a positive whole number of tokens, got {max_tokens!r}.")
    timeout = rest.pop(TIMEOUT, None)
    timeout = settings.timeout_seconds if timeout is None else float(timeout)
    if timeout <= 0:
        raise InvalidInput(f"options[{TIMEOUT!r}] must be a positive number of seconds, got {timeout!r}.")
    return CallBounds(max_tokens, min(timeout, settings.timeout_seconds), rest)


class Deadline:
    """A point in time a call must finish by (monotonic clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self._at


class AvailabilityCache:
    """Remembers a provider's last ``(available, why)`` for ``ttl`` seconds.

    Probes are serialised, so threads asking at once share one probe. ``mark_down`` records a
    failure seen by a real call, so the rest of that answer (and the next few seconds) skips the model.
    """

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._value: tuple[bool, str] | None = None
        self._at = 0.0
        self.probes = 0  # how many times the server was actually asked (shown in tests and benchmarks)

    def get(self, probe: Callable[[], tuple[bool, str]]) -> tuple[bool, str]:
        with self._lock:
            if self._value is None or self._clock() - self._at > self.ttl:
                self.probes += 1
                self._value = probe()
                self._at = self._clock()
            return self._value

    def mark_down(self, why: str) -> None:
        with self._lock:
            self._value = (False, why)
            self._at = self._clock()

    def clear(self) -> None:
        with self._lock:
            self._value = None
