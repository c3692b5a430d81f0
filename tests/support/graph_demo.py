"""Helpers for tests of the graph application layer: the demo company in a graph-indexed workbench.

Everything is real: the demo SQLite database and documents, LadybugDB, spaCy and the embedding
model (the session's ``embedder``). The CLI, demo, graph and page tests all build on these, so
they live here rather than in one directory's conftest; the fixtures built on them are in
tests/core/conftest.py (``small_workbench``), tests/core/demo/conftest.py (``demo_workbench``,
``demo_db``) and tests/core/graph/conftest.py (``graph_extractor``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.conftest import clean_env

DEMO_TODAY = dt.date(2026, 11, 18)


def make_settings(data_dir: Path):
    from core.settings import Settings

    return Settings.from_env(clean_env(), AW_DATA_DIR=str(data_dir))


def graph_workbench(data_dir: Path, embedder):
    """A workbench whose ingestion writes the graph, linked to the workspace's database (the demo's by default)."""
    from core.workbench import build_workbench

    # The workbench wires its own graph indexer into ingestion (Workbench.document_indexers).
    return build_workbench(make_settings(data_dir), embedder=embedder)


def generate_demo_into(data_dir: Path):
    """The demo where the settings expect it (``<data dir>/demo``), so the default linking finds it."""
    from core.demo import generate_demo

    return generate_demo(data_dir / "demo", today=DEMO_TODAY)


def demo_doc(workbench, prefix: str) -> Path:
    """The demo document whose file name starts with ``prefix``."""
    matches = sorted(p for p in workbench.demo_summary.docs_dir.iterdir() if p.name.startswith(prefix))
    assert matches, f"no demo document starts with {prefix}"
    return matches[0]
