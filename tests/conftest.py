"""Shared fixtures: an isolated data dir per test, and the real embedding model loaded once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The machines have no internet: make any accidental hub lookup fail fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data" / "external"


def clean_env() -> dict[str, str]:
    """The process environment without any AW_* setting, so tests never see a developer's config."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AW_")}


@pytest.fixture
def settings(tmp_path):
    from core.settings import Settings

    return Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"))


@pytest.fixture(scope="session")
def embedder():
    from core.embeddings import SentenceTransformerEmbedder
    from core.settings import Settings

    return SentenceTransformerEmbedder.from_settings(Settings.from_env(clean_env()).embeddings)


@pytest.fixture
def workbench(settings, embedder):
    """A workbench on a temp data dir that shares the session's loaded embedding model."""
    from core.workbench import build_workbench

    wb = build_workbench(settings, embedder=embedder)
    yield wb
    wb.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def app_env(monkeypatch, tmp_path):
    """For AppTest: no developer AW_* settings, a fresh data dir (tmp_path/"data"), the repo as cwd,
    and Streamlit's cached workbench dropped before and after."""
    for key in [k for k in os.environ if k.startswith("AW_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AW_DATA_DIR", str(tmp_path / "data"))
    # A page test builds a new workbench each time: warming it would load a model most tests never use.
    monkeypatch.setenv("AW_WARM_UP", "false")
    monkeypatch.setenv("AW_JOB_WORKER", "false")  # likewise its job worker thread; a page waiting on a job runs it
    monkeypatch.chdir(ROOT)
    import streamlit as st

    st.cache_resource.clear()
    yield tmp_path
    st.cache_resource.clear()
