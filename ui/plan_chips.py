"""The chips above a planned answer and what changing one does, for the Ask the Database page.

The page draws; this module decides. A chip's change never rewords the question: it edits the
plan itself (``core.sql.plan_edit``) and runs that plan (``SqlView.run_plan``) on the answer's own
connection, so what runs is exactly what the chips say. Errors are the core's ``WorkbenchError``s,
raised with their reason for the page to show in place of the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from core.errors import InvalidInput
from core.sql import plan_edit
from core.sql.plan_edit import Chip


@dataclass(frozen=True)
class ChipRow:
    """What the page shows above a planned answer."""

    chips: tuple[Chip, ...]  # every part, in the order the interpretation reads them
    period: str  # the period's label ("" when the plan reads no period, so none can be changed)
    limit: int | None  # the N of a top N (None when the plan is not one)
    widget_id: str  # tells one answer's widgets from the next one's, so inputs start fresh


def chip_row(answer) -> ChipRow | None:
    """The chips of a planned answer; None for certified, generated or typed answers (no plan to edit)."""
    plan = getattr(answer, "planned", None)
    if plan is None or answer.abstained:
        return None
    found = tuple(plan_edit.chips(plan))
    period = next((chip.label for chip in found if chip.key == "period"), "")
    # The history id is unique per run; an answer recorded nowhere still needs a stable id.
    return ChipRow(found, period, plan.limit, answer.history_id or "current")


def remove_part(database, answer, key: str):
    """The answer's plan run again without the part ``key`` names."""
    return _rerun(database, answer, lambda plan: plan_edit.without(plan, key))


def change_period(database, answer, phrase: str, today: dt.date | None = None):
    """The answer's plan run again over another period ("last quarter", "2023", "Q2 2024")."""
    phrase = " ".join(str(phrase or "").split())
    if not phrase:
        raise InvalidInput("Type a period to read the question over, e.g. 'last quarter', '2023' or 'Q2 2024'.")
    # The service reads relative periods from the same clock (dt.date.today) when it plans a question.
    today = today or dt.date.today()
    return _rerun(database, answer, lambda plan: plan_edit.with_period(plan, phrase, today))


def change_limit(database, answer, count):
    """The answer's plan run again as a top ``count``."""
    if count is None or int(count) != count:
        raise InvalidInput("Top N needs a whole number of at least 1.")
    return _rerun(database, answer, lambda plan: plan_edit.with_limit(plan, int(count)))


def _rerun(database, answer, change: Callable):
    plan = getattr(answer, "planned", None)
    if plan is None:
        raise InvalidInput("This answer was not read from a plan, so it has no parts to change; ask the question again.")
    return database.run_plan(change(plan), connection=answer.connection)
