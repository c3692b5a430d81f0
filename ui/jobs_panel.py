"""Background jobs on the Documents page: wait for a job with a progress bar, and the list of recent jobs
with their progress and a Cancel button. Leaving the page or reloading never stops a job: it runs in the
app's worker, and the list shows it again."""

from __future__ import annotations

import streamlit as st

from core.errors import WorkbenchError
from ui.state import show_error

_ACTIVE = ("queued", "running")
_LABELS = {"queued": "waiting", "running": "running", "done": "done", "failed": "failed", "cancelled": "cancelled"}


def wait_with_progress(jobs, job):
    """Follow ``job`` to its end with a progress bar; the finished job (or as far as it got)."""
    bar = st.progress(0.0, text=f"{job.title}: waiting to start")

    def show(current) -> None:
        bar.progress(current.fraction, text=f"{current.title}: {current.message}")

    finished = jobs.wait(job.id, on_change=show)
    bar.progress(1.0 if finished.status == "done" else finished.fraction,
                 text=f"{finished.title}: {_LABELS.get(finished.status, finished.status)}")
    if finished.status == "failed":
        st.error(f"{finished.title} failed: {finished.error}", icon=":material/error:")
    elif finished.status == "cancelled":
        st.warning(f"{finished.title} was cancelled; what finished before the cancel is kept.",
                   icon=":material/cancel:")
    return finished


def jobs_list(jobs, *, limit: int = 10) -> None:
    """The recent jobs; refreshes itself every two seconds while any is waiting or running."""
    recent = jobs.list(limit=limit)
    if not recent:
        st.caption("No background jobs yet.")
        return
    active = any(job.status in _ACTIVE for job in recent)
    _jobs_fragment(jobs, limit, 2.0 if active else None)


def _jobs_fragment(jobs, limit: int, every: float | None) -> None:
    @st.fragment(run_every=every)
    def draw() -> None:
        for job in jobs.list(limit=limit):
            with st.container(border=True):
                col_text, col_action = st.columns([5, 1])
                status = _LABELS.get(job.status, job.status)
                col_text.markdown(f"**{job.title}** · {status} · {job.created_at[:16].replace('T', ' ')}")
                if job.status in _ACTIVE:
                    col_text.progress(job.fraction, text=job.message)
                    if col_action.button("Cancel", key=f"cancel_job_{job.id}"):
                        try:
                            jobs.cancel(job.id)
                        except WorkbenchError as exc:
                            show_error(exc)
                        else:
                            st.rerun()  # show the job as cancelled now, not at the next refresh
                elif job.status == "failed":
                    col_text.caption(f"Failed: {job.error}")
                else:
                    col_text.caption(job.message)

    draw()


@st.cache_resource(show_spinner=False)
def run_jobs_in_background() -> bool:
    """Start this process's job worker once (AW_JOB_WORKER): queued jobs run, and jobs a stopped app left
    running resume, without anyone opening the Documents page."""
    from ui.state import get_workbench

    workbench = get_workbench()
    if workbench.settings.job_worker:
        workbench.jobs.start_worker()
    return workbench.settings.job_worker
