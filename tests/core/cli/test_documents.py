"""The document commands of the CLI and their JSON contract."""

import json
import subprocess
import sys

from tests.conftest import ROOT, clean_env


def cli(data_dir, *args):
    return subprocess.run([sys.executable, "-m", "core.cli", "--data-dir", str(data_dir), "--json", *args],
                          cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=300)


def test_ingest_docs_search_delete(tmp_path):
    good = tmp_path / "policy.md"
    good.write_text("# Returns policy\n\nDamaged items can be returned within 30 days for a full refund.\n")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    data = tmp_path / "data"

    result = cli(data, "ingest", str(good), str(empty))
    assert result.returncode == 1, "one file errored"
    rows = json.loads(result.stdout)
    assert [r["status"] for r in rows] == ["ingested", "error"]
    assert set(rows[0]) == {"file", "status", "document_id", "chunks", "error"}
    # Progress goes to stderr, sampled from the job as it runs (a short embedding stage may fall between samples).
    assert "[1/2]" in result.stderr

    again = cli(data, "ingest", str(good))
    assert again.returncode == 0 and json.loads(again.stdout)[0]["status"] == "duplicate"

    docs = json.loads(cli(data, "docs").stdout)
    assert [d["document_id"] for d in docs] == [rows[0]["document_id"]]

    hits = json.loads(cli(data, "search", "refund for damaged items", "-k", "3", "--mode", "hybrid").stdout)
    assert hits and {"document_id", "title", "chunk_id", "score", "text"} <= set(hits[0])
    assert hits[0]["document_id"] == rows[0]["document_id"]

    assert cli(data, "delete", rows[0]["document_id"]).returncode == 0
    assert json.loads(cli(data, "docs").stdout) == []
    missing = cli(data, "delete", rows[0]["document_id"])
    assert missing.returncode == 1 and json.loads(missing.stdout)["kind"] == "not_found"


def test_bad_search_mode_is_a_clear_error(tmp_path):
    result = cli(tmp_path / "data", "search", "x", "--mode", "fuzzy")
    assert result.returncode == 2
    assert "mode must be one of" in json.loads(result.stdout)["error"]
