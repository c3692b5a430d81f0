"""The semantic model of a database, derived from its schema: what its tables and columns mean in words.

``derive_model(schema)`` reads nothing but the introspected schema (``SchemaInfo``):

- an **entity** per table, named by the words of its name, singular and plural
  ("InvoiceLine" -> "invoice line(s)"), with the columns that label a row (names, titles);
- **relationships** from the foreign keys, and inferred ones from naming (``ArtistId`` in one
  table and a table ``Artist`` whose key it matches), marked as inferred;
- **measures**: a count of each entity, and the numeric columns that are not keys, which can be
  summed, averaged, or taken at their least and most;
- **dimensions**: category columns (with their few distinct values, for matching a question's
  words), other text columns, and date columns.

Nothing here knows any particular database: every name comes from the schema itself. The
planner (``core.sql.planner``) reads questions against this model.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.sql.introspect import ColumnInfo, SchemaInfo, TableInfo
from core.sql.units import kind_and_unit
from core.sql.wording import fold

if TYPE_CHECKING:  # pragma: no cover
    from core.sql.metrics import Metric

_NUMERIC_TYPE = re.compile(r"INT|NUMERIC|DECIMAL|REAL|FLOAT|DOUBLE|MONEY|NUMBER", re.IGNORECASE)
_DATE_TYPE = re.compile(r"DATE|TIME", re.IGNORECASE)
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_LABEL_WORDS = frozenset({"name", "title", "label"})
_KEY_WORDS = frozenset({"id", "key", "code", "uuid", "guid", "pk", "fk"})


def words_of(identifier: str) -> tuple[str, ...]:
    """The lower-case words of an identifier: ``invoice_line``, ``InvoiceLine`` and ``INVOICE_LINE``
    all give ("invoice", "line")."""
    parts: list[str] = []
    for piece in re.split(r"[^A-Za-z0-9]+", identifier):
        parts += [word.lower() for word in _CAMEL.findall(piece)]
    return tuple(parts)


def folded(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(fold(word) for word in words)


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    words: tuple[str, ...]  # folded words of the column's name
    kind: str  # "key" | "number" | "category" | "text" | "date" | "other"
    values: tuple[str, ...] = ()
    quantity: str = ""  # for a number: "duration", "size", "money" or "" (core.sql.units)
    unit: float | None = None  # the size of its unit in the quantity's base unit (ms: 0.001 s); None: unknown

    @property
    def ref(self) -> str:
        return f"{self.table}.{self.name}"


@dataclass(frozen=True)
class Entity:
    table: TableInfo
    words: tuple[str, ...]  # folded words of the table's name
    columns: tuple[Column, ...]
    labels: tuple[Column, ...]  # the columns that name a row (Name, Title, FirstName + LastName)

    @property
    def name(self) -> str:
        return self.table.name

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Relationship:
    """Rows of ``child`` point at one row of ``parent`` (a many-to-one join)."""

    child: str
    child_columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    inferred: bool = False


@dataclass(frozen=True)
class SemanticModel:
    dialect: str
    entities: tuple[Entity, ...]
    relationships: tuple[Relationship, ...]
    metrics: tuple["Metric", ...] = ()  # named numbers (revenue, units sold): core.sql.metrics
    # The analyst's additions (core.sql.semantic_overrides): words -> "Table" or "Table.Column", and other
    # spellings of a column's values ("Table.Column" -> {alias: stored value}); notes for LLM prompts.
    synonyms: dict[tuple[str, ...], str] = field(default_factory=dict, compare=False)
    value_aliases: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)
    notes: tuple[str, ...] = ()
    _by_name: dict[str, Entity] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({entity.name: entity for entity in self.entities})

    def entity(self, table: str) -> Entity:
        return self._by_name[table]

    def columns(self) -> list[Column]:
        return [column for entity in self.entities for column in entity.columns]

    def resolve(self, reference: str) -> "Entity | Column":
        """"Table" or "Table.Column" as the model's entity or column."""
        table, _, name = reference.rpartition(".")
        if not table:
            return self.entity(reference)
        return self.entity(table).column(name)

    def parents_path(self, start: str, goal: str) -> list[Relationship] | None:
        """The many-to-one joins from ``start`` up to ``goal`` (shortest), [] when they are the same
        table, None when ``goal`` is not reachable that way or two shortest paths exist (ambiguous)."""
        if start == goal:
            return []
        paths = self._shortest(start, goal, lambda table: [r for r in self.relationships if r.child == table],
                               lambda relation: relation.parent)
        return paths[0] if len(paths) == 1 else None

    def _shortest(self, start, goal, edges_of, next_of) -> list[list[Relationship]]:
        """Every shortest path from start to goal (breadth first; stops at the first depth that reaches it)."""
        frontier: deque[tuple[str, list[Relationship]]] = deque([(start, [])])
        found: list[list[Relationship]] = []
        seen_at: dict[str, int] = {start: 0}
        while frontier:
            table, path = frontier.popleft()
            if found and len(path) >= len(found[0]):
                break
            for relation in edges_of(table):
                target = next_of(relation)
                depth = len(path) + 1
                if target == goal:
                    found.append(path + [relation])
                elif seen_at.get(target, depth) >= depth and target not in {r.child for r in path}:
                    seen_at[target] = depth
                    frontier.append((target, path + [relation]))
        return found


def derive_model(schema: SchemaInfo) -> SemanticModel:
    """The semantic model of ``schema``; see the module docstring."""
    tables = [t for t in schema.tables if t.columns]
    relationships = _declared(tables) + _inferred(tables)
    referencing = {(r.child, column) for r in relationships for column in r.child_columns}
    entities = tuple(_entity(table, referencing) for table in tables)
    return SemanticModel(schema.dialect, entities, tuple(relationships))


def _declared(tables: list[TableInfo]) -> list[Relationship]:
    names = {t.name for t in tables}
    found = []
    for table in tables:
        for key in table.foreign_keys:
            if key.referred_table in names and key.columns and len(key.columns) == len(key.referred_columns):
                found.append(Relationship(table.name, tuple(key.columns), key.referred_table, tuple(key.referred_columns)))
    return found


def _inferred(tables: list[TableInfo]) -> list[Relationship]:
    """``artist_id``/``ArtistId`` in a table that declares no key for it -> the table named artist(s),
    when that table has a one-column primary key and exactly one table has that name."""
    by_words: dict[tuple[str, ...], list[TableInfo]] = {}
    for table in tables:
        by_words.setdefault(folded(words_of(table.bare_name)), []).append(table)
    found = []
    for table in tables:
        declared = {column for key in table.foreign_keys for column in key.columns}
        for column in table.columns:
            words = words_of(column.name)
            if column.name in declared or len(words) < 2 or words[-1] != "id" or column.name in table.primary_key:
                continue
            targets = by_words.get(folded(words[:-1]), [])
            if len(targets) == 1 and targets[0] is not table and len(targets[0].primary_key) == 1:
                found.append(Relationship(table.name, (column.name,), targets[0].name, targets[0].primary_key, inferred=True))
    return found


def _entity(table: TableInfo, referencing: set[tuple[str, str]]) -> Entity:
    columns = tuple(_column(table, column, referencing) for column in table.columns)
    words = folded(words_of(table.bare_name))
    texts = [c for c in columns if c.kind in ("text", "category")]
    # What names a row: a name or title column; else a column named as the table (regions.region);
    # else the table's only text column. Without one, rows are shown by their key.
    labels = (tuple(c for c in texts if _LABEL_WORDS & set(c.words))
              or tuple(c for c in texts if c.words == words)
              or (tuple(texts) if len(texts) == 1 else ()))
    return Entity(table, words, columns, labels)


def _column(table: TableInfo, column: ColumnInfo, referencing: set[tuple[str, str]]) -> Column:
    words = words_of(column.name)
    if column.primary_key or column.name in table.primary_key or (table.name, column.name) in referencing \
            or (words and words[-1] in _KEY_WORDS):
        kind = "key"
    elif column.date_like or _DATE_TYPE.search(column.type):
        kind = "date"
    elif _NUMERIC_TYPE.search(column.type):
        kind = "number"
    elif column.values:
        kind = "category"
    elif re.search(r"CHAR|TEXT|STRING|CLOB", column.type, re.IGNORECASE):
        kind = "text"
    else:
        kind = "other"
    quantity, unit = kind_and_unit(folded(words)) if kind == "number" else ("", None)
    return Column(table.name, column.name, folded(words), kind, column.values, quantity, unit)
