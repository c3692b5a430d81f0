"""The runner on real engines: refusals leave data untouched, the engine layer alone stops
writes, time limits and row caps hold, parameters bind, and secrets never leak."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from decimal import Decimal
import re
from pathlib import Path

import pytest
import sqlalchemy

from core.errors import (
    BackendUnavailable,
    ConfigError,
    DatabaseError,
    InvalidInput,
    NotFound,
    QueryTimeout,
    UnsafeSQL,
)
from core.records import QueryResult
from core.settings import SQLSettings
from core.sql.dialects import dialect_name, safe_url
from core.sql.runner import GuardedRunner, plain_value
from tests.core.sql.conftest import CHINOOK_SQLITE
from tests.core.sql.hostile_statements import ENGINE_WRITES, HARMLESS, HOSTILE, render

# Grows exponentially (each level doubles the rows) so it is slow on every engine, including
# MariaDB, whose recursion depth is capped at 1000 by default.
SLOW_QUERY = (
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r, "
    "(SELECT 1 AS k UNION ALL SELECT 2) AS two WHERE n < 40) SELECT count(*) FROM r"
)
PLAIN_TYPES = (type(None), bool, int, float, str, bytes, dt.date, dt.time, dt.timedelta)


@pytest.fixture
def runner(chinook):
    with GuardedRunner(chinook.url, timeout_seconds=5, row_cap=1000) as guarded:
        yield guarded


def test_hostile_table_is_refused_and_leaves_every_table_unchanged(chinook, runner, checksum):
    before = checksum(chinook.url)
    refused = 0
    for case in HOSTILE:
        if chinook.dialect not in case.dialects:
            continue
        with pytest.raises(UnsafeSQL) as error:
            runner.run(case.sql)
        assert case.reason in str(error.value), case.sql
        refused += 1
    assert refused >= 60
    assert checksum(chinook.url) == before


def test_harmless_reads_run_and_return_rows(chinook, runner):
    for case in HARMLESS:
        if chinook.dialect not in case.dialects:
            continue
        result = runner.run(render(case.sql, chinook.dialect))
        assert isinstance(result, QueryResult)
        assert result.columns, case.sql
        assert result.rows, case.sql
        assert all(len(row) == len(result.columns) for row in result.rows)


def test_engine_layer_alone_stops_writes(chinook, runner, checksum, tmp_path):
    before = checksum(chinook.url)
    for case in ENGINE_WRITES:
        if chinook.dialect not in case.dialects:
            continue
        sql = render(case.sql, chinook.dialect).replace("{tmp}", str(tmp_path))
        with pytest.raises(DatabaseError) as error:
            runner.run(sql, check=False)
        assert str(error.value).startswith("The database refused the query:"), sql
    assert checksum(chinook.url) == before
    assert list(tmp_path.iterdir()) == []  # ATTACH and VACUUM INTO created no file


def test_engine_layer_runs_only_one_statement(chinook, runner, checksum):
    before = checksum(chinook.url)
    with pytest.raises(DatabaseError):
        runner.run(f"SELECT 1; DELETE FROM {chinook.genre}", check=False)
    assert checksum(chinook.url) == before


def test_a_session_setting_changed_without_the_guard_does_not_outlive_its_query(chinook, checksum):
    undo = {
        "sqlite": "PRAGMA query_only = 0",
        "postgres": "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        "mysql": "SET SESSION TRANSACTION READ WRITE",
    }[chinook.dialect]
    before = checksum(chinook.url)
    # Run one after the other, the two statements share the runner's single pooled connection.
    with GuardedRunner(chinook.url, timeout_seconds=5, row_cap=10) as runner:
        # Some engines refuse the setting outright, others run it: either way it must not stick.
        with contextlib.suppress(DatabaseError):
            runner.run(undo, check=False)
        with pytest.raises(DatabaseError):
            runner.run(f"DELETE FROM {chinook.genre}", check=False)
        assert runner._database.engine.pool.checkedin() == 1
    assert checksum(chinook.url) == before


def test_slow_query_is_stopped_by_the_time_limit(chinook):
    with GuardedRunner(chinook.url, timeout_seconds=1, row_cap=10) as limited:
        started = time.monotonic()
        with pytest.raises(QueryTimeout) as error:
            limited.run(SLOW_QUERY)
        took = time.monotonic() - started
        assert 0.9 <= took < 5
        assert "1 s limit" in str(error.value)
        # The connection is usable again at once: the limit was reset, not left behind.
        assert limited.run(f"SELECT count(*) FROM {chinook.genre}").rows[0][0] > 0


def test_row_cap_truncates_and_says_so(chinook):
    with GuardedRunner(chinook.url, timeout_seconds=5, row_cap=1000) as full:
        genres = full.run(f"SELECT count(*) FROM {chinook.genre}").rows[0][0]
        tracks = full.run(f"SELECT count(*) FROM {chinook.track}").rows[0][0]
    assert genres > 2 and tracks > 1000
    with GuardedRunner(chinook.url, timeout_seconds=5, row_cap=genres) as exact:
        result = exact.run(f"SELECT * FROM {chinook.genre}")
        assert (len(result.rows), result.truncated) == (genres, False)
    with GuardedRunner(chinook.url, timeout_seconds=5, row_cap=genres - 1) as short:
        result = short.run(f"SELECT * FROM {chinook.genre}")
        assert (len(result.rows), result.truncated) == (genres - 1, True)
        # A LIMIT larger than the cap is capped too, and a huge join stops early.
        result = short.run(f"SELECT * FROM {chinook.track} LIMIT 100000")
        assert (len(result.rows), result.truncated) == (genres - 1, True)
        started = time.monotonic()
        result = short.run(f"SELECT * FROM {chinook.track} a, {chinook.track} b")
        assert (len(result.rows), result.truncated) == (genres - 1, True)
        assert time.monotonic() - started < 3


def test_parameters_bind_and_are_never_formatted_into_the_sql(chinook, runner):
    table, key, name = chinook.artist, chinook.artist_id, chinook.artist_name
    expected = runner.run(f"SELECT {name} FROM {table} WHERE {key} = 1").rows
    assert expected
    bound = runner.run(f"SELECT {name} FROM {table} WHERE {key} = :id", {"id": 1})
    assert bound.rows == expected
    assert ":id" in bound.sql and "= 1" not in bound.sql
    injected = runner.run(f"SELECT {name} FROM {table} WHERE {name} = :name", {"name": "x' OR '1'='1"})
    assert injected.rows == () and injected.columns == bound.columns
    pattern = runner.run(
        f"SELECT count(*) FROM {table} WHERE {name} LIKE 'A%' AND {key} > :low", {"low": 0}
    ).rows[0][0]
    plain = runner.run(f"SELECT count(*) FROM {table} WHERE {name} LIKE 'A%'").rows[0][0]
    assert pattern == plain > 0


def test_a_missing_parameter_is_named_and_text_without_parameters_is_sent_as_is(chinook, runner):
    with pytest.raises(InvalidInput, match=r"parameter :wanted but no value"):
        runner.run("SELECT :wanted AS a", {"other": 1})
    # Without parameters nothing is treated as a placeholder, not even inside a string.
    assert runner.run("SELECT ':not_a_parameter' AS a, '100%' AS b").rows == ((":not_a_parameter", "100%"),)


def test_results_hold_plain_python_values(chinook, runner):
    result = runner.run(f"SELECT * FROM {chinook.track} LIMIT 50")
    assert result.elapsed > 0
    for row in result.rows:
        for value in row:
            assert isinstance(value, PLAIN_TYPES), type(value)
    assert any(isinstance(value, float) for value in result.rows[0])  # the unit price
    frame = result.to_frame()
    assert list(frame.columns) == list(result.columns) and len(frame) == 50


def test_explain_runs_on_every_engine(chinook, runner):
    result = runner.run(f"EXPLAIN SELECT * FROM {chinook.genre}")
    assert result.columns and result.rows


def test_database_errors_carry_the_engine_message(chinook, runner):
    with pytest.raises(DatabaseError) as error:
        runner.run("SELECT no_such_column FROM no_such_table")
    assert "no_such_table" in str(error.value)


# Passwords as people paste them, unencoded: the tail after an "@" must not become the host.
PASTED_PASSWORDS = ["Sup3rSecretPassw0rd", "Sup3r@Secret", "a:b@Secret/c", "Se?cret#Tail@x", "p@ss/w@rd"]


@pytest.mark.parametrize("secret", PASTED_PASSWORDS)
@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_password_never_appears_in_repr_or_errors(server, secret, request):
    chinook = request.getfixturevalue(f"{server}_chinook")
    parsed = sqlalchemy.engine.make_url(chinook.url)
    # Written by hand, unencoded, as an analyst pastes it; the port is one nobody listens on.
    wrong_port = f"{parsed.drivername}://{parsed.username}:{secret}@127.0.0.1:1/{parsed.database}"
    with GuardedRunner(wrong_port, timeout_seconds=2, row_cap=5) as unreachable:
        shown = repr(unreachable) + str(unreachable)
        assert "***@127.0.0.1:1/" in shown
        pieces = [secret, secret.partition("@")[2]] + [p for p in re.split(r"[@:/?#]", secret) if len(p) >= 4]
        for piece in filter(None, pieces):
            assert piece not in shown
        with pytest.raises(BackendUnavailable) as error:
            unreachable.run("SELECT 1")
        assert secret not in str(error.value)
        assert "127.0.0.1" in str(error.value)  # the host it tried is the real one, not a piece of the password
    if chinook.dialect == "mysql":
        # The reader has no password here, so giving one is refused by the server itself.
        wrong_password = f"{parsed.drivername}://{parsed.username}:{secret}@127.0.0.1:3306/{parsed.database}"
        with GuardedRunner(wrong_password, timeout_seconds=2, row_cap=5) as denied:
            with pytest.raises(BackendUnavailable) as error:
                denied.run("SELECT 1")
            assert secret not in str(error.value) and "Access denied" in str(error.value)


def test_missing_sqlite_file_is_not_created(tmp_path):
    missing = tmp_path / "missing.sqlite"
    with GuardedRunner(f"sqlite:///{missing}", timeout_seconds=1, row_cap=5) as runner:
        with pytest.raises(NotFound, match="not found"):
            runner.run("SELECT 1")
    assert not missing.exists()


def test_the_shared_chinook_file_is_never_the_one_opened(sqlite_chinook):
    opened = Path(sqlite_chinook.url.removeprefix("sqlite:///"))
    assert opened.is_file() and opened.resolve() != CHINOOK_SQLITE.resolve()


def test_runner_from_settings(sqlite_chinook):
    settings = SQLSettings(demo_db_url="", demo_db_path=Path("unused"), timeout_seconds=3, row_cap=7, certified_threshold=0.6)
    with GuardedRunner.from_settings(sqlite_chinook.url, settings) as runner:
        assert (runner.timeout_seconds, runner.row_cap, runner.dialect) == (3, 7, "sqlite")
        assert len(runner.run("SELECT * FROM Track").rows) == 7


def test_bad_configuration_is_refused_early():
    with pytest.raises(ConfigError, match="positive"):
        GuardedRunner("sqlite:///x.db", timeout_seconds=1, row_cap=0)
    with pytest.raises(ConfigError, match="in-memory"):
        GuardedRunner("sqlite://", timeout_seconds=1, row_cap=5)
    with pytest.raises(ConfigError, match="Unsupported database engine 'mssql'"):
        GuardedRunner("mssql+pyodbc://u:p@host/db", timeout_seconds=1, row_cap=5)
    with pytest.raises(ConfigError, match=r"postgresql\+psycopg://"):
        GuardedRunner("postgresql+psycopg2://u@host/db", timeout_seconds=1, row_cap=5)


def test_dialect_names_and_safe_urls():
    assert dialect_name("sqlite:///a.db") == "sqlite"
    assert dialect_name("postgresql://u@h/db") == "postgres"
    assert dialect_name("postgresql+psycopg://u@h/db") == "postgres"
    assert dialect_name("mysql+pymysql://u@h/db") == "mysql"
    assert dialect_name("mariadb+pymysql://u@h/db") == "mysql"
    rendered = safe_url("postgresql+psycopg://analyst:hunter22@db.example/sales")
    assert "hunter22" not in rendered and "analyst:***@db.example" in rendered


def test_plain_value_conversions():
    assert plain_value(Decimal("12")) == 12 and isinstance(plain_value(Decimal("12")), int)
    assert plain_value(Decimal("0.99")) == pytest.approx(0.99)
    assert isinstance(plain_value(Decimal("2.00")), float)
    assert plain_value(memoryview(b"ab")) == b"ab"
    assert plain_value([Decimal("1.5"), {"k": Decimal("2")}]) == [1.5, {"k": 2}]
    day = dt.date(2024, 1, 2)
    assert plain_value(day) is day
