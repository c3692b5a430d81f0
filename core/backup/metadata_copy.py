"""The metadata store in a backup: a SQLite snapshot, or a portable dump of a server database.

SQLite: ``sqlite3``'s online backup API copies a consistent snapshot while the app reads and
writes (WAL mode). A server (PostgreSQL, MySQL/MariaDB): every table as JSON lines, read in one
REPEATABLE READ transaction, tables in foreign-key order, with the Alembic revision recorded.
Restoring loads rows into an empty database migrated to the backup's revision (so the columns
match), in one transaction; the store's own start-up migration then brings it to the code's head.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, func, inspect, select
from sqlalchemy.engine import Engine, make_url

from core.errors import InvalidInput

_BATCH = 1000
_VERSION_TABLE = "alembic_version"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database)
    return None


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _scripts() -> ScriptDirectory:
    from core.migrations.runner import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def snapshot_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal to carry along
    finally:
        dst.close()
        src.close()


def dump(engine: Engine, folder: Path) -> dict[str, int]:
    """Write ``<table>.jsonl`` per table of one consistent read; returns the row count per table."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    options = {} if engine.url.get_backend_name() == "sqlite" else {"isolation_level": "REPEATABLE READ"}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        reflected = MetaData()
        reflected.reflect(connection)
        for table in reflected.sorted_tables:
            if table.name == _VERSION_TABLE:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            count = 0
            with open(folder / f"{table.name}.jsonl", "w", encoding="utf-8") as stream:
                for row in connection.execute(select(table).order_by(*order)).mappings():
                    stream.write(json.dumps(dict(row), ensure_ascii=False) + "\n")
                    count += 1
            counts[table.name] = count
    return counts


class DumpSource:
    """Rows of a backup's JSON-lines dump, table by table."""

    def __init__(self, folder: Path):
        self.folder = folder

    def rows(self, table: str) -> Iterator[dict] | None:
        path = self.folder / f"{table}.jsonl"
        if not path.is_file():
            return None
        return _read_lines(path)

    def close(self) -> None:
        pass


class SqliteSource:
    """Rows of a backup's SQLite snapshot, for loading into a server database."""

    def __init__(self, path: Path):
        self.engine = create_engine(f"sqlite:///{path}")
        self.reflected = MetaData()
        self.reflected.reflect(self.engine)

    def rows(self, table: str) -> Iterator[dict] | None:
        if table not in self.reflected.tables:
            return None
        return self._stream(self.reflected.tables[table])

    def _stream(self, table) -> Iterator[dict]:
        with self.engine.connect() as connection:
            for row in connection.execute(select(table)).mappings():
                yield dict(row)

    def close(self) -> None:
        self.engine.dispose()


def _read_lines(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def check_empty(engine: Engine) -> None:
    """Refuse a target database that holds any workbench rows (restoring would mix two data sets)."""
    with engine.connect() as connection:
        names = [n for n in inspect(connection).get_table_names() if n != _VERSION_TABLE]
        reflected = MetaData()
        reflected.reflect(connection, only=names)
        for table in reflected.sorted_tables:
            if connection.execute(select(func.count()).select_from(table)).scalar():
                raise InvalidInput(f"The metadata database {engine.url.render_as_string(hide_password=True)} is not "
                                   f"empty (table {table.name} has rows): restore into an empty database.")


def load(engine: Engine, revision: str, source: "DumpSource | SqliteSource") -> dict[str, int]:
    """Migrate the empty database to ``revision`` and insert every row, all in one transaction."""
    from core.migrations.runner import MIGRATIONS_DIR

    check_empty(engine)
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        current = MigrationContext.configure(connection).get_current_revision()
        # A freshly migrated (empty) database may be ahead of the backup: step it back first, so the
        # rows go into the columns they were written for, and the start-up migration moves them on.
        if current is not None and current != revision and _is_ancestor(revision, current):
            command.downgrade(config, revision)
        elif current != revision:
            command.upgrade(config, revision)
        reflected = MetaData()
        reflected.reflect(connection)
        for table in reflected.sorted_tables:  # parents before children
            rows = source.rows(table.name)
            if rows is None:
                continue
            columns = set(table.columns.keys())
            count, batch = 0, []
            for row in rows:
                unknown = set(row) - columns
                if unknown:
                    raise InvalidInput(f"The backup's table {table.name} has columns {sorted(unknown)} its schema "
                                       f"revision {revision} does not: the backup is damaged.")
                batch.append(row)
                if len(batch) >= _BATCH:
                    connection.execute(table.insert(), batch)
                    count, batch = count + len(batch), []
            if batch:
                connection.execute(table.insert(), batch)
                count += len(batch)
            counts[table.name] = count
    return counts


def _is_ancestor(older: str, newer: str) -> bool:
    return any(script.revision == older for script in _scripts().iterate_revisions(newer, "base"))
