"""Deterministic demo data for the workbench: the fictional retailer "Kaveri Retail".

``generate_demo(target_dir)`` writes ``retail.db`` (SQLite) and ``docs/`` (emails, call
transcripts, policies, product sheets, an operations report) that all name the same customers,
products and orders. The same ``seed`` and ``today`` always give the same rows and the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from core.errors import InvalidInput
from core.settings import Settings

DB_FILENAME = "retail.db"
DOCS_DIRNAME = "docs"
DEFAULT_SEED = 7
_STAGING_PREFIX = ".demo-build-"


@dataclass(frozen=True)
class DemoSummary:
    """What ``generate_demo`` wrote: where, for which date and seed, how many rows, which files."""

    target_dir: Path
    db_path: Path
    docs_dir: Path
    today: dt.date
    seed: int
    row_counts: Mapping[str, int] = field(hash=False)
    documents: tuple[Path, ...] = ()

    def describe(self) -> str:
        """A few human-readable lines for a terminal."""
        rows = ", ".join(f"{table} {count}" for table, count in self.row_counts.items())
        kinds = Counter(path.suffix for path in self.documents)
        files = ", ".join(f"{suffix} {kinds[suffix]}" for suffix in sorted(kinds))
        return (f"Kaveri Retail demo data written to {self.target_dir}\n"
                f"  database:  {self.db_path} ({rows})\n"
                f"  documents: {len(self.documents)} files in {self.docs_dir} ({files})\n"
                f"  today: {self.today.isoformat()}, seed: {self.seed}")


def default_demo_dir(settings: Settings) -> Path:
    """Where the demo lives by default: the folder of ``settings.sql.demo_db_path`` (``<data dir>/demo``)."""
    return settings.sql.demo_db_path.parent


def demo_exists(target_dir: Path) -> bool:
    """True when a complete demo database is in ``target_dir`` (it is published last, so its presence means done)."""
    return (Path(target_dir) / DB_FILENAME).is_file()


def generate_demo(target_dir: Path, *, today: dt.date | None = None, seed: int = DEFAULT_SEED,
                  overwrite: bool = False) -> DemoSummary:
    """Write ``retail.db`` and ``docs/`` for the 90 days ending at ``today`` (default: the real today).

    Everything is built in a hidden staging folder inside ``target_dir`` and moved into place at
    the end, the database last, so an interrupted run never leaves a database that looks complete.
    Raises ``InvalidInput`` if demo data is already there and ``overwrite`` is false.
    """
    from core.demo.database import build_retail_data, write_database
    from core.demo.documents import write_documents

    target_dir = Path(target_dir)
    db_path, docs_dir = target_dir / DB_FILENAME, target_dir / DOCS_DIRNAME
    if target_dir.exists() and not target_dir.is_dir():
        raise InvalidInput(f"The demo target {target_dir} is a file, not a folder: choose a folder.")
    if not overwrite and (db_path.exists() or docs_dir.exists()):
        raise InvalidInput(f"Demo data already exists in {target_dir}: pass overwrite=True "
                           "(or --force on the command line) to regenerate it.")
    today = today or dt.date.today()
    target_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(target_dir)
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=target_dir))
    try:
        data = build_retail_data(today, seed)
        (staging / DOCS_DIRNAME).mkdir()
        staged_documents = write_documents(data, staging / DOCS_DIRNAME)
        row_counts = write_database(data, staging / DB_FILENAME)
        # Remove the old database before touching the documents: if the run dies between the
        # two moves below, no database is left, so the next run regenerates instead of trusting it.
        if db_path.exists():
            db_path.unlink()
        if docs_dir.exists():
            shutil.rmtree(docs_dir)
        os.replace(staging / DOCS_DIRNAME, docs_dir)
        os.replace(staging / DB_FILENAME, db_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return DemoSummary(
        target_dir=target_dir,
        db_path=db_path,
        docs_dir=docs_dir,
        today=today,
        seed=seed,
        row_counts=MappingProxyType(dict(row_counts)),
        documents=tuple(docs_dir / path.name for path in staged_documents),
    )


def _remove_abandoned_builds(target_dir: Path) -> None:
    """Delete staging folders left by runs that were killed before they could clean up."""
    for leftover in sorted(target_dir.glob(f"{_STAGING_PREFIX}*")):
        if leftover.is_dir():
            shutil.rmtree(leftover)


__all__ = ["DB_FILENAME", "DOCS_DIRNAME", "DEFAULT_SEED", "DemoSummary", "default_demo_dir", "demo_exists",
           "generate_demo"]
