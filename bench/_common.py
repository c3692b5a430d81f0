"""Shared bits of the benchmarks: where the corpora are, a fresh workbench, percentiles."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

PEPS = ROOT.parent / "shared" / "data" / "external" / "peps"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def require(path: Path) -> Path:
    if not path.exists():
        sys.exit(f"benchmark data not found: {path} (it lives in ../shared/data/external)")
    return path


def fresh_workbench(data_dir: str | None = None, **prebuilt):
    """A workbench on its own data dir (a new temporary one unless given), printed for reuse."""
    from core.settings import Settings
    from core.workbench import build_workbench

    env = {k: v for k, v in os.environ.items() if not k.startswith("AW_")}
    data_dir = data_dir or tempfile.mkdtemp(prefix="aw-bench-")
    print(f"data dir: {data_dir}")
    return build_workbench(Settings.from_env(env, AW_DATA_DIR=data_dir), **prebuilt)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def median(values):
    return statistics.median(values)
