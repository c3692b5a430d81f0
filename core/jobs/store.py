"""Jobs in the metadata store: create, claim, report progress, finish, retry, cancel, recover.

Every change is one short transaction, and a claim is a conditional UPDATE (``WHERE status='queued'``)
whose row count says who won, so several workers (threads, processes, machines sharing a PostgreSQL
metadata store) never run one job twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from core.errors import InvalidInput, NotFound
from core.metadata import MetadataStore, jobs, new_id, now_iso

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATUSES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
FINISHED = (DONE, FAILED, CANCELLED)
# A running job whose worker has not beaten its heart for this long was left by a process that died.
STALE_SECONDS = 90.0


@dataclass(frozen=True)
class Job:
    id: str
    workspace: str
    kind: str
    status: str
    title: str
    payload: dict
    result: dict
    error: str
    done: int
    total: int
    message: str
    attempts: int
    next_attempt_at: float
    cancel_requested: bool
    worker: str
    created_at: str
    started_at: str
    finished_at: str

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def fraction(self) -> float:
        """Progress between 0 and 1 (0 while the total is not known yet)."""
        return min(1.0, self.done / self.total) if self.total else (1.0 if self.status == DONE else 0.0)


class JobStore:
    def __init__(self, metadata: MetadataStore) -> None:
        self.metadata = metadata

    def create(self, workspace: str, kind: str, title: str, payload: dict[str, Any], *, total: int = 0) -> Job:
        job_id = new_id()
        with self.metadata.begin() as connection:
            connection.execute(insert(jobs).values(
                id=job_id, workspace=workspace, kind=kind, status=QUEUED, title=title, payload=json.dumps(payload),
                result="{}", error="", done=0, total=total, message="Waiting to start", attempts=0,
                next_attempt_at=0.0, cancel_requested=0, worker="", heartbeat_at=0.0, created_at=now_iso(),
                started_at="", finished_at=""))
        return self.get(job_id)

    def get(self, job_id: str, workspace: str | None = None) -> Job:
        query = select(jobs).where(jobs.c.id == job_id)
        if workspace is not None:
            query = query.where(jobs.c.workspace == workspace)
        with self.metadata.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"No job {job_id!r}" + (f" in workspace {workspace}." if workspace else "."))
        return _job(row)

    def list(self, workspace: str | None = None, *, statuses: tuple[str, ...] = (), limit: int = 50) -> list[Job]:
        """Newest first."""
        query = select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id).limit(limit)
        if workspace is not None:
            query = query.where(jobs.c.workspace == workspace)
        if statuses:
            query = query.where(jobs.c.status.in_(statuses))
        with self.metadata.connect() as connection:
            return [_job(row) for row in connection.execute(query).mappings()]

    def claim_next(self, worker: str, *, kinds: tuple[str, ...] = ()) -> Job | None:
        """The oldest queued job that is due, now running under ``worker``; None when there is none."""
        now = time.time()
        query = (select(jobs.c.id).where(jobs.c.status == QUEUED, jobs.c.next_attempt_at <= now)
                 .order_by(jobs.c.created_at, jobs.c.id).limit(8))
        if kinds:
            query = query.where(jobs.c.kind.in_(kinds))
        with self.metadata.connect() as connection:
            candidates = [row[0] for row in connection.execute(query)]
        for job_id in candidates:
            with self.metadata.begin() as connection:
                won = connection.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status == QUEUED).values(
                    status=RUNNING, worker=worker, heartbeat_at=time.time(), attempts=jobs.c.attempts + 1,
                    started_at=now_iso(), message="Starting")).rowcount
            if won:
                return self.get(job_id)
        return None

    def progress(self, job_id: str, worker: str, *, done: int, total: int, message: str) -> bool:
        """Record progress (and the heartbeat); False when the job was cancelled meanwhile, so the worker stops."""
        with self.metadata.begin() as connection:
            connection.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.worker == worker,
                                                  jobs.c.status == RUNNING).values(
                done=done, total=total, message=message[:500], heartbeat_at=time.time()))
            row = connection.execute(select(jobs.c.cancel_requested).where(jobs.c.id == job_id)).first()
        return not (row and row[0])

    def beat(self, job_id: str, worker: str) -> None:
        """The heartbeat alone: the worker is alive, the job still running."""
        with self.metadata.begin() as connection:
            connection.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.worker == worker,
                                                  jobs.c.status == RUNNING).values(heartbeat_at=time.time()))

    def save_result(self, job_id: str, worker: str, result: dict) -> None:
        """A running job's partial result (what is done so far), kept across a restart."""
        with self.metadata.begin() as connection:
            connection.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.worker == worker,
                                                  jobs.c.status == RUNNING).values(result=json.dumps(result)))

    def finish(self, job_id: str, worker: str, *, status: str, result: dict | None = None, error: str = "",
               message: str = "") -> None:
        if status not in FINISHED:
            raise ValueError(f"a job finishes as one of {FINISHED}, not {status!r}")
        with self.metadata.begin() as connection:
            connection.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.worker == worker).values(
                status=status, result=json.dumps(result or {}), error=error, message=message[:500],
                finished_at=now_iso(), heartbeat_at=0.0))

    def retry_later(self, job_id: str, worker: str, *, delay: float, error: str) -> None:
        """Back to the queue after ``delay`` seconds (a transient failure); the reason stays visible."""
        with self.metadata.begin() as connection:
            connection.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.worker == worker).values(
                status=QUEUED, worker="", heartbeat_at=0.0, next_attempt_at=time.time() + delay, error=error,
                message=f"Will retry in {delay:.0f} s: {error}"[:500]))

    def cancel(self, job_id: str, workspace: str | None = None) -> Job:
        """A queued job is cancelled at once; a running one stops at its next safe point."""
        job = self.get(job_id, workspace)
        if job.finished:
            raise InvalidInput(f"Job {job_id} already {job.status}; there is nothing to cancel.")
        with self.metadata.begin() as connection:
            connection.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status == QUEUED).values(
                status=CANCELLED, cancel_requested=1, finished_at=now_iso(), message="Cancelled before it started"))
            connection.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status == RUNNING).values(
                cancel_requested=1, message="Cancelling after the current step"))
        return self.get(job_id)

    def requeue_abandoned(self, *, stale_after: float = STALE_SECONDS) -> list[str]:
        """Running jobs whose worker stopped beating (the process died): queued again, to resume."""
        cutoff = time.time() - stale_after
        with self.metadata.connect() as connection:
            ids = [row[0] for row in connection.execute(
                select(jobs.c.id).where(jobs.c.status == RUNNING, jobs.c.heartbeat_at < cutoff))]
        requeued = []
        for job_id in ids:
            with self.metadata.begin() as connection:
                if connection.execute(update(jobs).where(
                        jobs.c.id == job_id, jobs.c.status == RUNNING, jobs.c.heartbeat_at < cutoff).values(
                        status=QUEUED, worker="", heartbeat_at=0.0, message="Interrupted; resuming")).rowcount:
                    requeued.append(job_id)
        return requeued


def _job(row) -> Job:
    return Job(id=row["id"], workspace=row["workspace"], kind=row["kind"], status=row["status"], title=row["title"],
               payload=json.loads(row["payload"] or "{}"), result=json.loads(row["result"] or "{}"),
               error=row["error"], done=row["done"], total=row["total"], message=row["message"],
               attempts=row["attempts"], next_attempt_at=row["next_attempt_at"],
               cancel_requested=bool(row["cancel_requested"]), worker=row["worker"], created_at=row["created_at"],
               started_at=row["started_at"], finished_at=row["finished_at"])
