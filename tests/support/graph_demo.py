"""Fixtures for the graph application layer: the demo company ingested once into a graph-indexed workbench.

Everything is real: the demo SQLite database and documents, LadybugDB, spaCy and the embedding
model (the session's ``embedder``). The full demo is ingested once per session (read-only
tests share it); tests that change the graph build a small workbench of their own.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import clean_env

DEMO_TODAY = dt.date(2026, 11, 18)


def make_settings(data_dir: Path):
    from core.settings import Settings

    return Settings.from_env(clean_env(), AW_DATA_DIR=str(data_dir))


def graph_workbench(data_dir: Path, embedder, *, values=None):
    """A workbench whose ingestion writes the graph, linking to ``values`` (default: the demo database)."""
    from core.graph.indexer import build_graph_indexer
    from core.workbench import build_workbench

    workbench = build_workbench(make_settings(data_dir), embedder=embedder)
    indexer = workbench.service("graph_indexer", lambda: build_graph_indexer(workbench, values=values))
    workbench.document_indexers = lambda: [indexer]  # what the lead wires in Workbench.document_indexers()
    return workbench


def generate_demo_into(data_dir: Path):
    """The demo where the settings expect it (``<data dir>/demo``), so the default linking finds it."""
    from core.demo import generate_demo

    return generate_demo(data_dir / "demo", today=DEMO_TODAY)


@pytest.fixture(scope="session")
def graph_extractor():
    """One spaCy pipeline for the whole session."""
    from core.graph.extraction import EntityExtractor

    return EntityExtractor()


@pytest.fixture(scope="session")
def demo_workbench(tmp_path_factory, embedder):
    """The full demo (45 documents) ingested into the default workspace, graph linked to the demo database."""
    data_dir = tmp_path_factory.mktemp("graph-demo") / "data"
    summary = generate_demo_into(data_dir)
    workbench = graph_workbench(data_dir, embedder)
    results = workbench.workspace().ingest_paths(sorted(summary.docs_dir.iterdir()))
    assert [r.file for r in results if r.status != "ingested"] == []
    workbench.demo_summary = summary
    yield workbench
    workbench.close()


@pytest.fixture(scope="session")
def demo_db(demo_workbench):
    connection = sqlite3.connect(f"file:{demo_workbench.demo_summary.db_path}?mode=ro", uri=True)
    yield connection
    connection.close()


@pytest.fixture
def small_workbench(tmp_path, embedder):
    """A fresh graph-indexed workbench with the demo database and documents generated but nothing ingested."""
    data_dir = tmp_path / "data"
    summary = generate_demo_into(data_dir)
    workbench = graph_workbench(data_dir, embedder)
    workbench.demo_summary = summary
    yield workbench
    workbench.close()


def demo_doc(workbench, prefix: str) -> Path:
    """The demo document whose file name starts with ``prefix``."""
    matches = sorted(p for p in workbench.demo_summary.docs_dir.iterdir() if p.name.startswith(prefix))
    assert matches, f"no demo document starts with {prefix}"
    return matches[0]
