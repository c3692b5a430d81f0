"""`graph neighbors` and `graph rebuild` on the command line, in a separate process like any script."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, clean_env
from tests.support.graph_demo import demo_doc

# The lead registers core.cli.graph in core/cli/__init__.py; importing it here first works either way.
ENTRY = "import core.cli.graph; from core.cli import app; app(prog_name='python -m core.cli')"


def run_cli(data_dir, *args):
    return subprocess.run([sys.executable, "-c", ENTRY, "--data-dir", str(data_dir), *args], cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def ingested(small_workbench):
    """A data dir with three complaints in the graph; the workbench is closed so the CLI can open the graph."""
    wb = small_workbench
    paths = [demo_doc(wb, p) for p in ("complaint-email-0001", "complaint-email-0002", "call-transcript-0007")]
    assert all(r.status == "ingested" for r in wb.workspace().ingest_paths(paths))
    stats = wb.graph.stats("default")
    expected = wb.graph.neighbors("default", "vikram mehta", 2)
    wb.close()
    return wb.settings.data_dir, stats, expected


def test_neighbors_json_has_nodes_and_edges(ingested):
    data_dir, _, expected = ingested
    result = run_cli(data_dir, "--json", "graph", "neighbors", "vikram mehtta", "--depth", "2")  # misspelt on purpose
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"nodes", "edges"}
    assert [n["key"] for n in payload["nodes"]] == [n.key for n in expected.nodes]
    assert payload["nodes"][0] | {"aliases": None} == {"key": "vikram mehta", "name": "Vikram Mehta", "type": "PERSON",
                                                     "aliases": None, "hops": 0, "score": 0.0}
    assert {n["hops"] for n in payload["nodes"]} == {0, 1, 2}
    keys = {n["key"] for n in payload["nodes"]}
    assert payload["edges"] and all({e["source"], e["target"]} <= keys for e in payload["edges"])
    assert all(set(e) == {"source", "target", "type", "weight", "evidence"} and e["evidence"] for e in payload["edges"])


def test_neighbors_depth_one_and_human_output(ingested):
    data_dir, _, _ = ingested
    one = json.loads(run_cli(data_dir, "--json", "graph", "neighbors", "Vikram Mehta").stdout)
    assert {n["hops"] for n in one["nodes"]} == {0, 1}
    human = run_cli(data_dir, "graph", "neighbors", "Vikram Mehta")
    assert human.returncode == 0 and human.stdout.startswith("Vikram Mehta (PERSON):") and "--MENTIONED_WITH-->" in human.stdout


def test_unknown_names_and_bad_depths_fail_clearly(ingested):
    data_dir, _, _ = ingested
    missing = run_cli(data_dir, "--json", "graph", "neighbors", "Zebulon Quixote")
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["kind"] == "not_found"
    deep = run_cli(data_dir, "--json", "graph", "neighbors", "Vikram Mehta", "--depth", "3")
    assert deep.returncode == 2 and "depth" in deep.stderr.lower()


def test_rebuild_json_reports_what_was_built(ingested):
    data_dir, stats, _ = ingested
    result = run_cli(data_dir, "--json", "graph", "rebuild")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload == {"workspace": "default", "documents": 3, "chunks": stats.chunks, "entities": stats.entities,
                       "relations": stats.relations, "failed": []}
    assert "[3/3]" in result.stderr
