"""The function allow-list costs analysts none of the reads the product itself ships: every
function the demo's certified queries and the notebooks call is allowed in its dialect, and the
tables stay the source of truth (no dialect lists a function the review found dangerous)."""

from __future__ import annotations

import json
import re

import pytest

from core.demo.training import CERTIFIED_QUERIES
from core.errors import UnsafeSQL
from core.sql.functions import ALLOWED_FUNCTIONS, NEVER_ALLOWED, function_refusal, never_allowed_reason
from core.sql.guard import check_read_only
from tests.conftest import ROOT

_NOT_ALLOWED = re.compile(r"function \S+ is not allowed|\(\) is not allowed")


def _notebook_sql() -> list[tuple[str, str]]:
    """(notebook, SQL) for every string literal in a code cell that starts like a query."""
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        source = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
        for match in re.finditer(r'"((?:SELECT|WITH)\b(?:[^"\\]|\\.)*)"', source, re.IGNORECASE | re.DOTALL):
            found.append((path.name, match.group(1).replace('\\"', '"')))
    return found


NOTEBOOK_SQL = _notebook_sql()


def test_the_notebooks_have_queries_to_check():
    assert len(NOTEBOOK_SQL) >= 5


@pytest.mark.parametrize("query", CERTIFIED_QUERIES, ids=lambda q: q.question[:50])
def test_every_demo_certified_query_passes_the_guard(query):
    assert check_read_only(query.sql, "sqlite")


@pytest.mark.parametrize(("notebook", "sql"), NOTEBOOK_SQL, ids=[f"{n}-{i}" for i, (n, _) in enumerate(NOTEBOOK_SQL)])
def test_no_notebook_query_is_refused_for_a_function(notebook, sql):
    # Some notebook cells show a refusal on purpose (two statements); none may be refused for a function.
    try:
        check_read_only(sql, "sqlite")
    except UnsafeSQL as refused:
        assert not _NOT_ALLOWED.search(str(refused)), f"{notebook}: {refused}"


@pytest.mark.parametrize("dialect", sorted(ALLOWED_FUNCTIONS))
def test_no_dialect_allows_a_function_that_is_never_allowed(dialect):
    assert not [name for name in ALLOWED_FUNCTIONS[dialect] if never_allowed_reason(name)]


def test_never_allowed_names_are_refused_in_every_dialect_even_as_extras():
    for name in NEVER_ALLOWED:
        for dialect in ALLOWED_FUNCTIONS:
            assert function_refusal(name, "", dialect, frozenset({name})) is not None


def test_qualified_calls_need_the_builtin_schema_or_a_qualified_extra():
    assert function_refusal("lower", "pg_catalog", "postgres") is None
    assert function_refusal("lower", "evil", "postgres") is not None
    assert function_refusal("fiscal_quarter", "analytics", "postgres", frozenset({"analytics.fiscal_quarter"})) is None
    assert function_refusal("fiscal_quarter", "other", "postgres", frozenset({"analytics.fiscal_quarter"})) is not None
