"""Guards the webhook service puts in front of the assistant: a per-sender rate limit, and a
memory of recent deliveries so a platform's retry is not answered twice. Both are thread-safe
(push channels are answered in background threads) and bounded in memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Callable


class SenderRateLimiter:
    """At most ``per_minute`` messages per sender in any 60 seconds.

    ``admit`` says "ok", "refused" (the first refusal in a burst: tell the sender) or "quiet"
    (refused again: say nothing, so a flood does not turn into a flood of notices).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute, self._clock = per_minute, clock
        self._sent: dict[str, deque[float]] = {}
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def admit(self, sender_key: str) -> str:
        """Count one message from ``sender_key`` and say whether to answer it."""
        now = self._clock()
        with self._lock:
            if len(self._sent) > 10_000:  # forget idle senders so memory stays bounded
                for key in [k for k, times in self._sent.items() if not times or now - times[-1] >= 60]:
                    self._sent.pop(key, None)
                    self._warned.discard(key)
            times = self._sent.setdefault(sender_key, deque())
            while times and now - times[0] >= 60:
                times.popleft()
            if len(times) < self._per_minute:
                times.append(now)
                self._warned.discard(sender_key)
                return "ok"
            if sender_key in self._warned:
                return "quiet"
            self._warned.add(sender_key)
            return "refused"


class RecentDeliveries:
    """Ids of recently handled deliveries: platforms redeliver when an acknowledgement is slow."""

    def __init__(self, size: int = 4096) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size, self._lock = size, threading.Lock()

    def first_time(self, delivery_id: str) -> bool:
        """True the first time ``delivery_id`` is seen; an empty id (unknown) always counts as new."""
        if not delivery_id:
            return True
        with self._lock:
            if delivery_id in self._ids:
                return False
            self._ids[delivery_id] = None
            if len(self._ids) > self._size:
                self._ids.popitem(last=False)
            return True
