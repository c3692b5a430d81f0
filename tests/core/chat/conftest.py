"""A demo workspace (documents, graph, connected and trained demo database) shared by the chat tests."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import pytest

from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env
from tests.core.sql.conftest import CHINOOK_SQLITE


@pytest.fixture(scope="module")
def demo_workbench(tmp_path_factory, embedder):
    from core.demo import generate_demo
    from core.demo.load import load_demo_documents

    tmp = tmp_path_factory.mktemp("chat-demo")
    # The SQL service reads relative dates against the real clock, so the demo is generated for today too.
    demo_dir = tmp / "demo"
    generate_demo(demo_dir, today=dt.date.today())
    workbench = build_workbench(Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp / "data")), embedder=embedder)
    results = load_demo_documents(workbench.workspace(), demo_dir)
    assert all(r.status == "ingested" for r in results)
    workbench.demo_db = demo_dir / "retail.db"
    yield workbench
    workbench.close()


@pytest.fixture(scope="module")
def chinook_chat(tmp_path_factory, embedder):
    """Workspace "music" with a temporary copy of Chinook (a database nobody here designed) connected, untrained."""
    tmp = tmp_path_factory.mktemp("chat-chinook")
    copy = tmp / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)  # a temporary copy, read-only to the workbench
    workbench = build_workbench(Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp / "data")), embedder=embedder)
    workspace = workbench.workspace("music")
    workspace.sql.add_connection("chinook", f"sqlite:///{copy}")
    yield workspace
    workbench.close()


def plain_sql(db_path, sql, params=()):
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def table_checksums(db_path) -> dict[str, int]:
    """A checksum of every table's content, to prove nothing changed."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: hash(tuple(connection.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall())) for t in tables}
    finally:
        connection.close()
