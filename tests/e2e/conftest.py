"""Browser tests: `streamlit run app.py` on 127.0.0.1 with the demo loaded, driven by Playwright in
Debian's headless Chromium (the ``browser`` fixture, in tests/conftest.py). Screenshots of every step
go to a folder the session prints."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, clean_env
from tests.support.parallel import run_lock

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory):
    # Emptied once per run, not per session: on a split run another worker may be saving its own here.
    with run_lock(tmp_path_factory, "screenshots-emptied") as emptied:
        if not emptied.exists():
            shutil.rmtree(SCREENSHOTS, ignore_errors=True)
            emptied.touch()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {SCREENSHOTS}")
    return SCREENSHOTS


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The app on a fresh data dir with the demo generated and loaded, as `make run` leaves it."""
    data = tmp_path_factory.mktemp("e2e") / "data"
    env = clean_env() | {"AW_DATA_DIR": str(data)}
    load = subprocess.run([sys.executable, "-m", "core.demo", "--today", dt.date.today().isoformat(), "--load"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert load.returncode == 0, load.stderr[-2000:]
    with streamlit_app(env, data.parent / "streamlit.log") as url:
        yield url


@contextmanager
def streamlit_app(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port with ``env``; yields its URL once it answers."""
    port = free_port()
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
             "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            else:
                pytest.fail("streamlit did not start within 90 s: " + log_path.read_text(errors="replace")[-2000:])
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
