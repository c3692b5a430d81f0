"""``python -m core.demo [--target DIR] [--today YYYY-MM-DD] [--seed N] [--force] [--load]``.

Writes the Kaveri Retail demo (database and documents) to the target folder, by default
``<data dir>/demo``. If the demo is already there it says so and exits 0 without regenerating,
unless ``--force`` is given. ``--load`` then puts the demo into the default workspace
(its documents indexed), which is what ``make run`` does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
from pathlib import Path

from core.demo import DB_FILENAME, DEFAULT_SEED, default_demo_dir, demo_exists, generate_demo
from core.errors import WorkbenchError
from core.settings import Settings


def _iso_date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {raw!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.demo", description=(
        "Generate the Kaveri Retail demo: a SQLite database (retail.db) and matching documents (docs/)."))
    parser.add_argument("--target", type=Path, default=None,
                        help="Folder to write into (default: <AW_DATA_DIR>/demo).")
    parser.add_argument("--today", type=_iso_date, default=None,
                        help="Last day of the 90-day order window, YYYY-MM-DD (default: today).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"Random seed (default: {DEFAULT_SEED}).")
    parser.add_argument("--force", action="store_true", help="Regenerate even if the demo already exists.")
    parser.add_argument("--load", action="store_true",
                        help="Also index the demo documents into the default workspace (skips ones already there).")
    return parser


def _existing_order_count(target: Path) -> int:
    # Opened read-only: reporting on existing data must never change it.
    connection = sqlite3.connect(f"{(target / DB_FILENAME).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the process exit code (0 done or already there, 1 on an error)."""
    args = _parser().parse_args(argv)
    try:
        target = args.target if args.target is not None else default_demo_dir(Settings.from_env())
        if demo_exists(target) and not args.force:
            print(f"Demo data already exists in {target} ({DB_FILENAME} with {_existing_order_count(target)} orders); "
                  "nothing to do. Use --force to regenerate it.")
        else:
            print(generate_demo(target, today=args.today, seed=args.seed, overwrite=args.force).describe())
        if args.load:
            _load(target)
    except (WorkbenchError, sqlite3.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _load(target: Path) -> None:
    from core.demo.load import load_demo_documents
    from core.workbench import build_workbench

    workbench = build_workbench(Settings.from_env())
    try:
        workspace = workbench.workspace()
        results = load_demo_documents(workspace, target)
        failed = [r for r in results if r.status == "error"]
        if failed:
            raise WorkbenchError("Some demo documents could not be indexed: " + "; ".join(f"{r.file}: {r.error}" for r in failed))
        new = sum(r.status == "ingested" for r in results)
        print(f"Demo loaded into workspace {workspace.name!r}: {new} documents indexed, {len(results) - new} already there.")
    finally:
        workbench.close()


if __name__ == "__main__":
    sys.exit(main())
