"""Backup and restore with the real stores: everything comes back and is searchable, a backup taken
during an ingest restores without a half-indexed document, damaged, newer or misplaced backups are
refused, passwords are left out or encrypted, and the same holds with PostgreSQL as the metadata store."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy
from alembic import command
from sqlalchemy import MetaData, func, select
from sqlalchemy.engine import make_url

from core.backup import BackupDamaged, WrongPassphrase, create_backup, last_backup, read_manifest, restore_backup
from core.errors import ConfigError, InvalidInput
from core.ingest.pipeline import CHUNK_PURPOSE, Upload
from core.metadata import MetadataStore, documents
from core.migrations import head_revision
from core.migrations.runner import BASELINE, _config
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import ROOT, clean_env

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
DOCS = {
    "harbour.md": "# Harbour report\n\nThe Rotterdam harbour handled 400 container ships operated by Maersk in March. "
                  "Dockworkers in Rotterdam loaded grain for Cargill.\n",
    "wind.md": "# Wind farms\n\nOrsted builds offshore wind farms near Denmark and Germany. Siemens Gamesa supplies "
               "the turbines for the Hornsea project.\n",
    "bakery.md": "# Bakery notes\n\nThe sourdough starter at the Lyon bakery needs rye flour every morning. Paul "
                 "Bocuse praised the croissants.\n",
}


def make_settings(data_dir: Path, **extra: str) -> Settings:
    return Settings.from_env(clean_env(), AW_DATA_DIR=str(data_dir), **extra)


def row_counts(url: str) -> dict[str, int]:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            reflected = MetaData()
            reflected.reflect(conn)
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in reflected.sorted_tables
                    if t.name != "alembic_version"}
    finally:
        engine.dispose()


def check_consistent(workbench, workspace: str = "default") -> dict[str, int]:
    """Every document indexed, and its chunk rows, chunk count and vectors agree; returns chunks per document."""
    with workbench.metadata.connect() as conn:
        rows = conn.execute(select(documents).where(documents.c.workspace == workspace)).all()
    counts = {}
    for row in rows:
        assert row.status == "indexed", f"{row.filename} is {row.status} in the restored data dir"
        vectors = workbench.vectors.get(workspace, CHUNK_PURPOSE, where={"document_id": row.id})
        chunks = workbench.workspace(workspace).chunks(row.id)
        assert len(vectors) == len(chunks) == row.chunk_count > 0, row.filename
        counts[row.id] = row.chunk_count
    return counts


def populate(workbench, tmp_path: Path) -> dict:
    """Documents, a SQLite database connected from outside the data dir and trained, a query, a chat."""
    ws = workbench.workspace()
    results = ws.ingest([Upload(name, text.encode()) for name, text in DOCS.items()])
    assert [r.status for r in results] == ["ingested"] * len(DOCS)
    shop = tmp_path / "outside" / "shop.db"
    shop.parent.mkdir(parents=True)
    with sqlite3.connect(shop) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, region TEXT, amount REAL)")
        db.executemany("INSERT INTO orders (region, amount) VALUES (?, ?)", [("north", 10.0), ("south", 32.5), ("north", 7.5)])
    workbench.sql.add_connection(ws.name, "shop", f"sqlite:///{shop}")
    workbench.sql.train_schema(ws.name)
    workbench.sql.add_question_sql(ws.name, "How many orders are there?", "SELECT count(*) AS orders FROM orders")
    answer = workbench.sql.ask(ws.name, "How many orders are there?")
    assert answer.source == "certified" and list(answer.result.rows[0]) == [3]
    chat = workbench.assistant.ask(ws.name, "Which company operates container ships in Rotterdam?", conversation_id="c-1")
    assert chat.sources
    stats = workbench.graph.stats(ws.name)
    assert stats.entities > 0
    return {"entities": stats.entities, "relations": stats.relations, "mentions": stats.mentions,
            "training": len(workbench.sql.training_items(ws.name))}


@pytest.fixture(scope="module")
def source(tmp_path_factory, embedder):
    """A populated data dir and one backup of it, shared by the tests that only read them."""
    root = tmp_path_factory.mktemp("source")
    settings = make_settings(root / "data")
    workbench = build_workbench(settings, embedder=embedder)
    expected = populate(workbench, root)
    summary = create_backup(settings, root / "backups" / "full.tar.gz")
    yield {"settings": settings, "workbench": workbench, "expected": expected, "summary": summary,
           "backup": Path(summary["path"]), "counts": row_counts(settings.metadata_url)}
    workbench.close()


def test_round_trip_restores_everything_searchable(source, tmp_path, embedder):
    summary = source["summary"]
    assert {"metadata", "vectors", "graph", "files"} <= set(summary["included"])
    assert any(item["item"] == "keyword" for item in summary["excluded"])
    assert summary["bytes"] == source["backup"].stat().st_size > 0
    assert last_backup(source["settings"].data_dir)["path"] == str(source["backup"])

    target = make_settings(tmp_path / "restored")
    report = restore_backup(target, source["backup"], embedder=embedder)
    assert report["documents"] == len(DOCS) and report["needs_password"] == [] and report["repaired"] == []
    assert row_counts(target.metadata_url) == source["counts"]
    restored = build_workbench(target, embedder=embedder)
    try:
        check_consistent(restored)
        ws = restored.workspace()
        for mode in ("vector", "keyword", "hybrid"):
            hits = ws.search("container ships in the Rotterdam harbour", mode=mode, k=3)
            assert hits and hits[0].document_title == "Harbour report", mode
        stats = restored.graph.stats(ws.name)
        assert (stats.entities, stats.relations, stats.mentions) == tuple(
            source["expected"][k] for k in ("entities", "relations", "mentions"))
        assert restored.graph.find_entities(ws.name, "Rotterdam")
        assert len(restored.sql.training_items(ws.name)) == source["expected"]["training"]
        answer = restored.sql.ask(ws.name, "How many orders are there?")
        assert answer.source == "certified" and list(answer.result.rows[0]) == [3]
        assert restored.workspace().original_file(ws.documents()[0].id).read_bytes().decode() in DOCS.values()
    finally:
        restored.close()


def test_backup_during_an_ingest_restores_without_half_indexed_documents(tmp_path, embedder):
    settings = make_settings(tmp_path / "data")
    workbench = build_workbench(settings, embedder=embedder)
    workbench.workspace().ingest([Upload("first.md", DOCS["harbour.md"].encode())])
    long_text = "# Long report\n\n" + "\n\n".join(
        f"Section {i}: the Antwerp terminal moved {i * 37} containers for client number {i}." for i in range(120))
    mid_embedding, errors = threading.Event(), []

    def on_progress(step):
        if step.stage == "embed" and step.done > 0 and not mid_embedding.is_set():
            mid_embedding.set()  # the document's row, files and first vectors are written, the rest is not
            threading.Event().wait(0.5)  # give the backup time to start while this document is half-written

    def ingest():
        try:
            workbench.workspace().ingest([Upload("long.md", long_text.encode()), Upload("wind.md", DOCS["wind.md"].encode())],
                                         progress=on_progress)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    writer = threading.Thread(target=ingest)
    writer.start()
    assert mid_embedding.wait(60)
    summary = create_backup(settings, tmp_path / "during.tar.gz")
    writer.join(60)
    assert not errors
    target = make_settings(tmp_path / "restored")
    report = restore_backup(target, summary["path"], embedder=embedder)
    # The backup waited for the half-written document instead of capturing it: nothing to repair.
    assert report["repaired"] == []
    restored = build_workbench(target, embedder=embedder)
    try:
        counts = check_consistent(restored)
        titles = {d.title for d in restored.workspace().documents()}
        assert {"Harbour report", "Long report"} <= titles and len(counts) in (2, 3)
        assert max(counts.values()) > 5  # the long document came back whole
    finally:
        restored.close()
        workbench.close()


def test_restore_refuses_a_non_empty_target_and_an_existing_backup_path(source, tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("keep me")
    with pytest.raises(InvalidInput, match="not empty"):
        restore_backup(make_settings(busy), source["backup"])
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
    with pytest.raises(InvalidInput, match="already exists"):
        create_backup(source["settings"], source["backup"])
    with pytest.raises(InvalidInput, match="outside the data dir"):
        create_backup(source["settings"], source["settings"].data_dir / "inside.tar.gz")


def rewrite(backup: Path, target: Path, change) -> Path:
    """A copy of ``backup`` with ``change(name, bytes) -> bytes`` applied to every member."""
    with tarfile.open(backup) as old, tarfile.open(target, "w:gz") as new:
        for member in old:
            data = change(member.name, old.extractfile(member).read())
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    return target


def test_tampered_or_foreign_backups_are_refused_before_anything_is_restored(source, tmp_path):
    original = next(n for n in read_manifest(source["backup"])["members"] if n.endswith("/original"))
    tampered = rewrite(source["backup"], tmp_path / "tampered.tar.gz",
                       lambda name, data: data + b" (edited)" if name == original else data)
    target = make_settings(tmp_path / "restored")
    with pytest.raises(BackupDamaged, match="does not match its checksum"):
        restore_backup(target, tampered)
    assert not target.data_dir.exists()
    assert not [p for p in tmp_path.iterdir() if ".restore-" in p.name]  # no staging folder left behind
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        tar.add(__file__, arcname="notes.py")
    with pytest.raises(BackupDamaged, match="not a readable Analyst Workbench backup"):
        restore_backup(target, foreign)


def test_a_backup_from_a_newer_version_is_refused_and_an_older_one_is_migrated(tmp_path):
    newer = make_settings(tmp_path / "newer")
    MetadataStore(newer.metadata_url).ensure_schema()
    with sqlite3.connect(newer.data_dir / "workbench.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    backup = create_backup(newer, tmp_path / "newer.tar.gz")["path"]
    with pytest.raises(ConfigError, match="newer version of the workbench"):
        restore_backup(make_settings(tmp_path / "restored-newer"), backup)
    assert not (tmp_path / "restored-newer").exists()

    older = make_settings(tmp_path / "older")
    store = MetadataStore(older.metadata_url)
    store.ensure_workspace("team")
    with store.engine.begin() as connection:
        command.downgrade(_config(connection), BASELINE)
    store.close()
    backup = create_backup(older, tmp_path / "older.tar")["path"]
    assert read_manifest(backup)["metadata"]["schema_revision"] == BASELINE
    target = make_settings(tmp_path / "restored-older")
    restore_backup(target, backup)
    restored = MetadataStore(target.metadata_url)
    assert restored.schema_report().current == head_revision() and "team" in restored.list_workspaces()
    restored.close()


@pytest.fixture
def with_password(tmp_path, embedder):
    settings = make_settings(tmp_path / "data")
    workbench = build_workbench(settings, embedder=embedder)
    ws = workbench.workspace()
    ws.ingest([Upload("bakery.md", DOCS["bakery.md"].encode())])
    # The store's own API: a server that needs a password cannot be reached from the test machine.
    workbench.sql.connections_store.add(ws.name, "warehouse", make_url("postgresql+psycopg://analyst@db.example/sales"),
                                        "s3cret-Pa55word")
    yield settings
    workbench.close()


def test_passwords_are_left_out_by_default_and_listed_on_restore(with_password, tmp_path):
    summary = create_backup(with_password, tmp_path / "plain.tar")
    assert any(item["item"] == "secrets" for item in summary["excluded"])
    assert b"s3cret-Pa55word" not in Path(summary["path"]).read_bytes()
    target = make_settings(tmp_path / "restored")
    report = restore_backup(target, summary["path"])
    assert report["needs_password"] == [{"workspace": "default", "connection": "warehouse"}]
    assert report["documents"] == 1 and not (target.data_dir / "secrets" / "connections.json").exists()


def test_encrypted_passwords_need_the_right_passphrase(with_password, tmp_path):
    with pytest.raises(InvalidInput, match="at least 8 characters"):
        create_backup(with_password, tmp_path / "weak.tar", encrypt_secrets=True, passphrase="short")
    summary = create_backup(with_password, tmp_path / "sealed.tar", encrypt_secrets=True, passphrase="correct horse")
    raw = Path(summary["path"]).read_bytes()
    assert b"s3cret-Pa55word" not in raw and b"correct horse" not in raw
    assert "secrets (encrypted)" in summary["included"]
    target = make_settings(tmp_path / "restored")
    with pytest.raises(WrongPassphrase, match="passphrase is wrong"):
        restore_backup(target, summary["path"], passphrase="wrong horse")
    assert not target.data_dir.exists()
    report = restore_backup(target, summary["path"], passphrase=lambda: "correct horse")
    secrets = target.data_dir / "secrets" / "connections.json"
    assert report["needs_password"] == [] and "s3cret-Pa55word" in json.loads(secrets.read_text()).values()
    assert secrets.stat().st_mode & 0o777 == 0o600


def run_cli(*args, data_dir, env=None):
    return subprocess.run([sys.executable, "-m", "core.cli", "--data-dir", str(data_dir), "--json", *args], cwd=ROOT,
                          env={**clean_env(), **(env or {})}, capture_output=True, text=True, timeout=180)


def test_cli_backup_and_restore_json_contract(with_password, tmp_path):
    path = tmp_path / "cli.tar.gz"
    done = run_cli("backup", str(path), "--encrypt-secrets", data_dir=with_password.data_dir,
                   env={"AW_BACKUP_PASSPHRASE": "correct horse"})
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert set(payload) == {"path", "created_at", "included", "excluded", "bytes"} and payload["path"] == str(path)
    again = run_cli("backup", str(path), data_dir=with_password.data_dir)
    assert again.returncode == 2 and json.loads(again.stdout)["kind"] == "invalid_input"
    wrong = run_cli("restore", str(path), data_dir=tmp_path / "new", env={"AW_BACKUP_PASSPHRASE": "wrong horse"})
    assert wrong.returncode == 2 and json.loads(wrong.stdout)["kind"] == "wrong_passphrase"
    assert "wrong horse" not in wrong.stdout + wrong.stderr
    restored = run_cli("restore", str(path), data_dir=tmp_path / "new", env={"AW_BACKUP_PASSPHRASE": "correct horse"})
    assert restored.returncode == 0, restored.stderr
    report = json.loads(restored.stdout)
    assert set(report) == {"data_dir", "restored", "documents", "needs_password"}
    assert report["documents"] == 1 and report["needs_password"] == []
    assert "s3cret-Pa55word" not in restored.stdout + restored.stderr


@pytest.fixture
def pg_urls():
    """Two throwaway PostgreSQL databases: the source's metadata store and the restore's."""
    admin = sqlalchemy.create_engine(PG_SERVER + "postgres", isolation_level="AUTOCOMMIT",
                                     connect_args={"connect_timeout": 3})
    names = [f"aw_backup_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    try:
        with admin.connect() as connection:
            for name in names:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error.orig}")
    yield [PG_SERVER + name for name in names]
    with admin.connect() as connection:
        for name in names:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_postgresql_metadata_round_trip_during_an_ingest(pg_urls, tmp_path, embedder):
    source_url, target_url = pg_urls
    settings = make_settings(tmp_path / "data", AW_METADATA_URL=source_url)
    workbench = build_workbench(settings, embedder=embedder)
    workbench.workspace().ingest([Upload("harbour.md", DOCS["harbour.md"].encode())])
    started = threading.Event()

    def on_progress(step):
        if step.stage == "embed" and not started.is_set():
            started.set()
            threading.Event().wait(0.3)

    writer = threading.Thread(target=lambda: workbench.workspace().ingest(
        [Upload("wind.md", DOCS["wind.md"].encode()), Upload("bakery.md", DOCS["bakery.md"].encode())], progress=on_progress))
    writer.start()
    assert started.wait(60)
    summary = create_backup(settings, tmp_path / "pg.tar.gz")
    writer.join(60)
    manifest = read_manifest(summary["path"])
    assert manifest["metadata"]["kind"] == "dump" and manifest["metadata"]["dialect"] == "postgresql"
    assert manifest["metadata"]["schema_revision"] == head_revision()
    assert "postgres@127.0.0.1" in manifest["metadata"]["source"]

    MetadataStore(target_url).ensure_schema()  # "freshly migrated": empty tables at the head revision
    target = make_settings(tmp_path / "restored", AW_METADATA_URL=target_url)
    report = restore_backup(target, summary["path"], embedder=embedder)
    assert report["repaired"] == [] and report["documents"] == manifest["documents"] >= 2
    assert row_counts(target_url) == {k: v for k, v in manifest["metadata"]["tables"].items()}
    restored = build_workbench(target, embedder=embedder)
    try:
        check_consistent(restored)
        assert restored.workspace().search("Rotterdam harbour ships", mode="hybrid")[0].document_title == "Harbour report"
    finally:
        restored.close()
        workbench.close()
    # A database that already holds a workbench's rows is never restored over.
    with pytest.raises(InvalidInput, match="not empty"):
        restore_backup(make_settings(tmp_path / "again", AW_METADATA_URL=target_url), summary["path"])
