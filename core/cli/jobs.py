"""CLI: `jobs list|show|cancel|work`: the background jobs of the workspace (uploads, re-chunks, deletes,
graph rebuilds, schema training)."""

from __future__ import annotations

import time

import typer

from core.cli import CliContext, app, emit, fail
from core.errors import WorkbenchError

jobs_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Background jobs: list, show, cancel, run.")
app.add_typer(jobs_app, name="jobs")


def _payload(job) -> dict:
    return {"job_id": job.id, "kind": job.kind, "status": job.status, "title": job.title, "done": job.done,
            "total": job.total, "message": job.message, "error": job.error, "attempts": job.attempts,
            "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
            "result": job.result}


def _line(job) -> str:
    progress = f"{job.done}/{job.total}" if job.total else ""
    return f"{job.id}  {job.status:<9} {progress:>7}  {job.title}" + (f"  ({job.error})" if job.error else "")


@jobs_app.command("list")
def list_jobs(ctx: typer.Context, limit: int = typer.Option(20, "--limit", help="How many, newest first.")) -> None:
    """The workspace's jobs, newest first."""
    obj: CliContext = ctx.obj
    try:
        found = obj.workspace().jobs.list(limit=limit)
    except WorkbenchError as exc:
        fail(exc, obj.as_json)
    emit(obj, [_payload(job) for job in found], "\n".join(_line(job) for job in found) or "No jobs yet.")


@jobs_app.command("show")
def show_job(ctx: typer.Context, job_id: str = typer.Argument(..., help="Id from `jobs list`.")) -> None:
    """One job: status, progress, the reason it failed, its results."""
    obj: CliContext = ctx.obj
    try:
        job = obj.workspace().jobs.get(job_id)
    except WorkbenchError as exc:
        fail(exc, obj.as_json)
    emit(obj, _payload(job), _line(job) + (f"\n{job.message}" if job.message else ""))


@jobs_app.command("cancel")
def cancel_job(ctx: typer.Context, job_id: str = typer.Argument(..., help="Id from `jobs list`.")) -> None:
    """Cancel a queued job now, or a running one at its next safe point (between files)."""
    obj: CliContext = ctx.obj
    try:
        job = obj.workspace().jobs.cancel(job_id)
    except WorkbenchError as exc:
        fail(exc, obj.as_json)
    emit(obj, _payload(job), _line(job))


@jobs_app.command("work")
def work(ctx: typer.Context,
         forever: bool = typer.Option(False, "--forever", help="Keep waiting for new jobs (a worker process).")) -> None:
    """Run queued jobs in this process (and resume interrupted ones), until none is left or, with --forever,
    until stopped."""
    obj: CliContext = ctx.obj
    try:
        service = obj.workbench.jobs
        service.store.requeue_abandoned()
        ran = service.worker.run_until_idle()
        while forever:
            time.sleep(service.worker.poll_seconds)
            service.store.requeue_abandoned()
            ran += service.worker.run_until_idle()
    except WorkbenchError as exc:
        fail(exc, obj.as_json)
    finally:
        if obj._workbench is not None:
            obj.workbench.ingestion.stop_repairs()
    emit(obj, {"ran": ran}, f"Ran {ran} job{'s' if ran != 1 else ''}.")
