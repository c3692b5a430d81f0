import socket

import pytest

from core.errors import InvalidInput
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env


def test_workspace_handles_are_created_once_and_listed(settings):
    wb = build_workbench(settings)
    assert wb.workspace().name == "default"
    wb.workspace("finance-q3")
    wb.workspace("finance-q3")
    assert wb.workspaces() == ["default", "finance-q3"]
    wb.close()


@pytest.mark.parametrize("bad", ["", " ", "../etc", "a b", "x" * 41, "-lead"])
def test_bad_workspace_names_are_refused(settings, bad):
    wb = build_workbench(settings)
    with pytest.raises(InvalidInput, match="Workspace name"):
        wb.workspace(bad)
    wb.close()


def test_metadata_tables_created_on_first_use(settings):
    from sqlalchemy import inspect

    wb = build_workbench(settings)
    wb.workspace("default")
    tables = set(inspect(wb.metadata.engine).get_table_names())
    assert {"workspaces", "documents", "sql_connections", "query_history", "conversations", "chat_messages",
            "jobs"} <= tables  # jobs: the background jobs' table of revision 0005
    wb.close()


def test_building_the_workbench_loads_no_backend(settings):
    wb = build_workbench(settings)
    wb.health()
    assert not wb._embedder.built and not wb._vectors.built and not wb._graph.built
    wb.close()


def test_health_reports_every_backend_on_embedded_defaults(settings):
    report = {item.backend: item for item in build_workbench(settings).health()}
    assert set(report) == {"metadata", "embeddings", "vectors", "graph", "llm", "demo_database"}
    assert report["metadata"].ok and report["embeddings"].ok and report["vectors"].ok and report["graph"].ok
    assert report["llm"].mode == "off" and "AW_OLLAMA_HOST" in report["llm"].next_step
    # No demo data was generated in this temp dir: the report says how to fix it.
    assert not report["demo_database"].ok and "core.demo" in report["demo_database"].next_step


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_health_reports_unreachable_servers_with_reasons(tmp_path):
    port = _closed_port()
    s = Settings.from_env(
        clean_env(), AW_DATA_DIR=str(tmp_path), AW_CHROMA_HOST="127.0.0.1", AW_CHROMA_PORT=str(port),
        AW_OLLAMA_HOST=f"http://127.0.0.1:{port}", AW_GRAPH_BACKEND="neo4j", AW_NEO4J_URI=f"bolt://127.0.0.1:{port}",
        AW_NEO4J_PASSWORD="hunter2-secret",
    )
    report = {item.backend: item for item in build_workbench(s).health()}
    for name in ("vectors", "llm", "graph"):
        assert report[name].mode == "server" and not report[name].ok, name
        assert str(port) in report[name].detail and report[name].next_step
    assert all("hunter2-secret" not in (i.detail + i.next_step) for i in report.values())


def test_health_never_shows_credentials_in_an_ollama_url(tmp_path):
    port = _closed_port()
    s = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), AW_OLLAMA_HOST=f"http://admin:s3cr3t@127.0.0.1:{port}")
    report = {item.backend: item for item in build_workbench(s).health()}
    assert not report["llm"].ok and "s3cr3t" not in report["llm"].detail and "admin" not in report["llm"].detail


class _Closable:
    def __init__(self, log: list, name: str, fail: bool = False):
        self.log, self.name, self.fail = log, name, fail

    def close(self):
        self.log.append(self.name)
        if self.fail:
            raise RuntimeError(f"{self.name} would not close")


def test_close_closes_every_built_service_then_the_backends_even_when_one_fails(settings):
    log: list[str] = []
    workbench = build_workbench(settings, llm=_Closable(log, "llm"))
    workbench.service("first", lambda: _Closable(log, "first"))
    workbench.service("second", lambda: _Closable(log, "second", fail=True))
    workbench.service("no-close", object)
    workbench.llm  # built, so it is closed too
    with pytest.raises(RuntimeError, match="second would not close"):
        workbench.close()
    assert log == ["second", "first", "llm"], "services newest first, then the backends, none skipped"


def test_the_graph_indexer_releases_its_database_connections(settings):
    from core.graph.indexer import GraphIndexer

    log: list[str] = []
    GraphIndexer(store=None, extractor=None, values=_Closable(log, "values")).close()
    assert log == ["values"]
