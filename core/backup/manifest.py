"""The backup file's format: its manifest, member checksums, and the record of backups made.

A backup is one tar file (gzip-compressed when its name ends in .gz or .tgz) holding
``backup.json`` (this manifest) first, then ``data/...`` (the data dir's stores as files) and
``metadata/...`` (the metadata store: a SQLite snapshot or, for a server, one JSON-lines file per
table). Every member's SHA-256 is in the manifest, so a damaged or edited backup is refused
before anything is restored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from core.errors import InvalidInput

FORMAT = "analyst-workbench-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "backup.json"
RECORD_NAME = "backups.json"  # in the data dir: the backups made of it, newest last (for the Settings page)
RECORD_KEEP = 20
SUFFIXES = (".tar", ".tar.gz", ".tgz")


class BackupDamaged(InvalidInput):
    """The file is not a workbench backup, or a member does not match its checksum."""

    kind = "backup_damaged"


class WrongPassphrase(InvalidInput):
    kind = "wrong_passphrase"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def member_table(root: Path) -> dict[str, dict]:
    """``{relative path: {"sha256", "bytes"}}`` for every file under ``root``."""
    table = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        table[path.relative_to(root).as_posix()] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return table


def check_manifest(manifest: object) -> dict:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupDamaged("This file is not an Analyst Workbench backup (its backup.json is missing or foreign).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupDamaged(f"This backup uses format version {manifest.get('format_version')!r}; this version of the "
                            f"workbench reads version {FORMAT_VERSION}. Restore it with the version that made it.")
    if not isinstance(manifest.get("members"), dict):
        raise BackupDamaged("The backup's manifest lists no members: the file is damaged.")
    return manifest


def compression_of(path: Path) -> str:
    name = path.name.lower()
    if not name.endswith(SUFFIXES):
        raise InvalidInput(f"Name the backup file .tar.gz (compressed) or .tar, not {path.name!r}.")
    return "gz" if name.endswith((".gz", ".tgz")) else ""


def record_backup(data_dir: Path, entry: dict) -> None:
    """Append to ``<data dir>/backups.json`` (written whole, then renamed, so never half a file)."""
    path = Path(data_dir) / RECORD_NAME
    entries = (read_record(data_dir) + [entry])[-RECORD_KEEP:]
    handle, temporary = tempfile.mkstemp(prefix=".backups-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(entries, stream, indent=1)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_record(data_dir: Path) -> list[dict]:
    try:
        entries = json.loads((Path(data_dir) / RECORD_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return []  # a missing or damaged record only loses the history shown on the Settings page
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def last_backup(data_dir: Path) -> dict | None:
    entries = read_record(data_dir)
    return entries[-1] if entries else None


def default_backup_dir(data_dir: Path) -> Path:
    """Where the Settings page writes backups: a folder beside the data dir, never inside it."""
    data_dir = Path(data_dir)
    return data_dir.parent / f"{data_dir.name}-backups"


def backup_file_name(created_at: str) -> str:
    return "workbench-" + "".join(ch for ch in created_at[:19] if ch.isdigit() or ch == "T") + ".tar.gz"
