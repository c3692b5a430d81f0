"""Recovery after an upload is killed with SIGKILL mid-embedding, on real components.

A child process ingests a real policy document, then a large ticket archive whose every chunk
quotes one line of that policy; the test SIGKILLs the child once a few hundred of the
archive's vectors are in Chroma. Each test then works on its own copy of that data dir, in
this process (a fresh one for those stores): the re-upload, search, and the next upload.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.ingest.pipeline import CHUNK_PURPOSE, Upload
from core.metadata import documents
from core.retrieval import SearchFilters
from tests.conftest import ROOT, clean_env
from tests.core.ingest.test_pipeline import POLICY, store_state

QUERY = "A delivery is late when it arrives after the promised date."
KILL_AFTER = 128  # vectors of the archive in Chroma before the kill: far more than any top k
ARCHIVE_NAME = "ticket-archive.txt"
POLICY_CHUNKS = 2  # its two sections
CITIES = ["Chennai", "Mumbai", "Pune", "Delhi", "Kochi", "Jaipur", "Surat", "Indore"]


def archive_bytes() -> bytes:
    # Every paragraph is a reply quoting the policy's line, so its chunks are nearer to that
    # line than the policy's own chunk, which also has its heading and the voucher.
    return "\n\n".join(f'Re: order {i:05d} from {CITIES[i % len(CITIES)]}. Quote: "{QUERY}"' for i in range(2400)).encode()


@dataclass(frozen=True)
class Killed:
    data_dir: Path
    vectors_written: int


class SpyEmbedder:
    """The real model, recording which thread embedded how many texts."""

    def __init__(self, real):
        self.real = real
        self.calls: list[tuple[int, int]] = []

    def embed(self, texts):
        self.calls.append((threading.get_ident(), len(texts)))
        return self.real.embed(texts)

    def embedded_on(self, thread_id: int) -> int:
        return sum(n for t, n in self.calls if t == thread_id)

    def embedded_elsewhere(self, thread_id: int) -> int:
        return sum(n for t, n in self.calls if t != thread_id)

    def __getattr__(self, name):
        return getattr(self.real, name)


def kill(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL


CHILD = textwrap.dedent("""
    import sys
    from core.settings import Settings
    from core.workbench import build_workbench
    from core.ingest.pipeline import Upload
    wb = build_workbench(Settings.from_env(AW_DATA_DIR=sys.argv[1]))
    ws = wb.workspace()
    assert ws.ingest([Upload("policy.md", open(sys.argv[2], "rb").read())])[0].status == "ingested"
    def report(event):
        if event.stage == "embed":
            print("embedded", event.done, flush=True)
    ws.ingest([Upload({name!r}, open(sys.argv[3], "rb").read())], progress=report)
""").format(name=ARCHIVE_NAME)


@pytest.fixture(scope="module")
def killed_snapshot(tmp_path_factory, embedder) -> Killed:
    root = tmp_path_factory.mktemp("killed")
    (root / "policy.md").write_bytes(POLICY)
    (root / ARCHIVE_NAME).write_bytes(archive_bytes())
    data_dir = root / "data"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir), str(root / "policy.md"), str(root / ARCHIVE_NAME)],
                             cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in child.stdout:
        if line.startswith("embedded") and int(line.split()[1]) >= KILL_AFTER:
            break
    else:
        child.wait(timeout=60)
        pytest.fail(f"the child ended (exit {child.returncode}) before it reached the kill point")
    kill(child)  # mid-embedding: the child keeps embedding until the signal lands
    from core.settings import Settings
    from core.workbench import build_workbench

    wb = build_workbench(Settings.from_env(clean_env(), AW_DATA_DIR=str(data_dir)), embedder=embedder)
    written = len(wb.vectors.ids("default", CHUNK_PURPOSE, where={"document_id": killed_row(wb).id}))
    wb.close()
    return Killed(data_dir, written)


@pytest.fixture
def after_kill(killed_snapshot, tmp_path, embedder):
    """A workbench on a private copy of the killed run's data dir, with a spying embedder."""
    from core.settings import Settings
    from core.workbench import build_workbench

    data_dir = tmp_path / "data"
    shutil.copytree(killed_snapshot.data_dir, data_dir)
    spy = SpyEmbedder(embedder)
    wb = build_workbench(Settings.from_env(clean_env(), AW_DATA_DIR=str(data_dir)), embedder=spy)
    yield wb, spy, killed_snapshot
    wb.ingestion.stop_repairs()
    wb.close()


def killed_row(wb):
    with wb.metadata.connect() as conn:
        return conn.execute(select(documents).where(documents.c.filename == ARCHIVE_NAME)).one()


def archive_chunk_count(wb) -> int:
    from core.ingest.chunking import chunk_blocks
    from core.ingest.parsers import parse_document

    settings = wb.settings.ingest
    parsed = parse_document(archive_bytes(), ARCHIVE_NAME, max_bytes=settings.max_file_bytes)
    return len(chunk_blocks(parsed.blocks, count_tokens=wb.embedder.count_tokens, count_tokens_many=wb.embedder.count_tokens_many,
                            target_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap))


def test_the_kill_left_an_invisible_half_written_document(after_kill):
    wb, _, killed = after_kill
    row = killed_row(wb)
    assert row.status == "indexing" and KILL_AFTER <= killed.vectors_written < archive_chunk_count(wb)
    assert [d.filename for d in wb.workspace().documents()] == ["policy.md"]


def test_orphan_vectors_do_not_crowd_a_real_document_out_of_vector_search(after_kill):
    wb, _, _ = after_kill
    killed_id = killed_row(wb).id
    # The failure being fixed: Chroma's own top k for the policy's line is all orphans...
    nearest = wb.vectors.query("default", CHUNK_PURPOSE, wb.embedder.embed_query(QUERY), 20)
    assert {r.metadata["document_id"] for r in nearest} == {killed_id}
    # ...so filtering after ranking found nothing; filtering before ranking finds the policy.
    for mode in ("vector", "hybrid"):
        hits = wb.workspace().search(QUERY, k=5, mode=mode)
        assert hits and hits[0].chunk.document_id != killed_id and "late when it arrives" in hits[0].chunk.text, mode
        assert all(h.chunk.document_id != killed_id for h in hits)


def test_reupload_after_a_kill_resumes_the_document_instead_of_calling_it_a_duplicate(after_kill):
    wb, spy, killed = after_kill
    killed_id = killed_row(wb).id
    ws = wb.workspace()
    result = ws.ingest([Upload(ARCHIVE_NAME, archive_bytes())])[0]
    assert result.status == "ingested", "not a duplicate of a document the user cannot see"
    assert result.document_id == killed_id and result.chunks == archive_chunk_count(wb)
    assert spy.embedded_on(threading.get_ident()) == result.chunks - killed.vectors_written, \
        "the vectors the killed run wrote are kept, the rest embedded"
    assert ws.document(killed_id).filename == ARCHIVE_NAME
    _, chunk_ids, vector_ids = store_state(wb)
    assert chunk_ids == vector_ids and len(chunk_ids) == result.chunks + POLICY_CHUNKS
    assert {h.chunk.document_id for h in ws.search("order 04321 from Mumbai", k=3, mode="keyword")} == {killed_id}
    assert killed_id in {h.chunk.document_id for h in ws.search(QUERY, k=5, mode="vector")}


def test_the_next_upload_does_not_wait_for_the_repair_which_finishes_in_the_background(after_kill):
    wb, spy, killed = after_kill
    killed_id = killed_row(wb).id
    # Long after the kill: no timeout could excuse a synchronous re-embed of the archive any more.
    an_hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(timespec="seconds")
    with wb.metadata.begin() as conn:
        conn.execute(update(documents).where(documents.c.id == killed_id).values(updated_at=an_hour_ago))
    ws = wb.workspace()
    other = ws.ingest([Upload("other.md", b"# Warehouse note\n\nForklift batteries are charged overnight in bay 4.")])[0]
    assert other.status == "ingested"
    assert spy.embedded_on(threading.get_ident()) == other.chunks, "the upload embedded only its own file"
    assert wb.ingestion.wait_for_repairs(timeout=1800)
    total = archive_chunk_count(wb)
    assert spy.embedded_elsewhere(threading.get_ident()) == total - killed.vectors_written, "the repair resumed"
    assert ws.document(killed_id).chunk_count == total
    _, chunk_ids, vector_ids = store_state(wb)
    assert chunk_ids == vector_ids and len(chunk_ids) == total + POLICY_CHUNKS + other.chunks
    assert {h.chunk.document_id for h in ws.search("order 04321 from Mumbai", k=3, mode="keyword")} == {killed_id}


def test_a_stopped_background_repair_leaves_consistent_stores_and_resumes(after_kill):
    wb, spy, killed = after_kill
    killed_id = killed_row(wb).id
    ws = wb.workspace()
    other = ws.ingest([Upload("other.md", b"# Warehouse note\n\nForklift batteries are charged overnight in bay 4.")])[0]
    wb.ingestion.stop_repairs()  # what the CLI does before it exits, wherever the repair got to
    assert wb.ingestion.wait_for_repairs(timeout=60)
    docs = {d.id for d in ws.documents()}
    _, chunk_ids, vector_ids = store_state(wb)
    assert set(chunk_ids) <= set(vector_ids) and all(c.split(":")[0] in docs for c in chunk_ids)
    if killed_id not in docs:  # stopped before it finished: still there, and resumed by the next repair
        assert killed_row(wb).status == "indexing"
        assert ws.repair() == [killed_id]
    assert ws.document(killed_id).chunk_count == archive_chunk_count(wb)
    _, chunk_ids, vector_ids = store_state(wb)
    assert chunk_ids == vector_ids
    assert sum(n for _, n in spy.calls) == archive_chunk_count(wb) - killed.vectors_written + other.chunks, \
        "a stop between batches wastes nothing: every chunk was embedded once"


LIVE_CHILD = textwrap.dedent("""
    import sys, time
    from core.settings import Settings
    from core.workbench import build_workbench
    from core.ingest.pipeline import Upload
    wb = build_workbench(Settings.from_env(AW_DATA_DIR=sys.argv[1]))
    wb.ingestion.batch_size = 4
    def report(event):
        if event.stage == "embed" and event.done:
            print("holding", flush=True)
            time.sleep(600)  # alive, mid-embedding, owning the document
    wb.workspace().ingest([Upload("slow.txt", open(sys.argv[2], "rb").read())], progress=report)
""")


def test_a_document_still_being_indexed_elsewhere_is_reported_as_such_and_left_alone(settings, workbench, tmp_path):
    text = "\n\n".join(f"Paragraph {i} on returns of damaged items." * 6 for i in range(40)).encode()
    (tmp_path / "slow.txt").write_bytes(text)
    child = subprocess.Popen([sys.executable, "-c", LIVE_CHILD, str(settings.data_dir), str(tmp_path / "slow.txt")],
                             cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout.readline().strip() == "holding", "the child never got to its first batch"
        ws = workbench.workspace()
        before = store_state(workbench)
        again = ws.ingest([Upload("slow.txt", text)])[0]
        assert again.status == "indexing" and again.document_id == before[0][0]
        assert ws.repair() == [] and workbench.ingestion.wait_for_repairs(timeout=60)
        assert store_state(workbench) == before, "a live upload elsewhere is never disturbed"
    finally:
        kill(child)
    # Once its process is gone, the same upload resumes it at once (no staleness timeout), and
    # the re-upload's name and tags are the document's.
    resumed = ws.ingest([Upload("slow-again.txt", text)], tags=["returns"])[0]
    assert resumed.status == "ingested" and resumed.document_id == before[0][0]
    assert [(d.filename, d.tags) for d in ws.documents()] == [("slow-again.txt", ("returns",))]
    assert ws.search("damaged items", mode="vector", filters=SearchFilters(tags=("returns",)))
    _, chunk_ids, vector_ids = store_state(workbench)
    assert chunk_ids == vector_ids


def test_cli_ingest_exits_without_finishing_the_repair_and_cli_repair_finishes_it(killed_snapshot, tmp_path):
    import json

    data_dir = tmp_path / "data"
    shutil.copytree(killed_snapshot.data_dir, data_dir)
    (tmp_path / "other.md").write_bytes(b"# Warehouse note\n\nForklift batteries are charged overnight in bay 4.")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "core.cli", "--data-dir", str(data_dir), "--json", *args], cwd=ROOT,
                              env=clean_env(), capture_output=True, text=True, timeout=900)

    ingested = cli("ingest", str(tmp_path / "other.md"))
    assert ingested.returncode == 0, ingested.stderr
    assert [r["status"] for r in json.loads(ingested.stdout)] == ["ingested"]
    listed = {d["filename"] for d in json.loads(cli("docs").stdout)}
    assert {"policy.md", "other.md"} <= listed  # the archive too, if the repair finished before the exit
    repaired = cli("repair")
    assert repaired.returncode == 0, repaired.stderr
    docs = {d["filename"]: d for d in json.loads(cli("docs").stdout)}
    assert json.loads(repaired.stdout)["repaired"] in ([], [docs[ARCHIVE_NAME]["document_id"]])
    assert docs[ARCHIVE_NAME]["chunks"] > killed_snapshot.vectors_written
