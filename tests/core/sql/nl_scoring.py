"""How an answer to an evaluation question is graded: correct, wrong or abstained.

Shared by ``tests/core/sql/test_nl_eval.py`` and ``bench/nl_sql.py`` so the test and the
benchmark never disagree about what "correct" means.

An answer's rows are correct when they equal the gold query's rows:

- values are compared after normalising: numbers (int, float, Decimal) rounded to 2 decimals,
  so 5, 5.0 and Decimal('5.00') are equal and SQLite's 2328.600000000004 equals 2328.60;
  dates and timestamps as ISO text ('2021-01-01 00:00:00'), text stripped, and text that is a
  number ('2021') as that number;
- column names and column order are ignored, and the answer may carry extra columns (a count
  next to the name a "which genre has the most tracks?" asks for): it is correct when some of
  its columns, one per gold column, hold exactly the gold rows;
- rows are compared as multisets, or in order for questions marked ``ordered``.

A question that is not answerable is graded "abstained" when the product abstained and "wrong"
when it answered anything.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Sequence

import sqlalchemy

from tests.core.sql.nl_questions import NLQuestion

CORRECT, WRONG, ABSTAINED = "correct", "wrong", "abstained"
OUTCOMES = (CORRECT, WRONG, ABSTAINED)
_NUMERIC_TEXT = re.compile(r"^-?\d+(\.\d+)?$")
# More column assignments than this is a result far wider than any gold one: graded wrong.
_MAX_ASSIGNMENTS = 20_000


def normalise(value: Any) -> Any:
    """A value in the form rows are compared in (see the module docstring)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        rounded = round(float(value), 2)
        return 0.0 if rounded == 0 else rounded  # -0.0 and 0.0 are the same answer
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return f"{value.isoformat()} 00:00:00"
    if isinstance(value, str):
        text = value.strip()
        # SQLite stores Chinook's dates as 'YYYY-MM-DD 00:00:00' text and the demo's as 'YYYY-MM-DD':
        # a date read back as an object compares equal to either.
        if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
            return f"{text} 00:00:00"
        if _NUMERIC_TEXT.match(text):  # a year grain may come back as '2021' or as 2021
            return normalise(float(text))
        return text
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return str(value)


def plain_rows(url: str, sql: str) -> list[tuple]:
    """The rows of a gold query, read with an ordinary SQLAlchemy engine, never through the product
    (``text`` so the '%' of a date format is not taken for a placeholder)."""
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sqlalchemy.text(sql)).all()]
    finally:
        engine.dispose()


def normalise_rows(rows: Sequence[Sequence[Any]]) -> list[tuple]:
    return [tuple(normalise(value) for value in row) for row in rows]


def _key(value: Any) -> tuple[str, str]:
    """A sortable, hashable stand-in for a normalised value of any type."""
    return (type(value).__name__, repr(value))


def rows_match(answer: Sequence[Sequence[Any]], gold: Sequence[Sequence[Any]], *, ordered: bool = False) -> bool:
    """Whether ``answer`` holds exactly ``gold``'s rows, allowing extra columns (see the module docstring)."""
    answer_rows, gold_rows = normalise_rows(answer), normalise_rows(gold)
    if len(answer_rows) != len(gold_rows):
        return False
    if not gold_rows:
        return True
    gold_width, answer_width = len(gold_rows[0]), len(answer_rows[0])
    if answer_width < gold_width:
        return False

    def column(rows: list[tuple], index: int) -> list:
        return [row[index] for row in rows]

    def same(left: list, right: list) -> bool:
        if ordered:
            return [_key(v) for v in left] == [_key(v) for v in right]
        return Counter(_key(v) for v in left) == Counter(_key(v) for v in right)

    # Which answer columns could stand for each gold column, judged column by column first.
    candidates = [[a for a in range(answer_width) if same(column(answer_rows, a), column(gold_rows, g))]
                  for g in range(gold_width)]
    if any(not found for found in candidates):
        return False
    expected = [tuple(_key(v) for v in row) for row in gold_rows]
    for tried, assignment in enumerate(itertools.product(*candidates)):
        if tried >= _MAX_ASSIGNMENTS:
            return False
        if len(set(assignment)) < len(assignment):
            continue
        projected = [tuple(_key(row[a]) for a in assignment) for row in answer_rows]
        if (projected == expected) if ordered else (Counter(projected) == Counter(expected)):
            return True
    return False


def grade(*, answerable: bool, abstained: bool, rows: Sequence[Sequence[Any]] | None,
          gold: Sequence[Sequence[Any]] | None, ordered: bool = False) -> str:
    """CORRECT, WRONG or ABSTAINED for one answer (``rows`` is None when it abstained)."""
    if abstained or rows is None:
        return ABSTAINED
    if not answerable or gold is None:
        return WRONG
    return CORRECT if rows_match(rows, gold, ordered=ordered) else WRONG


# --- asking every question of a set through a workspace's SqlView ---------------------------------

# What the product raises when it cannot answer: it said so, and showed no number.
_CANNOT_ANSWER = ("LLMUnavailable", "NotFound", "InvalidInput")


@dataclass(frozen=True)
class Outcome:
    """How the product did on one question: the grade, the SQL it ran, how long ``ask`` took."""

    question: NLQuestion
    outcome: str
    sql: str = ""
    seconds: float = 0.0
    rows: int | None = None  # how many rows it answered with; None when it abstained
    source: str = ""  # "certified", "generated"... as the answer says
    message: str = ""  # why it abstained, or the error it raised
    error: str = ""  # the class of an exception ask raised ("" when it returned)

    def as_dict(self) -> dict[str, Any]:
        return {"question": self.question.question, "category": self.question.category,
                "answerable": self.question.answerable, "outcome": self.outcome, "sql": self.sql,
                "seconds": round(self.seconds, 4), "rows": self.rows, "source": self.source,
                "message": self.message, "error": self.error}


def evaluate(sql_view: Any, questions: Sequence[NLQuestion], gold_rows: Callable[[str], Sequence[tuple]], *,
             today: dt.date, connection: Any = None) -> list[Outcome]:
    """Ask every question through ``sql_view.ask`` (a workspace's ``.sql``) and grade the answers.

    ``gold_rows(sql)`` runs a gold query on the same database, independently of the product. An
    exception from ``ask`` is an abstention (no number was shown): the "cannot answer" kinds as
    such, any other kept in ``error`` so a report can list product failures apart.
    """
    outcomes = []
    for question in questions:
        gold = gold_rows(question.gold_sql) if question.answerable else None
        started = time.perf_counter()
        try:
            answer = sql_view.ask(question.question, connection=connection, today=today)
        except Exception as raised:  # graded, not hidden: the class and message are kept
            elapsed = time.perf_counter() - started
            kind = type(raised).__name__
            outcomes.append(Outcome(question, ABSTAINED, getattr(raised, "sql", "") or "", elapsed,
                                    message=" ".join(str(raised).split())[:300],
                                    error="" if kind in _CANNOT_ANSWER else kind))
            continue
        elapsed = time.perf_counter() - started
        rows = None if answer.abstained or answer.result is None else answer.result.rows
        outcome = grade(answerable=question.answerable, abstained=rows is None, rows=rows, gold=gold,
                        ordered=question.ordered)
        outcomes.append(Outcome(question, outcome, answer.sql, elapsed, None if rows is None else len(rows),
                                answer.source, " ".join((answer.message or "").split())[:300]))
    return outcomes


def tally(outcomes: Sequence[Outcome]) -> dict[str, int]:
    """Counts per grade, over the answerable questions and the others apart."""
    counts = {f"answerable_{grade_}": 0 for grade_ in OUTCOMES}
    counts.update(unanswerable_wrong=0, unanswerable_abstained=0)  # nothing is "correct" but abstaining
    for outcome in outcomes:
        kind = "answerable" if outcome.question.answerable else "unanswerable"
        counts[f"{kind}_{outcome.outcome}"] += 1
    counts["wrong"] = counts["answerable_wrong"] + counts["unanswerable_wrong"]
    counts["errors"] = sum(1 for outcome in outcomes if outcome.error)
    return counts
