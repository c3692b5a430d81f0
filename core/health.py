"""Backend health: for each backend, embedded or server, reachable or not, and what to do.

Each backend class reports its own health (``check_health(section)``); this module asks the
chosen one of every kind, and checks what is not a registered backend (the metadata store and
the demo database) itself. Checks are cheap on purpose (no model loads, short network
time-outs) so the Home page and `health` command answer in about a second even when a server
is down. The helpers below are shared by the backends' own checks.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
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


def check_all(settings: "Settings", metadata_store) -> list[BackendHealth]:
    """The metadata store, the chosen backend of every kind, then the demo database."""
    from core.registry import kinds

    return [
        _metadata(settings, metadata_store),
        *(check_backend(kind, settings) for kind in kinds()),
        _demo_database(settings, metadata_store),
    ]


def check_backend(kind: str, settings: "Settings") -> BackendHealth:
    """The health of the backend the settings choose for ``kind``, as that backend reports it."""
    from core.registry import chosen_class, section_for

    cls = chosen_class(kind, settings)
    return cls.check_health(section_for(cls, settings))


def llm_providers(settings: "Settings") -> list[BackendHealth]:
    """Every registered LLM provider's health with these settings, each as the provider reports it."""
    from core.registry import backend_class, names

    return [backend_class("llm", name).check_health(settings.llm) for name in names("llm")]


def llm_models(settings: "Settings") -> list[str]:
    """The models the chosen LLM provider offers with these settings (the Settings page's connection test).

    Builds the provider only for the question and closes it; raises ``LLMUnavailable`` (a
    ``WorkbenchError``) saying what to fix when the server cannot be reached.
    """
    from core.registry import build_chosen

    provider = build_chosen("llm", settings)
    try:
        return provider.models()
    finally:
        closer = getattr(provider, "close", None)
        if callable(closer):
            closer()


def _metadata(settings: "Settings", store) -> BackendHealth:
    mode = "embedded" if settings.metadata_url.startswith("sqlite") else "server"
    try:
        store.ping()
    except Exception as exc:  # any driver error means "not reachable"; the reason is shown
        return BackendHealth("metadata", "sqlalchemy", mode, False, f"{store.describe()}: {first_line(exc)}", "Check AW_METADATA_URL.")
    return BackendHealth("metadata", "sqlalchemy", mode, True, store.describe())


def _demo_database(settings: "Settings", store=None) -> BackendHealth:
    url = settings.sql.demo_db_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return BackendHealth("demo_database", "sqlite", "embedded", False, f"{path} does not exist", "Generate it with `python -m core.demo` (or `make run`).")
        opened = _saved_demo_file(settings, store)
        if opened is not None and opened != path.resolve():
            # A connection saved by an older version in another data dir: Ask would query that file, not this one.
            return BackendHealth("demo_database", "sqlite", "embedded", False,
                                 f"the default workspace's \"demo\" connection opens {opened}, not {path}",
                                 "Remove that connection (Ask the Database > Connections), then run "
                                 "`python -m core.demo --load` to connect this data dir's demo database.")
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
        return BackendHealth("demo_database", make_url(url).get_backend_name(), "server", False, f"{shown}: {first_line(exc)}", "Check AW_DEMO_DB_URL.")
    return BackendHealth("demo_database", make_url(url).get_backend_name(), "server", True, shown)


def _saved_demo_file(settings: "Settings", store) -> Path | None:
    """The SQLite file the default workspace's "demo" connection opens, if it has one (None otherwise)."""
    if store is None:
        return None
    from sqlalchemy import select
    from sqlalchemy.engine import make_url

    from core.metadata import sql_connections
    from core.sql.stored_urls import DEMO_CONNECTION_NAME, from_stored

    try:
        with store.connect() as conn:
            row = conn.execute(select(sql_connections.c.url).where(
                sql_connections.c.workspace == settings.default_workspace,
                sql_connections.c.name == DEMO_CONNECTION_NAME)).first()
    except Exception:  # the metadata store's own check reports why it cannot be read
        return None
    if row is None:
        return None
    url = from_stored(make_url(row.url), settings.data_dir)
    return Path(url.database).resolve() if url.get_backend_name() == "sqlite" and url.database else None


def embedded_dir_health(backend: str, implementation: str, path: Path, module: str, *, shown: Path | None = None) -> BackendHealth:
    """An embedded store is ready when its Python package is installed and its folder is writable."""
    if importlib.util.find_spec(module) is None:
        return BackendHealth(backend, implementation, "embedded", False, f"Python package {module} is not installed", "Run `make run` (it installs requirements.txt).")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return BackendHealth(backend, implementation, "embedded", False, f"{path}: {exc.strerror}", "Check AW_DATA_DIR points at a writable folder.")
    if not os.access(path, os.W_OK):
        return BackendHealth(backend, implementation, "embedded", False, f"{path} is not writable", "Check AW_DATA_DIR points at a writable folder.")
    return BackendHealth(backend, implementation, "embedded", True, str(shown or path))


def http_ok(url: str) -> tuple[bool, str]:
    """Whether a GET of ``url`` answers below HTTP 400 within ``PROBE_TIMEOUT``, and why not."""
    try:
        import httpx

        response = httpx.get(url, timeout=PROBE_TIMEOUT)
    except Exception as exc:
        return False, first_line(exc)
    if response.status_code >= 400:
        return False, f"HTTP {response.status_code}"
    return True, "reachable"


def first_line(exc: Exception) -> str:
    """The first line of an error's message (at most 300 characters), or its type when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
