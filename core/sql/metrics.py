"""Named business numbers a schema implies: revenue (amounts of money) and units sold (quantities).

Analysts ask for "revenue", "spend" or "units sold", words no column is named. A schema says
where those numbers are in a few shapes every sales database shares, and this module reads
only those shapes, from the semantic model's names and kinds:

- an **amount** column on a table: a number named ``total``, ``amount``, ``revenue``, ``sales``
  or ``subtotal`` (``Invoice.Total``, ``orders.total_amount``);
- **lines**: a table with a price column and a quantity column (``InvoiceLine.UnitPrice`` and
  ``.Quantity``): its amount is price x quantity, and its quantity is the units sold;
- **rows that are no sale**: a category column of the table (or of the header its lines belong
  to) holding a value such as ``cancelled``, ``refunded`` or ``void``; a derived metric leaves
  those rows out, and the plan says so.

A price on a table without a quantity (a catalogue's list price) is no revenue: nothing says
how often it was paid.

When lines belong to a header that has an amount, revenue can be summed from either, and the
header is cheaper and reaches the header's own columns; but the two are the same metric only
if the data agrees. ``derive_metrics`` takes an ``agree`` check (a read-only query run by the
service: does every header's amount equal the sum of its lines?) and joins them only when it
holds; otherwise "revenue" names two different numbers and the planner abstains rather than
pick one. Nothing here knows any particular database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from core.sql.semantic import Column, Entity, Relationship, SemanticModel

AMOUNT_WORDS = frozenset({"total", "amount", "revenue", "sale", "subtotal"})
PRICE_WORDS = frozenset({"price"})
QUANTITY_WORDS = frozenset({"quantity", "qty"})
# Values of a status-like column that say a row is no sale (folded: lower case, singular).
NOT_A_SALE = frozenset({"cancelled", "canceled", "void", "voided", "refunded", "returned", "failed", "declined",
                        "rejected", "abandoned"})
REVENUE = "revenue"
UNITS_SOLD = "units sold"
# The words that name each derived metric (folded). "sales" is revenue; "how many sales" is not asked of it.
_REVENUE_PHRASES = (("revenue",), ("sale",), ("spend",), ("spending",), ("turnover",), ("income",),
                    ("taking",), ("earning",), ("amount",), ("sale", "amount"), ("money",))
_UNITS_PHRASES = (("unit",), ("unit", "sold"), ("item", "sold"), ("quantity", "sold"))
# Verbs that say the rows are sales ("brought in", "sold", "spent"); used when a sales metric is the measure.
SALE_VERBS = frozenset({"sold", "sell", "sells", "selling", "spent", "spend", "brought", "bring", "brings",
                        "earned", "earn", "generated", "generate", "made", "make", "bought", "purchased",
                        "take", "took", "taken"})


@dataclass(frozen=True)
class Exclusion:
    """Rows whose ``column`` holds one of ``values`` are left out of the metric (cancelled orders)."""

    column: Column
    values: tuple[str, ...]


@dataclass(frozen=True)
class Formula:
    """One way to compute a metric: the sum over ``table``'s rows of its ``columns`` multiplied together.

    ``dated_by`` is the header a line belongs to: a line has no date of its own, and its header's
    date is the line's (a line of an invoice was sold when the invoice was)."""

    table: str
    columns: tuple[str, ...]
    exclusions: tuple[Exclusion, ...] = ()
    dated_by: Relationship | None = None
    # An analyst's definition instead of a product of columns: ``aggregate`` of ``expression`` (SQL over
    # the table's columns, checked by core.sql.semantic_overrides).
    expression: str = ""
    aggregate: str = "sum"

    def describe(self) -> str:
        if self.expression:
            text = f"{self.aggregate.upper()} of {self.expression} over {self.table}"
        else:
            text = "SUM of " + " × ".join(f"{self.table}.{column}" for column in self.columns)
        for exclusion in self.exclusions:
            text += f", without {exclusion.column.ref} {', '.join(repr(v) for v in exclusion.values)}"
        return text


@dataclass(frozen=True)
class Metric:
    """A number analysts name ("revenue"), the phrases that name it, and the formulas that compute it
    (all known to give the same totals; the planner picks one whose table reaches the rest of the question)."""

    name: str
    phrases: tuple[tuple[str, ...], ...]
    formulas: tuple[Formula, ...]
    unit: str = ""
    origin: str = "derived"  # "derived" from the schema, or "analyst" (defined in the semantic model)

    def describe(self, formula: Formula) -> str:
        return f"{self.name} ({formula.describe()})"


Agree = Callable[[Formula, Formula, Relationship], bool]


def derive_metrics(model: SemanticModel, agree: Agree | None = None) -> tuple[Metric, ...]:
    """Revenue and units sold, where the schema says where they are (see the module docstring).

    ``agree(header, lines, relation)`` says whether the header amount equals the sum of its lines
    in the data; without it, or when it says no, the two are separate candidates and "revenue"
    is ambiguous (the planner abstains on it)."""
    lines = [formula for entity in model.entities if (formula := _line_amount(model, entity)) is not None]
    headers = {entity.name: formula for entity in model.entities
               if (formula := _header_amount(model, entity)) is not None}
    revenue: list[tuple[Formula, ...]] = []
    joined: set[str] = set()
    for line in lines:
        relation = _header_of(model, line.table, headers)
        if relation is not None and agree is not None and agree(headers[relation.parent], line, relation):
            dated = Formula(line.table, line.columns, _exclusions(model, model.entity(line.table), relation),
                            dated_by=relation)
            revenue.append((headers[relation.parent], dated))
            joined.add(relation.parent)
        else:
            revenue.append((line,))
    revenue += [(formula,) for table, formula in headers.items() if table not in joined]
    metrics = [Metric(REVENUE, _REVENUE_PHRASES, formulas) for formulas in revenue]
    for line in lines:
        entity = model.entity(line.table)
        quantity = next(c for c in entity.columns if c.name == line.columns[1])
        relation = _header_of(model, line.table, headers) or _any_header(model, entity)
        metrics.append(Metric(UNITS_SOLD, _UNITS_PHRASES, (
            Formula(line.table, (quantity.name,), _exclusions(model, entity, relation), dated_by=relation),)))
    return tuple(metrics)


def _numbers(entity: Entity, words: frozenset[str]) -> list[Column]:
    return [c for c in entity.columns if c.kind == "number" and words & set(c.words)]


def _header_amount(model: SemanticModel, entity: Entity) -> Formula | None:
    """The table's one amount column; a table with several (subtotal, tax, total) must be defined by the analyst,
    unless exactly one of them is plainly the total."""
    amounts = [c for c in _numbers(entity, AMOUNT_WORDS) if not PRICE_WORDS & set(c.words)
               and not QUANTITY_WORDS & set(c.words)]
    if len(amounts) > 1:
        amounts = [c for c in amounts if "total" in c.words and "subtotal" not in c.words]
    if len(amounts) != 1:
        return None
    return Formula(entity.name, (amounts[0].name,), _exclusions(model, entity, None))


def _line_amount(model: SemanticModel, entity: Entity) -> Formula | None:
    prices, quantities = _numbers(entity, PRICE_WORDS), _numbers(entity, QUANTITY_WORDS)
    if len(prices) != 1 or len(quantities) != 1:
        return None
    return Formula(entity.name, (prices[0].name, quantities[0].name), _exclusions(model, entity, None))


def _header_of(model: SemanticModel, table: str, headers: dict[str, Formula]) -> Relationship | None:
    """The one many-to-one relationship from a line table to a table with an amount."""
    found = [r for r in model.relationships if r.child == table and r.parent in headers]
    return found[0] if len(found) == 1 else None


def _any_header(model: SemanticModel, entity: Entity) -> Relationship | None:
    """The parent whose date dates a line when no header amount exists: the only parent with a date of its own."""
    dated = [r for r in model.relationships if r.child == entity.name and r.parent != entity.name
             and any(c.kind == "date" for c in model.entity(r.parent).columns)]
    return dated[0] if len(dated) == 1 and not any(c.kind == "date" for c in entity.columns) else None


def _exclusions(model: SemanticModel, entity: Entity, header: Relationship | None) -> tuple[Exclusion, ...]:
    tables = [entity] + ([model.entity(header.parent)] if header is not None else [])
    found = []
    for table in tables:
        for column in table.columns:
            if column.kind != "category":
                continue
            values = tuple(v for v in column.values if v.strip().lower() in NOT_A_SALE)
            if values:
                found.append(Exclusion(column, values))
    return tuple(found)
