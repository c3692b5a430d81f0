"""`ingest --no-wait` queues a job another process runs; `jobs list|show|cancel|work` follow and run it."""

import json
import subprocess
import sys

from tests.conftest import ROOT, clean_env


def cli(data_dir, *args):
    return subprocess.run([sys.executable, "-m", "core.cli", "--data-dir", str(data_dir), "--json", *args],
                          cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=300)


def test_a_queued_ingest_is_run_by_a_later_worker_and_followed_by_id(tmp_path):
    note = tmp_path / "note.md"
    note.write_text("# Shipping note\n\nParcels to Reykjavik leave on Tuesdays.\n")
    other = tmp_path / "other.md"
    other.write_text("# Other\n\nNothing to see.\n")
    data = tmp_path / "data"

    queued = json.loads(cli(data, "ingest", "--no-wait", str(note)).stdout)
    assert queued["status"] == "queued"
    cancelled = json.loads(cli(data, "ingest", "--no-wait", str(other)).stdout)
    assert json.loads(cli(data, "jobs", "cancel", cancelled["job_id"]).stdout)["status"] == "cancelled"
    assert json.loads(cli(data, "docs").stdout) == []  # nothing ran yet

    listed = json.loads(cli(data, "jobs", "list").stdout)
    assert [(j["job_id"], j["status"]) for j in listed] == [(cancelled["job_id"], "cancelled"),
                                                           (queued["job_id"], "queued")]
    assert json.loads(cli(data, "jobs", "work").stdout) == {"ran": 1}  # the cancelled one never runs

    shown = json.loads(cli(data, "jobs", "show", queued["job_id"]).stdout)
    assert shown["status"] == "done" and shown["result"]["results"][0]["status"] == "ingested"
    assert [d["filename"] for d in json.loads(cli(data, "docs").stdout)] == ["note.md"]
    missing = cli(data, "jobs", "show", "no-such-job")
    assert missing.returncode == 1 and json.loads(missing.stdout)["kind"] == "not_found"
