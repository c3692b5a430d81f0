"""LadybugGraphStore: the embedded default, an on-disk LadybugDB database under the data dir.

LadybugDB (the maintained fork of Kùzu) needs a declared schema, so node and relationship
tables are created at start with ``IF NOT EXISTS``. The database is opened per operation so
that several workbench processes can share one data dir (see LadybugSession).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, TypeVar

from core.errors import BackendUnavailable
from core.graph.cypher_store import CypherGraphStore, Run
from core.health import BackendHealth, embedded_dir_health
from core.settings import GraphSettings

T = TypeVar("T")

DATABASE_FILE = "graph.lbug"

SCHEMA = (
    "CREATE NODE TABLE IF NOT EXISTS Document(uid STRING, workspace STRING, document_id STRING, title STRING, "
    "PRIMARY KEY (uid))",
    "CREATE NODE TABLE IF NOT EXISTS Chunk(uid STRING, workspace STRING, chunk_id STRING, document_id STRING, "
    "text STRING, position INT64, PRIMARY KEY (uid))",
    "CREATE NODE TABLE IF NOT EXISTS Entity(uid STRING, workspace STRING, key STRING, name STRING, type STRING, "
    "aliases STRING[], search_text STRING, PRIMARY KEY (uid))",
    "CREATE NODE TABLE IF NOT EXISTS DbRow(uid STRING, workspace STRING, table_name STRING, column_name STRING, "
    "key_column STRING, key_value STRING, PRIMARY KEY (uid))",
    "CREATE REL TABLE IF NOT EXISTS PART_OF(FROM Chunk TO Document)",
    "CREATE REL TABLE IF NOT EXISTS MENTIONS(FROM Chunk TO Entity)",
    "CREATE REL TABLE IF NOT EXISTS RELATED(FROM Entity TO Entity, rtype STRING, evidence STRING[], "
    "evidence_weights DOUBLE[], weight DOUBLE)",
    "CREATE REL TABLE IF NOT EXISTS LINKED_TO(FROM Entity TO DbRow)",
)


class LadybugSession:
    """Runs Cypher on LadybugDB; rows come back as dicts keyed by column name.

    LadybugDB lets one process at a time open a database file. The Streamlit app, the Gradio
    endpoint and the CLI are separate processes on the same data dir, so the database is opened
    for each operation (about 5 ms) and closed right after; a process that finds it busy waits
    and retries for up to ``LOCK_WAIT_SECONDS``. Within a process a lock serialises access.
    """

    LOCK_WAIT_SECONDS = 15.0

    def __init__(self, path: Path, *, buffer_pool_mb: int = 256) -> None:
        self._path = Path(path)
        self._buffer_pool = buffer_pool_mb * 1024 * 1024
        self._lock = threading.RLock()
        self._connection: Any = None  # set while an operation or transaction holds the database
        self._database: Any = None
        self._depth = 0
        try:
            self._path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackendUnavailable(f"Cannot create the embedded graph store folder {self._path}: {exc.strerror}.") from exc
        with self._opened():
            for statement in SCHEMA:
                self._execute(statement, {})

    def describe(self) -> str:
        return f"LadybugDB (embedded) at {self._path}"

    def hold(self):
        """Keep the database open for the calls made inside this context (one open, not one per query)."""
        return self._opened()

    @contextmanager
    def _opened(self):
        with self._lock:
            if self._closed:
                raise BackendUnavailable(f"The embedded graph store at {self._path} was closed.")
            if self._depth == 0:
                self._open_with_retry()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._close_handles()

    def _open_with_retry(self) -> None:
        import ladybug  # imported here: only the embedded backend needs the native library

        deadline = time.monotonic() + self.LOCK_WAIT_SECONDS
        delay = 0.02
        while True:
            try:
                self._database = ladybug.Database(str(self._path / DATABASE_FILE), buffer_pool_size=self._buffer_pool)
                self._connection = ladybug.Connection(self._database)
                return
            except (OSError, RuntimeError) as exc:
                self._close_handles()
                busy = "lock" in str(exc).lower()
                if not busy or time.monotonic() >= deadline:
                    reason = "another workbench process kept it busy" if busy else str(exc)
                    raise BackendUnavailable(
                        f"Cannot open the embedded graph store at {self._path}: {reason}. Check that the folder is "
                        "writable; for many concurrent processes use Neo4j (AW_GRAPH_BACKEND=neo4j)."
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _close_handles(self) -> None:
        for handle in (self._connection, self._database):
            if handle is not None:
                try:
                    handle.close()
                except RuntimeError:
                    pass
        self._connection = self._database = None

    def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._opened():
            return self._execute(query, params)

    def _execute(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            result = self._connection.execute(query, params)
            columns = result.get_column_names()
            rows = result.get_all()
            result.close()
        except RuntimeError as exc:
            raise BackendUnavailable(f"The embedded graph store at {self._path} failed a query: {exc}") from exc
        return [dict(zip(columns, row)) for row in rows]

    def write(self, work: Callable[[Run], T]) -> T:
        with self._opened():
            if self._in_transaction:  # nested work joins the open transaction
                return work(self._execute)
            self._execute("BEGIN TRANSACTION", {})
            self._in_transaction = True
            try:
                outcome = work(self._execute)
            except BaseException:
                self._in_transaction = False
                self._rollback()
                raise
            self._in_transaction = False
            self._execute("COMMIT", {})
            return outcome

    _in_transaction = False
    _closed = False

    def _rollback(self) -> None:
        # A failed statement already ends the transaction inside LadybugDB, and then ROLLBACK
        # reports "no active transaction"; the error that got us here is re-raised by the caller.
        try:
            self._execute("ROLLBACK", {})
        except BackendUnavailable as exc:
            if "no active transaction" not in str(exc).lower():
                raise

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._depth == 0:
                self._close_handles()


class LadybugGraphStore(CypherGraphStore):
    """GraphStore on an embedded LadybugDB database kept in the folder ``path``."""

    description = "LadybugDB, embedded under the data dir"
    settings_section = "graph"

    def __init__(self, path: Path | str, *, buffer_pool_mb: int = 256) -> None:
        self.path = Path(path)
        super().__init__(LadybugSession(self.path, buffer_pool_mb=buffer_pool_mb))

    @classmethod
    def from_settings(cls, settings: GraphSettings) -> "LadybugGraphStore":
        """Open (or create) the graph under ``settings.path`` (``<data dir>/graph`` by default)."""
        return cls(settings.path)

    @classmethod
    def check_health(cls, settings: GraphSettings) -> BackendHealth:
        """Ready when the package is installed and the data dir is writable; the database is not opened."""
        return embedded_dir_health("graph", "ladybug", settings.path.parent, "ladybug", shown=settings.path)
