"""A data-dir-wide reader/writer lock: writers of documents share it, a backup takes it alone.

Writing one document (ingest, resume, re-index, repair, delete) touches several stores in turn:
the metadata row, the stored files, Chroma, the graph. A snapshot taken half-way would capture
some of them and not the others. So every such write section holds ``<data dir>/.write.lock``
SHARED (concurrent uploads still run together), and a backup holds it EXCLUSIVE while it copies
the stores (reads go on; writers wait only for the copy).

``flock`` gives no preference to a waiting exclusive locker, so a steady stream of uploads
could starve a backup. A second file, ``.write.gate``, fixes that: a writer passes the gate
(shared, held only while it takes the write lock); the backup holds the gate exclusive first,
so new writers queue behind it while those already writing finish.

The lock is re-entrant per thread (a write section calling another takes it once): otherwise a
nested section would queue behind a waiting backup that waits for the outer one, a deadlock.
Both files are ``flock``-ed, so the kernel drops them when a process dies, however it dies.
Without ``fcntl`` (Windows) the lock does nothing and says so in ``LOCKS_SUPPORTED``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import BackendUnavailable

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_NAME = ".write.lock"
GATE_NAME = ".write.gate"
LOCKS_SUPPORTED = fcntl is not None
_held = threading.local()  # data dirs this thread holds shared: {path: depth}


class DataLock:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)

    def _open(self, name: str) -> int:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return os.open(self.data_dir / name, os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Held around one document's writes; waits only while a backup copies the stores."""
        depths = getattr(_held, "depths", None)
        if depths is None:
            depths = _held.depths = {}
        key = str(self.data_dir.resolve())
        if not LOCKS_SUPPORTED or depths.get(key):
            depths[key] = depths.get(key, 0) + 1
            try:
                yield
            finally:
                depths[key] -= 1
            return
        gate, lock = self._open(GATE_NAME), self._open(LOCK_NAME)
        try:
            fcntl.flock(gate, fcntl.LOCK_SH)
            try:
                fcntl.flock(lock, fcntl.LOCK_SH)
            finally:
                os.close(gate)  # closing drops the gate: it only orders how the lock is taken
                gate = -1
            depths[key] = 1
            try:
                yield
            finally:
                depths[key] = 0
        finally:
            if gate >= 0:
                os.close(gate)
            os.close(lock)

    @contextmanager
    def exclusive(self, timeout: float) -> Iterator[None]:
        """No document is being written while this is held. Waits up to ``timeout`` seconds for
        running writers to finish, then raises ``BackendUnavailable`` (nothing is held then)."""
        if not LOCKS_SUPPORTED:
            yield
            return
        deadline = time.monotonic() + timeout
        gate = self._open(GATE_NAME)
        lock = -1
        try:
            _wait_for(gate, deadline, "another backup is running")
            lock = self._open(LOCK_NAME)
            _wait_for(lock, deadline, "documents are still being written (uploads, re-indexing or repairs)")
            yield
        finally:
            if lock >= 0:
                os.close(lock)
            os.close(gate)


def _wait_for(fd: int, deadline: float, busy: str) -> None:
    wait_for_flock(fd, deadline, lambda: BackendUnavailable(
        f"Cannot take a consistent snapshot now: {busy}. Try again when they finish, or allow a longer wait."))


def wait_for_flock(fd: int, deadline: float, timed_out: Callable[[], Exception], *, max_delay: float = 0.5) -> None:
    """Take an exclusive flock on ``fd``, retrying with a growing delay until ``deadline`` (monotonic
    seconds), then raise ``timed_out()``."""
    delay = 0.02
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise timed_out() from None
            time.sleep(delay)
            delay = min(delay * 2, max_delay)
