"""The workbench as its users run it, for the benchmarks: the demo loaded into a data dir, the
Streamlit app and the Gradio endpoint as separate processes, and their resident memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from _common import ROOT

CHROMIUM = "/usr/bin/chromium"
DEMO_TODAY = "2025-03-12"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without a developer's AW_* settings, plus ``extra``."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AW_")} | {"HF_HUB_OFFLINE": "1", **extra}


def demo_data_dir() -> Path:
    """A new data dir with the demo generated and loaded, as `make run` leaves it."""
    data = Path(tempfile.mkdtemp(prefix="aw-bench-demo-")) / "data"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "core.demo", "--today", DEMO_TODAY, "--load"], cwd=ROOT,
                   env=clean_env(AW_DATA_DIR=str(data)), check=True, capture_output=True)
    print(f"demo loaded into {data} in {time.perf_counter() - started:.0f} s")
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 180) -> float:
    """Seconds until ``url`` answers (any status); fails if the process dies first."""
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            sys.exit(f"the server exited with {process.returncode} before answering {url}")
        try:
            httpx.get(url, timeout=1)
            return time.perf_counter() - started
        except httpx.HTTPError:
            time.sleep(0.05)
    sys.exit(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def running(command: list[str], env: dict[str, str], log_name: str) -> Iterator[subprocess.Popen]:
    log = open(Path(tempfile.gettempdir()) / log_name, "wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def streamlit_command(port: int, script: str = "app.py") -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.address",
            "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none"]


def endpoint_command() -> list[str]:
    return [sys.executable, "-m", "connectors.gradio_endpoint"]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (from /proc)."""
    total_kb = 0
    for each in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total_kb / 1024


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


@contextmanager
def browser_page() -> Iterator:
    """A Playwright page in Debian's headless Chromium."""
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is not installed (make browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(180_000)
        try:
            yield page
        finally:
            browser.close()


def ask_in_app_chat(page, url: str, question: str) -> float:
    """Seconds from sending ``question`` on the app's Chat page until its sources are shown."""
    import re

    page.goto(f"{url}/chat")
    box = page.locator('[data-testid="stChatInput"] textarea')
    box.wait_for()
    started = time.perf_counter()
    box.fill(question)
    box.press("Enter")
    page.get_by_text(re.compile(r"Sources \(\d+\)")).first.wait_for()
    return time.perf_counter() - started


def ask_endpoint(url: str, question: str) -> tuple[float, dict]:
    """Seconds for one answer from the endpoint's /answer API, and the answer."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    started = time.perf_counter()
    answer = client.predict(question, "", "", api_name="/answer")
    return time.perf_counter() - started, answer
