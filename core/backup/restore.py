"""``restore_backup``: bring a backup back into an empty data dir (and an empty metadata database).

Everything is checked before anything is put in place: the manifest, the schema revision (a
backup made by a newer version is refused), every member's checksum and the passphrase of
encrypted secrets. Members are extracted into a staging folder beside the target and renamed
into place at the end, so a failed restore leaves the target as it was. A server metadata
database is loaded in one transaction. Afterwards the store is opened (which migrates a backup
made by an older version) and the pipeline's repair finishes or removes any document a crashed
process had left "indexing" before the backup (a backup itself never captures one mid-write).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from sqlalchemy import create_engine, select

from core.backup import metadata_copy
from core.backup.manifest import MANIFEST_NAME, BackupDamaged, check_manifest
from core.backup.secrets import decrypt
from core.backup.snapshot import SECRETS_FILE
from core.errors import ConfigError, InvalidInput
from core.migrations import head_revision
from core.settings import Settings

ENCRYPTED_SECRETS = "data/" + SECRETS_FILE.as_posix() + ".enc"


def read_manifest(path: Path | str) -> dict:
    """The backup's manifest, checked for format; raises ``BackupDamaged`` for anything else."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InvalidInput(f"There is no backup file at {path}.")
    try:
        with tarfile.open(path, "r:*") as tar:
            member = tar.getmember(MANIFEST_NAME)
            return check_manifest(json.loads(tar.extractfile(member).read().decode("utf-8")))
    except (tarfile.TarError, KeyError, OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        raise BackupDamaged(f"{path.name} is not a readable Analyst Workbench backup (no valid backup.json).") from None


def restore_backup(settings: Settings, path: Path | str, *, passphrase: Callable[[], str] | str | None = None,
                   exclude_secrets: bool = False, **prebuilt) -> dict:
    """Restore ``path`` into ``settings.data_dir`` (which must be empty or absent).

    ``passphrase`` (a string, or a function asked only when the backup holds encrypted secrets)
    decrypts the connection passwords; ``exclude_secrets`` restores without them. ``prebuilt``
    backends (an embedder) are handed to the workbench that runs the repair.
    """
    path = Path(path).expanduser().resolve()
    manifest = read_manifest(path)
    revision = manifest.get("metadata", {}).get("schema_revision")
    _check_revision(revision)
    target = settings.data_dir
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput(f"The data dir {target} is not empty: restore into an empty or new folder "
                           "(--data-dir), never over existing data.")
    embedded = metadata_copy.sqlite_path(settings.metadata_url) == target / "workbench.db"
    server = None if embedded else create_engine(settings.metadata_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.restore-", dir=target.parent))
    try:
        if server is not None:
            metadata_copy.check_empty(server)
        _extract(path, manifest, staging)
        _place_secrets(staging, manifest, passphrase, exclude_secrets)
        metadata = manifest["metadata"]
        data = staging / "data"
        data.mkdir(exist_ok=True)
        source = (metadata_copy.SqliteSource(staging / "metadata" / "workbench.db") if metadata["kind"] == "sqlite"
                  else metadata_copy.DumpSource(staging / "metadata"))
        try:
            if embedded and metadata["kind"] == "sqlite":
                source.close()
                os.replace(staging / "metadata" / "workbench.db", data / "workbench.db")
            else:
                local = create_engine(f"sqlite:///{data / 'workbench.db'}") if embedded else server
                try:
                    metadata_copy.load(local, revision, source)
                finally:
                    if embedded:
                        local.dispose()
        finally:
            source.close()
        if target.exists():
            target.rmdir()  # checked empty above
        os.replace(data, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if server is not None:
            server.dispose()
    return _finish(settings, manifest, prebuilt)


def _check_revision(revision: str | None) -> None:
    if revision is None:
        raise BackupDamaged("The backup's manifest has no schema revision: the file is damaged.")
    if revision not in metadata_copy.known_revisions():
        raise ConfigError(f"This backup was made by a newer version of the workbench (schema revision {revision}; "
                          f"this version knows up to {head_revision()}). Restore it with that version or a newer one.")


def _extract(path: Path, manifest: dict, staging: Path) -> None:
    """Extract every member named in the manifest, checking each checksum; anything else is refused."""
    expected = manifest["members"]
    seen = set()
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            name = member.name
            if name == MANIFEST_NAME:
                continue
            parts = PurePosixPath(name).parts
            if not member.isfile() or name not in expected or PurePosixPath(name).is_absolute() or ".." in parts:
                raise BackupDamaged(f"The backup holds {name!r}, which its manifest does not list: refusing to restore "
                                    "a file that has been changed.")
            destination = staging.joinpath(*parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            digest, size = hashlib.sha256(), 0
            with tar.extractfile(member) as stream, open(destination, "wb") as out:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
            if digest.hexdigest() != expected[name].get("sha256") or size != expected[name].get("bytes"):
                raise BackupDamaged(f"{name} in the backup does not match its checksum: the file is damaged or was "
                                    "changed. Nothing was restored.")
            seen.add(name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupDamaged(f"The backup is missing {len(missing)} file(s) its manifest lists (first: {missing[0]}): "
                            "it is truncated or damaged. Nothing was restored.")


def _place_secrets(staging: Path, manifest: dict, passphrase, exclude_secrets: bool) -> None:
    encrypted = staging / ENCRYPTED_SECRETS
    if not encrypted.exists():
        return
    try:
        if exclude_secrets:
            return
        secret = passphrase() if callable(passphrase) else passphrase
        if not secret:
            raise InvalidInput("This backup holds encrypted connection passwords: give its passphrase "
                               "(AW_BACKUP_PASSPHRASE), or restore without them (--exclude-secrets).")
        plain = decrypt(encrypted.read_bytes(), secret, manifest.get("secrets", {}))
        target = staging / "data" / SECRETS_FILE
        os.chmod(target.parent, 0o700)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(plain)
    finally:
        encrypted.unlink(missing_ok=True)


def _finish(settings: Settings, manifest: dict, prebuilt: dict) -> dict:
    """Open the restored stores: migrate, repair leftovers, and report what needs attention."""
    from core.document_repository import DocumentRepository
    from core.metadata import sql_connections
    from core.workbench import build_workbench

    workbench = build_workbench(settings, **prebuilt)
    try:
        workbench.metadata.ensure_schema()
        repository = DocumentRepository(workbench.metadata)
        unfinished = repository.workspaces_with_unfinished()
        repaired = []
        for workspace in unfinished:
            repaired += workbench.ingestion.repair(workspace, stale_after=0)
        if unfinished:
            workbench.ingestion.stop_repairs()
        count = repository.count_visible()
        with workbench.metadata.connect() as conn:
            connections = conn.execute(select(sql_connections.c.workspace, sql_connections.c.name,
                                              sql_connections.c.secret_ref)).all()
    finally:
        workbench.close()
    secrets_path = settings.data_dir / SECRETS_FILE
    stored = json.loads(secrets_path.read_text(encoding="utf-8")) if secrets_path.is_file() else {}
    needs = [{"workspace": c.workspace, "connection": c.name} for c in connections if c.secret_ref and c.secret_ref not in stored]
    restored = [item for item in manifest["included"] if not (str(item).startswith("secrets") and needs)]
    return {"data_dir": str(settings.data_dir), "restored": restored, "documents": count, "needs_password": needs,
            "repaired": repaired, "excluded": manifest["excluded"]}
