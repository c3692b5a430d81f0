"""Background jobs on the real pipeline: ingest, progress, cancel, resume after a crash, retries with backoff,
and claims that never run one job twice (PostgreSQL as the shared metadata store)."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy

from core.errors import InvalidInput
from core.ingest.pipeline import Upload
from core.jobs.kinds import INGEST, job_handlers
from core.jobs.store import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobStore
from core.jobs.worker import JobWorker
from core.metadata import MetadataStore
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import SHARED_DATA, clean_env
from tests.support.real_llm import closed_port_url

PEPS = SHARED_DATA / "peps"
SMALL_PEPS = ["pep-0002.rst", "pep-0004.rst", "pep-0006.rst"]


@pytest.fixture
def peps():
    if not PEPS.is_dir():
        pytest.skip(f"PEP corpus not found at {PEPS}")
    return [PEPS / name for name in SMALL_PEPS]


def titles(workspace) -> list[str]:
    return sorted(document.filename for document in workspace.documents())


def test_an_ingest_job_runs_to_done_with_per_file_results_and_the_files_are_searchable(workbench, peps):
    workspace = workbench.workspace()
    job = workspace.jobs.ingest_paths(peps, tags=["pep"])
    assert (job.status, job.total, job.kind) == (QUEUED, 3, INGEST)
    seen = []

    finished = workspace.jobs.wait(job.id, on_change=seen.append)

    assert finished.status == DONE and finished.done == finished.total == 3
    assert [r["file"] for r in finished.result["results"]] == SMALL_PEPS
    assert {r["status"] for r in finished.result["results"]} == {"ingested"}
    assert finished.message == "3 ingested"
    assert titles(workspace) == SMALL_PEPS
    assert any(job.status == RUNNING and "embedded" in job.message for job in seen), "progress was reported"
    assert workspace.search("PEP purpose and guidelines", k=3)
    assert workspace.jobs.get(job.id).status == DONE  # persisted: another process reads the same


def test_uploads_are_kept_under_the_data_dir_until_their_job_has_read_them(workbench, peps):
    workspace = workbench.workspace()
    uploads = [Upload(path.name, path.read_bytes()) for path in peps[:2]]
    job = workspace.jobs.ingest_uploads(uploads)
    staging = workbench.settings.data_dir / "jobs"
    staged = sorted(p.name for p in staging.rglob("*.rst"))
    assert staged == SMALL_PEPS[:2]  # a reload or a restart before the job runs loses nothing

    finished = workspace.jobs.wait(job.id)

    assert finished.status == DONE and titles(workspace) == SMALL_PEPS[:2]
    assert not list(staging.rglob("*.rst"))


def test_a_queued_job_cancelled_never_runs(workbench, peps):
    workspace = workbench.workspace()
    job = workspace.jobs.ingest_paths(peps)
    assert workspace.jobs.cancel(job.id).status == CANCELLED
    assert workspace.jobs.wait(job.id).status == CANCELLED
    assert workspace.documents() == []
    with pytest.raises(InvalidInput, match="already cancelled"):
        workspace.jobs.cancel(job.id)


def test_a_running_job_cancelled_stops_after_the_current_file(workbench, peps):
    workspace = workbench.workspace()
    service = workbench.jobs
    job = workspace.jobs.ingest_paths(peps)
    real = job_handlers(workbench, lambda _id: None)[INGEST]

    def cancel_during_the_second_file(context):
        progress = context.progress

        def watched(done, total, message):
            if done == 1 and "embedded" in message:
                service.store.cancel(context.job.id)  # the analyst clicks Cancel while file 2 is embedding
            progress(done, total, message)

        context.progress = watched
        return real(context)

    JobWorker(service.store, {INGEST: cancel_during_the_second_file}).run_one()

    finished = workspace.jobs.get(job.id)
    assert finished.status == CANCELLED
    # the file being embedded when the cancel came is finished whole; the third never starts
    assert [r["status"] for r in finished.result["results"]] == ["ingested", "ingested"]
    assert titles(workspace) == SMALL_PEPS[:2]


def test_a_job_interrupted_by_a_crash_resumes_without_ingesting_twice(workbench, peps):
    workspace = workbench.workspace()
    service = workbench.jobs
    job = workspace.jobs.ingest_paths(peps)
    real = job_handlers(workbench, lambda _id: None)[INGEST]

    def dies_after_the_first_file(context):
        save = context.save

        def saved_then_killed():
            save()
            raise KeyboardInterrupt  # the process stops here: no cleanup, the job stays "running"

        context.save = saved_then_killed
        return real(context)

    with pytest.raises(KeyboardInterrupt):
        JobWorker(service.store, {INGEST: dies_after_the_first_file}, name="died").run_one()
    assert workspace.jobs.get(job.id).status == RUNNING

    assert service.store.requeue_abandoned(stale_after=0) == [job.id]  # its heartbeat stopped
    finished = workspace.jobs.wait(job.id)

    assert finished.status == DONE and finished.attempts == 2
    assert [r["status"] for r in finished.result["results"]] == ["ingested"] * 3  # not "duplicate"
    assert titles(workspace) == SMALL_PEPS


def test_a_store_that_is_down_is_retried_with_backoff_then_fails_with_the_reason(tmp_path, embedder, peps):
    closed = closed_port_url().removeprefix("http://")
    host, port = closed.split(":")
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"), AW_CHROMA_HOST=host,
                                 AW_CHROMA_PORT=port)
    workbench = build_workbench(settings, embedder=embedder)
    try:
        store = JobStore(workbench.metadata)
        worker = JobWorker(store, job_handlers(workbench, lambda _id: None), backoff_seconds=0.05, max_attempts=3)
        job = workbench.workspace().jobs.ingest_paths(peps[:1])
        delays = []
        while not store.get(job.id).finished:
            ran = worker.run_one()
            if ran is not None and ran.status == QUEUED:
                delays.append(ran.next_attempt_at)
        failed = store.get(job.id)
    finally:
        workbench.close()
    assert failed.status == FAILED and failed.attempts == 3
    assert "Chroma" in failed.error
    assert len(delays) == 2  # two retries, each later than the one before
    assert delays[0] < delays[1]


@pytest.fixture
def postgres_metadata():
    admin = sqlalchemy.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                     isolation_level="AUTOCOMMIT")
    name = f"aw_jobs_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    store = MetadataStore(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    store.ensure_schema()
    yield store
    store.close()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


def test_workers_sharing_a_postgresql_store_never_claim_one_job_twice(postgres_metadata):
    store = JobStore(postgres_metadata)
    postgres_metadata.ensure_workspace("team")
    created = {store.create("team", "noop", f"job {n}", {}).id for n in range(40)}
    claimed: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := store.claim_next(name)) is not None:
            with lock:
                claimed.append((job.id, name))
            store.finish(job.id, name, status=DONE)

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    ids = [job_id for job_id, _ in claimed]
    assert sorted(ids) == sorted(created)  # every job once: none lost, none run twice
    assert {job.status for job in store.list("team", limit=100)} == {DONE}


def test_every_other_kind_runs_through_its_workspace_operation(workbench, peps, tmp_path):
    import shutil

    from tests.core.sql.conftest import CHINOOK_SQLITE

    workspace = workbench.workspace()
    ingested = workspace.jobs.wait(workspace.jobs.ingest_paths(peps[:1]).id)
    document_id = ingested.result["results"][0]["document_id"]
    copy = tmp_path / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    workspace.sql.add_connection("music", f"sqlite:///{copy}")

    rechunked = workspace.jobs.wait(workspace.jobs.reindex(document_id, "PEP 2", chunk_tokens=60, chunk_overlap=10).id)
    assert rechunked.status == DONE and rechunked.result["chunks"] == len(workspace.chunks(document_id)) > 1
    trained = workspace.jobs.wait(workspace.jobs.train_schema("music", "music").id)
    assert trained.status == DONE and trained.result["tables"] == 11  # Chinook's tables
    rebuilt = workspace.jobs.wait(workspace.jobs.rebuild_graph().id)
    assert rebuilt.status == DONE and rebuilt.result["documents"] == 1
    deleted = workspace.jobs.wait(workspace.jobs.delete(document_id, "PEP 2").id)
    assert deleted.status == DONE and workspace.documents() == []
    missing = workspace.jobs.wait(workspace.jobs.delete(document_id, "PEP 2").id)
    assert missing.status == FAILED and document_id in missing.error  # the reason names what was not found
