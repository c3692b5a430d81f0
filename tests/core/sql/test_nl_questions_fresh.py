"""The fresh Chinook question set is sound: each gold query runs on the real file and answers,
the questions are unique, well formed, and none is a copy of a question in the first set (a copy
would measure the first set again instead of checking generality).

Gold queries are read with plain SQLAlchemy on the session's copy of the Chinook file, never
through the product.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.core.sql.conftest import ChinookDatabase
from tests.core.sql.nl_questions import AMBIGUOUS, CATEGORIES, CHINOOK_QUESTIONS, UNANSWERABLE, NLQuestion
from tests.core.sql.nl_questions_fresh import FRESH_QUESTIONS
from tests.core.sql.nl_scoring import plain_rows

FRESH_GOLD = [q for q in FRESH_QUESTIONS if q.answerable]


def _id(question: NLQuestion) -> str:
    return re.sub(r"[^a-z0-9]+", "-", question.question.lower()).strip("-")[:60]


def _text(question: NLQuestion) -> str:
    """A question's text as compared between sets: case and spacing do not make it new."""
    return " ".join(question.question.lower().split())


def test_the_fresh_questions_are_unique_and_well_formed():
    texts = [_text(q) for q in FRESH_QUESTIONS]
    assert len(texts) == len(set(texts)), [t for t, n in Counter(texts).items() if n > 1]
    assert len(FRESH_QUESTIONS) >= 60
    for question in FRESH_QUESTIONS:
        assert question.category in CATEGORIES, question.question
        assert question.answerable != (question.category in (UNANSWERABLE, AMBIGUOUS)), question.question
        assert bool(question.gold_sql) == question.answerable, question.question
        assert question.notes, f"say what the answer is or why it cannot be given: {question.question}"
    counts = Counter(q.category for q in FRESH_QUESTIONS)
    assert all(counts[category] >= 4 for category in CATEGORIES), counts
    assert sum(not q.answerable for q in FRESH_QUESTIONS) >= 10


def test_no_fresh_question_repeats_the_first_set():
    first = {_text(q) for q in CHINOOK_QUESTIONS}
    assert not [q.question for q in FRESH_QUESTIONS if _text(q) in first]


@pytest.mark.parametrize("question", FRESH_GOLD, ids=_id)
def test_every_fresh_gold_query_answers_on_the_real_file(sqlite_chinook: ChinookDatabase, question):
    rows = plain_rows(sqlite_chinook.url, question.gold_sql)
    assert rows, f"the gold query returns no rows: {question.question}"
    assert all(value is not None for value in rows[0]) or len(rows) > 1, f"the gold answer is NULL: {question.question}"
