"""A background thread that finishes interrupted ingestion work, so no upload waits for it.

Re-indexing a large document a killed process left half-done can take minutes of embedding;
the upload that happens to notice it must not pay for that. The pipeline hands this worker
the ids it found, per workspace, and returns at once. One thread at most: the embedded
stores want one writer, and two repairs would only compete for the same CPU.

``stop()`` asks the running repair to stop at its next batch; the document stays
"indexing" with the vectors written so far, and the next repair resumes from them. The
CLI calls it before exiting, and every worker is stopped that way when the interpreter
shuts down, so no process ever waits on a long repair to exit.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Callable, Collection

logger = logging.getLogger(__name__)

_workers: "weakref.WeakSet[RepairWorker]" = weakref.WeakSet()
_exit_hook_registered = False


def _stop_all_at_exit() -> None:
    for worker in list(_workers):
        worker.stop()


def _register_exit_hook() -> None:
    # threading's own exit hooks run before it joins non-daemon threads (atexit runs after,
    # too late); concurrent.futures relies on the same hook.
    global _exit_hook_registered
    if not _exit_hook_registered and hasattr(threading, "_register_atexit"):
        try:
            threading._register_atexit(_stop_all_at_exit)
            _exit_hook_registered = True
        except RuntimeError:  # already shutting down
            pass

RepairRun = Callable[[str, Collection[str], threading.Event], object]


class RepairWorker:
    def __init__(self, run: RepairRun):
        self._run = run  # run(workspace, document_ids, stop_event)
        self._pending: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None

    def schedule(self, workspace: str, document_ids: Collection[str]) -> None:
        if not document_ids:
            return
        with self._lock:
            self._pending.setdefault(workspace, set()).update(document_ids)
            self._idle.clear()
            if self._thread is None:
                # Not a daemon: an interpreter exiting mid-write would cut a store's write short.
                _workers.add(self)
                _register_exit_hook()
                self._thread = threading.Thread(target=self._loop, name="aw-ingest-repair")
                self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if not self._pending or self._stop.is_set():
                    self._pending.clear()
                    self._thread = None
                    self._stop.clear()
                    self._idle.set()
                    return
                workspace, ids = self._pending.popitem()
            try:
                self._run(workspace, ids, self._stop)
            except Exception:  # a store's own error: logged; the rows stay for the next repair
                logger.exception("background repair of workspace %s failed", workspace)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no repair is pending or running; False if the timeout passed first."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the current batch and forget what is pending (the next ingest finds it again)."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._stop.set()
        thread.join(timeout)
