"""Who is working on a document right now: an OS file lock held for as long as the work runs.

A process indexing, repairing or deleting a document holds an exclusive ``flock`` on
``<files>/<workspace>/<document id>/owner.lock``. The kernel drops the lock when the process
dies, however it dies (kill -9 included), so a document whose lock can be taken is known to be
abandoned at once: no need to wait for a staleness timeout before repairing it, and no risk of
disturbing an upload that is still running in another process or thread. ``flock`` locks belong
to an open file, so two threads of one process exclude each other too.

Where ``fcntl`` is missing (Windows), or for rows written before locks existed, nothing can be
proved and callers fall back to the age of the row (see ``STALE_SECONDS`` in the pipeline).
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_NAME = "owner.lock"
LOCKS_SUPPORTED = fcntl is not None


class Claim:
    """An exclusive claim on one document folder; release it when the work is done."""

    def __init__(self, fd: int | None):
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file drops the flock
            self._fd = None

    def __enter__(self) -> "Claim":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def has_lock_file(folder: Path) -> bool:
    """True when the folder was claimed by lock-aware code: its lock then tells liveness."""
    return LOCKS_SUPPORTED and (folder / LOCK_NAME).exists()


def try_claim(folder: Path) -> Claim | None:
    """Claim the folder without waiting; None when a live process or thread holds it.

    Creates the folder and the lock file when missing. Without fcntl the claim proves nothing
    and always succeeds: callers must check the row's age themselves in that case.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if not LOCKS_SUPPORTED:
        return Claim(None)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return Claim(fd)
