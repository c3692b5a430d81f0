"""What a database holds: tables, columns, types, keys, row counts and the few values of category columns.

``introspect(url, ...)`` reads the catalogue with SQLAlchemy's inspector on a read-only
session (``core.sql.dialects``), then counts rows and lists the distinct values of
low-cardinality text columns with ordinary queries through the ``GuardedRunner``. Nothing is
ever written. The values let certified queries match "Chennai" in a question, and the DDL
rendered from a ``TableInfo`` is what schema training stores for the LLM's prompt.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import URL
from sqlglot import exp

from core.errors import DatabaseError, InvalidInput, QueryTimeout
from core.sql.access import AccessPolicy
from core.sql.dialects import ReadOnlyDatabase
from core.sql.runner import GuardedRunner

MAX_VALUES = 50  # a text column with at most this many distinct values is a category worth matching
MAX_VALUE_CHARS = 80  # longer strings are free text, not categories
MAX_TABLES = 200
MAX_ROWS_FOR_VALUES = 5_000_000  # above this, listing distinct values costs more than it helps
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_DDL_VALUE_CHARS = 400
# Column names too generic to say what a question is about.
_GENERIC_NAMES = frozenset("id name names date text type key value title description code number note notes".split())
_TERM_WORD = re.compile(r"[a-z][a-z0-9_]+")


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    nullable: bool
    primary_key: bool = False
    values: tuple[str, ...] = ()  # distinct values of a low-cardinality text column, sorted
    date_like: bool = False  # a DATE/TIMESTAMP column, or text holding ISO dates


@dataclass(frozen=True)
class ForeignKeyInfo:
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableInfo:
    name: str
    schema: str | None
    kind: str  # "table" | "view"
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKeyInfo, ...]
    row_count: int | None
    note: str = ""  # what could not be read, e.g. a row count that hit the time limit

    def column(self, name: str) -> ColumnInfo:
        for column in self.columns:
            if column.name.lower() == name.lower():
                return column
        raise InvalidInput(f"Table {self.name} has no column {name!r}.")

    def ddl(self) -> str:
        """A CREATE statement with comments (values, ISO dates, row count) for an LLM prompt."""
        lines = []
        single_key = self.primary_key if len(self.primary_key) == 1 else ()
        for column in self.columns:
            line = f"  {column.name} {column.type}" + ("" if column.nullable else " NOT NULL")
            if column.name in single_key:
                line += " PRIMARY KEY"
            lines.append((line, _column_comment(column)))
        if len(self.primary_key) > 1:
            lines.append((f"  PRIMARY KEY ({', '.join(self.primary_key)})", ""))
        for key in self.foreign_keys:
            lines.append((f"  FOREIGN KEY ({', '.join(key.columns)}) REFERENCES {key.referred_table} "
                          f"({', '.join(key.referred_columns)})", ""))
        body = []
        for index, (line, comment) in enumerate(lines):
            comma = "," if index < len(lines) - 1 else ""
            body.append(f"{line}{comma}" + (f" -- {comment}" if comment else ""))
        create = "CREATE VIEW" if self.kind == "view" else "CREATE TABLE"
        rows = f"\n-- {self.name}: {self.row_count} rows" if self.row_count is not None else ""
        return f"{create} {self.name} (\n" + "\n".join(body) + f"\n);{rows}"


@dataclass(frozen=True)
class SchemaInfo:
    dialect: str
    tables: tuple[TableInfo, ...]
    truncated: bool = False  # more than MAX_TABLES tables: the rest are not listed

    def table(self, name: str) -> TableInfo:
        for table in self.tables:
            if table.name.lower() == name.lower() or f"{table.schema}.{table.name}".lower() == name.lower():
                return table
        raise InvalidInput(f"There is no table {name!r} in this database.")

    def find_column(self, spec: str) -> tuple[TableInfo, ColumnInfo]:
        """Resolve 'table.column' (or 'schema.table.column'), ignoring case, to the real names."""
        table_name, _, column_name = spec.rpartition(".")
        if not table_name or not column_name:
            raise InvalidInput(f"Give a column as table.column (e.g. customers.city); got {spec!r}.")
        table = self.table(table_name)
        return table, table.column(column_name)

    def terms(self) -> frozenset[str]:
        """Table and column names (lower case) specific enough to show what a question is about."""
        names = {t.name.lower() for t in self.tables} | {c.name.lower() for t in self.tables for c in t.columns}
        return frozenset(n for n in names if len(n) >= 4 and n not in _GENERIC_NAMES)

    def value_index(self) -> dict[str, tuple[str, ...]]:
        """'table.column' -> distinct values, for every column whose values were listed."""
        return {f"{t.name}.{c.name}": c.values for t in self.tables for c in t.columns if c.values}


def mentioned_terms(text: str, terms: frozenset[str]) -> list[str]:
    """The schema ``terms`` that words of ``text`` name, plurals included ("carriers" names carrier)."""
    found = []
    for word in _TERM_WORD.findall(text.lower()):
        forms = {word, word[:-1] if word.endswith("s") else word, word[:-3] + "y" if word.endswith("ies") else word,
                 word[:-2] if word.endswith("es") else word}
        found += [form for form in forms if form in terms and form not in found]
    return found


def _column_comment(column: ColumnInfo) -> str:
    if column.values:
        listed, used = [], 0
        for value in column.values:
            text = "'" + value.replace("'", "''") + "'"
            if used + len(text) > _DDL_VALUE_CHARS:
                listed.append("...")
                break
            listed.append(text)
            used += len(text) + 2
        return "values: " + ", ".join(listed)
    if column.date_like and column.type.upper().startswith(("TEXT", "VARCHAR", "CHAR")):
        return "dates as ISO text 'YYYY-MM-DD'"
    return ""


def quote_identifier(name: str, dialect: str) -> str:
    """``name`` quoted for the engine (double quotes, or backticks on MySQL), embedded quotes escaped."""
    return exp.to_identifier(name, quoted=True).sql(dialect=dialect)


def qualified_table(table: TableInfo, dialect: str) -> str:
    name = quote_identifier(table.name, dialect)
    return f"{quote_identifier(table.schema, dialect)}.{name}" if table.schema else name


def distinct_values_sql(table: TableInfo, column: str, dialect: str, limit: int) -> str:
    """SELECT DISTINCT of one column, non-null values only, at most ``limit`` rows."""
    quoted = quote_identifier(column, dialect)
    return (f"SELECT DISTINCT {quoted} FROM {qualified_table(table, dialect)} "
            f"WHERE {quoted} IS NOT NULL LIMIT {int(limit)}")


def introspect(url: str | URL, *, timeout_seconds: float, max_values: int = MAX_VALUES,
               policy: AccessPolicy | None = None) -> SchemaInfo:
    """Read the schema of the database at ``url``, read-only, under ``policy``; see the module docstring."""
    database = ReadOnlyDatabase(url, timeout_seconds, policy)
    try:
        with database.session() as session:
            catalogue = _read_catalogue(sqlalchemy.inspect(session.connection), session.connection.dialect)
    finally:
        database.dispose()
    truncated = len(catalogue) > MAX_TABLES
    with GuardedRunner(url, timeout_seconds=timeout_seconds, row_cap=max_values + 1, policy=policy) as runner:
        tables = tuple(_measure(runner, table, max_values) for table in catalogue[:MAX_TABLES])
    return SchemaInfo(database.dialect, tables, truncated)


def _read_catalogue(inspector: Any, dialect: Any) -> list[tuple[TableInfo, dict[str, Any]]]:
    schema = None  # the connection's default schema (public, the MySQL database, SQLite main)
    found = [(name, "table") for name in inspector.get_table_names(schema=schema)]
    found += [(name, "view") for name in inspector.get_view_names(schema=schema)]
    catalogue = []
    for name, kind in sorted(found, key=lambda item: item[0].lower()):
        primary_key = tuple(inspector.get_pk_constraint(name).get("constrained_columns") or ()) if kind == "table" else ()
        foreign_keys = tuple(
            ForeignKeyInfo(tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
            for fk in (inspector.get_foreign_keys(name) if kind == "table" else ())
        )
        raw_columns = inspector.get_columns(name)
        columns = tuple(
            ColumnInfo(
                name=column["name"],
                type=_type_name(column["type"], dialect),
                nullable=bool(column.get("nullable", True)),
                primary_key=column["name"] in primary_key,
                date_like=isinstance(column["type"], (sqltypes.Date, sqltypes.DateTime)),
            )
            for column in raw_columns
        )
        table = TableInfo(name, schema, kind, columns, primary_key, foreign_keys, row_count=None)
        catalogue.append((table, {column["name"]: column["type"] for column in raw_columns}))
    return catalogue


def _type_name(type_: Any, dialect: Any) -> str:
    try:
        return type_.compile(dialect=dialect)
    except Exception:  # some reflected types (NullType, engine extensions) cannot render themselves
        return type(type_).__name__.upper()


def _measure(runner: GuardedRunner, entry: tuple[TableInfo, dict[str, Any]], max_values: int) -> TableInfo:
    """Count the table's rows and list the values of its category columns; problems become a note."""
    table, types_by_column = entry
    notes: list[str] = []
    dialect = runner.dialect
    row_count = None
    try:
        row_count = int(runner.run(f"SELECT COUNT(*) FROM {qualified_table(table, dialect)}").rows[0][0])
    except (QueryTimeout, DatabaseError) as error:
        notes.append(f"rows not counted: {error}")
    columns = []
    for column in table.columns:
        text_column = isinstance(types_by_column.get(column.name), (sqltypes.String, sqltypes.Enum))
        if not text_column or column.primary_key:
            columns.append(column)
            continue
        if row_count is not None and row_count > MAX_ROWS_FOR_VALUES:
            columns.append(column)
            continue
        try:
            result = runner.run(distinct_values_sql(table, column.name, dialect, max_values + 1))
        except (QueryTimeout, DatabaseError) as error:
            notes.append(f"values of {column.name} not listed: {error}")
            columns.append(column)
            continue
        columns.append(_with_values(column, [row[0] for row in result.rows], max_values))
    return TableInfo(table.name, table.schema, table.kind, tuple(columns), table.primary_key, table.foreign_keys,
                     row_count, "; ".join(notes))


def _with_values(column: ColumnInfo, found: list[Any], max_values: int) -> ColumnInfo:
    texts = [value for value in found if isinstance(value, str)]
    date_like = bool(texts) and all(_ISO_DATE.match(value) for value in texts)
    categorical = (len(found) <= max_values and len(texts) == len(found)
                   and all(len(value) <= MAX_VALUE_CHARS for value in texts) and not date_like)
    values = tuple(sorted(texts, key=str.lower)) if categorical else ()
    return ColumnInfo(column.name, column.type, column.nullable, column.primary_key, values,
                      column.date_like or date_like)


class SchemaCache:
    """Schemas and column values per connection id, reused for a few minutes so asking stays fast."""

    def __init__(self, schema_seconds: float = 600.0, values_seconds: float = 300.0) -> None:
        self._ttl = {"schema": schema_seconds, "values": values_seconds}
        self._entries: dict[tuple[str, str, str], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def _get(self, key: tuple[str, str, str], load: Callable[[], Any], refresh: bool = False) -> Any:
        with self._lock:
            cached = self._entries.get(key)
        if cached and not refresh and time.monotonic() - cached[0] < self._ttl[key[1]]:
            return cached[1]
        value = load()
        with self._lock:
            self._entries[key] = (time.monotonic(), value)
        return value

    def schema(self, connection_id: str, load: Callable[[], SchemaInfo], *, refresh: bool = False) -> SchemaInfo:
        return self._get((connection_id, "schema", ""), load, refresh)

    def column_values(self, connection_id: str, column_spec: str, runner: GuardedRunner,
                      schema: SchemaInfo) -> tuple[str, ...]:
        """Distinct values of 'table.column': from the schema when it listed them, else queried (up to the row cap)."""
        table, column = schema.find_column(column_spec)
        if column.values:
            return column.values

        def load() -> tuple[str, ...]:
            result = runner.run(distinct_values_sql(table, column.name, runner.dialect, runner.row_cap))
            return tuple(str(row[0]) for row in result.rows)

        return self._get((connection_id, "values", f"{table.name}.{column.name}"), load)

    def forget(self, connection_id: str) -> None:
        with self._lock:
            self._entries = {key: value for key, value in self._entries.items() if key[0] != connection_id}
