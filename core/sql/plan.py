"""A plan: what a database question asks, in terms of the semantic model, and the SQL it compiles to.

A ``Plan`` names a measure (a count of an entity, or an aggregate of a numeric column), the
dimensions it is grouped by, the filters (matched values, numeric comparisons, a period), and
an order and limit for "top N" and "which ... the most". It is read from a question by
``core.sql.planner`` and compiled here, with sqlglot, for the connection's dialect.

Joins only ever go from the measured table up its many-to-one relationships, so no join can
multiply the rows being counted or summed: a plan's number is the number the question asks for.
Values are bound as parameters, never written into the SQL text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from core.sql.dates import DateRange
from core.sql.semantic import Column, Entity, Relationship, SemanticModel

if TYPE_CHECKING:  # pragma: no cover
    from core.sql.metrics import Formula, Metric

AGGREGATES = {"count": "count", "sum": "total", "avg": "average", "min": "least", "max": "most"}
OPERATORS = {"=": "is", "!=": "is not", ">": "over", ">=": "at least", "<": "under", "<=": "at most", "in": "is one of",
             "null": "is empty", "notnull": "is given"}


@dataclass(frozen=True)
class Measure:
    kind: str  # count | sum | avg | min | max
    entity: Entity  # the measured table: what is counted, or whose column is aggregated
    column: Column | None = None  # None for a count or a metric
    metric: "Metric | None" = None  # a named number (revenue), computed by ``formula`` on ``entity``
    formula: "Formula | None" = None
    unit: str = ""  # the unit the question asked for ("minutes"), when it is not the column's own
    scale: float = 1.0  # the aggregate is divided by this to give ``unit`` (60000 ms in a minute)

    def describe(self) -> str:
        if self.metric is not None:
            return self.metric.describe(self.formula)
        if self.kind == "count":
            return f"number of {self.entity.name}"
        if self.kind == "list":
            return f"{self.entity.name} rows"
        text = f"{AGGREGATES[self.kind]} {self.column.ref}"
        return f"{text} in {self.unit}" if self.unit else text


def via_steps(via: tuple[Relationship, ...]):
    """After the first table of a path (the one pointing at the measured table), each next table in order:
    (table, the table it joins, its columns, theirs); down to a table pointing at one already reached,
    else up to the table one already reached points at."""
    seen = {via[0].parent, via[0].child}
    for relation in via[1:]:
        if relation.parent in seen:
            step = (relation.child, relation.parent, relation.child_columns, relation.parent_columns)
        else:
            step = (relation.parent, relation.child, relation.parent_columns, relation.child_columns)
        seen.add(step[0])
        yield step


def via_tables(via: tuple[Relationship, ...]) -> list[str]:
    """The tables a path visits, in order, from the measured table."""
    return [via[0].parent, via[0].child] + [table for table, *_rest in via_steps(via)]


@dataclass(frozen=True)
class Filter:
    column: Column
    op: str  # one of OPERATORS
    value: Any
    said: str  # the words of the question it was read from
    # A value of a table the measured rows do not belong to, but that rows of theirs lead to ("tracks on
    # the Grunge playlist", "customers who bought Jazz"): ``via`` is the path from the measured table down
    # to a table that points at it, then up to the value's table; the filter is an EXISTS over it
    # (NOT EXISTS for "!="), so no measured row is counted twice.
    via: tuple[Relationship, ...] = ()

    def describe(self) -> str:
        if self.via:
            tables = " → ".join(via_tables(self.via))
            return (f"has {'no' if self.op == '!=' else 'a'} {self.column.ref} '{self.value}' "
                    f"(through {tables})")
        if self.op in ("null", "notnull"):
            return f"{self.column.ref} {OPERATORS[self.op]}"
        if isinstance(self.value, tuple):
            value = ", ".join(f"'{v}'" if isinstance(v, str) else f"{v:g}" for v in self.value)
        else:
            value = f"'{self.value}'" if isinstance(self.value, str) else f"{self.value:g}"
        return f"{self.column.ref} {OPERATORS[self.op]} {value}"


@dataclass(frozen=True)
class Period:
    column: Column
    range: DateRange

    def describe(self) -> str:
        return f"{self.column.ref} {self.range.describe()}"


@dataclass(frozen=True)
class Comparison:
    """Two periods, or two values of one column, side by side: "2024 against 2023", "Rock versus Metal".

    As rows (one per period or value), or with ``difference`` as one row: the first, the second, and
    the first minus the second ("how much more did 2024 bring than 2023")."""

    column: Column  # the values' column, or the date column the periods are read on
    values: tuple[Any, ...] = ()
    periods: tuple[DateRange, ...] = ()
    labels: tuple[str, str] = ("", "")
    difference: bool = False

    def describe(self) -> str:
        text = f"{self.labels[0]} against {self.labels[1]} ({self.column.ref})"
        return text + (", and the difference" if self.difference else "")


GRAINS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}


@dataclass(frozen=True)
class Grouping:
    """Group by one column (a date column by a grain: year, month, day), or by an entity (its key,
    shown by its label columns)."""

    column: Column | None = None
    entity: Entity | None = None
    grain: str = ""

    @property
    def table(self) -> str:
        return self.column.table if self.column is not None else self.entity.name

    def describe(self) -> str:
        if self.grain:
            return f"{self.grain} of {self.column.ref}"
        return self.column.ref if self.column is not None else self.entity.name


@dataclass(frozen=True)
class Plan:
    measure: Measure
    groups: tuple[Grouping, ...] = ()
    filters: tuple[Filter, ...] = ()
    period: Period | None = None
    descending: bool | None = None  # order by the measure (top N / most), None: by the groups
    limit: int | None = None
    having: tuple[str, float] | None = None  # keep only groups whose measure compares so: (">", 100)
    comparison: Comparison | None = None

    def columns(self) -> list[Column]:
        """Every column the plan reads: the measure's, the groups', the filters' and the period's."""
        found = [self.measure.column] + [g.column for g in self.groups] + [f.column for f in self.filters]
        found.append(self.period.column if self.period is not None else None)
        found.append(self.comparison.column if self.comparison is not None else None)
        return [column for column in found if column is not None]

    def tables(self) -> list[str]:
        named = [g.table for g in self.groups] + [f.column.table for f in self.filters if not f.via]
        if self.period is not None:
            named.append(self.period.column.table)
        if self.comparison is not None:
            named.append(self.comparison.column.table)
        return list(dict.fromkeys(named))

    def describe(self) -> str:
        """The interpretation in plain words, shown above the answer."""
        parts = [self.measure.describe()]
        if self.groups:
            parts.append("by " + ", ".join(g.describe() for g in self.groups))
        parts += [f.describe() for f in self.filters]
        if self.period is not None:
            parts.append(self.period.describe())
        if self.comparison is not None:
            parts.append(self.comparison.describe())
        if self.having is not None:
            parts.append(f"only where {self.measure.describe()} is {OPERATORS[self.having[0]]} {self.having[1]:g}")
        if self.limit is not None:
            parts.append(("top " if self.descending else "bottom ") + str(self.limit))
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data (the CLI's and the endpoint's ``plan`` field)."""
        return {
            "measure": {"kind": self.measure.kind, "table": self.measure.entity.name,
                        "column": self.measure.column.name if self.measure.column else None,
                        "metric": self.measure.metric.name if self.measure.metric else None,
                        "definition": self.measure.formula.describe() if self.measure.formula else None,
                        "unit": self.measure.unit or None},
            "group_by": [g.describe() for g in self.groups],
            "filters": [{"column": f.column.ref, "op": f.op, "value": f.value} for f in self.filters],
            "period": ({"column": self.period.column.ref, "start": self.period.range.start.isoformat(),
                        "end": self.period.range.end.isoformat()} if self.period else None),
            "order": None if self.descending is None else ("desc" if self.descending else "asc"),
            "limit": self.limit,
            "having": {"op": self.having[0], "value": self.having[1]} if self.having else None,
            "compare": ({"column": self.comparison.column.ref, "labels": list(self.comparison.labels),
                         "difference": self.comparison.difference} if self.comparison else None),
            "interpretation": self.describe(),
        }


@dataclass(frozen=True)
class CompiledPlan:
    sql: str
    params: dict[str, Any]
    filters: dict[str, "Filter"] = None  # the filter each parameter came from (periods, counts: none)

    def as_certified(self) -> tuple[str, str]:
        """The SQL and the parameter lines of a certified pair that asks the same with another value: each
        value filter stays a parameter of its column ("p0: Invoice.BillingCountry"), every other bound
        value (periods, numbers, rows that are no sale) is written into the SQL as a literal."""
        sql, lines = self.sql, []
        for name, value in self.params.items():
            origin = (self.filters or {}).get(name)
            if origin is not None and origin.op in ("=", "!=") and isinstance(value, str) \
                    and origin.column.kind in ("category", "text") and not origin.said.endswith(" is no sale"):
                lines.append(f"{name}: {origin.column.table}.{origin.column.name}")
                continue
            literal = exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)
            sql = re.sub(rf":{name}\b", lambda _m, text=literal.sql(): text, sql)
        return sql, "\n".join(lines)


def compile_plan(plan: Plan, model: SemanticModel, joins: list[Relationship]) -> CompiledPlan:
    """The plan as one SELECT for ``model.dialect``; ``joins`` are the many-to-one joins from the
    measured table (each table reached once), as the planner chose them."""
    dialect = model.dialect
    root = plan.measure.entity
    aliases = {root.name: "t0"}
    query = exp.select().from_(_table(root, "t0"))
    for relation in joins:
        alias = aliases.setdefault(relation.parent, f"t{len(aliases)}")
        child = aliases[relation.child]
        condition = exp.and_(*[
            _column(child, left).eq(_column(alias, right))
            for left, right in zip(relation.child_columns, relation.parent_columns)])
        query = query.join(_table(model.entity(relation.parent), alias), on=condition)
    params: dict[str, Any] = {}
    origins: dict[str, Filter] = {}

    def bind(value: Any, origin: Filter | None = None) -> exp.Expression:
        name = f"p{len(params)}"
        params[name] = value
        if origin is not None:
            origins[name] = origin
        return exp.Placeholder(this=name)

    shown: list[exp.Expression] = []
    names: list[str] = []  # the output name of each shown expression
    grouped: list[exp.Expression] = []
    for group in plan.groups:
        alias = aliases[group.table]
        if group.grain:
            # ISO text of the grain ("2024-03"), the same on every engine, and sorted in time order
            column = exp.TimeToStr(this=_column(alias, group.column.name), format=exp.Literal.string(GRAINS[group.grain]))
            shown.append(column)
            names.append(group.grain)
            grouped.append(column)
        elif group.column is not None:
            column = _column(alias, group.column.name)
            shown.append(column)
            names.append(group.column.name)
            grouped.append(column)
        else:
            entity = group.entity
            keys = [_column(alias, key) for key in entity.table.primary_key] or [_column(alias, c.name) for c in entity.labels]
            labels = [_column(alias, c.name) for c in entity.labels] or keys
            shown += labels
            names += [label.name for label in labels]
            grouped += _unique(keys + labels)
    comparison = plan.comparison
    if comparison is not None:
        target = _column(aliases[comparison.column.table], comparison.column.name)
        sides = ([target.copy().eq(bind(v)) for v in comparison.values] if comparison.values
                 else [_within(target.copy(), period, bind) for period in comparison.periods])
        if comparison.difference:
            first, second = (_conditional(plan.measure, aliases[root.name], side) for side in sides)
            shown, names = [first, second, exp.Sub(this=first.copy(), expression=second.copy())], \
                [*comparison.labels, "difference"]
        else:  # periods as rows, labelled as the question named them
            label = exp.Case(ifs=[exp.If(this=side.copy(), true=exp.Literal.string(text))
                                  for side, text in zip(sides, comparison.labels)])
            shown, names, grouped = [label], ["period"], [label.copy()]
            years = [p.start.year for p in comparison.periods if p.start.year == p.end.year]
            if len(set(years)) == 2 and any(text != str(year) for text, year in zip(comparison.labels, years)):
                # "Q4 2025 against Q4 2024": each row's year too, so the rows read (and sort) as years
                year = exp.Case(ifs=[exp.If(this=side.copy(), true=exp.Literal.number(y)) for side, y in zip(sides, years)])
                shown.append(year)
                names.append("year")
                grouped.append(year.copy())
    if plan.measure.kind == "list":
        # The rows themselves, by key and label; joins go up many-to-one only, so no row repeats.
        keys = [_column("t0", key) for key in root.table.primary_key]
        labels = [_column("t0", c.name) for c in root.labels]
        shown = _unique(keys + labels)
        names = [column.name for column in shown]
    names = _unique_names(names)
    if plan.measure.kind == "list" or (comparison is not None and comparison.difference):
        query = query.select(*[exp.alias_(e, n, quoted=True) for e, n in zip(shown, names)])
        measure = measure_name = None
    else:
        measure = _measure(plan.measure, aliases[root.name])
        measure_name = _measure_name(plan.measure)
        query = query.select(*[exp.alias_(e, n, quoted=True) for e, n in zip(shown, names)],
                             exp.alias_(measure, measure_name, quoted=True))
    conditions = [exp.or_(*[side.copy() for side in sides])] if comparison is not None else []
    for item in plan.filters:
        if item.via:  # the value's table is inside the EXISTS, not joined here
            conditions.append(_exists(item, aliases[root.name], model, bind))
            continue
        column = _column(aliases[item.column.table], item.column.name)
        if item.op == "in":
            conditions.append(exp.In(this=column, expressions=[bind(v) for v in item.value]))
        elif item.op in ("null", "notnull"):
            empty = exp.Is(this=column, expression=exp.Null())
            conditions.append(empty if item.op == "null" else exp.Not(this=empty))
        else:
            conditions.append(_compare(column, item.op, bind(item.value, item)))
    if plan.period is not None:
        column = _column(aliases[plan.period.column.table], plan.period.column.name)
        start, end = plan.period.range.start, plan.period.range.end + dt.timedelta(days=1)
        # Half-open on ISO text: a timestamp late on the last day is still inside the period.
        conditions.append(column >= bind(start.isoformat()))
        conditions.append(column < bind(end.isoformat()))
    if conditions:
        query = query.where(exp.and_(*conditions))
    if grouped:
        query = query.group_by(*grouped)
    if plan.having is not None:
        query = query.having(_compare(measure.copy(), plan.having[0], bind(plan.having[1])))
    if plan.measure.kind == "list":
        query = query.order_by(*[_name(name) for name in names[len(root.table.primary_key):] or names])
    elif comparison is not None:
        pass  # one row, or the two periods in the order the question named them
    elif plan.limit is not None:
        query = _top_with_ties(query, names, measure, measure_name, plan)
    elif plan.descending is not None:
        query = query.order_by(exp.Ordered(this=_name(measure_name), desc=plan.descending), *map(_name, names))
    elif shown:
        query = query.order_by(*map(_name, names))
    sql = query.sql(dialect=dialect)
    # sqlglot writes PostgreSQL placeholders as %(name)s; the runner binds :name on every engine.
    sql = re.sub(r"%\((p\d+)\)s", r":\1", sql)
    return CompiledPlan(sql, params, origins)


def _top_with_ties(query: exp.Select, names: list[str], measure: exp.Expression, measure_name: str,
                   plan: Plan) -> exp.Select:
    """Top N by rank, so rows tied with the Nth are all kept: "the genre with the most tracks" is
    every genre with that many, not one of them picked by the engine."""
    inner = query.select(exp.Window(this=exp.Anonymous(this="RANK"), order=exp.Order(expressions=[
        exp.Ordered(this=measure.copy(), desc=bool(plan.descending))])).as_("rank_", quoted=True), append=True)
    outer = exp.select(*[_name(name) for name in names], _name(measure_name)).from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("ranked"))))
    return outer.where(_name("rank_") <= exp.Literal.number(plan.limit)).order_by(
        _name("rank_"), *[_name(name) for name in names])


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        count = seen.get(name.lower(), 0)
        seen[name.lower()] = count + 1
        unique.append(name if count == 0 else f"{name}_{count + 1}")
    return unique


def _name(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def _unique(expressions: list[exp.Expression]) -> list[exp.Expression]:
    seen, kept = set(), []
    for expression in expressions:
        if expression.sql() not in seen:
            seen.add(expression.sql())
            kept.append(expression)
    return kept


def _table(entity: Entity, alias: str) -> exp.Table:
    table = entity.table
    return exp.Table(this=exp.to_identifier(table.bare_name, quoted=True),
                     db=exp.to_identifier(table.schema, quoted=True) if table.schema else None,
                     alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _column(alias: str, name: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=True), table=exp.to_identifier(alias))


def _measure(measure: Measure, alias: str) -> exp.Expression:
    if measure.kind == "count":
        return exp.Count(this=exp.Star())
    if measure.formula is not None:
        return _formula_aggregate(measure.formula, alias, None)
    column = _column(alias, measure.column.name)
    return _in_unit(measure, {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[measure.kind](this=column))


def _in_unit(measure: Measure, aggregate: exp.Expression) -> exp.Expression:
    """The aggregate in the unit the question asked for ("in minutes")."""
    if measure.scale == 1.0:
        return aggregate
    # A float divisor: integer milliseconds / 60000 would truncate to whole minutes on some engines.
    return exp.Div(this=aggregate, expression=exp.Literal.number(repr(float(measure.scale))))


def _measure_name(measure: Measure) -> str:
    if measure.metric is not None:
        return "_".join(measure.metric.name.split()).lower()
    if measure.kind == "count":
        return f"count_{measure.entity.name}".lower()
    name = f"{measure.kind}_{measure.column.name}"
    return f"{name}_{measure.unit}".lower() if measure.unit else name.lower()


def _exists(item: Filter, outer: str, model: SemanticModel, bind) -> exp.Expression:
    """EXISTS (rows that point at the outer row, up to the value's table, holding the value)."""
    first = item.via[0]  # a table pointing at the measured table
    aliases = {first.parent: outer, first.child: "s0"}
    inner = exp.select(exp.Literal.number(1)).from_(_table(model.entity(first.child), "s0"))
    links = [_column("s0", left).eq(_column(outer, right)) for left, right in zip(first.child_columns, first.parent_columns)]
    for new, known, new_columns, known_columns in via_steps(item.via):
        alias = aliases.setdefault(new, f"s{len(aliases) - 1}")
        on = exp.and_(*[_column(alias, a).eq(_column(aliases[known], b)) for a, b in zip(new_columns, known_columns)])
        inner = inner.join(_table(model.entity(new), alias), on=on)
    holds = _column(aliases[item.column.table], item.column.name).eq(bind(item.value, item))
    exists = exp.Exists(this=inner.where(exp.and_(*links, holds)))
    return exp.Not(this=exists) if item.op == "!=" else exists


def _within(column: exp.Expression, period: DateRange, bind) -> exp.Expression:
    """Half-open on ISO text: a timestamp late on the last day is still inside the period."""
    end = period.end + dt.timedelta(days=1)
    return exp.and_(column >= bind(period.start.isoformat()), column.copy() < bind(end.isoformat()))


def _formula_value(formula: "Formula", alias: str) -> exp.Expression:
    """What a formula aggregates, its columns on ``alias``: price x quantity, or the analyst's expression."""
    if not formula.expression:
        return _product(alias, formula.columns)
    if formula.expression == "*":
        return exp.Literal.number(1)
    value = sqlglot.parse_one(formula.expression)  # checked when the analyst saved it
    for column in value.find_all(exp.Column):
        column.set("table", exp.to_identifier(alias))
        column.set("this", exp.to_identifier(column.name, quoted=True))
    return value


def _formula_aggregate(formula: "Formula", alias: str, condition: exp.Expression | None) -> exp.Expression:
    value = _formula_value(formula, alias)
    aggregate = formula.aggregate
    if aggregate == "count":
        aggregate, value = "sum", exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=value, expression=exp.Null())),
                                                       true=exp.Literal.number(1))], default=exp.Literal.number(0))
    if condition is not None:
        value = exp.Case(ifs=[exp.If(this=condition.copy(), true=value)],
                         default=exp.Literal.number(0) if aggregate == "sum" else None)
    return {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[aggregate](this=value)


def _conditional(measure: Measure, alias: str, condition: exp.Expression) -> exp.Expression:
    """The measure over only the rows where ``condition`` holds, as one column of a single-row answer."""
    if measure.formula is not None:
        return _formula_aggregate(measure.formula, alias, condition)
    if measure.kind == "count":
        value: exp.Expression = exp.Literal.number(1)
    else:
        value = _column(alias, measure.column.name)
    if measure.kind in ("count", "sum"):
        case = exp.Case(ifs=[exp.If(this=condition.copy(), true=value)], default=exp.Literal.number(0))
        return exp.Sum(this=case)
    case = exp.Case(ifs=[exp.If(this=condition.copy(), true=value)])
    return _in_unit(measure, {"avg": exp.Avg, "min": exp.Min, "max": exp.Max}[measure.kind](this=case))


def _compare(column: exp.Expression, op: str, value: exp.Expression) -> exp.Expression:
    return {"=": exp.EQ, "!=": exp.NEQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT,
            "<=": exp.LTE}[op](this=column, expression=value)


def agreement_sql(model: SemanticModel, header: "Formula", lines: "Formula", relation: Relationship) -> str:
    """How many header rows whose amount differs from the sum of their lines (0: the two are one metric).

    The lines are summed once per header key and joined, not summed per row in a correlated
    subquery, so the check stays one pass over each table."""
    line_alias, header_alias = "l", "h"
    keys = [_column(line_alias, name) for name in relation.child_columns]
    product = _product(line_alias, lines.columns)
    summed = (exp.select(*[exp.alias_(key, f"k{i}", quoted=True) for i, key in enumerate(keys)],
                         exp.alias_(exp.Sum(this=product), "amount_", quoted=True))
              .from_(_table(model.entity(lines.table), line_alias)).group_by(*keys))
    condition = exp.and_(*[_column("s", f"k{i}").eq(_column(header_alias, parent))
                           for i, parent in enumerate(relation.parent_columns)])
    total = _product(header_alias, header.columns)
    difference = exp.Abs(this=exp.Sub(this=exp.Coalesce(this=total, expressions=[exp.Literal.number(0)]),
                                      expression=exp.Coalesce(this=_column("s", "amount_"),
                                                              expressions=[exp.Literal.number(0)])))
    query = (exp.select(exp.alias_(exp.Count(this=exp.Star()), "differ", quoted=True))
             .from_(_table(model.entity(header.table), header_alias))
             .join(exp.Subquery(this=summed, alias=exp.TableAlias(this=exp.to_identifier("s"))), on=condition,
                   join_type="left")
             .where(exp.GT(this=difference, expression=exp.Literal.number(0.005))))
    return query.sql(dialect=model.dialect)


def _product(alias: str, columns: tuple[str, ...]) -> exp.Expression:
    product: exp.Expression = _column(alias, columns[0])
    for name in columns[1:]:
        product = exp.Mul(this=product, expression=_column(alias, name))
    return product


def span_sql(model: SemanticModel, column: Column) -> str:
    """The first and last value of a date column."""
    target = _column("t0", column.name)
    return (exp.select(exp.alias_(exp.Min(this=target), "first_", quoted=True),
                       exp.alias_(exp.Max(this=target.copy()), "last_", quoted=True))
            .from_(_table(model.entity(column.table), "t0")).sql(dialect=model.dialect))


def coverage_sql(plan: Plan, model: SemanticModel, joins: list[Relationship]) -> tuple[CompiledPlan, str] | None:
    """For "the fewest"/"bottom N" over groups of a joined table: how many groups the answer has, and how
    many exist. A genre with no tracks sold has no row to rank, so when the two differ the bottom of the
    ranking is not the answer (it would be 0). None when the plan needs no such check."""
    if plan.descending is not False or len(plan.groups) != 1:
        return None
    group = plan.groups[0]
    if group.table == plan.measure.entity.name or group.grain:
        return None
    ranked = compile_plan(dataclasses.replace(plan, limit=None, descending=None), model, joins)
    counted = f"SELECT COUNT(*) AS {_quoted('groups', model.dialect)} FROM ({ranked.sql}) AS ranked"
    entity = model.entity(group.table)
    if group.column is not None:
        target: exp.Expression = exp.Count(this=exp.Distinct(expressions=[_column("t0", group.column.name)]))
    else:
        target = exp.Count(this=exp.Star())
    total = exp.select(exp.alias_(target, "total", quoted=True)).from_(_table(entity, "t0"))
    return CompiledPlan(counted, ranked.params), total.sql(dialect=model.dialect)


def _quoted(name: str, dialect: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect=dialect)
