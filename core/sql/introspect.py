"""What a database holds: tables, columns, types, keys, row counts and the few values of category columns.

``introspect(url, ...)`` reads the catalogue with SQLAlchemy's inspector on a read-only
session (``core.sql.dialects``), then counts rows and lists the distinct values of
low-cardinality text columns with ordinary queries through the ``GuardedRunner``. Nothing is
ever written. The values let certified queries match "Chennai" in a question, and the DDL
rendered from a ``TableInfo`` is what schema training stores for the LLM's prompt.

Every schema the connection may read is read, not only the default one (an analyst's tables
often live in ``sales`` or ``analytics``, and a database read as "public only" would train
nothing and look fine):

- PostgreSQL: every schema the role has USAGE on, except ``pg_catalog``, ``information_schema``,
  ``pg_toast`` and the temporary schemas; within them, the tables and views the role may SELECT;
- MySQL/MariaDB: the database the URL names; with none, every database the user can see except
  the system ones (``information_schema``, ``mysql``, ``performance_schema``, ``sys``);
- SQLite: the main database and any attached ones.

Tables in the default schema (``public``, the URL's MySQL database, SQLite ``main``) keep their
plain names; the others are named ``schema.table`` wherever they are shown, looked up and
trained. When nothing is readable, ``SchemaInfo.require_tables`` says where it looked and
which GRANT is missing (``NoReadableTables``).
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
from core.sql.dialects import ReadOnlyDatabase, sqlite_path
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
    referred_table: str  # the referred table's name as TableInfo.name gives it: "schema.table" outside the default
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableInfo:
    """One table or view. ``name`` is how the workbench shows it, looks it up and trains it: the plain
    name in the default schema, ``schema.table`` in any other. ``schema`` is None in the default
    schema; SQL names the table with ``qualified_table`` (never by quoting ``name`` whole)."""

    name: str
    schema: str | None
    kind: str  # "table" | "view"
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKeyInfo, ...]
    row_count: int | None
    note: str = ""  # what could not be read, e.g. a row count that hit the time limit

    @property
    def bare_name(self) -> str:
        """The table's own name inside its schema (``orders`` for ``sales.orders``)."""
        return self.name[len(self.schema) + 1:] if self.schema else self.name

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
class SchemaScope:
    """Where introspection looked, as whom, and what it could see but not read: what an empty
    result needs to explain itself."""

    default_schema: str | None = None  # public, the URL's MySQL database, SQLite main; None: none named
    schemas: tuple[str, ...] = ()  # the schemas read, the default first
    unreadable: tuple[tuple[str, str], ...] = ()  # (schema, why): tables there the role may not read
    role: str = ""  # PostgreSQL current_user, MySQL CURRENT_USER() ('user'@'host')
    database: str = ""


class NoReadableTables(DatabaseError):
    """The connection can read no table at all: training it would store nothing and look fine."""

    kind = "no_readable_tables"


@dataclass(frozen=True)
class SchemaInfo:
    dialect: str
    tables: tuple[TableInfo, ...]
    truncated: bool = False  # more than MAX_TABLES tables: the rest are not listed
    scope: SchemaScope = SchemaScope()

    def table(self, name: str) -> TableInfo:
        """A table by its name, ignoring case: ``orders``, ``sales.orders``, or ``public.orders`` for a
        default-schema table; a table outside the default schema also by its plain name when only one has it."""
        wanted = name.lower()
        found = next((t for t in self.tables if t.name == name), None) or \
            next((t for t in self.tables if t.name.lower() == wanted), None)
        if found is not None:
            return found
        default = (self.scope.default_schema or "").lower()
        if default and wanted.startswith(default + "."):
            found = next((t for t in self.tables if t.schema is None and t.name.lower() == wanted[len(default) + 1:]),
                         None)
            if found is not None:
                return found
        elsewhere = [t for t in self.tables if t.schema is not None and t.bare_name.lower() == wanted]
        if len(elsewhere) == 1:
            return elsewhere[0]
        if elsewhere:
            raise InvalidInput(f"Several schemas have a table {name!r} ({', '.join(t.name for t in elsewhere)}): "
                               "name it with its schema.")
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
        names = {t.bare_name.lower() for t in self.tables} | {c.name.lower() for t in self.tables for c in t.columns}
        return frozenset(n for n in names if len(n) >= 4 and n not in _GENERIC_NAMES)

    def value_index(self) -> dict[str, tuple[str, ...]]:
        """'table.column' -> distinct values, for every column whose values were listed."""
        return {f"{t.name}.{c.name}": c.values for t in self.tables for c in t.columns if c.values}

    def require_tables(self) -> "SchemaInfo":
        """This schema, or ``NoReadableTables`` saying where introspection looked and which GRANT is missing."""
        if self.tables:
            return self
        raise NoReadableTables(_no_tables_message(self.dialect, self.scope))


def _no_tables_message(dialect: str, scope: SchemaScope) -> str:
    looked = ", ".join(scope.schemas)
    if dialect == "sqlite":
        return (f"The SQLite database {scope.database} has no tables or views (looked in: {looked or 'main'}), so "
                "there is nothing to train. Check the file in the connection URL.")
    if dialect == "postgres":
        role = quote_identifier(scope.role or "workbench_ro", "postgres")
        where = (f"{_plural(len(scope.schemas), 'schema')} {looked}" if scope.schemas else "no schema (the role has "
                 "USAGE on none)") + f" of database {scope.database} as role {scope.role}"
        hidden = (" Tables it cannot read: " + "; ".join(f"{schema} ({why})" for schema, why in scope.unreadable) + "."
                  if scope.unreadable else "")
        # One schema as the example: granting every schema listed would open more than the analyst needs.
        others = [schema for schema, _ in scope.unreadable if schema != scope.default_schema]
        example = quote_identifier((others or [scope.default_schema or "your_schema"])[0], "postgres")
        return (f"No table can be read here, so there is nothing to train: the workbench looked in {where} and "
                f"found no table or view it may SELECT.{hidden} The role may lack USAGE on the schema that holds the "
                "tables, or SELECT on the tables; for each schema it should read, an administrator can grant both, "
                f"for example: GRANT USAGE ON SCHEMA {example} TO {role}; "
                f"GRANT SELECT ON ALL TABLES IN SCHEMA {example} TO {role};")
    user = _mysql_account(scope.role)
    if scope.database:
        where = f"database {scope.database}"
    else:
        where = f"{_plural(len(scope.schemas), 'database')} {looked}" if scope.schemas else \
            "every database it can see (none but the system ones)"
    target = quote_identifier(scope.database or "your_database", "mysql")
    return (f"No table can be read here, so there is nothing to train: the workbench looked in {where} as "
            f"{user} and found no table or view. The user may lack SELECT on the database that holds the tables; "
            f"an administrator can grant it with: GRANT SELECT, SHOW VIEW ON {target}.* TO {user};")


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def _mysql_account(current_user: str) -> str:
    """CURRENT_USER()'s ``user@host`` as a GRANT names it: ``'user'@'host'``."""
    user, at, host = (current_user or "workbench_ro@%").rpartition("@")
    user, host = (user, host) if at else (host, "%")
    return "'" + user.replace("'", "''") + "'@'" + host.replace("'", "''") + "'"


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
    """The table as SQL names it: ``"sales"."orders"`` outside the default schema, ``"orders"`` in it."""
    name = quote_identifier(table.bare_name, dialect)
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
            inspector = sqlalchemy.inspect(session.connection)
            scope, readable = _SCOPES[database.dialect](session.connection, inspector, database)
            listed = _list_relations(inspector, scope, readable)
            catalogue = [_reflect(inspector, session.connection.dialect, scope, entry) for entry in listed[:MAX_TABLES]]
    finally:
        database.dispose()
    with GuardedRunner(url, timeout_seconds=timeout_seconds, row_cap=max_values + 1, policy=policy) as runner:
        tables = tuple(_measure(runner, table, max_values) for table in catalogue)
    return SchemaInfo(database.dialect, tables, len(listed) > MAX_TABLES, scope)


# Readable relations as (schema, name); None: whatever the inspector lists is readable.
Readable = frozenset[tuple[str, str]] | None

_MYSQL_SYSTEM_DATABASES = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
# Every relation of every non-system schema, with whether the role may use the schema and read it.
# pg_catalog is readable by every role, so this also sees what the role cannot read.
_PG_RELATIONS = (
    "SELECT n.nspname, pg_catalog.has_schema_privilege(n.oid, 'USAGE'), c.relname, "
    "CASE WHEN c.oid IS NULL THEN false ELSE pg_catalog.has_any_column_privilege(c.oid, 'SELECT') END "
    "FROM pg_catalog.pg_namespace n LEFT JOIN pg_catalog.pg_class c "
    "ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "WHERE n.nspname <> 'information_schema' AND NOT pg_catalog.starts_with(n.nspname, 'pg_')"
)


def _postgres_scope(connection: Any, inspector: Any, _database: ReadOnlyDatabase) -> tuple[SchemaScope, Readable]:
    """Schemas the role has USAGE on (pg_catalog, pg_toast, temporary schemas and information_schema
    left out), and the relations there it may SELECT."""
    default = inspector.default_schema_name
    role, database = connection.execute(sqlalchemy.text("SELECT current_user, current_database()")).one()
    usable: set[str] = set()
    readable: set[tuple[str, str]] = set()
    counts: dict[str, list[int]] = {}  # schema -> [relations, readable relations]
    for schema, usage, relation, can_select in connection.execute(sqlalchemy.text(_PG_RELATIONS)).all():
        if usage:
            usable.add(schema)
        if relation is None:
            continue
        count = counts.setdefault(schema, [0, 0])
        count[0] += 1
        if usage and can_select:
            readable.add((schema, relation))
            count[1] += 1
    unreadable = []
    for schema in sorted(counts):
        total, read = counts[schema]
        if schema not in usable:
            unreadable.append((schema, f"no USAGE on the schema, {total} {_plural(total, 'relation')}"))
        elif read < total:
            unreadable.append((schema, f"no SELECT on {total - read} of its {total} {_plural(total, 'relation')}"))
    schemas = ([default] if default in usable else []) + sorted(usable - {default})
    return SchemaScope(default, tuple(schemas), tuple(unreadable), role, database), frozenset(readable)


def _mysql_scope(connection: Any, inspector: Any, _database: ReadOnlyDatabase) -> tuple[SchemaScope, Readable]:
    """The URL's database; without one, every database the user can see but the system ones. The
    server lists only the databases and tables the user has privileges on."""
    default = inspector.default_schema_name
    role = connection.execute(sqlalchemy.text("SELECT CURRENT_USER()")).scalar() or ""
    if default:
        schemas: tuple[str, ...] = (default,)
    else:
        schemas = tuple(sorted((name for name in inspector.get_schema_names()
                                if name.lower() not in _MYSQL_SYSTEM_DATABASES), key=str.lower))
    return SchemaScope(default, schemas, (), role, default or ""), None


def _sqlite_scope(_connection: Any, inspector: Any, database: ReadOnlyDatabase) -> tuple[SchemaScope, Readable]:
    """The main database and any attached ones."""
    schemas = tuple(inspector.get_schema_names()) or ("main",)
    ordered = ("main",) + tuple(name for name in schemas if name != "main")
    return SchemaScope("main", ordered, (), "", str(sqlite_path(database.url))), None


_SCOPES: dict[str, Callable[[Any, Any, ReadOnlyDatabase], tuple[SchemaScope, Readable]]] = {
    "postgres": _postgres_scope, "mysql": _mysql_scope, "sqlite": _sqlite_scope,
}


def _list_relations(inspector: Any, scope: SchemaScope, readable: Readable) -> list[tuple[str, str, str]]:
    """(schema, name, kind) of every readable table and view: the default schema first, each sorted by name."""
    listed = []
    for schema in scope.schemas:
        reflect_as = _reflect_as(schema, scope)
        found = [(name, "table") for name in inspector.get_table_names(schema=reflect_as)]
        found += [(name, "view") for name in inspector.get_view_names(schema=reflect_as)]
        if readable is not None:
            found = [(name, kind) for name, kind in found if (schema, name) in readable]
        listed += [(schema, name, kind) for name, kind in sorted(found, key=lambda item: item[0].lower())]
    return listed


def _reflect_as(schema: str, scope: SchemaScope) -> str | None:
    # The default schema is reflected as SQLAlchemy's None, exactly as before schemas were read.
    return None if schema == scope.default_schema else schema


def _shown_name(schema: str | None, name: str, scope: SchemaScope) -> str:
    return name if schema is None or schema == scope.default_schema else f"{schema}.{name}"


def _reflect(inspector: Any, dialect: Any, scope: SchemaScope,
             entry: tuple[str, str, str]) -> tuple[TableInfo, dict[str, Any]]:
    schema, name, kind = entry
    reflect_as = _reflect_as(schema, scope)
    primary_key = tuple(inspector.get_pk_constraint(name, schema=reflect_as).get("constrained_columns") or ()) \
        if kind == "table" else ()
    foreign_keys = tuple(
        ForeignKeyInfo(tuple(fk["constrained_columns"]), _shown_name(_referred_schema(fk, schema, scope, dialect.name),
                                                                     fk["referred_table"], scope),
                       tuple(fk["referred_columns"]))
        for fk in (inspector.get_foreign_keys(name, schema=reflect_as) if kind == "table" else ())
    )
    raw_columns = inspector.get_columns(name, schema=reflect_as)
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
    table = TableInfo(_shown_name(reflect_as, name, scope), reflect_as, kind, columns, primary_key, foreign_keys,
                      row_count=None)
    return table, {column["name"]: column["type"] for column in raw_columns}


def _referred_schema(fk: dict[str, Any], schema: str, scope: SchemaScope, engine: str) -> str | None:
    """The schema a foreign key points into. SQLAlchemy leaves it None when PostgreSQL's search path
    reaches the table (the default schema), and on MySQL and SQLite when it is the table's own."""
    if fk.get("referred_schema"):
        return fk["referred_schema"]
    return scope.default_schema if engine == "postgresql" else schema


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
