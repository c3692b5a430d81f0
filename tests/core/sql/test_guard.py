"""The parser layer on its own: every hostile statement is refused for the right reason, and
harmless reads pass through with only comments and semicolons removed."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, UnsafeSQL
from core.sql.functions import never_allowed_reason as denied_function_reason
from core.sql.guard import MAX_SQL_CHARS, check_read_only, normalise_dialect
from tests.core.sql.hostile_statements import ALL, HARMLESS, HOSTILE, render

HOSTILE_CASES = [
    pytest.param(case, dialect, id=f"{dialect}-{index}")
    for index, case in enumerate(HOSTILE)
    for dialect in case.dialects
]
HARMLESS_CASES = [
    pytest.param(render(case.sql, dialect), dialect, id=f"{dialect}-{index}")
    for index, case in enumerate(HARMLESS)
    for dialect in case.dialects
]


def test_the_table_is_large_and_covers_every_dialect():
    assert len(HOSTILE) >= 100
    for dialect in ALL:
        assert sum(dialect in case.dialects for case in HOSTILE) >= 60
        assert sum(dialect in case.dialects for case in HARMLESS) >= 15


@pytest.mark.parametrize(("case", "dialect"), HOSTILE_CASES)
def test_hostile_statement_is_refused_with_its_reason(case, dialect):
    with pytest.raises(UnsafeSQL) as refused:
        check_read_only(case.sql, dialect)
    message = str(refused.value)
    assert case.reason in message
    assert message.endswith(".")
    assert refused.value.kind == "unsafe_sql"


@pytest.mark.parametrize(("sql", "dialect"), HARMLESS_CASES)
def test_harmless_read_is_accepted(sql, dialect):
    checked = check_read_only(sql, dialect)
    assert checked
    assert not checked.endswith(";")
    # What runs is what was typed, minus comments: re-checking it changes nothing.
    assert check_read_only(checked, dialect) == checked


@pytest.mark.parametrize("dialect", ALL)
def test_clean_statement_comes_back_unchanged(dialect):
    sql = "SELECT a, b + 1 AS c\nFROM t\tWHERE d = :d AND e LIKE 'x%' ORDER BY a LIMIT 10"
    assert check_read_only(f"  {sql} ;\n", dialect) == sql


@pytest.mark.parametrize("dialect", ALL)
def test_comments_are_removed_from_what_runs(dialect):
    checked = check_read_only("/* lead */ SELECT 1 AS one -- trailing ; DROP TABLE t\n, 2 AS two", dialect)
    assert checked == "SELECT 1 AS one , 2 AS two"
    assert "DROP" not in checked


def test_mysql_comment_styles_are_removed_not_passed_on():
    assert check_read_only("SELECT 1 # hash comment\n", "mysql") == "SELECT 1"
    # MySQL does not nest comments: the text after the first */ is live SQL and is checked.
    with pytest.raises(UnsafeSQL, match="LOAD_FILE"):
        check_read_only("SELECT 1 /* a /* b */, LOAD_FILE('/etc/passwd') /* c */", "mysql")


def test_postgres_keeps_casts_parameters_and_percent_signs():
    sql = "SELECT x::int, 'a%b' FROM t WHERE y = ANY(:ids) AND z ILIKE :pattern"
    assert check_read_only(sql, "postgres") == sql


def test_odd_whitespace_between_words_becomes_a_plain_space():
    assert check_read_only("SELECT\u00a01", "postgres") == "SELECT 1"


def test_explain_keeps_its_options():
    assert check_read_only("EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1", "postgres") == "EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1"
    assert check_read_only("explain query plan select 1", "sqlite") == "explain query plan select 1"
    assert check_read_only("EXPLAIN FORMAT=JSON SELECT 1", "mysql") == "EXPLAIN FORMAT=JSON SELECT 1"


def test_multiple_statements_are_counted_ignoring_empty_ones():
    with pytest.raises(UnsafeSQL, match=r"found 4\."):
        check_read_only("SELECT 1;; SELECT 2; ;SELECT 3;SELECT 4;", "sqlite")
    assert check_read_only(";; SELECT 1 ;;", "sqlite") == "SELECT 1"


@pytest.mark.parametrize(("dialect", "label"), [("sqlite", "SQLite"), ("postgres", "PostgreSQL"), ("mysql", "MySQL/MariaDB")])
def test_parse_errors_name_the_dialect_and_where(dialect, label):
    with pytest.raises(UnsafeSQL) as refused:
        check_read_only("SELECT a FROM t WHERE (b = 1", dialect)
    message = str(refused.value)
    assert message.startswith(f"The SQL could not be parsed for {label}:")
    assert "line 1" in message


def test_a_string_valid_in_one_dialect_can_be_unparseable_in_another():
    # MySQL strings take backslash escapes; PostgreSQL's standard strings do not.
    assert check_read_only("SELECT 'it\\'s'", "mysql") == "SELECT 'it\\'s'"
    with pytest.raises(UnsafeSQL, match="could not be parsed for PostgreSQL"):
        check_read_only("SELECT 'it\\'s'", "postgres")


def test_invisible_characters_inside_strings_are_data():
    sql = "SELECT 'family: 👨\u200d👩\u200d👧' AS s"
    assert check_read_only(sql, "postgres") == sql


def test_too_long_sql_is_refused_before_parsing():
    with pytest.raises(UnsafeSQL, match="too long"):
        check_read_only("SELECT 1 " + " " * MAX_SQL_CHARS, "sqlite")


def test_dialect_names_and_aliases():
    assert normalise_dialect("PostgreSQL") == "postgres"
    assert normalise_dialect("mariadb") == "mysql"
    assert normalise_dialect(" sqlite ") == "sqlite"
    with pytest.raises(InvalidInput, match="Unknown SQL dialect 'oracle'"):
        check_read_only("SELECT 1", "oracle")


def test_denied_functions_match_case_and_width_insensitively_and_by_family():
    assert denied_function_reason("PG_READ_FILE") == denied_function_reason("pg_read_file") is not None
    assert denied_function_reason("ｓｌｅｅｐ") is not None
    assert denied_function_reason("dblink_connect_u") is not None
    assert denied_function_reason("pg_ls_waldir") is not None
    assert denied_function_reason("upper") is None
    assert denied_function_reason("pg_size_pretty") is None


def test_alias_column_lists_are_not_mistaken_for_calls():
    sql = "SELECT * FROM (VALUES (1)) AS sleep(a)"
    assert check_read_only(sql, "postgres") == sql
