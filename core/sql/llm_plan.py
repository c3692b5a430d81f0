"""With an LLM: the model proposes a plan as JSON, which is checked against the semantic model and
compiled like any plan (issue 13.5). The model never writes SQL on this path.

``plan_schema(model)`` is the JSON schema the reply must match: table, column and metric names
are enums of the model's own, so constrained decoding cannot invent one, and anything the
schema cannot hold is refused here with the reason (a sum of a text column, a value the column
does not hold, a join that could count rows twice). When the question needs something the plan
language cannot express, the model says ``"unsupported"`` and the service falls back to
LLM-written SQL, labelled as not verified.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Sequence

from core.errors import InvalidInput
from core.llm.base import Message
from core.sql.dates import DateRange
from core.sql.plan import GRAINS, OPERATORS, Filter, Grouping, Measure, Period, Plan
from core.sql.semantic import Column, Entity, SemanticModel

_KINDS = ("count", "sum", "avg", "min", "max", "metric", "list")
_MAX_VALUES_SHOWN = 12


def plan_schema(model: SemanticModel) -> dict:
    """The JSON schema of a plan over ``model`` (names as enums)."""
    tables = [entity.name for entity in model.entities]
    columns = [column.ref for column in model.columns() if column.kind != "key"] or [""]
    metrics = list(dict.fromkeys(metric.name for metric in model.metrics)) or [""]
    column = {"type": "string", "enum": columns}
    return {
        "type": "object",
        "properties": {
            "unsupported": {"type": "boolean"},
            "reason": {"type": "string"},
            "measure": {"type": "object", "properties": {
                "kind": {"type": "string", "enum": list(_KINDS)},
                "table": {"type": "string", "enum": tables},
                "column": column,
                "metric": {"type": "string", "enum": metrics}},
                "required": ["kind", "table"]},
            "group_by": {"type": "array", "items": {"type": "object", "properties": {
                "column": column, "table": {"type": "string", "enum": tables},
                "grain": {"type": "string", "enum": ["", *GRAINS]}}}},
            "filters": {"type": "array", "items": {"type": "object", "properties": {
                "column": column, "op": {"type": "string", "enum": [op for op in OPERATORS if op not in ("in", "null", "notnull")]},
                "value": {"type": ["string", "number"]}}, "required": ["column", "op", "value"]}},
            "period": {"type": "object", "properties": {
                "column": column, "start": {"type": "string"}, "end": {"type": "string"}}},
            "order": {"type": "string", "enum": ["", "desc", "asc"]},
            "limit": {"type": "integer", "minimum": 1},
        },
        # no required keys: {"unsupported": true, "reason": ...} is a whole reply; read_plan wants a measure
    }


def plan_prompt(question: str, model: SemanticModel, today: dt.date, *, budget_chars: int = 6000) -> list[Message]:
    """The messages that ask for a plan: the tables with their columns and kinds, the joins, the metrics,
    the analyst's notes, trimmed to ``budget_chars`` (largest tables last, so small ones always fit)."""
    lines = []
    for entity in sorted(model.entities, key=lambda e: len(e.columns)):
        described = ", ".join(_column_text(c) for c in entity.columns if c.kind != "key")
        lines.append(f"- {entity.name}: {described}")
    joins = [f"- {r.child}.{'+'.join(r.child_columns)} -> {r.parent}" for r in model.relationships]
    metrics = [f"- {m.name}: {m.formulas[0].describe()}" for m in model.metrics]
    parts = ["Tables (columns with their kind):", *lines, "Each row of a table belongs to one row of:", *joins]
    if metrics:
        parts += ["Metrics (use kind 'metric' with its name):", *metrics]
    if model.notes:
        parts += ["Notes from the analysts:", *[f"- {note}" for note in model.notes]]
    context = "\n".join(parts)
    if len(context) > budget_chars:
        context = context[:budget_chars].rsplit("\n", 1)[0] + "\n- (more tables left out to fit)"
    system = (
        "You turn an analyst's question about a database into a JSON plan. Use only the tables, columns and "
        "metrics listed. measure.kind is count (rows of measure.table), sum/avg/min/max (of measure.column), "
        "metric (measure.metric) or list (the rows of measure.table). group_by lists columns (with a grain "
        "year/month/day for dates) or tables. filters compare a column with a value exactly as stored. "
        "period gives start and end dates (YYYY-MM-DD, inclusive) on a date column. order and limit make a "
        f"top N. Today is {today.isoformat()}. If the question cannot be answered this way, reply "
        '{"unsupported": true, "reason": "..."} instead.\n\n' + context)
    return [Message.system(system), Message.user(question)]


def read_plan(data: dict[str, Any], model: SemanticModel, *,
              values_of: Callable[[Column], Sequence[str]] = lambda column: column.values) -> Plan:
    """The model's JSON as a plan over ``model``; raises ``InvalidInput`` saying what does not fit."""
    if data.get("unsupported"):
        raise InvalidInput(f"The model says the plan language cannot express it: {data.get('reason') or 'no reason'}.")
    raw = data.get("measure") or {}
    if not raw:
        raise InvalidInput("The model's plan has no measure.")
    kind, entity = raw.get("kind"), _entity(model, raw.get("table"))
    if kind not in _KINDS:
        raise InvalidInput(f"The model's plan has no measure kind it can use ({kind!r}).")
    if kind == "metric":
        metric = next((m for m in model.metrics if m.name == raw.get("metric")), None)
        if metric is None:
            raise InvalidInput(f"The model named a metric this database has not got ({raw.get('metric')!r}).")
        formula = metric.formulas[0]
        measure = Measure(formula.aggregate if formula.expression else "sum", model.entity(formula.table),
                          metric=metric, formula=formula)
    elif kind in ("count", "list"):
        measure = Measure(kind, entity)
    else:
        column = _column(model, raw.get("column"))
        if column.kind != "number":
            raise InvalidInput(f"The model asked for the {kind} of {column.ref}, which is not a number.")
        measure = Measure(kind, model.entity(column.table), column)
    groups = tuple(_grouping(model, item) for item in data.get("group_by") or [])
    filters = tuple(_filter(model, item, values_of) for item in data.get("filters") or [])
    if measure.formula is not None:
        named = {f.column for f in filters}
        filters += tuple(Filter(e.column, "!=", v, f"{v} is no sale") for e in measure.formula.exclusions
                         if e.column not in named for v in e.values)
    period = _period(model, data.get("period"))
    order, limit = data.get("order") or "", data.get("limit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise InvalidInput("The model's plan has a limit that is not a positive whole number.")
    descending = None if not order and limit is None else order != "asc"
    if limit is not None and not groups:
        raise InvalidInput("The model's plan asks for a top N of nothing: it has no grouping.")
    return Plan(measure, groups, filters, period, descending, limit)


def _column_text(column: Column) -> str:
    if column.kind == "category" and column.values:
        shown = ", ".join(repr(v) for v in column.values[:_MAX_VALUES_SHOWN])
        return f"{column.name} (category: {shown})"
    return f"{column.name} ({column.kind})"


def _entity(model: SemanticModel, name: Any) -> Entity:
    try:
        return model.entity(str(name))
    except KeyError:
        raise InvalidInput(f"The model named a table this database has not got ({name!r}).") from None


def _column(model: SemanticModel, reference: Any) -> Column:
    try:
        return model.resolve(str(reference or ""))
    except (KeyError, StopIteration, AttributeError):
        raise InvalidInput(f"The model named a column this database has not got ({reference!r}).") from None


def _grouping(model: SemanticModel, item: dict) -> Grouping:
    if item.get("column"):
        column = _column(model, item["column"])
        grain = item.get("grain") or ""
        if grain and column.kind != "date":
            raise InvalidInput(f"The model grouped {column.ref} by {grain}, but it is not a date.")
        if not grain and column.kind not in ("category", "text", "date"):
            raise InvalidInput(f"The model grouped by {column.ref}, which is not a category or a name.")
        return Grouping(column=column, grain=grain)
    entity = _entity(model, item.get("table"))
    return Grouping(entity=entity)


def _filter(model: SemanticModel, item: dict, values_of) -> Filter:
    column, op, value = _column(model, item.get("column")), item.get("op"), item.get("value")
    if op not in OPERATORS or op in ("in", "null", "notnull"):
        raise InvalidInput(f"The model used an operator it may not ({op!r}).")
    if column.kind == "number":
        if not isinstance(value, (int, float)):
            raise InvalidInput(f"The model compared {column.ref} with {value!r}, which is not a number.")
        return Filter(column, op, float(value), f"{column.name} {op} {value}")
    if op not in ("=", "!="):
        raise InvalidInput(f"The model compared {column.ref} with {op}; only numbers and dates are ordered.")
    known = values_of(column)
    if str(value) not in known:
        # A value the column does not hold answers 0 rows: a wrong answer, not an empty one.
        raise InvalidInput(f"The model filtered {column.ref} on {value!r}, which the column does not hold.")
    return Filter(column, op, str(value), str(value))


def _period(model: SemanticModel, raw: Any) -> Period | None:
    if not raw:
        return None
    column = _column(model, raw.get("column"))
    if column.kind != "date":
        raise InvalidInput(f"The model read a period on {column.ref}, which is not a date.")
    try:
        start, end = dt.date.fromisoformat(str(raw.get("start"))), dt.date.fromisoformat(str(raw.get("end")))
    except ValueError:
        raise InvalidInput("The model's period does not have start and end dates as YYYY-MM-DD.") from None
    if end < start:
        raise InvalidInput("The model's period ends before it starts.")
    return Period(column, DateRange(start, end, f"{start.isoformat()} to {end.isoformat()}"))
