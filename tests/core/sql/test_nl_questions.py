"""The evaluation sets of issue 13 are sound: every gold query runs and returns an answer, on the
real Chinook file and the generated demo, and Chinook's gold answers are the same on SQLite,
PostgreSQL and MariaDB.

The gold queries are read with plain SQLAlchemy, never through the product, so a product bug
cannot make a gold answer look right. The PostgreSQL and MariaDB versions are sqlglot's
translation of the SQLite query (with Chinook's snake_case names on PostgreSQL) unless a question
carries a hand-written one.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from core.demo import DB_FILENAME, generate_demo
from tests.core.sql.conftest import ChinookDatabase
from tests.core.sql.nl_questions import AMBIGUOUS, CATEGORIES, CHINOOK_QUESTIONS, UNANSWERABLE, NLQuestion
from tests.core.sql.nl_questions_demo import DEMO_QUESTIONS, DEMO_TODAY
from tests.core.sql.nl_scoring import normalise_rows, plain_rows, rows_match

CHINOOK_GOLD = [q for q in CHINOOK_QUESTIONS if q.answerable]
DEMO_GOLD = [q for q in DEMO_QUESTIONS if q.answerable]
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _id(question: NLQuestion) -> str:
    return re.sub(r"[^a-z0-9]+", "-", question.question.lower()).strip("-")[:60]


def snake_case(sql: str) -> str:
    """The SQLite query in PostgreSQL, with Chinook's PostgreSQL names: tables and columns in
    snake_case (``InvoiceLine.UnitPrice`` is ``invoice_line.unit_price``). Aliases are lower case already."""
    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Identifier) and not node.quoted:
            return exp.to_identifier(_CAMEL.sub("_", node.name).lower())
        return node

    return sqlglot.parse_one(sql, read="sqlite").transform(rename).sql(dialect="postgres")


def engine_sql(question: NLQuestion, dialect: str) -> str:
    """The gold query for ``dialect``: hand-written if the question has one, else translated."""
    if dialect == "postgres":
        return question.postgres_sql or snake_case(question.gold_sql)
    return question.mysql_sql or sqlglot.transpile(question.gold_sql, read="sqlite", write="mysql")[0]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    demo_dir = tmp_path_factory.mktemp("nl-demo")
    generate_demo(demo_dir, today=DEMO_TODAY)
    return f"sqlite:///{Path(demo_dir) / DB_FILENAME}"


@pytest.mark.parametrize("questions, least, least_abstaining", [(CHINOOK_QUESTIONS, 75, 15), (DEMO_QUESTIONS, 30, 5)],
                         ids=["chinook", "demo"])
def test_the_sets_are_well_formed(questions, least, least_abstaining):
    texts = [q.question for q in questions]
    assert len(texts) == len(set(texts)), [t for t, n in Counter(texts).items() if n > 1]
    assert len(questions) >= least
    assert all(q.category in CATEGORIES for q in questions)
    for question in questions:
        abstaining = question.category in (UNANSWERABLE, AMBIGUOUS)
        assert question.answerable != abstaining, question.question
        assert bool(question.gold_sql) == question.answerable, question.question
        assert question.notes, f"say what the answer is or why it cannot be given: {question.question}"
    assert sum(not q.answerable for q in questions) >= least_abstaining


def test_chinook_covers_every_kind_of_question():
    counts = Counter(q.category for q in CHINOOK_QUESTIONS)
    assert all(counts[category] >= 4 for category in CATEGORIES if category != AMBIGUOUS), counts
    assert counts[AMBIGUOUS] >= 3


def _assert_is_an_answer(rows: list[tuple], question: NLQuestion) -> None:
    assert rows, f"the gold query returns no rows: {question.question}"
    assert all(value is not None for value in rows[0]) or len(rows) > 1, \
        f"the gold answer is NULL: {question.question}"


@pytest.mark.parametrize("question", CHINOOK_GOLD, ids=_id)
def test_every_chinook_gold_query_answers_on_the_real_file(sqlite_chinook: ChinookDatabase, question):
    _assert_is_an_answer(plain_rows(sqlite_chinook.url, question.gold_sql), question)


@pytest.mark.parametrize("question", DEMO_GOLD, ids=_id)
def test_every_demo_gold_query_answers_on_the_generated_demo(demo_url: str, question):
    _assert_is_an_answer(plain_rows(demo_url, question.gold_sql), question)


@pytest.fixture(scope="module")
def sqlite_gold(sqlite_chinook: ChinookDatabase) -> dict[str, list[tuple]]:
    return {q.question: plain_rows(sqlite_chinook.url, q.gold_sql) for q in CHINOOK_GOLD}


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
@pytest.mark.parametrize("question", CHINOOK_GOLD, ids=_id)
def test_chinook_gold_answers_agree_on_every_engine(request, sqlite_gold, question, engine):
    database: ChinookDatabase = request.getfixturevalue(f"{engine}_chinook")
    rows = plain_rows(database.url, engine_sql(question, engine))
    expected = sqlite_gold[question.question]
    assert rows and len(rows[0]) == len(expected[0]), question.question
    assert rows_match(rows, expected, ordered=question.ordered), (
        f"{engine} disagrees with SQLite on {question.question!r}:\n{normalise_rows(rows)[:5]}\n"
        f"{normalise_rows(expected)[:5]}")


def test_the_postgres_names_are_chinooks_snake_case():
    question = next(q for q in CHINOOK_GOLD if "InvoiceLine" in q.gold_sql and "MediaType" in q.gold_sql)
    translated = engine_sql(question, "postgres")
    assert "invoice_line" in translated and "media_type_id" in translated and "unit_price" in translated
    assert not re.search(r"\b[A-Z][a-z]+[A-Z]", translated), translated
