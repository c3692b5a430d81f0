"""Overhead of the read-only SQL layer (guard + runner) against running the same query directly.

Both sides read a temporary copy of the Chinook SQLite database. The baseline is a plain
sqlite3 connection to that file executing the query and fetching every row; the guarded
side is ``GuardedRunner.run`` (parse and check with sqlglot, read-only session, time limit,
row cap, plain values). Both are measured in this run, after a warm-up, over the same
number of iterations. Run: ``.venv/bin/python bench/sql_guard.py [ITERATIONS]``.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/sql_guard.py` puts bench/, not the repo, on the path

from core.sql.guard import check_read_only  # noqa: E402
from core.sql.runner import GuardedRunner  # noqa: E402

CHINOOK = ROOT.parent / "shared" / "data" / "external" / "chinook" / "Chinook_Sqlite.sqlite"
QUERIES = {
    "point lookup": "SELECT * FROM Genre WHERE GenreId = 1",
    "join + group": (
        "SELECT g.Name, count(*) AS tracks, round(avg(t.Milliseconds) / 1000.0, 1) AS seconds "
        "FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.Name ORDER BY tracks DESC"
    ),
    "500-row scan": "SELECT TrackId, Name, Composer, UnitPrice FROM Track ORDER BY TrackId LIMIT 500",
}
WARM_UP = 20


def per_call_ms(call: Callable[[], object], iterations: int) -> float:
    """Median milliseconds per call over ``iterations`` calls, after a warm-up."""
    for _ in range(WARM_UP):
        call()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(iterations: int) -> None:
    if not CHINOOK.is_file():
        sys.exit(f"Chinook SQLite file not found at {CHINOOK}")
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "chinook.sqlite"
        shutil.copyfile(CHINOOK, copy)
        direct = sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)
        runner = GuardedRunner(f"sqlite:///{copy}", timeout_seconds=10, row_cap=1000)
        try:
            print(f"Read-only SQL overhead on SQLite (Chinook copy), median of {iterations} runs after {WARM_UP} warm-up")
            print(f"{'query':<14} {'direct ms':>10} {'guard ms':>10} {'runner ms':>10} {'ratio':>7}")
            for label, sql in QUERIES.items():
                baseline = per_call_ms(lambda: direct.execute(sql).fetchall(), iterations)
                guard_only = per_call_ms(lambda: check_read_only(sql, "sqlite"), iterations)
                guarded = per_call_ms(lambda: runner.run(sql), iterations)
                print(f"{label:<14} {baseline:>10.3f} {guard_only:>10.3f} {guarded:>10.3f} {guarded / baseline:>6.1f}x")
            print("direct: sqlite3 execute + fetchall; guard: check_read_only alone; runner: GuardedRunner.run (includes the guard)")
        finally:
            runner.close()
            direct.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
