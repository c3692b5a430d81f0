"""A plan's parts as chips an analyst can change: drop a filter or a grouping, change the period or the N.

``chips(plan)`` lists the parts in plain words ("revenue (SUM of InvoiceLine.UnitPrice × ...)",
"by Genre", "Invoice.BillingCountry is 'Brazil'", "in 2023 (...)", "top 5"); ``without(plan, key)``,
``with_period(plan, phrase, today)`` and ``with_limit(plan, n)`` return the changed plan, which the
service compiles and runs like any other (``SqlService.run_plan``): a changed chip re-plans from
the plan itself, never from reworded text, so what runs is exactly what the chips say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from core.errors import InvalidInput
from core.sql.dates import resolve_date_phrase
from core.sql.plan import Period, Plan


@dataclass(frozen=True)
class Chip:
    key: str  # "measure", "group:0", "filter:1", "period", "compare", "having", "limit"
    label: str
    removable: bool


def chips(plan: Plan) -> list[Chip]:
    """The plan's parts, in the order the interpretation reads them."""
    found = [Chip("measure", plan.measure.describe(), False)]
    found += [Chip(f"group:{i}", f"by {g.describe()}", True) for i, g in enumerate(plan.groups)]
    found += [Chip(f"filter:{i}", f.describe(), True) for i, f in enumerate(plan.filters)]
    if plan.period is not None:
        found.append(Chip("period", plan.period.describe(), True))
    if plan.comparison is not None:
        found.append(Chip("compare", plan.comparison.describe(), False))
    if plan.having is not None:
        found.append(Chip("having", f"only where it is {plan.having[0]} {plan.having[1]:g}", True))
    if plan.limit is not None:
        found.append(Chip("limit", ("top " if plan.descending else "bottom ") + str(plan.limit), True))
    return found


def without(plan: Plan, key: str) -> Plan:
    """The plan without the part ``key`` names (a chip's key)."""
    kind, _, index = key.partition(":")
    if kind == "group":
        groups = _drop(plan.groups, index, key)
        if not groups and (plan.limit is not None or plan.descending is not None):
            raise InvalidInput("A top N needs something to rank: keep at least one grouping, or remove the top N.")
        return replace(plan, groups=groups)
    if kind == "filter":
        return replace(plan, filters=_drop(plan.filters, index, key))
    if kind == "period" and plan.period is not None:
        return replace(plan, period=None)
    if kind == "having" and plan.having is not None:
        return replace(plan, having=None)
    if kind == "limit" and plan.limit is not None:
        return replace(plan, limit=None, descending=None)
    raise InvalidInput(f"The plan has no removable part {key!r}.")


def with_period(plan: Plan, phrase: str, today: dt.date) -> Plan:
    """The plan read over another period ("last quarter", "in 2023"), on the same date column."""
    if plan.period is None:
        raise InvalidInput("This plan has no date to read a period on; ask the question with the period instead.")
    return replace(plan, period=Period(plan.period.column, resolve_date_phrase(phrase, today)))


def with_limit(plan: Plan, count: int) -> Plan:
    """Another N for a top N."""
    if plan.limit is None:
        raise InvalidInput("This plan is not a top N.")
    if count < 1:
        raise InvalidInput("Top N needs a number of at least 1.")
    return replace(plan, limit=count)


def _drop(parts: tuple, index: str, key: str) -> tuple:
    if not index.isdigit() or int(index) >= len(parts):
        raise InvalidInput(f"The plan has no part {key!r}.")
    return parts[:int(index)] + parts[int(index) + 1:]
