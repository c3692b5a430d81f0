"""The worker: claims queued jobs one at a time and runs each with progress, heartbeat, retries and cancel.

One worker per process runs one job at a time, so the embedded stores get one writer from it. A
transient failure (a store or server that is down) is retried with exponential backoff up to
``max_attempts``; anything else fails the job at once with its reason. A cancel takes effect at the
job's next safe point (between files, between steps), never mid-write.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.exc import OperationalError

from core.errors import BackendUnavailable, LLMUnavailable, WorkbenchError
from core.jobs.store import CANCELLED, DONE, FAILED, Job, JobStore

logger = logging.getLogger(__name__)

TRANSIENT = (BackendUnavailable, LLMUnavailable, OperationalError)
HEARTBEAT_SECONDS = 15.0


class JobCancelled(Exception):
    """Raised at a safe point of a job whose cancel was requested."""


@dataclass
class JobContext:
    """What a running job's handler gets: its job, and a way to report progress (which also checks cancel)."""

    job: Job
    _store: JobStore
    _worker: str
    result: dict
    cancelled: bool = False

    def progress(self, done: int, total: int, message: str) -> None:
        """Record progress; safe anywhere (it never raises for a cancel: ``checkpoint`` does)."""
        if not self._store.progress(self.job.id, self._worker, done=done, total=total, message=message):
            self.cancelled = True

    def checkpoint(self) -> None:
        """A safe point: stop here (JobCancelled) when the job was cancelled."""
        if self.cancelled:
            raise JobCancelled()

    def save(self) -> None:
        """Keep the partial result, so a job resumed after a restart knows what is done."""
        self._store.save_result(self.job.id, self._worker, self.result)


Handler = Callable[[JobContext], Any]


class JobWorker:
    def __init__(self, store: JobStore, handlers: dict[str, Handler], *, max_attempts: int = 3,
                 backoff_seconds: float = 5.0, poll_seconds: float = 1.0, name: str | None = None) -> None:
        self.store = store
        self.handlers = handlers
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.poll_seconds = poll_seconds
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- running -----------------------------------------------------------------------------

    def run_one(self) -> Job | None:
        """Claim and run the next due job; the job as it ended (or was re-queued), None when nothing was due."""
        job = self.store.claim_next(self.name, kinds=tuple(self.handlers))
        if job is None:
            return None
        self._run(job)
        return self.store.get(job.id)

    def run_until_idle(self) -> int:
        """Run due jobs until none is left; how many ran."""
        count = 0
        while not self._stop.is_set() and self.run_one() is not None:
            count += 1
        return count

    def start(self) -> None:
        """Run jobs on a daemon thread until ``stop``; jobs left running by a dead process resume."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="workbench-jobs", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """A job was just queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float | None = 30) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.store.requeue_abandoned()
                self.run_until_idle()
            except Exception:  # the metadata store went away for a moment: try again at the next poll
                logger.exception("the job worker could not read the queue")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _run(self, job: Job) -> None:
        context = JobContext(job, self.store, self.name, dict(job.result))
        if job.cancel_requested:
            self.store.finish(job.id, self.name, status=CANCELLED, result=context.result, message="Cancelled")
            return
        beat = _Heartbeat(self.store, job.id, self.name)
        beat.start()
        try:
            outcome = self.handlers[job.kind](context)
        except JobCancelled:
            self.store.finish(job.id, self.name, status=CANCELLED, result=context.result,
                              message="Cancelled; what finished before the cancel is kept")
        except TRANSIENT as exc:
            reason = _reason(exc)
            if job.attempts < self.max_attempts:
                delay = self.backoff_seconds * 2 ** (job.attempts - 1)
                logger.info("job %s (%s) will retry in %.0f s: %s", job.id, job.kind, delay, reason)
                self.store.retry_later(job.id, self.name, delay=delay, error=reason)
            else:
                self.store.finish(job.id, self.name, status=FAILED, result=context.result, error=reason,
                                  message=f"Failed after {job.attempts} attempts")
        except WorkbenchError as exc:
            self.store.finish(job.id, self.name, status=FAILED, result=context.result, error=str(exc), message="Failed")
        except Exception as exc:
            logger.exception("job %s (%s) failed", job.id, job.kind)
            self.store.finish(job.id, self.name, status=FAILED, result=context.result,
                              error=f"{type(exc).__name__}: the job failed unexpectedly; the error was logged.",
                              message="Failed")
        else:
            result = outcome if isinstance(outcome, dict) else context.result
            self.store.finish(job.id, self.name, status=DONE, result=result, message=_summary(result))
        finally:
            beat.stop()


class _Heartbeat:
    """Beats a running job's heart while one long step gives no progress (a big file's parse)."""

    def __init__(self, store: JobStore, job_id: str, worker: str) -> None:
        self.store, self.job_id, self.worker = store, job_id, worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="workbench-job-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.store.beat(self.job_id, self.worker)
            except Exception:
                logger.debug("heartbeat of job %s failed", self.job_id, exc_info=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OperationalError):
        return "The metadata database was busy or unreachable."  # never the SQL or the URL
    return str(exc)


def _summary(result: dict) -> str:
    return str(result.get("summary") or "Done")
