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

if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    # Each worker's torch (and its children's) gets its share of the cores: two workers of two
    # threads each on two cores spend their time taking turns. Set before anything imports torch.
    _cores = len(os.sched_getaffinity(0))
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, _cores // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` sends whole units to a worker: see tests/support/parallel.py."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.support.parallel import make_scheduler

    return make_scheduler(config, log)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a split run: the longest units are handed out first
        from tests.support.parallel import longest_first

        items.sort(key=lambda item: longest_first(item.nodeid))


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


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium under Playwright, for every test that drives a page.

    Per module, and the only one: while Playwright's sync API runs, the thread has a running asyncio
    loop, so a second Playwright (or asyncio.run) fails in every test the process runs after it.
    On a split run a worker goes on to other modules after the browser tests."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()
