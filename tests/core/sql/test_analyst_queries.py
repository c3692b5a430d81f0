"""Legitimate analyst queries must pass the guard and run on real Chinook in every engine.

The corpus lives in ``analyst_queries.py``. Each query is checked twice: by the parser layer
alone (``check_read_only``, no database needed) and end to end through ``GuardedRunner`` on
the Chinook database of its engine, where it must return columns and rows, and for the
queries with a known answer, exactly that first row.
"""

from __future__ import annotations

import math
from collections import Counter
from numbers import Number
from typing import Callable, Iterator

import pytest

from core.sql.guard import check_read_only
from core.sql.runner import GuardedRunner
from tests.core.sql.analyst_queries import ANALYST_QUERIES, AnalystQuery
from tests.core.sql.conftest import ENGINES

MIN_PER_DIALECT = 60


def _same_value(actual: object, expected: object) -> bool:
    numeric = (
        isinstance(actual, Number) and isinstance(expected, Number)
        and not isinstance(actual, bool) and not isinstance(expected, bool)
    )
    if numeric:
        # SQLite sums floats (2328.600000000004); the servers return exact decimals.
        return math.isclose(float(actual), float(expected), rel_tol=0, abs_tol=1e-6)
    return actual == expected


def _same_row(actual: tuple, expected: tuple) -> bool:
    return len(actual) == len(expected) and all(_same_value(a, e) for a, e in zip(actual, expected))


def test_corpus_has_enough_queries_for_every_dialect():
    counts = Counter(query.dialect for query in ANALYST_QUERIES)
    assert set(counts) == set(ENGINES)
    for dialect in ENGINES:
        assert counts[dialect] >= MIN_PER_DIALECT, (dialect, counts[dialect])


def test_corpus_ids_are_unique_and_queries_are_not_blank():
    ids = [query.id for query in ANALYST_QUERIES]
    assert len(ids) == len(set(ids)), [name for name, n in Counter(ids).items() if n > 1]
    assert all(query.sql.strip() and query.description.strip() for query in ANALYST_QUERIES)


def test_corpus_keeps_the_classic_sqlite_median():
    # sqlglot fails to parse LIMIT/OFFSET with arithmetic on subqueries; the query must stay in.
    assert any(
        query.dialect == "sqlite"
        and "LIMIT 2 - (SELECT COUNT(*) FROM Track) % 2" in query.sql
        and "OFFSET (SELECT (COUNT(*) - 1) / 2 FROM Track)" in query.sql
        for query in ANALYST_QUERIES
    )


@pytest.mark.parametrize("query", ANALYST_QUERIES, ids=lambda query: query.id)
def test_guard_accepts_analyst_query(query: AnalystQuery):
    statement = check_read_only(query.sql, query.dialect)
    assert isinstance(statement, str) and statement.strip()


@pytest.fixture(scope="module")
def runner_for() -> Iterator[Callable[[str], GuardedRunner]]:
    """One runner per database URL for the module, closed at the end."""
    runners: dict[str, GuardedRunner] = {}

    def get(url: str) -> GuardedRunner:
        if url not in runners:
            runners[url] = GuardedRunner(url, timeout_seconds=10, row_cap=1000)
        return runners[url]

    yield get
    for runner in runners.values():
        runner.close()


@pytest.mark.parametrize("query", ANALYST_QUERIES, ids=lambda query: query.id)
def test_analyst_query_runs_on_chinook(query: AnalystQuery, request: pytest.FixtureRequest, runner_for):
    database = request.getfixturevalue(f"{query.dialect}_chinook")
    result = runner_for(database.url).run(query.sql)
    assert result.columns, query.sql
    assert result.rows, f"no rows from: {query.sql}"
    assert all(len(row) == len(result.columns) for row in result.rows)
    if query.first_row is not None:
        assert _same_row(result.rows[0], query.first_row), (result.rows[0], query.first_row)
