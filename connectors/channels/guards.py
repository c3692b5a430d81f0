"""Guards the webhook service puts in front of the assistant: a per-sender rate limit, and a
memory of deliveries so a platform's retry (or a captured call replayed later) is not answered
twice. All are thread-safe (push channels are answered in background threads).

- ``RecentDeliveries``: in memory, bounded; forgets everything on restart (tests, one-off runs).
- ``StoredDeliveries``: in the metadata store's ``webhook_deliveries`` table with an expiry, so it
  survives restarts and is shared by every process using the same store.
- ``RedisDeliveries``: the same in Redis (``SET NX`` with an expiry), when a Redis URL is set.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict, deque
from typing import Callable, Protocol

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core.errors import BackendUnavailable
from core.metadata import MetadataStore, webhook_deliveries


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


class DeliveryLedger(Protocol):
    def first_time(self, delivery_id: str) -> bool:
        """True the first time ``delivery_id`` is seen (within the ledger's memory)."""


class StoredDeliveries:
    """Delivery ids in the metadata store, each kept for ``ttl_seconds`` (wall-clock seconds).

    Ids are stored as SHA-256 hashes (platform ids can be long and name senders). Recording an id
    is one INSERT on the primary key, so two processes racing on the same delivery cannot both
    win. When the store cannot be reached the check fails closed with ``BackendUnavailable``
    (the platform is told to retry later) rather than risking a second answer.
    """

    PURGE_EVERY_SECONDS = 60.0

    def __init__(self, store: MetadataStore, ttl_seconds: float, clock: Callable[[], float] = time.time) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._store, self._ttl, self._clock = store, ttl_seconds, clock
        self._purged_at = float("-inf")
        self._lock = threading.Lock()

    def first_time(self, delivery_id: str) -> bool:
        if not delivery_id:
            return True
        key = hashlib.sha256(delivery_id.encode("utf-8")).hexdigest()
        now = self._clock()
        table = webhook_deliveries
        try:
            self._purge(now)
            with self._store.begin() as conn:
                # An expired record of the same id no longer counts.
                conn.execute(delete(table).where(table.c.id == key, table.c.expires_at <= now))
                conn.execute(insert(table).values(id=key, expires_at=now + self._ttl))
            return True
        except IntegrityError:
            return False
        except SQLAlchemyError:
            raise BackendUnavailable("The delivery log in the metadata store cannot be reached; "
                                     "the call was not answered, so the platform will retry it.") from None

    def _purge(self, now: float) -> None:
        with self._lock:
            if now - self._purged_at < self.PURGE_EVERY_SECONDS:
                return
            self._purged_at = now
        with self._store.begin() as conn:
            conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.expires_at <= now))


class RedisDeliveries:
    """Delivery ids in Redis: one ``SET key 1 NX PX ttl`` per delivery (atomic across processes).

    Keys are ``<prefix><sha256 of the id>``; Redis expires them itself. A Redis error fails closed
    with ``BackendUnavailable``, as ``StoredDeliveries`` does.
    """

    def __init__(self, url: str, ttl_seconds: float, *, prefix: str = "aw:webhook-delivery:") -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        try:
            import redis
        except ImportError:
            raise BackendUnavailable("AW_REDIS_URL is set but the redis package is not installed: pip install redis.") from None
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._errors = (redis.RedisError,)
        self._ttl_ms, self._prefix = max(1, int(ttl_seconds * 1000)), prefix

    def first_time(self, delivery_id: str) -> bool:
        if not delivery_id:
            return True
        key = self._prefix + hashlib.sha256(delivery_id.encode("utf-8")).hexdigest()
        try:
            return bool(self._redis.set(key, b"1", nx=True, px=self._ttl_ms))
        except self._errors:
            raise BackendUnavailable("The delivery log in Redis cannot be reached; the call was not answered, "
                                     "so the platform will retry it.") from None

    def close(self) -> None:
        self._redis.close()
