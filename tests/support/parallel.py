"""Running the suite on several pytest-xdist workers (``make test`` uses two: ``-n 2 --dist loadgroup``).

Which tests run together on one worker: a test module is one unit, so its module fixtures are
built once; the browser tests are one unit, so the demo app they share (loaded and started once,
minutes of work) is not built twice; the notebooks are each a unit of their own (each runs in
its own kernel and shares nothing). In what order: the longest units first, so the run does
not end with one worker busy on a long unit while the other has nothing left to do.

Things made once per run, not once per worker, are made under ``run_lock`` in ``run_dir``, the
folder every worker of the run shares.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

# Units that share a worker as a whole: every test whose file is under one of these folders.
SHARED_FOLDERS = ("tests/e2e/",)
# Modules whose tests share nothing costly, so each test can go to whichever worker is free.
SPLIT_MODULES = ("tests/test_notebooks.py",)
# The longest units, longest first (measured with --durations on the 2-core machines); the rest
# follow in collection order. A name here that no longer exists only loses its place.
LONGEST_FIRST = (
    "tests/e2e/",
    "tests/core/ingest/test_kill_recovery.py",
    "tests/test_notebooks.py::test_notebook_runs_top_to_bottom[02",
    "tests/core/demo/test_demo_graph.py",
    "tests/core/demo/test_load.py",
    "tests/test_notebooks.py::test_notebook_runs_top_to_bottom[01",
    "tests/core/ingest/test_real_pdfs.py",
    "tests/ui/test_ask_database_page.py",
    "tests/core/test_retrieval_quality.py",
    "tests/core/ingest/test_pipeline.py",
    "tests/core/sql/test_planner.py",
    "tests/ui/test_graph_page.py",
    "tests/core/graph/test_lifecycle.py",
    "tests/core/chat/test_evidence_mode.py",
    "tests/test_notebooks.py",
)


def work_unit(nodeid: str) -> str:
    """The unit of tests ``nodeid`` belongs to: they run on one worker, one after another."""
    if nodeid.rfind("@") > nodeid.rfind("]"):  # an explicit @pytest.mark.xdist_group wins
        return nodeid.rsplit("@", 1)[1]
    path = nodeid.split("::", 1)[0]
    for folder in SHARED_FOLDERS:
        if path.startswith(folder):
            return folder
    if path in SPLIT_MODULES:
        return nodeid
    return path


def longest_first(nodeid: str) -> int:
    """The sort key that puts the longest units first and keeps everything else in its order."""
    for rank, prefix in enumerate(LONGEST_FIRST):
        if nodeid.startswith(prefix):
            return rank
    return len(LONGEST_FIRST)


def make_scheduler(config: pytest.Config, log):
    """xdist's loadgroup scheduling with ``work_unit`` as the group of every test."""
    from xdist.scheduler import LoadGroupScheduling  # only a split run has xdist loaded

    class UnitScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    # The workers' collection already lists the longest units first (tests/conftest.py); xdist's own
    # reordering, by the number of tests in a unit, would undo that.
    config.option.loadscopereorder = False
    return UnitScheduling(config, log)


def worker() -> str:
    """This process's xdist worker id ("gw0", "gw1", ...), or "main" when the run is not split."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder all workers of this run share (the run's own one when it is not split)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker() != "main" else base


@contextmanager
def run_lock(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """Holds the run-wide lock ``name`` and yields ``run_dir/name``: one worker at a time sees it,
    so the first one makes what is there and the others find it made."""
    folder = run_dir(tmp_path_factory) / name
    with open(run_dir(tmp_path_factory) / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
