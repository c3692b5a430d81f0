"""The notebooks run top to bottom on a fresh set-up (a new data dir), as a data scientist would run them."""

import json
import os

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT, clean_env

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    for key, value in clean_env().items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith("AW_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AW_DATA_DIR", str(tmp_path / "data"))
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []


def test_notebooks_are_committed_without_outputs():
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells if c["cell_type"] == "code"), path.name
