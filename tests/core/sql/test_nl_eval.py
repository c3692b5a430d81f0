"""The product's promise on a database nobody here designed: a wrong number is worse than no number.

Chinook (SQLite) is connected to a fresh workbench with no LLM and only its schema trained; every
question of ``nl_questions.py`` is asked through the workspace's ``sql.ask`` and graded against
its gold query (``nl_scoring.py``). The test asserts ZERO wrong answers, whatever the share that
is answered: abstaining is allowed, answering a different question is not. The counts are
printed (``-s``) so each change to the planner is measured; ``bench/nl_sql.py`` prints the full
report, latency and the run after training question/SQL pairs.

The grader itself is tested first, on rows written here, so a lenient grader cannot hide a wrong
answer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env
from tests.core.sql.conftest import ChinookDatabase
from tests.core.sql.nl_questions import CHINOOK_QUESTIONS, CHINOOK_TODAY
from tests.core.sql.nl_questions_fresh import FRESH_QUESTIONS
from tests.core.sql.nl_scoring import ABSTAINED, CORRECT, WRONG, evaluate, grade, plain_rows, rows_match, tally


# --- the grader -----------------------------------------------------------------------------------

def test_numbers_match_across_types_and_float_noise():
    assert rows_match([(2328.600000000004,)], [(Decimal("2328.60"),)])
    assert rows_match([(5,)], [(5.0,)])
    assert rows_match([("2021", 83)], [(2021, 83)])
    assert not rows_match([(2328.61,)], [(2328.60,)])
    assert not rows_match([(412,)], [(21,)])


def test_dates_match_as_text_or_objects():
    assert rows_match([(dt.datetime(2021, 1, 1),)], [("2021-01-01 00:00:00",)])
    assert rows_match([("2025-03-12",)], [(dt.date(2025, 3, 12),)])
    assert not rows_match([("2025-03-11",)], [(dt.date(2025, 3, 12),)])


def test_extra_columns_and_column_order_are_allowed_missing_ones_are_not():
    gold = [("Rock",)]
    assert rows_match([(1297, "Rock")], gold)
    assert rows_match([("Jane", "Peacock", 21)], [("Peacock", "Jane")])
    assert not rows_match([(1297,)], gold)
    assert not rows_match([("Rock", 1297)], [("Rock", 1296)])


def test_rows_are_a_multiset_unless_the_question_orders_them():
    gold = [("USA", 91), ("Canada", 56)]
    assert rows_match([("Canada", 56), ("USA", 91)], gold)
    assert not rows_match([("Canada", 56), ("USA", 91)], gold, ordered=True)
    assert not rows_match([("USA", 91), ("USA", 91)], [("USA", 91), ("Canada", 91)])
    assert not rows_match([("USA", 91)], gold)


def test_columns_must_stay_together_row_by_row():
    # Each column alone matches, but the pairs differ: a different answer.
    assert not rows_match([("USA", 56), ("Canada", 91)], [("USA", 91), ("Canada", 56)])


def test_answering_an_unanswerable_question_is_wrong_and_abstaining_never_is():
    assert grade(answerable=False, abstained=False, rows=[(0,)], gold=None) == WRONG
    assert grade(answerable=False, abstained=True, rows=None, gold=None) == ABSTAINED
    assert grade(answerable=True, abstained=True, rows=None, gold=[(1,)]) == ABSTAINED
    assert grade(answerable=True, abstained=False, rows=[(1,)], gold=[(1,)]) == CORRECT
    assert grade(answerable=True, abstained=False, rows=[(2,)], gold=[(1,)]) == WRONG


# --- the evaluation ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chinook_workspace(tmp_path_factory, embedder, sqlite_chinook: ChinookDatabase):
    """A fresh workbench with no LLM, Chinook connected and only its schema trained."""
    data_dir = tmp_path_factory.mktemp("nl-eval") / "data"
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(data_dir), AW_LLM_PROVIDER="none")
    workbench = build_workbench(settings, embedder=embedder)
    workspace = workbench.workspace("chinook")
    workspace.sql.add_connection("chinook", sqlite_chinook.url)
    workspace.sql.train_schema()
    yield workspace
    workbench.close()


@pytest.mark.parametrize("questions", [CHINOOK_QUESTIONS, FRESH_QUESTIONS], ids=["first-set", "fresh-set"])
def test_no_question_about_chinook_is_answered_wrongly(chinook_workspace, sqlite_chinook: ChinookDatabase, questions):
    """Both sets: the one the planner was built against, and one written without reading the planner."""
    assert not chinook_workspace.sql.llm_status()[0], "the promise is measured without an LLM"
    outcomes = evaluate(chinook_workspace.sql, questions, lambda sql: plain_rows(sqlite_chinook.url, sql),
                        today=CHINOOK_TODAY)
    counts = tally(outcomes)
    answerable = sum(q.answerable for q in questions)
    print(f"\nChinook, schema only, no LLM: {counts['answerable_correct']}/{answerable} correct, "
          f"{counts['answerable_wrong']} wrong, {counts['answerable_abstained']} abstained; "
          f"{len(questions) - answerable} unanswerable: {counts['unanswerable_abstained']} abstained, "
          f"{counts['unanswerable_wrong']} answered")
    crashed = [(o.question.question, o.error, o.message) for o in outcomes if o.error]
    assert not crashed, f"ask raised something other than 'cannot answer': {crashed}"
    wrong = [(o.question.question, o.sql) for o in outcomes if o.outcome == WRONG]
    assert not wrong, "answered a different question:\n" + "\n".join(f"- {q}\n  {sql}" for q, sql in wrong)
