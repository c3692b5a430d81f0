"""What an analyst adds to a derived semantic model: synonyms, other spellings of values, named metrics.

The derived model (``core.sql.semantic``, ``core.sql.metrics``) knows only what the schema's names
say. An analyst knows more: that "staff" are the Employee rows, that "California" is written
``CA`` in ``Customer.State``, that revenue leaves out refunds. They write it as YAML, validated
here against the derived model so a typo is a specific error, never a silent no-op::

    synonyms:                      # words analysts use -> a table, or table.column
      staff: Employee
      job title: Employee.Title
    values:                        # other spellings of a column's values -> the value as stored
      Customer.State:
        California: CA
    metrics:
      - name: revenue
        definition: SUM(InvoiceLine.UnitPrice * InvoiceLine.Quantity)
        synonyms: [sales, turnover]
        unit: USD
        exclude:                   # rows that do not count, by a column's values
          orders.status: [cancelled, refunded]
    notes:
      - Revenue is invoiced revenue, before refunds.

A metric's definition is one aggregate (SUM, AVG, MIN, MAX, COUNT) of an expression over the
columns of one table, parsed with sqlglot in the connection's dialect: columns, numbers,
arithmetic and the functions the SQL guard allows. Nothing else is accepted, so a definition
can never become more than an expression in a SELECT that the guarded runner runs read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import sqlglot
import yaml
from sqlglot import exp

from core.errors import InvalidInput
from core.sql.metrics import Exclusion, Formula, Metric
from core.sql.semantic import Column, SemanticModel
from core.sql.wording import fold

_AGGREGATES = {exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max", exp.Count: "count"}
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Paren, exp.Neg, exp.Literal, exp.Column, exp.Identifier,
               exp.Cast, exp.DataType, exp.Coalesce, exp.Abs, exp.Round, exp.Case, exp.If, exp.EQ, exp.NEQ,
               exp.GT, exp.GTE, exp.LT, exp.LTE, exp.And, exp.Or, exp.Not, exp.Null, exp.Is, exp.Boolean)
_SECTIONS = ("synonyms", "values", "metrics", "notes")


@dataclass(frozen=True)
class Overrides:
    """The analyst's additions, as parsed and checked against a model."""

    synonyms: dict[tuple[str, ...], str] = field(default_factory=dict)  # folded words -> "Table" or "Table.Column"
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # "Table.Column" -> {alias: stored value}
    metrics: tuple[Metric, ...] = ()
    notes: tuple[str, ...] = ()
    text: str = ""  # the YAML as the analyst wrote it

    @property
    def empty(self) -> bool:
        return not (self.synonyms or self.values or self.metrics or self.notes)


def parse_overrides(text: str, model: SemanticModel, *, allowed_functions: frozenset[str] = frozenset()) -> Overrides:
    """The YAML ``text`` checked against ``model``; raises ``InvalidInput`` naming the first problem."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise InvalidInput(f"The semantic model is not valid YAML{where}: {getattr(error, 'problem', error)}.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput("The semantic model must be a mapping with the sections synonyms, values, metrics, notes.")
    unknown = [key for key in data if key not in _SECTIONS]
    if unknown:
        raise InvalidInput(f"Unknown section {unknown[0]!r} in the semantic model; use {', '.join(_SECTIONS)}.")
    return Overrides(
        synonyms=_synonyms(data.get("synonyms") or {}, model),
        values=_values(data.get("values") or {}, model),
        metrics=tuple(_metric(item, index, model, allowed_functions)
                      for index, item in enumerate(_list(data.get("metrics") or [], "metrics"))),
        notes=tuple(str(note) for note in _list(data.get("notes") or [], "notes")),
        text=text,
    )


def apply_overrides(model: SemanticModel, overrides: Overrides) -> SemanticModel:
    """The model with the analyst's synonyms, value spellings and metrics; an analyst metric replaces the
    derived one of the same name."""
    if overrides.empty:
        return model
    names = {metric.name for metric in overrides.metrics}
    metrics = overrides.metrics + tuple(m for m in model.metrics if m.name not in names)
    return replace(model, metrics=metrics, synonyms=dict(overrides.synonyms), value_aliases=dict(overrides.values),
                   notes=overrides.notes)


def export_overrides(model: SemanticModel, overrides: Overrides | None) -> str:
    """The analyst's YAML, or a starting file that lists what was derived (as comments) when there is none."""
    if overrides is not None and overrides.text.strip():
        return overrides.text
    lines = ["# Semantic model additions for this connection. Everything below is derived from the schema;",
             "# add synonyms, other spellings of values and metrics, then save. Sections: synonyms, values,",
             "# metrics, notes (see docs/semantic-model.md).", "#", "# Tables (entities):"]
    lines += [f"#   {entity.name}: {', '.join(c.name for c in entity.columns)}" for entity in model.entities]
    if model.metrics:
        lines.append("# Metrics derived from the schema:")
        lines += [f"#   {m.name}: {m.formulas[0].describe()}" for m in model.metrics]
    lines += ["synonyms: {}", "values: {}", "metrics: []", "notes: []", ""]
    return "\n".join(lines)


def _list(value: Any, section: str) -> list:
    if not isinstance(value, list):
        raise InvalidInput(f"'{section}' must be a list.")
    return value


def _synonyms(section: Any, model: SemanticModel) -> dict[tuple[str, ...], str]:
    if not isinstance(section, dict):
        raise InvalidInput("'synonyms' must map words to a table or table.column, e.g. staff: Employee.")
    found = {}
    for words, target in section.items():
        key = tuple(fold(w) for w in str(words).split())
        if not key:
            raise InvalidInput("A synonym needs at least one word.")
        found[key] = _reference(str(target), model, f"synonym {words!r}")
    return found


def _values(section: Any, model: SemanticModel) -> dict[str, dict[str, str]]:
    if not isinstance(section, dict):
        raise InvalidInput("'values' must map table.column to {other spelling: stored value}.")
    found = {}
    for reference, spellings in section.items():
        column = _column(str(reference), model, "values")
        if not isinstance(spellings, dict) or not spellings:
            raise InvalidInput(f"values of {reference} must map other spellings to the stored value, e.g. California: CA.")
        if column.kind == "category" and column.values:
            missing = [str(v) for v in spellings.values() if str(v) not in column.values]
            if missing:
                raise InvalidInput(f"{column.ref} holds no value {missing[0]!r}; its values are "
                                   f"{', '.join(column.values[:10])}.")
        found[column.ref] = {str(alias): str(value) for alias, value in spellings.items()}
    return found


def _reference(text: str, model: SemanticModel, where: str) -> str:
    if "." in text:
        return _column(text, model, where).ref
    entity = _entity(text, model)
    if entity is None:
        raise InvalidInput(f"The {where} names {text!r}, which is no table of this database; tables: "
                           f"{', '.join(e.name for e in model.entities)}.")
    return entity


def _entity(name: str, model: SemanticModel) -> str | None:
    wanted = name.strip().lower()
    for entity in model.entities:
        if entity.name.lower() == wanted or entity.table.bare_name.lower() == wanted:
            return entity.name
    return None


def _column(reference: str, model: SemanticModel, where: str) -> Column:
    table, _, name = reference.strip().rpartition(".")
    entity_name = _entity(table, model) if table else None
    if entity_name is None:
        raise InvalidInput(f"{where}: {reference!r} must be table.column with a table of this database.")
    entity = model.entity(entity_name)
    column = next((c for c in entity.columns if c.name.lower() == name.lower()), None)
    if column is None:
        raise InvalidInput(f"{where}: {entity.name} has no column {name!r}; its columns are "
                           f"{', '.join(c.name for c in entity.columns)}.")
    return column


def _metric(item: Any, index: int, model: SemanticModel, allowed_functions: frozenset[str]) -> Metric:
    if not isinstance(item, dict) or "name" not in item or "definition" not in item:
        raise InvalidInput(f"metrics[{index}] needs a name and a definition, e.g. "
                           "{name: revenue, definition: 'SUM(invoice_line.unit_price * invoice_line.quantity)'}.")
    name = " ".join(str(item["name"]).split())
    formula = _formula(str(item["definition"]), name, model, allowed_functions)
    exclusions = []
    for reference, values in (item.get("exclude") or {}).items():
        column = _column(str(reference), model, f"metric {name!r} exclude")
        if model.parents_path(formula.table, column.table) is None:
            raise InvalidInput(f"metric {name!r}: {column.ref} cannot be reached from {formula.table} without "
                               "counting rows twice, so it cannot exclude rows.")
        exclusions.append(Exclusion(column, tuple(str(v) for v in (values if isinstance(values, list) else [values]))))
    synonyms = [str(s) for s in item.get("synonyms") or []]
    phrases = tuple(dict.fromkeys(tuple(fold(w) for w in phrase.split())
                                  for phrase in [name, *synonyms] if phrase.split()))
    formula = replace(formula, exclusions=tuple(exclusions))
    return Metric(name, phrases, (formula,), unit=str(item.get("unit") or ""), origin="analyst")


def _formula(definition: str, name: str, model: SemanticModel, allowed_functions: frozenset[str]) -> Formula:
    try:
        tree = sqlglot.parse_one(definition, read=model.dialect)
    except sqlglot.errors.ParseError as error:
        raise InvalidInput(f"metric {name!r}: the definition is not an SQL expression ({error.errors[0]['description']}).") from None
    aggregate = _AGGREGATES.get(type(tree))
    if aggregate is None:
        raise InvalidInput(f"metric {name!r}: the definition must be one aggregate, e.g. SUM(table.price * table.qty); "
                           f"got {definition!r}.")
    inner = tree.this
    tables = set()
    for node in inner.walk():
        if isinstance(node, exp.Column):
            tables.add(node.table.lower() if node.table else "")
        elif isinstance(node, (exp.Anonymous, exp.Func)) and not isinstance(node, _ARITHMETIC):
            function = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if function not in allowed_functions:
                raise InvalidInput(f"metric {name!r}: the function {function.upper()} is not allowed in a definition.")
        elif not isinstance(node, _ARITHMETIC + (exp.Anonymous, exp.Func, exp.Star)):
            raise InvalidInput(f"metric {name!r}: only columns, numbers, arithmetic and allowed functions may be used; "
                               f"{node.key.upper()} is not.")
    named = {t for t in tables if t}
    if len(named) > 1 or (not named and "" in tables and len(model.entities) > 1 and not isinstance(inner, exp.Star)):
        raise InvalidInput(f"metric {name!r}: write every column as table.column, all of one table.")
    table = _entity(next(iter(named)), model) if named else (model.entities[0].name if model.entities else None)
    if table is None:
        raise InvalidInput(f"metric {name!r}: {next(iter(named))!r} is no table of this database.")
    entity = model.entity(table)
    for column in inner.find_all(exp.Column):
        own = next((c for c in entity.columns if c.name.lower() == column.name.lower()), None)
        if own is None:
            raise InvalidInput(f"metric {name!r}: {entity.name} has no column {column.name!r}.")
        column.set("table", None)
        column.set("this", exp.to_identifier(own.name))  # as the database spells it (unit_price, UnitPrice)
    # Kept in sqlglot's own dialect: the compiled plan is written in the connection's dialect from it.
    expression = "*" if isinstance(inner, exp.Star) else inner.sql()
    return Formula(entity.name, (), expression=expression, aggregate=aggregate)

