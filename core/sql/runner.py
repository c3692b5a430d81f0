"""The one way SQL reaches a user database: guard, then a read-only session, then a row cap.

``GuardedRunner(url, timeout_seconds=..., row_cap=...)`` composes the parser layer
(``core.sql.guard``) and the engine layer (``core.sql.dialects``) and returns a
``QueryResult`` whose ``truncated`` flag says when more than ``row_cap`` rows (or more than the
policy's byte budget) existed, and ``truncated_reason`` which limit it was.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core.errors import ConfigError
from core.records import QueryResult
from core.settings import SQLSettings
from core.sql.access import AccessPolicy
from core.sql.dialects import ReadOnlyDatabase
from core.sql.guard import check_read_only

_PLAIN_TYPES = (type(None), bool, int, float, str, bytes, dt.date, dt.time, dt.timedelta)


class GuardedRunner:
    """Runs read-only SQL on one database through one pooled engine. Close it when done."""

    def __init__(self, url: str, *, timeout_seconds: float, row_cap: int, policy: AccessPolicy | None = None) -> None:
        if not isinstance(row_cap, int) or row_cap <= 0:
            raise ConfigError("The SQL row cap must be a positive whole number of rows.")
        self.row_cap = row_cap
        self.policy = policy or AccessPolicy()
        self._database = ReadOnlyDatabase(url, timeout_seconds, self.policy)

    @classmethod
    def from_settings(cls, url: str, settings: SQLSettings) -> "GuardedRunner":
        """A runner for ``url`` with the time limit, row cap and access policy of the SQL settings section."""
        return cls(url, timeout_seconds=settings.timeout_seconds, row_cap=settings.row_cap,
                   policy=AccessPolicy.from_settings(settings))

    @property
    def dialect(self) -> str:
        """``"sqlite"``, ``"postgres"`` or ``"mysql"``."""
        return self._database.dialect

    @property
    def safe_url(self) -> str:
        """The database URL with the password hidden."""
        return self._database.safe_url

    @property
    def timeout_seconds(self) -> float:
        return self._database.timeout_seconds

    def __repr__(self) -> str:
        return (
            f"GuardedRunner({self.safe_url!r}, timeout_seconds={self.timeout_seconds:g}, row_cap={self.row_cap})"
        )

    __str__ = __repr__

    def run(self, sql: str, params: Mapping[str, Any] | None = None, *, check: bool = True) -> QueryResult:
        """Check ``sql`` is one read-only query, run it read-only, and return at most ``row_cap`` rows.

        ``params`` bind ``:name`` placeholders (the values never become SQL text). Raises
        ``UnsafeSQL`` (refused), ``QueryTimeout``, ``DatabaseError``, ``BackendUnavailable``.

        ``check=False`` skips the parser layer. It exists ONLY so tests can prove the engine
        layer alone stops writes; product code must never pass it.
        """
        statement = check_read_only(sql, self.dialect, extra_functions=self.policy.extra_functions) if check else sql
        started = time.perf_counter()
        with self._database.session() as session:
            fetched = session.fetch(statement, params, self.row_cap)
        elapsed = time.perf_counter() - started
        return QueryResult(
            columns=fetched.columns,
            rows=tuple(tuple(plain_value(value) for value in row) for row in fetched.rows),
            truncated=fetched.more,
            truncated_reason=fetched.truncated_reason,
            elapsed=elapsed,
            sql=statement,
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._database.dispose()

    def __enter__(self) -> "GuardedRunner":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def plain_value(value: Any) -> Any:
    """Turn a driver's value into a plain Python one that tables, charts and JSON can use.

    Numbers, text, bytes, dates and times stay as they are; ``Decimal`` becomes ``int`` when
    it has no fractional part and ``float`` otherwise (analysts chart it; exact decimal
    arithmetic is not the workbench's job); ``memoryview``/``bytearray`` become ``bytes``;
    lists and dicts (JSON, arrays) are converted element by element; anything else
    (UUIDs, network addresses, ranges) becomes its text.
    """
    if isinstance(value, _PLAIN_TYPES):
        return value
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value() and value.as_tuple().exponent >= 0:
            return int(value)
        return float(value)
    if isinstance(value, (memoryview, bytearray)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return [plain_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain_value(item) for key, item in value.items()}
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)
