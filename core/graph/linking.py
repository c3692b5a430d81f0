"""Link graph entities to database rows: a gazetteer from a database's text values, and links by name.

A workspace's SQL database already knows many of the names its documents use (customers,
products, cities, carriers). ``SqlValueSource`` reads those values through the guarded,
read-only runner (never writing, always time-limited); ``gazetteer_from_values`` turns them
into a ``Gazetteer`` the extractor matches in text; ``link_entities`` links entities whose
normalised name is a known value to the rows that hold it.

Which columns count: text columns whose name says what they hold (``city`` is a place,
``carrier`` an organisation, ``customers.name`` a person, ``products.name`` a product),
with at most ``max_distinct`` distinct values. A value held by exactly one row is linked by
the table's primary key (``customers.customer_id = 17``) when the column's values are unique;
values of a column that repeats them (a city) are linked by the value itself
(``customers.city = 'Chennai'``), so one entity never fans out into hundreds of links.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Mapping, NamedTuple, Protocol, Sequence

from sqlalchemy.engine import make_url

from core.errors import DatabaseError, NotFound
from core.graph import normalize as norm
from core.graph.extraction import EntityLink, Gazetteer
from core.graph.store import DbRef, GraphStore
from core.settings import SQLSettings
from core.sql.runner import GuardedRunner

logger = logging.getLogger(__name__)

DEFAULT_MAX_DISTINCT = 5000
_MAX_VALUE_CHARS = 80
_TEXT_TYPES = re.compile(r"char|text|string|clob|enum|name", re.IGNORECASE)

_PLACE_COLUMNS = frozenset({
    "city", "town", "country", "state", "region", "province", "district", "county", "location", "place",
    "destination", "origin", "municipality",
})
_ORG_COLUMNS = frozenset({
    "carrier", "company", "supplier", "vendor", "manufacturer", "brand", "organisation", "organization", "employer",
    "bank", "merchant", "partner", "courier", "publisher", "retailer", "store", "shop", "airline",
})
_NAME_COLUMNS = frozenset({"name", "full_name", "fullname", "display_name", "title"})
_TABLE_TYPES = (
    (norm.PERSON, frozenset({"customer", "person", "people", "employee", "user", "contact", "staff", "client", "member",
                             "agent", "author", "patient", "student", "driver", "seller", "buyer"})),
    (norm.PRODUCT, frozenset({"product", "item", "sku", "article", "good", "catalog", "catalogue", "part", "model"})),
    (norm.ORG, frozenset({"company", "companie", "supplier", "vendor", "carrier", "organisation", "organization", "brand",
                          "bank", "merchant", "partner", "store", "shop", "manufacturer", "account"})),
    (norm.PLACE, frozenset({"city", "citie", "country", "countrie", "region", "location", "place", "warehouse", "site"})),
)


class TextValue(NamedTuple):
    """One text value of a database and the row that holds it (``key_column = key_value``)."""

    table: str
    column: str
    key_column: str
    key_value: str
    value: str


class ValueSource(Protocol):
    """Where a workspace's known names come from (a database's text columns, typically)."""

    def text_values(self, workspace: str) -> list[TextValue]:
        """The text values of the workspace's database; empty when it has none."""


def column_entity_type(table: str, column: str, overrides: Mapping[str, str] | None = None) -> str | None:
    """The entity type the values of ``table.column`` name, or None when the column holds no names.

    ``overrides`` maps ``"table.column"`` to a type (or to ``""`` to leave a column out).
    """
    if overrides and f"{table}.{column}" in overrides:
        return overrides[f"{table}.{column}"] or None
    col = column.lower()
    words = set(re.split(r"[^a-z0-9]+", col))
    if col in _PLACE_COLUMNS or words & {"city", "country", "town"}:
        return norm.PLACE
    if col in _ORG_COLUMNS or (words & _ORG_COLUMNS and "name" in words):
        return norm.ORG
    subject = _singular(table.lower().split(".")[-1])
    if col in _NAME_COLUMNS or col == f"{subject}_name":
        for entity_type, tables in _TABLE_TYPES:
            if subject in tables or subject.split("_")[-1] in tables:
                return entity_type
        return None
    if col.endswith("_name"):  # "customer_name" in an orders table names a customer
        owner = _singular(col.removesuffix("_name"))
        for entity_type, tables in _TABLE_TYPES:
            if owner in tables:
                return entity_type
    return None


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def gazetteer_from_values(values: Iterable[TextValue], overrides: Mapping[str, str] | None = None) -> Gazetteer:
    """A gazetteer of the values whose column names a type of thing (see ``column_entity_type``)."""
    by_column: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for value in values:
        by_column.setdefault((value.table, value.column, value.key_column), []).append((value.key_value, value.value))
    parts = []
    for (table, column, key_column), rows in by_column.items():
        entity_type = column_entity_type(table, column, overrides)
        if entity_type is not None:
            parts.append(Gazetteer.from_column(entity_type=entity_type, table=table, column=column,
                                               key_column=key_column, rows=rows))
    return Gazetteer().merged(*parts)


def links_for(entity_keys: Iterable[str], gazetteer: Gazetteer) -> tuple[EntityLink, ...]:
    """A link for every entity whose normalised name is a gazetteer value, to each row holding it.

    The spaCy extractor links what its gazetteer matched already; this covers entities found
    another way (an LLM's), matched on the same normalised key, so "Acme Corp." finds "ACME Corp".
    """
    refs_by_key: dict[str, list[DbRef]] = {}
    for entry in gazetteer.entries:
        refs_by_key.setdefault(norm.entity_key(entry.name), []).extend(entry.refs)
    return tuple(
        EntityLink(key, ref) for key in dict.fromkeys(entity_keys) for ref in dict.fromkeys(refs_by_key.get(key, ()))
    )


def link_entities(store: GraphStore, workspace: str, entity_keys: Iterable[str], gazetteer: Gazetteer) -> int:
    """Write ``links_for(entity_keys, gazetteer)`` into the graph; returns how many links were written."""
    links = links_for(entity_keys, gazetteer)
    for link in links:
        ref = link.ref
        store.link_entity_to_row(workspace, link.entity_key, ref.table, ref.column, ref.key_column, ref.key_value)
    return len(links)


class _Column(NamedTuple):
    table: str
    column: str
    key_column: str | None  # the table's single-column primary key, if it has one


class SqlValueSource:
    """Low-cardinality text values of each workspace's database, read through ``GuardedRunner``.

    ``runner_for(workspace)`` returns the runner of the workspace's database, or None when the
    workspace has none. Values are cached per workspace for ``cache_seconds``: ingesting a
    folder must not read the database once per file.
    """

    def __init__(
        self,
        runner_for: Callable[[str], GuardedRunner | None],
        *,
        max_distinct: int = DEFAULT_MAX_DISTINCT,
        overrides: Mapping[str, str] | None = None,
        cache_seconds: float = 300.0,
    ) -> None:
        self._runner_for = runner_for
        self.max_distinct = max_distinct
        self.overrides = dict(overrides or {})
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, list[TextValue]]] = {}
        self._lock = threading.Lock()
        self._closers: list[Callable[[], None]] = []

    @classmethod
    def for_url(
        cls, url: str, settings: SQLSettings, *, workspaces: Sequence[str] | None = None, missing_ok: bool = False, **options
    ) -> "SqlValueSource":
        """One database for the given ``workspaces`` (all when None), e.g. the demo database.

        ``missing_ok``: a SQLite file that does not exist yet means "no database" instead of an error.
        """
        runner = _LazyRunner(url, settings, missing_ok=missing_ok)
        allowed = None if workspaces is None else frozenset(workspaces)
        source = cls(lambda ws: runner.get() if allowed is None or ws in allowed else None, **options)
        source.on_close(runner.close)
        return source

    def text_values(self, workspace: str) -> list[TextValue]:
        with self._lock:
            cached = self._cache.get(workspace)
            if cached and time.monotonic() - cached[0] < self.cache_seconds:
                return cached[1]
        runner = self._runner_for(workspace)
        values = [] if runner is None else self._read(runner)
        with self._lock:
            self._cache[workspace] = (time.monotonic(), values)
        return values

    def invalidate(self, workspace: str | None = None) -> None:
        """Forget cached values (of one workspace, or all), e.g. before rebuilding the graph."""
        with self._lock:
            if workspace is None:
                self._cache.clear()
            else:
                self._cache.pop(workspace, None)

    def on_close(self, release: Callable[[], None]) -> None:
        """Run ``release`` (close a runner, say) when this source is closed."""
        self._closers.append(release)

    def close(self) -> None:
        for close in self._closers:
            close()

    def _read(self, runner: GuardedRunner) -> list[TextValue]:
        values: list[TextValue] = []
        for column in _text_columns(runner):
            if column_entity_type(column.table, column.column, self.overrides) is None:
                continue  # only columns that name things become entities; "status" never does
            try:
                values.extend(self._column_values(runner, column))
            except DatabaseError as exc:  # one odd column (an exotic key type) must not hide the others
                logger.warning("Skipping %s.%s for entity linking: %s", column.table, column.column, exc)
        return values

    def _column_values(self, runner: GuardedRunner, column: _Column) -> list[TextValue]:
        q = _quoter(runner.dialect)
        key = f"MIN({q(column.key_column)})" if column.key_column else "NULL"
        result = runner.run(
            f"SELECT {q(column.column)} AS value, COUNT(*) AS n, {key} AS key_value FROM {q(column.table)} "
            f"WHERE {q(column.column)} IS NOT NULL GROUP BY {q(column.column)} ORDER BY n DESC LIMIT {self.max_distinct + 1}"
        )
        if result.truncated or len(result.rows) > self.max_distinct:
            logger.info("Not linking %s.%s: more than %d distinct values", column.table, column.column, self.max_distinct)
            return []
        # A column whose every value is one row's (names) links by key; otherwise (cities) every
        # value links as "the rows where column = value", even the values only one row has yet.
        by_key = column.key_column is not None and all(int(count) == 1 for _, count, _ in result.rows)
        return [
            TextValue(column.table, column.column, column.key_column, str(key_value), value) if by_key
            else TextValue(column.table, column.column, column.column, value, value)
            for value, _count, key_value in result.rows
            if _usable(value)
        ]


def _usable(value: object) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    return 3 <= len(text) <= _MAX_VALUE_CHARS and "@" not in text and "://" not in text and not text.replace(" ", "").isdigit()


class _LazyRunner:
    """A runner opened on first use, so building a workbench never touches the database."""

    def __init__(self, url: str, settings: SQLSettings, *, missing_ok: bool) -> None:
        self._url, self._settings, self._missing_ok = url, settings, missing_ok
        self._runner: GuardedRunner | None = None
        self._lock = threading.Lock()

    def get(self) -> GuardedRunner | None:
        with self._lock:
            if self._runner is None:
                parsed = make_url(self._url)
                if self._missing_ok and parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
                    return None
                self._runner = GuardedRunner.from_settings(self._url, self._settings)
            return self._runner

    def close(self) -> None:
        with self._lock:
            if self._runner is not None:
                self._runner.close()
                self._runner = None


class SqlServiceRunners:
    """``runner_for`` over the SQL service's saved connections: each workspace's default, or None.

    Reads through its own guarded, read-only runner per connection (the service's runners
    record every query in the analyst's history; reading names for the graph is not a question).
    """

    def __init__(self, sql_service, settings: SQLSettings) -> None:
        self._sql = sql_service
        self._settings = settings
        self._runners: dict[tuple[str, str], GuardedRunner] = {}
        self._lock = threading.Lock()

    def __call__(self, workspace: str) -> GuardedRunner | None:
        try:
            saved = self._sql.connection(workspace)
        except NotFound:
            return None  # no database in this workspace: nothing to link to
        with self._lock:
            key = (saved.id, saved.url)
            if key not in self._runners:
                self._runners[key] = GuardedRunner.from_settings(self._sql.connections_store.full_url(saved), self._settings)
            return self._runners[key]

    def close(self) -> None:
        with self._lock:
            runners, self._runners = list(self._runners.values()), {}
        for runner in runners:
            runner.close()


def _quoter(dialect: str) -> Callable[[str], str]:
    if dialect == "mysql":
        return lambda name: "`" + name.replace("`", "``") + "`"
    return lambda name: '"' + name.replace('"', '""') + '"'


def _text_columns(runner: GuardedRunner) -> list[_Column]:
    """Every text column of every table the connection sees, with the table's single-column key."""
    if runner.dialect == "sqlite":
        return _sqlite_columns(runner)
    if runner.dialect == "postgres":
        # Keys come from pg_catalog: information_schema.table_constraints hides them from a role that
        # can only SELECT, which is the only kind of role the workbench accepts.
        rows = runner.run(
            "SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
            "COALESCE((SELECT cardinality(i.indkey) FROM pg_catalog.pg_index i "
            "  WHERE i.indrelid = c.oid AND i.indisprimary), 0) AS pk_columns, "
            "(SELECT COUNT(*) FROM pg_catalog.pg_index i "
            "  WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY(i.indkey)) AS is_pk "
            "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm') "
            "AND pg_catalog.has_table_privilege(c.oid, 'SELECT') "
            "ORDER BY c.relname, a.attnum"
        ).rows
    else:
        rows = runner.run(
            "SELECT c.table_name, c.column_name, c.data_type, "
            "(SELECT COUNT(*) FROM information_schema.columns p WHERE p.table_schema = c.table_schema "
            " AND p.table_name = c.table_name AND p.column_key = 'PRI') AS pk_columns, "
            "CASE WHEN c.column_key = 'PRI' THEN 1 ELSE 0 END AS is_pk "
            "FROM information_schema.columns c WHERE c.table_schema = DATABASE() ORDER BY c.table_name, c.ordinal_position"
        ).rows
    return _columns_from(rows)


def _sqlite_columns(runner: GuardedRunner) -> list[_Column]:
    tables = [row[0] for row in runner.run(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").rows]
    rows = []
    for table in tables:
        info = runner.run("SELECT name, type, pk FROM pragma_table_info(:t)", {"t": table}).rows
        pk_columns = sum(1 for _, _, pk in info if pk)
        rows.extend((table, name, col_type or "", pk_columns, 1 if pk else 0) for name, col_type, pk in info)
    return _columns_from(rows)


def _columns_from(rows: Iterable[Sequence]) -> list[_Column]:
    keys: dict[str, str] = {}
    for table, column, _type, pk_columns, is_pk in rows:
        if int(pk_columns) == 1 and int(is_pk):
            keys[table] = column
    return [
        _Column(table, column, keys.get(table))
        for table, column, col_type, _pk, is_pk in rows
        if _TEXT_TYPES.search(str(col_type)) and not int(is_pk)
    ]
