"""Fixtures for the graph tests: every GraphStore backend that can run here, and spaCy loaded once.

LadybugDB always runs (a fresh database folder per test). Neo4j runs only when ``NEO4J_URI``
is set (with ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``): no Neo4j server can be
installed on the development machines. Each test gets its own workspace name, and the Neo4j
workspace is cleared afterwards, so a shared server is left as it was found.
"""

from __future__ import annotations

import os
import uuid

import pytest

STORE_BACKENDS = ("ladybug", "neo4j")


def _open_store(backend: str, tmp_path):
    if backend == "ladybug":
        from core.graph.ladybug_store import LadybugGraphStore

        return LadybugGraphStore(tmp_path / "graph", buffer_pool_mb=64)
    if not os.environ.get("NEO4J_URI"):
        pytest.skip("Neo4j contract tests need a server: set NEO4J_URI (and NEO4J_USER/NEO4J_PASSWORD) to run them")
    from core.graph.neo4j_store import Neo4jGraphStore

    return Neo4jGraphStore(
        os.environ["NEO4J_URI"],
        os.environ.get("NEO4J_USER", "neo4j"),
        os.environ.get("NEO4J_PASSWORD", ""),
        os.environ.get("NEO4J_DATABASE", "neo4j"),
    )


@pytest.fixture
def workspaces() -> tuple[str, str]:
    """Two workspace names no other test uses."""
    return f"t-{uuid.uuid4().hex[:10]}", f"u-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def ws(workspaces) -> str:
    return workspaces[0]


@pytest.fixture
def other_ws(workspaces) -> str:
    return workspaces[1]


@pytest.fixture(params=STORE_BACKENDS)
def store(request, tmp_path, workspaces):
    """A GraphStore of each backend; cleared of the test's workspaces and closed afterwards."""
    graph = _open_store(request.param, tmp_path)
    yield graph
    if graph.health()[0]:  # a test may have closed it on purpose
        for workspace in workspaces:
            graph.clear_workspace(workspace)
        graph.close()


@pytest.fixture
def ladybug_store(tmp_path):
    """The embedded store alone, for tests of what only LadybugDB does (files on disk)."""
    from core.graph.ladybug_store import LadybugGraphStore

    graph = LadybugGraphStore(tmp_path / "graph", buffer_pool_mb=64)
    yield graph
    if graph.health()[0]:
        graph.close()


@pytest.fixture(scope="session")
def extractor():
    """One EntityExtractor (and so one spaCy pipeline) for the whole session."""
    from core.graph.extraction import EntityExtractor

    return EntityExtractor()


@pytest.fixture(scope="session")
def graph_extractor(extractor):
    """The same session EntityExtractor under the name the application-layer graph tests use, so spaCy loads once."""
    return extractor
