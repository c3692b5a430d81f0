"""The engine layer of read-only SQL: connections each database engine itself keeps read-only.

``ReadOnlyDatabase(url, timeout_seconds)`` owns one pooled SQLAlchemy engine. Its
``session()`` context manager yields a ``ReadOnlySession`` whose connection cannot write,
whose every statement is stopped after the time limit, and whose transaction is always
rolled back:

- SQLite: the file is opened as a ``file:...?mode=ro`` URI (never created), with
  ``PRAGMA query_only=1``, no ATTACH, an authorizer that allows only reads, and a progress
  handler that interrupts a statement once its deadline has passed.
- PostgreSQL (psycopg 3): read-only connections (``default_transaction_read_only`` and
  psycopg's ``read_only``), then ``SET TRANSACTION READ ONLY`` and ``SET LOCAL
  statement_timeout`` per query. Queries use psycopg's extended protocol, which runs one
  statement only, and stream so at most the rows asked for reach the client.
- MySQL/MariaDB: ``SET SESSION TRANSACTION READ ONLY`` (without it MariaDB lets DDL through
  a read-only transaction via an implicit commit), ``max_statement_time`` (MariaDB, seconds)
  or ``max_execution_time`` (MySQL, milliseconds), then ``START TRANSACTION READ ONLY``.

Timeouts from every engine become ``QueryTimeout``; other database errors become
``DatabaseError`` (or ``BackendUnavailable`` when the server cannot be reached), with the
engine's message and never the password.
"""

from __future__ import annotations

import math
import re
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Engine

from core.errors import (
    BackendUnavailable,
    ConfigError,
    DatabaseError,
    InvalidInput,
    NotFound,
    QueryTimeout,
    WorkbenchError,
)
from core.sql.access import AccessPolicy
from core.sql.database_urls import check_url_options, parse_database_url
from core.sql.privileges import mysql_excess_privileges, postgres_excess_privileges, refuse_privileged

_BACKENDS = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}
_DEFAULT_DRIVERS = {"postgres": "psycopg", "mysql": "pymysql"}
_SUPPORTED_DRIVERS = {"sqlite": {"pysqlite"}, "postgres": {"psycopg"}, "mysql": {"pymysql"}}
_CONNECT_TIMEOUT_SECONDS = 10

# SQLite authorizer: the actions a read needs. Everything else (writes, ATTACH, PRAGMA that
# sets a value, CREATE TEMP ...) is denied by the engine whatever the parser said.
_SQLITE_READ_ACTIONS = {
    sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE,
    sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT,
}
# Introspection pragmas, also reachable as table-valued functions such as pragma_table_info().
_SQLITE_READ_PRAGMAS = {
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "collation_list", "function_list", "module_list", "pragma_list",
    "database_list", "compile_options",
}
# Settings that may be read (never set: a value in the pragma is denied). SQLAlchemy reads
# read_uncommitted when it first connects.
_SQLITE_READABLE_SETTINGS = {
    "read_uncommitted", "query_only", "foreign_keys", "journal_mode", "user_version",
    "schema_version", "application_id", "encoding", "page_size", "page_count", "freelist_count",
}
_SQLITE_DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
# How many SQLite VM instructions run between deadline checks: small enough to stop within
# milliseconds, large enough that the check costs nothing measurable.
_SQLITE_PROGRESS_STEPS = 1000
_PG_STREAM_CHUNK = 20
_ROW_OVERHEAD_BYTES = 16
_SCALAR_BYTES = 8
_MAX_BATCH_ROWS = 200
# Values counted by their length; anything else (numbers, dates, NULL) counts _SCALAR_BYTES.
_SIZED_TYPES = frozenset({str, bytes, bytearray, memoryview})

_MYSQL_TIMEOUT_CODES = {1969, 3024, 1317}  # MariaDB max_statement_time, MySQL max_execution_time, interrupted
_MYSQL_LOST_CONNECTION = 2013
_MYSQL_COM_RESET_CONNECTION = 0x1F
_PG_QUERY_CANCELED = "57014"
_SQLALCHEMY_BACKGROUND = re.compile(r"\s*\(Background on this error at: [^)]*\)")
_STARTS_AS_QUERY = re.compile(r"\s*(SELECT|WITH|VALUES|TABLE|\()", re.IGNORECASE)
_MISSING_PARAMETER = re.compile(r"A value is required for bind parameter '([^']+)'")


def dialect_name(url: str | URL) -> str:
    """Return ``"sqlite"``, ``"postgres"`` or ``"mysql"`` for a SQLAlchemy URL (MariaDB is mysql)."""
    parsed = _parse_url(url)
    backend = parsed.get_backend_name()
    if backend not in _BACKENDS:
        raise ConfigError(
            f"Unsupported database engine {backend!r}: the workbench reads SQLite, PostgreSQL and MySQL/MariaDB."
        )
    return _BACKENDS[backend]


def safe_url(url: str | URL) -> str:
    """The URL as text with the password replaced by ``***``: safe to show and log."""
    return _parse_url(url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class FetchedRows:
    """Rows read from one statement: at most the number asked for, and whether more existed."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    more: bool
    truncated_reason: str = ""


class _ResultBudget:
    """Rows kept while fetching, until the row cap or the byte budget says stop.

    Sizes are what the values take as text or bytes (a number counts 8): close enough to
    bound memory, cheap enough to count on every row.
    """

    def __init__(self, max_rows: int, max_bytes: int) -> None:
        self.max_rows, self.max_bytes = max_rows, max_bytes
        self.rows: list[tuple[Any, ...]] = []
        self.size = 0
        self.more = False
        self.reason = ""
        self._widest = 0

    def next_batch_size(self) -> int:
        """How many rows to fetch next: 1 until rows have been seen, then what half the rest of the budget holds."""
        if not self.rows:
            return 1
        widest = max(self._widest, 1)
        room = (self.max_bytes - self.size) // (2 * widest)
        return int(max(1, min(_MAX_BATCH_ROWS, room, self.max_rows + 1 - len(self.rows))))

    def add(self, row: tuple[Any, ...]) -> bool:
        """Keep ``row`` if it fits; False means stop fetching (and that more rows existed)."""
        return self.add_many((row,))

    def add_many(self, rows) -> bool:
        """Keep each row while it fits; False means stop fetching (and that more rows existed)."""
        kept, size, widest, max_bytes = self.rows, self.size, self._widest, self.max_bytes
        try:
            for row in rows:
                if len(kept) >= self.max_rows:
                    self.more, self.reason = True, f"more than {self.max_rows:,} rows (AW_SQL_ROW_CAP)"
                    return False
                # Inlined and typed by exact class: this runs for every row of every result.
                row_size = _ROW_OVERHEAD_BYTES
                for value in row:
                    row_size += len(value) if type(value) in _SIZED_TYPES else _SCALAR_BYTES
                if size + row_size > max_bytes and kept:
                    self.more, self.reason = True, self._bytes_reason()
                    return False
                kept.append(tuple(row))
                size += row_size
                widest = max(widest, row_size)
                if size > max_bytes:  # one row alone is over the budget: keep it, stop here
                    self.more, self.reason = True, self._bytes_reason()
                    return False
            return True
        finally:
            self.size, self._widest = size, widest

    def _bytes_reason(self) -> str:
        return f"more than {self.max_bytes / 1048576:g} MB of data (AW_SQL_MAX_RESULT_MB)"

    def fetched(self, columns: tuple[str, ...]) -> FetchedRows:
        return FetchedRows(columns, tuple(self.rows), more=self.more, truncated_reason=self.reason)


class ReadOnlyDatabase:
    """One pooled engine for one database, handing out read-only, time-limited sessions."""

    def __init__(self, url: str | URL, timeout_seconds: float, policy: AccessPolicy | None = None) -> None:
        if not timeout_seconds or timeout_seconds <= 0:
            raise ConfigError("The SQL time limit must be a positive number of seconds.")
        self.dialect = dialect_name(url)
        self.url = _with_driver(_parse_url(url), self.dialect)
        self.policy = policy or AccessPolicy()
        # Refused before anything connects: driver options and the workbench's own stores.
        check_url_options(self.url, self.dialect)
        if self.dialect == "sqlite":
            self.policy.check_sqlite_file(sqlite_path(self.url))
        else:
            self.policy.check_server(self.url)
        self.timeout_seconds = float(timeout_seconds)
        self.safe_url = self.url.render_as_string(hide_password=True)
        self._password = self.url.password or ""
        self.engine: Engine = _ENGINE_BUILDERS[self.dialect](self)

    def __repr__(self) -> str:
        return f"ReadOnlyDatabase({self.safe_url!r}, timeout_seconds={self.timeout_seconds})"

    def check_role(self, dbapi_connection: Any) -> None:
        """Refuse a new connection whose role can do more than read, unless the policy allows it."""
        if self.policy.allow_privileged:
            return
        found = _EXCESS_PRIVILEGES[self.dialect](dbapi_connection)
        refuse_privileged(self.dialect, self.url.username or "", self.url.database or "", found)

    @contextmanager
    def session(self) -> Iterator["ReadOnlySession"]:
        """Yield a read-only, time-limited session; its transaction is rolled back on exit."""
        if self.dialect == "sqlite":
            path = sqlite_path(self.url)
            if not path.is_file():
                raise NotFound(f"SQLite database file not found: {path}. Check the path in the connection URL.")
        try:
            connection = self.engine.connect()
        except WorkbenchError:
            raise
        except Exception as error:  # every driver raises its own connection errors
            raise BackendUnavailable(
                f"Cannot connect to the database at {self.safe_url}: {self.clean_message(error)}"
            ) from None
        started = time.monotonic()
        session = ReadOnlySession(self, connection, deadline=started + self.timeout_seconds)
        try:
            with connection:
                _SESSION_SETUP[self.dialect](session)
                try:
                    yield session
                except BaseException:
                    _end_session(session, quietly=True)
                    raise
                _end_session(session, quietly=False)
        except WorkbenchError:
            raise
        except Exception as error:
            raise self.translate_error(error, time.monotonic() - started) from None

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def clean_message(self, error: BaseException) -> str:
        """The engine's own message for ``error``, one paragraph, with the password removed."""
        original = getattr(error, "orig", None) or error
        args = getattr(original, "args", ())
        if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
            text_ = f"{args[1]} (error {args[0]})"  # PyMySQL keeps (code, message)
        else:
            text_ = str(original)
        message = _SQLALCHEMY_BACKGROUND.sub("", " ".join(text_.split())) or type(original).__name__
        # Very short passwords would blank out ordinary words; they are not worth protecting here.
        if len(self._password) >= 3:
            message = message.replace(self._password, "***")
        return message

    def translate_error(self, error: BaseException, elapsed: float) -> WorkbenchError:
        """Map a driver or SQLAlchemy error to the workbench error an analyst can act on."""
        original = getattr(error, "orig", None) or error
        if _is_timeout(original, elapsed, self.timeout_seconds):
            return QueryTimeout(
                f"The query ran longer than the {self.timeout_seconds:g} s limit and was stopped. "
                "Add filters or a LIMIT, or ask an administrator to raise AW_SQL_TIMEOUT."
            )
        missing = _MISSING_PARAMETER.search(self.clean_message(original))
        if missing:
            return InvalidInput(f"The query uses the parameter :{missing.group(1)} but no value was given for it.")
        if isinstance(error, sqlalchemy.exc.StatementError) and not isinstance(error, sqlalchemy.exc.DBAPIError):
            return DatabaseError(f"The query could not be sent: {self.clean_message(original)}")
        if _lost_connection(error, original):
            return BackendUnavailable(
                f"Lost the connection to the database at {self.safe_url}: {self.clean_message(error)}"
            )
        message = self.clean_message(error)
        if self.dialect == "sqlite" and message == "string or blob too big":
            return DatabaseError(
                f"A value in the query is larger than the {self.policy.max_result_bytes / 1048576:g} MB result limit "
                "(AW_SQL_MAX_RESULT_MB) and was stopped."
            )
        if self.dialect == "sqlite" and message == "not authorized":
            message = "not authorized: this connection only allows reading"
        return DatabaseError(f"The database refused the query: {message}")


class ReadOnlySession:
    """A connection inside a read-only transaction; ``fetch`` runs one statement on it."""

    def __init__(self, database: ReadOnlyDatabase, connection: Connection, deadline: float) -> None:
        self.database = database
        self.connection = connection
        self.deadline = deadline

    def fetch(self, sql: str, params: Mapping[str, Any] | None, max_rows: int) -> FetchedRows:
        """Run ``sql`` and return up to ``max_rows`` rows, saying whether more existed.

        With ``params``, ``:name`` placeholders are bound by SQLAlchemy (never formatted into
        the text); without, the SQL is sent as it is, so ``%`` and ``:word`` mean themselves.
        """
        return _FETCHERS[self.database.dialect](self, sql, dict(params) if params else None, max_rows)


def _end_session(session: ReadOnlySession, *, quietly: bool) -> None:
    """Undo the session's settings and roll back; after a failed query, a failed cleanup only
    retires the connection so the query's own error is the one reported."""
    connection = session.connection
    try:
        _SESSION_TEARDOWN[session.database.dialect](session)
        if not connection.invalidated:
            connection.rollback()
    except Exception:
        connection.invalidate()
        if not quietly:
            raise


# --- SQLite ------------------------------------------------------------------------------------


def sqlite_path(url: URL) -> Path:
    """The database file a sqlite URL points to; in-memory databases are refused (nothing to read)."""
    database = url.database or ""
    if database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
    if database in ("", ":memory:"):
        raise ConfigError("An in-memory SQLite database has nothing to read: give the path of a database file.")
    return Path(database).expanduser().resolve()


def _sqlite_authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_DENY if (arg2 or "").lower() in _SQLITE_DENIED_FUNCTIONS else sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        readable = name in _SQLITE_READ_PRAGMAS or (arg2 is None and name in _SQLITE_READABLE_SETTINGS)
        return sqlite3.SQLITE_OK if readable else sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        # SQLite asks this while preparing table-valued pragmas such as pragma_table_info();
        # a real write to the schema is still stopped by mode=ro and query_only.
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_OK if action in _SQLITE_READ_ACTIONS else sqlite3.SQLITE_DENY


def _build_sqlite_engine(database: ReadOnlyDatabase) -> Engine:
    path = sqlite_path(database.url)

    def connect() -> sqlite3.Connection:
        if not path.is_file():
            raise NotFound(f"SQLite database file not found: {path}. Check the path in the connection URL.")
        # mode=ro opens an existing file read-only and never creates one.
        # The busy timeout (waiting for a writer's lock) is not covered by the progress handler.
        raw = sqlite3.connect(
            f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False, timeout=database.timeout_seconds
        )
        raw.execute("PRAGMA query_only=1")
        raw.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        # One value can be no larger than the whole result may be. This also bounds single C
        # calls (zeroblob, replace over a huge string) that never reach the progress handler.
        raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(1024 * 1024, database.policy.max_result_bytes))
        raw.set_authorizer(_sqlite_authorizer)
        return raw

    return sqlalchemy.create_engine(f"sqlite+pysqlite:///{path}", creator=connect)


def _sqlite_raw(session: ReadOnlySession) -> sqlite3.Connection:
    return session.connection.connection.driver_connection


def _setup_sqlite(session: ReadOnlySession) -> None:
    deadline = session.deadline
    # Returning non-zero makes SQLite abort the running statement with SQLITE_INTERRUPT.
    _sqlite_raw(session).set_progress_handler(lambda: int(time.monotonic() > deadline), _SQLITE_PROGRESS_STEPS)


def _teardown_sqlite(session: ReadOnlySession) -> None:
    if not session.connection.invalidated:
        _sqlite_raw(session).set_progress_handler(None, 0)


def _fetch_with_sqlalchemy(
    session: ReadOnlySession, sql: str, params: dict | None, max_rows: int, **options: Any
) -> FetchedRows:
    connection = session.connection
    if params:
        result = connection.execution_options(**options).execute(text(sql), params)
    else:
        result = connection.execution_options(no_parameters=True, **options).exec_driver_sql(sql)
    try:
        if not result.returns_rows:
            return FetchedRows(columns=(), rows=(), more=False)
        columns = tuple(result.keys())
        budget = _ResultBudget(max_rows, session.database.policy.max_result_bytes)
        while True:
            # Batches sized so one batch of rows like those seen so far fits in what is left of the
            # budget: narrow rows come many at a time, wide ones one by one.
            batch = result.fetchmany(budget.next_batch_size())
            if not batch or not budget.add_many(batch):
                break
        return budget.fetched(columns)
    finally:
        result.close()


def _fetch_sqlite(session: ReadOnlySession, sql: str, params: dict | None, max_rows: int) -> FetchedRows:
    return _fetch_with_sqlalchemy(session, sql, params, max_rows)


# --- PostgreSQL --------------------------------------------------------------------------------


def _build_postgres_engine(database: ReadOnlyDatabase) -> Engine:
    engine = sqlalchemy.create_engine(
        database.url,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": _CONNECT_TIMEOUT_SECONDS,
            # standard_conforming_strings keeps backslashes plain, as the checker assumes.
            "options": "-c default_transaction_read_only=on -c standard_conforming_strings=on",
        },
    )

    @event.listens_for(engine, "connect")
    def _read_only_connection(dbapi_connection: Any, _record: Any) -> None:
        # psycopg then opens every transaction with BEGIN READ ONLY.
        dbapi_connection.read_only = True
        database.check_role(dbapi_connection)

    @event.listens_for(engine, "reset")
    def _reset_session(dbapi_connection: Any, _record: Any, _state: Any) -> None:
        # A query can leave state on the server session (an advisory lock, a setting, a prepared
        # statement, a cursor); the next user of this pooled connection must not inherit it.
        from psycopg.pq import TransactionStatus

        if dbapi_connection.info.transaction_status != TransactionStatus.IDLE:
            dbapi_connection.rollback()
        dbapi_connection.autocommit = True
        try:
            dbapi_connection.execute("DISCARD ALL")
        finally:
            dbapi_connection.autocommit = False

    return engine


def _setup_postgres(session: ReadOnlySession) -> None:
    raw = session.connection.connection.driver_connection
    from psycopg.pq import TransactionStatus  # imported here: psycopg is only needed for PostgreSQL

    if raw.info.transaction_status != TransactionStatus.IDLE:  # the pool's ping may leave one open
        raw.rollback()
    timeout_ms = max(1, math.ceil(session.database.timeout_seconds * 1000))
    session.connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    session.connection.exec_driver_sql(f"SET LOCAL statement_timeout = {timeout_ms}")


def _fetch_postgres(session: ReadOnlySession, sql: str, params: dict | None, max_rows: int) -> FetchedRows:
    from psycopg import capabilities  # imported here: psycopg is only needed for PostgreSQL

    query, values = sql, None
    if params:
        compiled = text(sql).compile(dialect=session.connection.dialect)
        query, values = compiled.string, compiled.construct_params(params)
    budget = _ResultBudget(max_rows, session.database.policy.max_result_bytes)
    # Chunks of rows arrive together: keep them small enough that one chunk of wide rows cannot
    # overshoot the byte budget by much.
    chunk = min(max_rows + 1, _PG_STREAM_CHUNK) if capabilities.has_stream_chunked() else 1
    with session.connection.connection.driver_connection.cursor() as cursor:
        # stream() uses the extended protocol (one statement only) and cancels the server-side
        # query when closed early, so a huge result never lands in memory.
        stream = cursor.stream(query, values, size=chunk)
        try:
            for row in stream:
                if not budget.add(row):
                    break
        finally:
            stream.close()
        description = cursor.description
        if description is None and not budget.rows and _STARTS_AS_QUERY.match(query):
            # A stream that yields no rows keeps no column names, and an empty table still
            # needs its header: ask for them with LIMIT 0, which reads no rows. prepare=True
            # keeps psycopg on the one-statement extended protocol.
            cursor.execute(f"SELECT * FROM ({query}) AS workbench_columns LIMIT 0", values, prepare=True)
            description = cursor.description
        columns = tuple(column.name for column in description or ())
    return budget.fetched(columns)


# --- MySQL / MariaDB ---------------------------------------------------------------------------


def _build_mysql_engine(database: ReadOnlyDatabase) -> Engine:
    engine = sqlalchemy.create_engine(
        database.url,
        pool_pre_ping=True,
        pool_recycle=3600,
        connect_args={
            "connect_timeout": _CONNECT_TIMEOUT_SECONDS,
            # A client-side backstop in case the server-side limit does not fire.
            "read_timeout": math.ceil(database.timeout_seconds) + 10,
            # Never let the server ask for a file from this machine (LOAD DATA LOCAL INFILE).
            "local_infile": False,
        },
    )

    @event.listens_for(engine, "connect")
    def _read_only_session(dbapi_connection: Any, _record: Any) -> None:
        _mysql_session_defaults(dbapi_connection)
        database.check_role(dbapi_connection)

    @event.listens_for(engine, "reset")
    def _reset_session(dbapi_connection: Any, _record: Any, _state: Any) -> None:
        # COM_RESET_CONNECTION drops what a query left on the session (user locks, user
        # variables, temporary tables, settings) without a new login; then the read-only
        # defaults go back on.
        dbapi_connection.rollback()
        dbapi_connection._execute_command(_MYSQL_COM_RESET_CONNECTION, b"")
        dbapi_connection._read_ok_packet()
        _mysql_session_defaults(dbapi_connection)

    return engine


def _mysql_session_defaults(dbapi_connection: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
        # Without NO_BACKSLASH_ESCAPES the server reads strings the way the checker does.
        cursor.execute(
            "SET SESSION sql_mode = TRIM(BOTH ',' FROM "
            "REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))"
        )


def _setup_mysql(session: ReadOnlySession) -> None:
    connection = session.connection
    seconds = session.database.timeout_seconds
    # Repeated per query: a previous statement on this pooled connection cannot have undone them.
    connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
    if connection.dialect.is_mariadb:
        connection.exec_driver_sql(f"SET SESSION max_statement_time = {seconds:.3f}")
    else:
        connection.exec_driver_sql(f"SET SESSION max_execution_time = {max(1, math.ceil(seconds * 1000))}")
    connection.exec_driver_sql("START TRANSACTION READ ONLY")


def _fetch_mysql(session: ReadOnlySession, sql: str, params: dict | None, max_rows: int) -> FetchedRows:
    # sql_select_limit makes the server stop after the rows asked for (unless the query has a
    # larger LIMIT of its own); the unbuffered cursor (stream_results) keeps any extra rows out
    # of memory: they are read and dropped on close, which the time limit bounds.
    session.connection.exec_driver_sql(f"SET SESSION sql_select_limit = {int(max_rows) + 1}")
    return _fetch_with_sqlalchemy(session, sql, params, max_rows, stream_results=True)


def _no_teardown(_session: ReadOnlySession) -> None:
    return None


# --- shared ------------------------------------------------------------------------------------


def _parse_url(url: str | URL) -> URL:
    return parse_database_url(url)


def _with_driver(url: URL, dialect: str) -> URL:
    """Fill in the workbench's driver when the URL names none; refuse drivers it does not use."""
    driver = url.get_driver_name()
    backend = url.get_backend_name()
    if "+" not in url.drivername and dialect in _DEFAULT_DRIVERS:
        return url.set(drivername=f"{backend}+{_DEFAULT_DRIVERS[dialect]}")
    if driver not in _SUPPORTED_DRIVERS[dialect]:
        expected = next(iter(_SUPPORTED_DRIVERS[dialect]))
        raise ConfigError(
            f"The {backend} driver {driver!r} is not supported: write the URL as {backend}+{expected}://..."
        )
    return url


def _lost_connection(error: BaseException, original: BaseException) -> bool:
    if getattr(error, "connection_invalidated", False):
        return True
    # psycopg errors raised outside SQLAlchemy: a client-side failure carries no SQLSTATE.
    return type(original).__name__ == "OperationalError" and hasattr(original, "sqlstate") and original.sqlstate is None


def _is_timeout(error: BaseException, elapsed: float, limit: float) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        return getattr(error, "sqlite_errorname", "") == "SQLITE_INTERRUPT"
    if getattr(error, "sqlstate", None) == _PG_QUERY_CANCELED:
        return True
    code = error.args[0] if getattr(error, "args", None) and isinstance(error.args[0], int) else None
    if code in _MYSQL_TIMEOUT_CODES:
        return True
    return code == _MYSQL_LOST_CONNECTION and elapsed >= limit


_ENGINE_BUILDERS = {"sqlite": _build_sqlite_engine, "postgres": _build_postgres_engine, "mysql": _build_mysql_engine}
_SESSION_SETUP = {"sqlite": _setup_sqlite, "postgres": _setup_postgres, "mysql": _setup_mysql}
_SESSION_TEARDOWN = {"sqlite": _teardown_sqlite, "postgres": _no_teardown, "mysql": _no_teardown}
_FETCHERS = {"sqlite": _fetch_sqlite, "postgres": _fetch_postgres, "mysql": _fetch_mysql}
_EXCESS_PRIVILEGES = {"sqlite": lambda _connection: [], "postgres": postgres_excess_privileges,
                      "mysql": mysql_excess_privileges}
