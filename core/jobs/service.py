"""Submitting, watching and cancelling jobs, and the worker that runs them in this process.

Embedded default: the jobs live in the metadata store and a worker thread in the app (or the CLI)
runs them, one at a time. Uploads from a browser are copied to ``<data dir>/jobs/<job id>/`` before
the job is queued, so a reload or a restart loses nothing; files named by path (the CLI) are read
where they are when the job runs.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable, Sequence

from core.errors import InvalidInput
from core.ingest.parsers import display_name
from core.ingest.pipeline import too_large_message
from core.jobs.kinds import DELETE, GRAPH_REBUILD, INGEST, REINDEX, TRAIN_SCHEMA, job_handlers
from core.jobs.store import Job, JobStore
from core.jobs.worker import JobWorker


class JobService:
    def __init__(self, workbench, *, poll_seconds: float = 1.0, backoff_seconds: float = 5.0,
                 max_attempts: int = 3) -> None:
        self.store = JobStore(workbench.metadata)
        self.staging_root = workbench.settings.data_dir / "jobs"
        self.max_bytes = workbench.settings.ingest.max_file_bytes
        self._passwords: dict[str, str] = {}
        self._lock = threading.Lock()
        self.worker = JobWorker(self.store, job_handlers(workbench, self._passwords.get), poll_seconds=poll_seconds,
                                backoff_seconds=backoff_seconds, max_attempts=max_attempts)

    # -- submitting --------------------------------------------------------------------------

    def submit_paths(self, workspace: str, paths: Sequence[Path], *, password: str | None = None,
                     doc_type: str = "", tags: Sequence[str] = ()) -> Job:
        """An ingest job for files on this machine, read where they are when it runs."""
        files = [{"path": str(Path(p).expanduser().resolve()), "filename": Path(p).name, "staged": False}
                 for p in paths]
        return self._submit_ingest(workspace, files, password, doc_type, tags, staging=None)

    def submit_uploads(self, workspace: str, uploads: Sequence, *, doc_type: str = "", tags: Sequence[str] = ()) -> Job:
        """An ingest job for uploaded files (``Upload``s): each is copied under the data dir first."""
        import uuid

        staging = self.staging_root / uuid.uuid4().hex
        files = []
        for index, upload in enumerate(uploads):
            if upload.byte_size > self.max_bytes:  # refused by its size, never copied
                files.append({"path": "", "filename": upload.filename, "staged": False,
                              "error": too_large_message(upload.filename, upload.byte_size, self.max_bytes)})
                continue
            folder = staging / str(index)
            folder.mkdir(parents=True)
            target = folder / display_name(upload.filename)
            target.write_bytes(upload.loaded().data)
            files.append({"path": str(target), "filename": upload.filename, "staged": True})
        password = next((u.password for u in uploads if u.password), None)
        return self._submit_ingest(workspace, files, password, doc_type, tags, staging=str(staging))

    def _submit_ingest(self, workspace, files, password, doc_type, tags, staging) -> Job:
        if not files:
            raise InvalidInput("Choose at least one file to ingest.")
        title = files[0]["filename"] if len(files) == 1 else f"{len(files)} files ({files[0]['filename']}, ...)"
        payload = {"files": files, "doc_type": doc_type, "tags": list(tags), "staging": staging}
        job = self.store.create(workspace, INGEST, f"Ingest {title}", payload, total=len(files))
        if password:
            with self._lock:
                self._passwords[job.id] = password  # memory only: a restart asks for it again
        self.worker.wake()
        return job

    def submit_reindex(self, workspace: str, document_id: str, title: str, *, chunk_tokens: int,
                       chunk_overlap: int) -> Job:
        return self._submit(workspace, REINDEX, f"Re-chunk {title}",
                            {"document_id": document_id, "chunk_tokens": chunk_tokens, "chunk_overlap": chunk_overlap})

    def submit_delete(self, workspace: str, document_id: str, title: str) -> Job:
        return self._submit(workspace, DELETE, f"Delete {title}", {"document_id": document_id})

    def submit_graph_rebuild(self, workspace: str) -> Job:
        return self._submit(workspace, GRAPH_REBUILD, "Rebuild the knowledge graph", {})

    def submit_train_schema(self, workspace: str, connection: str | None, label: str) -> Job:
        return self._submit(workspace, TRAIN_SCHEMA, f"Train the schema of {label}", {"connection": connection})

    def _submit(self, workspace: str, kind: str, title: str, payload: dict) -> Job:
        job = self.store.create(workspace, kind, title, payload, total=1)
        self.worker.wake()
        return job

    # -- watching ----------------------------------------------------------------------------

    def list(self, workspace: str, *, limit: int = 50) -> list[Job]:
        return self.store.list(workspace, limit=limit)

    def get(self, workspace: str, job_id: str) -> Job:
        return self.store.get(job_id, workspace)

    def cancel(self, workspace: str, job_id: str) -> Job:
        job = self.store.cancel(job_id, workspace)
        self.worker.wake()
        return job

    def wait(self, workspace: str, job_id: str, *, on_change: Callable[[Job], None] | None = None,
             timeout: float | None = None) -> Job:
        """Until the job finishes. With no worker thread in this process (the CLI), this process runs the
        queue itself; otherwise it watches the store."""
        deadline = None if timeout is None else time.monotonic() + timeout
        last = None
        runner: threading.Thread | None = None
        while True:
            job = self.store.get(job_id, workspace)
            if on_change is not None and (job.status, job.done, job.message) != last:
                last = (job.status, job.done, job.message)
                on_change(job)
            if job.finished or (deadline is not None and time.monotonic() > deadline):
                return job
            if not self.worker.running and (runner is None or not runner.is_alive()):
                # No worker thread here: run the next due job (ours, or one queued before it) on a thread of
                # its own, so this one can report progress meanwhile.
                self.store.requeue_abandoned()
                runner = threading.Thread(target=self.worker.run_one, name="workbench-job", daemon=True)
                runner.start()
            time.sleep(0.2)

    # -- the worker in this process ----------------------------------------------------------

    def start_worker(self) -> None:
        """Run queued jobs (and resume interrupted ones) on a background thread of this process."""
        self.worker.start()

    def close(self) -> None:
        self.worker.stop()
