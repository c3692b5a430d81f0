"""Metadata migrations: the models and the revisions never differ, a data dir made by the last
release before migrations upgrades with everything in it intact, a newer data dir is refused,
processes starting together do not race, and the same holds with PostgreSQL and MariaDB as
the metadata store."""

from __future__ import annotations

import json
import multiprocessing
import tarfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from core.cli import app
from core.errors import ConfigError
from core.metadata import MetadataStore, chat_messages, metadata_schema
from core.migrations import head_revision, upgrade
from core.migrations.runner import BASELINE, _config
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import ROOT, clean_env

FIXTURE = ROOT / "tests" / "fixtures" / "upgrade" / "datadir-1264c0d.tar.gz"
SERVERS = {
    "postgres": "postgresql+psycopg://postgres@127.0.0.1:5432/",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/",
}


def differences(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata_schema)


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def metadata_url(request, tmp_path):
    """An empty metadata database on each engine (a throwaway database on the servers)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workbench.db'}"
        return
    server = SERVERS[request.param]
    admin = sqlalchemy.create_engine(server + ("postgres" if request.param == "postgres" else ""),
                                     isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"aw_meta_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"' if request.param == "postgres" else f"CREATE DATABASE `{name}`")
    except sqlalchemy.exc.OperationalError as error:
        pytest.skip(f"{request.param} is not reachable: {error.orig}")
    yield server + name
    with admin.connect() as connection:
        if request.param == "postgres":
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


def test_the_models_and_the_migration_head_never_differ(metadata_url):
    store = MetadataStore(metadata_url)
    try:
        store.ensure_schema()
        assert store.schema_report().current == head_revision()
        assert differences(store.engine) == [], "add a revision under core/migrations/versions for this change"
    finally:
        store.close()


def test_a_pre_migration_database_is_stamped_at_the_baseline_and_upgraded(metadata_url):
    # The baseline's tables exactly as the last release made them (no alembic_version), with a row.
    engine = sqlalchemy.create_engine(metadata_url)
    with engine.begin() as connection:
        command.upgrade(_config(connection), BASELINE)
        connection.exec_driver_sql("DROP TABLE alembic_version")
        connection.exec_driver_sql("INSERT INTO workspaces (name, created_at) VALUES ('kept', '2025-01-01')")
    report = upgrade(engine)
    assert report.current is None and report.applied[-1] == head_revision() and BASELINE not in report.applied
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT name FROM workspaces").all() == [("kept",)]
    assert differences(engine) == []
    engine.dispose()


def test_the_unused_jobs_table_is_dropped_and_a_downgrade_restores_it(metadata_url):
    # Revision 0003 drops it; stepping back (as restoring an older backup does) brings back the
    # table exactly as the baseline made it, so rows from such a backup still load.
    engine = sqlalchemy.create_engine(metadata_url)
    try:
        with engine.begin() as connection:
            command.upgrade(_config(connection), "0002")
            before = _columns_and_indexes(connection, "jobs")
        assert before[0], "the baseline made a jobs table"
        with engine.begin() as connection:
            command.upgrade(_config(connection), "0003")
        with engine.connect() as connection:
            assert "jobs" not in sqlalchemy.inspect(connection).get_table_names()
        with engine.begin() as connection:
            command.downgrade(_config(connection), "0002")
            assert _columns_and_indexes(connection, "jobs") == before
    finally:
        engine.dispose()


def _columns_and_indexes(connection, table: str) -> tuple[list, list]:
    inspector = sqlalchemy.inspect(connection)
    columns = [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)]
    indexes = sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table))
    return columns, indexes


def test_a_database_newer_than_the_code_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'workbench.db'}"
    MetadataStore(url).ensure_schema()
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(ConfigError, match="9999_from_the_future, which is newer than this version"):
        MetadataStore(url).ensure_schema()
    engine.dispose()


def _open_store(url: str) -> str:
    store = MetadataStore(url)
    store.ensure_schema()
    revision = store.schema_report().current
    store.close()
    return revision


def test_processes_starting_together_do_not_race(metadata_url):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        revisions = pool.map(_open_store, [metadata_url] * 4)
    assert revisions == [head_revision()] * 4


# --- the last release's data dir ------------------------------------------------------------------

@pytest.fixture
def released_data_dir(tmp_path) -> tuple[Path, dict]:
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    root = tmp_path / "fixture"
    return root / "data", json.loads((root / "expected.json").read_text(encoding="utf-8"))


def test_the_last_release_data_dir_upgrades_with_everything_intact(released_data_dir, embedder):
    data_dir, expected = released_data_dir
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(data_dir))
    workbench = build_workbench(settings, embedder=embedder)
    try:
        workspace = workbench.workspace("default")
        documents = workspace.documents()
        assert sorted(d.title for d in documents) == expected["documents"]
        assert sum(len(workspace.chunks(d.id)) for d in documents) == expected["chunks"]
        assert workbench.metadata.schema_report().up_to_date
        assert differences(workbench.metadata.engine) == [], "the baseline is not the release's schema"
        for query, title in (("apricot blossom frost", "orchard-notes"), ("container traffic crane", "Harbour report")):
            for mode in ("vector", "keyword", "hybrid"):
                hits = workspace.search(query, k=1, mode=mode)
                assert hits and hits[0].document_title == title, (query, mode)
        sql = workbench.sql
        assert [c.name for c in sql.connections("default")] == expected["connections"]
        assert len(sql.training_items("default", "orchards")) == expected["training_items"]
        assert len(sql.history("default")) == expected["history"]
        assert sql.answerable_questions("default", "orchards") == ["How many pear trees are there?"]
        with workbench.metadata.connect() as connection:
            messages = connection.execute(sqlalchemy.select(chat_messages.c.role, chat_messages.c.content)).all()
        assert ("user", "What happened to the apricot blossom?") in [tuple(m) for m in messages]
        assert len(messages) == 2
    finally:
        workbench.close()


def test_the_cli_reports_and_applies_migrations(released_data_dir):
    data_dir, _ = released_data_dir
    runner = CliRunner()
    checked = runner.invoke(app, ["--data-dir", str(data_dir), "--json", "migrate", "--check"], env=clean_env())
    assert checked.exit_code == 0
    assert json.loads(checked.stdout) == {"from": None, "to": head_revision(), "applied": [], "up_to_date": False}
    applied = runner.invoke(app, ["--data-dir", str(data_dir), "--json", "migrate"], env=clean_env())
    assert applied.exit_code == 0
    payload = json.loads(applied.stdout)
    assert payload["to"] == head_revision() and payload["applied"] and BASELINE not in payload["applied"]
    again = runner.invoke(app, ["--data-dir", str(data_dir), "--json", "migrate"], env=clean_env())
    assert json.loads(again.stdout)["applied"] == []
