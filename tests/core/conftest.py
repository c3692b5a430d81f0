"""Fixtures shared by more than one core test package: the demo documents, a graph-indexed demo
workbench, and a real `chroma run` server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.graph_demo import DEMO_TODAY, generate_demo_into, graph_workbench


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    from core.demo import generate_demo

    target = tmp_path_factory.mktemp("demo")
    generate_demo(target, today=DEMO_TODAY, seed=7)
    return target


@pytest.fixture(scope="session")
def demo_docs(demo_dir) -> list[Path]:
    return sorted((demo_dir / "docs").iterdir())


@pytest.fixture
def small_workbench(tmp_path, embedder):
    """A fresh graph-indexed workbench with the demo database and documents generated but nothing ingested."""
    data_dir = tmp_path / "data"
    summary = generate_demo_into(data_dir)
    workbench = graph_workbench(data_dir, embedder)
    workbench.demo_summary = summary
    yield workbench
    workbench.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server on 127.0.0.1, started for the test session."""
    executable = Path(sys.executable).parent / "chroma"
    if not executable.exists():
        executable = Path(shutil.which("chroma") or "")
    if not executable.exists():
        pytest.skip("the `chroma` command is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path.parent / "chroma-server.log", "wb")
    process = subprocess.Popen([str(executable), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("chroma run did not answer its heartbeat within 60 s")
    yield port
    process.terminate()
    process.wait(timeout=20)
    log.close()
