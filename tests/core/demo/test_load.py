"""`python -m core.demo --load` (what `make run` does) indexes the demo into the default workspace once."""

import json
import subprocess
import sys

from tests.conftest import ROOT, clean_env


def test_demo_load_indexes_documents_once(tmp_path):
    env = clean_env() | {"AW_DATA_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-m", "core.demo", "--today", "2026-11-18", "--load"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "45 documents indexed" in first.stdout
    second = subprocess.run([sys.executable, "-m", "core.demo", "--load"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    assert "already exists" in second.stdout and "0 documents indexed, 45 already there" in second.stdout
    docs = subprocess.run([sys.executable, "-m", "core.cli", "--json", "docs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert len(json.loads(docs.stdout)) == 45
