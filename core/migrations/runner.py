"""Running the metadata store's Alembic revisions; see the package docstring."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from core.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).resolve().parent
BASELINE = "0001"
# A table every pre-migration data dir has: its presence without alembic_version means "baseline".
_LEGACY_MARKER = "documents"
_PG_LOCK_KEY = 0x41575F6D  # "AW_m": any constant the workbench alone uses
_MYSQL_LOCK_NAME = "analyst_workbench_migrate"
_LOCK_WAIT_SECONDS = 120


@dataclass(frozen=True)
class SchemaReport:
    """Where a metadata database stands: its revision, the code's newest, and what an upgrade applied."""

    current: str | None
    head: str
    applied: tuple[str, ...] = ()

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest revision this code knows."""
    return _scripts().get_current_head()


def schema_report(engine: Engine) -> SchemaReport:
    """The database's revision (None for an empty or pre-migration one) and the code's head; changes nothing."""
    with engine.connect() as connection:
        return SchemaReport(_current(connection), head_revision())


def upgrade(engine: Engine) -> SchemaReport:
    """Bring the database to the head revision under a lock; refuses one newer than the code."""
    report = schema_report(engine)
    _refuse_unknown(report.current)
    if report.up_to_date:
        return report
    with _migration_lock(engine):
        with engine.begin() as connection:
            current = _current(connection)
            _refuse_unknown(current)
            if current is None and _LEGACY_MARKER in inspect(connection).get_table_names():
                command.stamp(_config(connection), BASELINE)
                current = BASELINE
            start = current
            if current != head_revision():
                command.upgrade(_config(connection), "head")
            applied = _revisions_between(start, head_revision())
    return SchemaReport(report.current, head_revision(), applied)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _refuse_unknown(revision: str | None) -> None:
    if revision is None:
        return
    try:
        known = _scripts().get_revision(revision)
    except Exception:  # alembic raises several types for a revision it has never heard of
        known = None
    if known is None:
        raise ConfigError(
            f"The metadata store is at schema revision {revision}, which is newer than this version of the "
            f"workbench knows (its newest is {head_revision()}). Run the newer version, or restore a backup made "
            "with this one; running older code on a newer data dir could lose data."
        )


def _revisions_between(start: str | None, end: str) -> tuple[str, ...]:
    if start == end:
        return ()
    revisions = [script.revision for script in _scripts().iterate_revisions(end, start or "base")]
    return tuple(reversed([r for r in revisions if r != start]))


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    backend = engine.url.get_backend_name()
    if backend == "sqlite":
        database = engine.url.database or ""
        if database in ("", ":memory:"):
            yield
            return
        lock_path = Path(database).with_name(Path(database).name + ".migrate-lock")
        with open(lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with engine.connect() as holder:
        if backend == "postgresql":
            holder.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_LOCK_KEY})")
            release = f"SELECT pg_advisory_unlock({_PG_LOCK_KEY})"
        elif backend in ("mysql", "mariadb"):
            got = holder.exec_driver_sql(f"SELECT GET_LOCK('{_MYSQL_LOCK_NAME}', {_LOCK_WAIT_SECONDS})").scalar()
            if got != 1:
                raise ConfigError("Another process has been migrating the metadata store for two minutes; try again.")
            release = f"SELECT RELEASE_LOCK('{_MYSQL_LOCK_NAME}')"
        else:
            release = ""
        holder.commit()
        try:
            yield
        finally:
            if release:
                holder.exec_driver_sql(release)
                holder.commit()
