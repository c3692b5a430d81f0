"""``create_backup``: a consistent snapshot of the whole data dir while the app keeps running.

Consistency: the stores are copied into a staging folder while the data-dir write lock
(``core/data_lock.py``) is held exclusive, so no document is being written (ingest, re-index,
repair, delete all hold it shared); reads go on. Within that window the metadata store is read
in one consistent snapshot (SQLite backup API, or one REPEATABLE READ transaction on a server),
the graph is held open read-only so no other process can change it, and Chroma's files are
copied and checked unchanged afterwards (retried if a writer outside the pipeline touched them).
Checksums, the manifest and the tar file are written after the lock is released; the tar is
written under a temporary name and renamed at the end, so PATH is whole or absent.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from core.backup import metadata_copy
from core.backup.manifest import (FORMAT, FORMAT_VERSION, MANIFEST_NAME, RECORD_NAME, compression_of, member_table,
                                  record_backup)
from core.backup.secrets import check_passphrase, encrypt
from core.data_lock import GATE_NAME, LOCK_NAME, DataLock
from core.document_repository import DocumentRepository, is_visible
from core.errors import BackendUnavailable, InvalidInput
from core.metadata import now_iso
from core.settings import Settings

SECRETS_FILE = Path("secrets") / "connections.json"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_SIDE = ("-wal", "-shm", "-journal")
# Never copied: locks (their state is per process), the metadata file (snapshotted separately),
# the keyword index (derived from the metadata's chunks, rebuilt on first search), our own record.
_SKIP_TOP = {LOCK_NAME, GATE_NAME, RECORD_NAME, "keyword", "workbench.db", "workbench.db.migrate-lock",
             *(f"workbench.db{s}" for s in _SQLITE_SIDE)}
_COPY_ATTEMPTS = 3


def create_backup(settings: Settings, path: Path | str, *, encrypt_secrets: bool = False, passphrase: str | None = None,
                  force: bool = False, wait_seconds: float = 300) -> dict:
    """Write a backup of ``settings.data_dir`` (and its metadata store) to ``path``; returns the summary.

    Connection passwords are left out unless ``encrypt_secrets`` (then ``passphrase`` encrypts them).
    """
    data_dir = settings.data_dir
    path = Path(path).expanduser().resolve()
    compression = compression_of(path)
    if path.exists() and not force:
        raise InvalidInput(f"{path} already exists: choose another name, or pass --force to replace it.")
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder: give the backup a file name ending in .tar.gz.")
    if path.is_relative_to(data_dir):
        raise InvalidInput(f"Write the backup outside the data dir {data_dir}: a backup inside it would back itself up.")
    if not data_dir.is_dir():
        raise InvalidInput(f"There is no data dir at {data_dir} to back up.")
    if encrypt_secrets:
        check_passphrase(passphrase)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    temporary = path.with_name(f".{path.name}.partial")
    try:
        manifest = _snapshot(settings, staging, encrypt_secrets, passphrase, wait_seconds)
        manifest["members"] = member_table(staging)
        manifest["bytes_uncompressed"] = sum(m["bytes"] for m in manifest["members"].values())
        _write_tar(staging, manifest, temporary, compression)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary = {"path": str(path), "created_at": manifest["created_at"], "included": manifest["included"],
               "excluded": manifest["excluded"], "bytes": path.stat().st_size}
    record_backup(data_dir, {**summary, "documents": manifest["documents"]})
    return summary


def _snapshot(settings: Settings, staging: Path, encrypt_secrets: bool, passphrase: str | None, wait: float) -> dict:
    data_dir = settings.data_dir
    included: list[str] = []
    excluded: list[dict] = [{"item": "keyword", "reason": "derived from the metadata's chunks; rebuilt on the first "
                                                          "search after a restore"}]
    manifest: dict = {"format": FORMAT, "format_version": FORMAT_VERSION, "created_at": now_iso()}
    with DataLock(data_dir).exclusive(wait):
        manifest["metadata"] = _metadata(settings, staging / "metadata")
        manifest["documents"] = _count_documents(staging / "metadata", manifest["metadata"])
        included.append("metadata")
        if settings.chroma.host:
            excluded.append({"item": "vectors", "reason": f"Chroma runs as a server ({settings.chroma.host}:"
                             f"{settings.chroma.port}); back it up on that server"})
        elif (data_dir / "chroma").is_dir():
            _copy_until_stable(data_dir / "chroma", staging / "data" / "chroma", "the embedded Chroma store")
            included.append("vectors")
        if settings.graph.backend != "ladybug":
            excluded.append({"item": "graph", "reason": f"the graph is on a {settings.graph.backend} server; back it "
                             "up there (or rebuild it from the documents after a restore)"})
        elif (settings.graph.path).is_dir():
            with _graph_held(settings.graph.path):
                _copy_until_stable(settings.graph.path, staging / "data" / "graph", "the embedded graph")
            included.append("graph")
        if (data_dir / "models").is_dir():
            excluded.append({"item": "models", "reason": "the embedding model's ONNX export; made again (or linked "
                             "from the machine's cache) on first use"})
        for entry in sorted(data_dir.iterdir()):
            if entry.name in _SKIP_TOP or entry.name in ("chroma", "graph", "secrets", "models"):
                continue
            _copy_until_stable(entry, staging / "data" / entry.name, entry.name)
            included.append({"files": "files", "settings.env": "settings", "demo": "demo"}.get(entry.name, entry.name))
        manifest["secrets"] = _secrets(data_dir, staging, encrypt_secrets, passphrase, included, excluded)
    manifest["included"], manifest["excluded"] = included, excluded
    return manifest


def _metadata(settings: Settings, folder: Path) -> dict:
    engine = create_engine(settings.metadata_url)
    try:
        revision = metadata_copy.revision_of(engine)
        source = metadata_copy.sqlite_path(settings.metadata_url)
        if source is not None:
            if not source.exists():
                raise InvalidInput(f"The metadata store {source} does not exist yet: there is nothing to back up.")
            metadata_copy.snapshot_sqlite(source, folder / "workbench.db")
            return {"kind": "sqlite", "dialect": "sqlite", "schema_revision": revision}
        tables = metadata_copy.dump(engine, folder)
        return {"kind": "dump", "dialect": engine.url.get_backend_name(), "schema_revision": revision,
                "source": make_url(settings.metadata_url).render_as_string(hide_password=True), "tables": tables}
    finally:
        engine.dispose()


def _count_documents(folder: Path, metadata: dict) -> int:
    """Visible documents in the backup's copy of the metadata store."""
    if metadata["kind"] == "sqlite":
        # A bare engine, not a MetadataStore: the copy keeps its revision and journal mode.
        path = folder / "workbench.db"
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(path))
        try:
            return DocumentRepository(engine).count_visible()
        except OperationalError:  # a store that was never migrated has no documents table
            return 0
        finally:
            engine.dispose()
    rows = metadata_copy.DumpSource(folder).rows("documents") or iter(())
    return sum(1 for row in rows if is_visible(row.get("status")))


def _secrets(data_dir: Path, staging: Path, encrypt_secrets: bool, passphrase: str | None, included: list,
             excluded: list) -> dict:
    source = data_dir / SECRETS_FILE
    if not source.is_file():
        return {"mode": "none"}
    if not encrypt_secrets:
        excluded.append({"item": "secrets", "reason": "connection passwords are left out unless the backup is made "
                         "with --encrypt-secrets; a restore lists the connections that need their password again"})
        return {"mode": "excluded"}
    token, params = encrypt(source.read_bytes(), passphrase or "")
    target = staging / "data" / SECRETS_FILE.with_name(SECRETS_FILE.name + ".enc")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(token)
    included.append("secrets (encrypted)")
    return {"mode": "encrypted", **params}


def _copy_until_stable(source: Path, target: Path, label: str) -> None:
    """Copy a file or folder; copy again if anything changed meanwhile (a writer outside the lock).

    SQLite files are copied with the backup API (a consistent snapshot whatever happens), so their
    own changes do not count; everything else must look the same before and after the copy.
    """
    for _ in range(_COPY_ATTEMPTS):
        before = _fingerprint(source)
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
        _copy(source, target)
        if _fingerprint(source) == before:
            return
        time.sleep(0.2)
    raise BackendUnavailable(f"{label} kept changing while it was being copied; try the backup again when it is quieter.")


def _files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*") if p.is_file())


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as stream:
            return stream.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


def _fingerprint(source: Path) -> dict:
    prints = {}
    for path in _files(source):
        if path.name.endswith(_SQLITE_SIDE) or _is_sqlite(path):
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        prints[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return prints


def _copy(source: Path, target: Path) -> None:
    for path in _files(source):
        if path.name.endswith(_SQLITE_SIDE) and _is_sqlite(Path(str(path)[: str(path).rindex("-")])):
            continue  # folded into the snapshot of its database
        destination = target if source.is_file() else target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            if _is_sqlite(path):
                metadata_copy.snapshot_sqlite(path, destination)
            else:
                shutil.copy2(path, destination)
        except FileNotFoundError:
            continue  # removed meanwhile; the fingerprint check notices and copies again


@contextmanager
def _graph_held(folder: Path):
    """Hold the embedded graph open read-only: LadybugDB then lets no other process open it to write."""
    database_file = folder / "graph.lbug"
    if not database_file.exists():
        yield
        return
    import ladybug

    deadline = time.monotonic() + 30
    while True:
        try:
            database = ladybug.Database(str(database_file), read_only=True)
            break
        except (OSError, RuntimeError) as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise BackendUnavailable(f"Cannot open the embedded graph to back it up: {exc}") from None
            time.sleep(0.1)
    try:
        yield
    finally:
        database.close()


def _write_tar(staging: Path, manifest: dict, target: Path, compression: str) -> None:
    import io
    import json

    body = json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8")
    mode = "w:gz" if compression == "gz" else "w"
    with open(target, "wb") as raw:
        with tarfile.open(fileobj=raw, mode=mode) as tar:
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size, info.mtime, info.mode = len(body), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(body))
            for name in sorted(manifest["members"]):
                tar.add(staging / name, arcname=name, recursive=False)
        raw.flush()
        os.fsync(raw.fileno())
    os.chmod(target, 0o600)  # a backup holds everything the data dir does
