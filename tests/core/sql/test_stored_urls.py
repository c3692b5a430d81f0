"""SQLite files inside the data dir are stored relative to it (issue 17.7): a copied or moved data dir
reads its own demo database, and its health check and its Ask the Database read the same file."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from core.health import check_all
from core.metadata import sql_connections
from core.settings import Settings
from core.sql.stored_urls import from_stored, is_legacy_absolute, to_stored
from core.workbench import build_workbench
from tests.conftest import clean_env
from tests.core.sql.conftest import CHINOOK_SQLITE

COUNT = "SELECT COUNT(*) AS n FROM customers"


def settings_for(data: Path) -> Settings:
    return Settings.from_env(clean_env(), AW_DATA_DIR=str(data))


def stored_urls(workbench) -> dict[str, str]:
    with workbench.metadata.connect() as conn:
        return dict(conn.execute(select(sql_connections.c.name, sql_connections.c.url)).all())


def demo_health(workbench):
    return next(item for item in check_all(workbench.settings, workbench.metadata) if item.backend == "demo_database")


@pytest.fixture
def loaded_demo(tmp_path, embedder):
    """A data dir with the demo database generated and connected as "demo" (its schema trained)."""
    from core.demo import generate_demo
    from core.demo.load import load_demo_database

    data = tmp_path / "first" / "data"
    settings = settings_for(data)
    generate_demo(settings.sql.demo_db_path.parent, today=dt.date(2024, 6, 30))
    workbench = build_workbench(settings, embedder=embedder)
    load_demo_database(workbench.workspace(), settings.sql.demo_db_path.parent)
    workbench.close()
    return data


def test_the_demo_connection_is_stored_relative_to_the_data_dir(loaded_demo, embedder):
    workbench = build_workbench(settings_for(loaded_demo), embedder=embedder)
    try:
        assert stored_urls(workbench) == {"demo": "sqlite:///demo/retail.db"}
        demo = workbench.sql.connection("default", "demo")
        assert demo.url == f"sqlite:///{loaded_demo.resolve() / 'demo' / 'retail.db'}", "shown and opened absolute"
        assert workbench.sql.connections_store.find_by_url("default", make_url(demo.url)) == demo
    finally:
        workbench.close()


def test_a_moved_data_dir_reads_its_own_demo_database(loaded_demo, tmp_path, embedder):
    moved = tmp_path / "elsewhere" / "data"
    shutil.copytree(loaded_demo, moved)
    with sqlite3.connect(moved / "demo" / "retail.db") as copy:  # the copy now differs from the original
        copy.execute("DELETE FROM customers WHERE customer_id IN (SELECT customer_id FROM customers LIMIT 5)")
    with sqlite3.connect(loaded_demo / "demo" / "retail.db") as original:
        before = original.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    shutil.rmtree(loaded_demo.parent)  # moved, not copied: the old folder is gone

    workbench = build_workbench(settings_for(moved), embedder=embedder)
    try:
        answer = workbench.sql.run_editor("default", COUNT, "demo")
        assert answer.result.rows == ((before - 5,),)
        health = demo_health(workbench)
        assert health.ok and health.detail == str(moved.resolve() / "demo" / "retail.db")
        assert workbench.sql.connection("default", "demo").url == f"sqlite:///{Path(health.detail)}"
    finally:
        workbench.close()


def test_an_absolute_path_saved_by_an_older_version_works_and_is_stored_relative_on_next_listing(loaded_demo, embedder):
    workbench = build_workbench(settings_for(loaded_demo), embedder=embedder)
    absolute = f"sqlite:///{loaded_demo.resolve() / 'demo' / 'retail.db'}"
    try:
        with workbench.metadata.begin() as conn:  # as versions before relative paths saved it
            conn.execute(update(sql_connections).values(url=absolute))
        assert workbench.sql.connection("default", "demo").url == absolute
        assert stored_urls(workbench) == {"demo": "sqlite:///demo/retail.db"}
        assert workbench.sql.run_editor("default", COUNT, "demo").result.rows[0][0] > 0
    finally:
        workbench.close()


def test_files_outside_the_data_dir_stay_absolute(workbench, tmp_path):
    copy = tmp_path / "music.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    saved = workbench.sql.add_connection("default", "music", f"sqlite:///{copy}")
    assert stored_urls(workbench)["music"] == f"sqlite:///{copy.resolve()}" == saved.url


def test_health_says_when_ask_would_read_another_data_dirs_demo(loaded_demo, tmp_path, embedder):
    other = tmp_path / "other.db"
    shutil.copyfile(loaded_demo / "demo" / "retail.db", other)
    workbench = build_workbench(settings_for(loaded_demo), embedder=embedder)
    try:
        with workbench.metadata.begin() as conn:  # an older version's row from a data dir that was copied here
            conn.execute(update(sql_connections).values(url=f"sqlite:///{other}"))
        health = demo_health(workbench)
        assert not health.ok
        assert str(other) in health.detail and str(loaded_demo.resolve() / "demo" / "retail.db") in health.detail
        assert "python -m core.demo --load" in health.next_step
    finally:
        workbench.close()


def test_stored_forms(tmp_path):
    data = tmp_path / "data"
    inside = make_url(f"sqlite:///{data / 'demo' / 'retail.db'}")
    assert to_stored(inside, data).database == "demo/retail.db"
    assert from_stored(to_stored(inside, data), data) == inside
    assert is_legacy_absolute(inside, data) and not is_legacy_absolute(to_stored(inside, data), data)
    outside = make_url(f"sqlite:///{tmp_path / 'x.db'}")
    server = make_url("postgresql+psycopg://analyst@db:5432/sales")
    for url in (outside, server):
        assert to_stored(url, data) == url == from_stored(url, data)
    assert to_stored(inside, None) == inside and from_stored(make_url("sqlite:///demo/retail.db"), None).database == "demo/retail.db"
