"""``python -m core.demo [--target DIR] [--today YYYY-MM-DD] [--seed N] [--force]``.

Writes the Kaveri Retail demo (database and documents) to the target folder, by default
``<data dir>/demo``. If the demo is already there it says so and exits 0 without regenerating,
unless ``--force`` is given.
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
            return 0
        summary = generate_demo(target, today=args.today, seed=args.seed, overwrite=args.force)
    except (WorkbenchError, sqlite3.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(summary.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
