"""Jobs in the app: a job queued while the app was down runs when it starts; the Documents page lists jobs
and cancels a waiting one."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import ROOT, clean_env


def queue_note(data_dir, name: str = "note.md"):
    """A job queued by another process (the CLI's `ingest --no-wait`), on the app's data dir."""
    note = data_dir.parent / name
    note.write_text("# Courier note\n\nParcels to Reykjavik leave on Tuesdays.\n")
    workbench = build_workbench(Settings.from_env(clean_env(), AW_DATA_DIR=str(data_dir)))
    try:
        return workbench.workspace().jobs.ingest_paths([note])
    finally:
        workbench.close()


def test_a_job_queued_before_the_app_started_is_run_by_its_worker(app_env, monkeypatch):
    job = queue_note(app_env / "data")
    monkeypatch.setenv("AW_JOB_WORKER", "true")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()  # the Home page: nobody opens Documents
    assert not at.exception
    from ui.state import get_workbench

    jobs = get_workbench().workspace().jobs
    deadline = time.monotonic() + 120
    while not jobs.get(job.id).finished and time.monotonic() < deadline:
        time.sleep(0.2)
    assert jobs.get(job.id).status == "done"
    assert [d.filename for d in get_workbench().workspace().documents()] == ["note.md"]
    get_workbench().jobs.close()


def test_the_documents_page_lists_jobs_and_cancels_a_waiting_one(app_env):
    job = queue_note(app_env / "data")  # AW_JOB_WORKER is false here: it stays queued
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/documents.py")
    at.run()
    assert not at.exception
    assert any(job.title in md.value and "waiting" in md.value for md in at.markdown)
    next(b for b in at.button if b.label == "Cancel").click()
    at.run()
    from ui.state import get_workbench

    assert get_workbench().workspace().jobs.get(job.id).status == "cancelled"
    assert any(job.title in md.value and "cancelled" in md.value for md in at.markdown)
