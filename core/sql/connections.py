"""Saved database connections per workspace, with passwords kept apart from everything else.

The metadata table ``sql_connections`` holds each connection's URL with the password removed;
the password lives in ``<data dir>/secrets/connections.json`` (0600, folder 0700), keyed by
the connection id. ``SqlConnection`` never holds a password, so printing, logging or
showing one cannot leak it; ``ConnectionStore.full_url`` puts it back into a SQLAlchemy
``URL`` (whose text form hides it) only to open the database.

A SQLite file inside the data dir (the demo database) is stored relative to the data dir
(``core.sql.stored_urls``), so a copied or moved data dir opens its own file; ``SqlConnection.url``
is always the absolute URL to open. Rows saved absolute by older versions are read as they are and
rewritten relative the first time they are listed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import URL

from core.errors import ConfigError, InvalidInput, NotFound
from core.metadata import MetadataStore, new_id, now_iso, sql_connections
from core.settings import SQLSettings
from core.sql.database_urls import check_url_options, parse_database_url
from core.sql.dialects import dialect_name, sqlite_path
from core.sql.runner import GuardedRunner
from core.sql.stored_urls import from_stored, is_legacy_absolute, to_stored

logger = logging.getLogger(__name__)

SECRETS_DIRNAME = "secrets"
SECRETS_FILENAME = "connections.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


@dataclass(frozen=True)
class SqlConnection:
    """A saved connection. ``url`` has no password; ``has_password`` says whether one is stored."""

    id: str
    workspace: str
    name: str
    url: str
    dialect: str
    is_default: bool
    has_password: bool
    created_at: str

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class SecretStore:
    """Passwords by reference in one JSON file only the workbench's user can read."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SecretStore({str(self.path)!r})"

    def get(self, ref: str) -> str:
        """The secret stored under ``ref``; ``NotFound`` if there is none."""
        secrets = self._read()
        if ref not in secrets:
            raise NotFound(f"The password of this connection is missing from {self.path}: remove the connection "
                           "and add it again.")
        return secrets[ref]

    def set(self, ref: str, secret: str) -> None:
        with self._lock:
            secrets = self._read()
            secrets[ref] = secret
            self._write(secrets)

    def delete(self, ref: str) -> None:
        with self._lock:
            secrets = self._read()
            if secrets.pop(ref, None) is not None:
                self._write(secrets)

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise ConfigError(f"The secrets file {self.path} is damaged (not JSON): restore it or delete it "
                              "and add the connections again.") from None
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self, secrets: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)
        # mkstemp creates the file 0600, so the secret is never readable by others, even briefly.
        handle, temporary = tempfile.mkstemp(prefix=".connections-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(secrets, stream, indent=1, sort_keys=True)
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def parse_url(url: str | URL) -> URL:
    """A SQLAlchemy URL; a malformed one raises ``ConfigError`` without echoing it (it may hold a password)."""
    return parse_database_url(url)


def split_password(url: str | URL) -> tuple[URL, str]:
    """The URL without its password (also a ``password=`` query option) and the password ('' if none).

    A relative SQLite path becomes absolute, so the connection works from any folder.
    """
    parsed = parse_url(url)
    dialect = dialect_name(parsed)
    password = parsed.password or ""
    query = dict(parsed.query)
    if "password" in query:
        given = query.pop("password")
        password = password or (given[0] if isinstance(given, tuple) else given)
    stripped = without_password(parsed).set(query=query)
    # Refused here too, so the Add-connection form and `sql add` name a bad option at once.
    check_url_options(stripped, dialect)
    if dialect == "sqlite":
        stripped = stripped.set(database=str(sqlite_path(stripped)), query={})
    return stripped, str(password)


def without_password(url: URL) -> URL:
    """``url`` with no password at all (``URL.set(password=None)`` would keep the old one)."""
    return URL.create(url.drivername, url.username, None, url.host, url.port, url.database, url.query)


def display_url(url: URL) -> str:
    """A password-free URL as text."""
    return without_password(url).render_as_string(hide_password=False)


def validate_connection_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise InvalidInput(f"Connection name {name!r} is not valid: use 1-64 letters, digits, spaces, '.', '-' "
                           "or '_', starting with a letter or digit.")
    return name


def check_database(url: URL, settings: SQLSettings) -> float:
    """Open the database read-only under the settings' access policy and run ``SELECT 1``;
    returns the seconds it took, raises if it fails (or the policy refuses the connection)."""
    started = time.perf_counter()
    with GuardedRunner.from_settings(url, settings) as runner:
        runner.run("SELECT 1")
    return time.perf_counter() - started


def sqlite_file_exists(url: str | URL) -> bool:
    """Whether ``url`` is a SQLite URL whose database file exists."""
    stripped, _ = split_password(url)
    return stripped.get_backend_name() == "sqlite" and Path(stripped.database or "").is_file()


def derived_name(url: URL) -> str:
    """A readable connection name for a URL: the SQLite file's stem, or the database (or host) name."""
    if url.get_backend_name() == "sqlite":
        base = Path(url.database or "database").stem
    else:
        base = (url.database or url.host or url.get_backend_name()).rsplit("/", 1)[-1]
    cleaned = "".join(ch if ch.isalnum() or ch in "_-." else "-" for ch in base).strip("-.") or "database"
    return cleaned[:60]


class ConnectionStore:
    """Rows of ``sql_connections`` plus their passwords; every call is scoped to one workspace.

    ``data_dir``: SQLite files inside it are stored relative to it (see the module docstring)."""

    def __init__(self, metadata: MetadataStore, secrets: SecretStore, data_dir: Path | None = None) -> None:
        self.metadata = metadata
        self.secrets = secrets
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None

    def list(self, workspace: str) -> list[SqlConnection]:
        """The workspace's connections, the default first, then by name."""
        with self.metadata.connect() as conn:
            rows = conn.execute(select(sql_connections).where(sql_connections.c.workspace == workspace)).all()
        self._store_relative([row for row in rows if is_legacy_absolute(parse_url(row.url), self.data_dir)])
        connections = [_from_row(row, display_url(from_stored(parse_url(row.url), self.data_dir))) for row in rows]
        return sorted(connections, key=lambda c: (not c.is_default, c.name.lower()))

    def _store_relative(self, rows) -> None:
        """Rewrite rows an older version saved with an absolute path inside the data dir (they keep working as
        they are; relative, they also work once the data dir is copied or moved)."""
        if not rows:
            return
        with self.metadata.begin() as conn:
            for row in rows:
                stored = display_url(to_stored(parse_url(row.url), self.data_dir))
                conn.execute(update(sql_connections).where(sql_connections.c.id == row.id,
                                                           sql_connections.c.url == row.url).values(url=stored))
                logger.info("Connection %r in workspace %s is now stored relative to the data dir: %s",
                            row.name, row.workspace, stored)

    def get(self, workspace: str, name_or_id: str) -> SqlConnection:
        """A connection by name (case-insensitive) or id; ``NotFound`` lists the names there are."""
        connections = self.list(workspace)
        wanted = (name_or_id or "").strip()
        for connection in connections:
            if connection.id == wanted or connection.name.lower() == wanted.lower():
                return connection
        known = ", ".join(c.name for c in connections) or "none yet"
        raise NotFound(f"No database connection {wanted!r} in workspace {workspace} (connections: {known}).")

    def default(self, workspace: str) -> SqlConnection | None:
        connections = self.list(workspace)
        return next((c for c in connections if c.is_default), connections[0] if connections else None)

    def free_name(self, workspace: str, wanted: str) -> str:
        """``wanted``, or ``wanted-2``, ``wanted-3``... whichever the workspace does not use yet."""
        taken = {c.name.lower() for c in self.list(workspace)}
        name, number = wanted, 2
        while name.lower() in taken:
            name, number = f"{wanted}-{number}", number + 1
        return name

    def find_by_url(self, workspace: str, url: URL) -> SqlConnection | None:
        """The saved connection whose password-free URL is ``url``, if any."""
        wanted = display_url(url)
        return next((c for c in self.list(workspace) if c.url == wanted), None)

    def add(self, workspace: str, name: str, url: URL, password: str, *, make_default: bool = False) -> SqlConnection:
        """Store a connection (the caller has tested it). The first one in a workspace is its default."""
        name = validate_connection_name(name)
        if any(c.name.lower() == name.lower() for c in self.list(workspace)):
            raise InvalidInput(f"Workspace {workspace} already has a connection named {name!r}: choose another name "
                               "or remove that one first.")
        connection_id = new_id()
        if password:
            self.secrets.set(connection_id, password)
        try:
            with self.metadata.begin() as conn:
                has_default = conn.execute(select(sql_connections.c.id).where(
                    sql_connections.c.workspace == workspace, sql_connections.c.is_default == 1)).first()
                if make_default and has_default:
                    conn.execute(update(sql_connections).where(sql_connections.c.workspace == workspace).values(is_default=0))
                conn.execute(sql_connections.insert().values(
                    id=connection_id, workspace=workspace, name=name, url=display_url(to_stored(url, self.data_dir)),
                    secret_ref=connection_id if password else "", is_default=int(make_default or not has_default),
                    created_at=now_iso()))
        except BaseException:
            self.secrets.delete(connection_id)
            raise
        logger.info("Saved database connection %r in workspace %s: %s", name, workspace, display_url(url))
        return self.get(workspace, connection_id)

    def remove(self, workspace: str, name_or_id: str) -> SqlConnection:
        """Delete a connection and its password; if it was the default, the oldest remaining one takes over."""
        connection = self.get(workspace, name_or_id)
        with self.metadata.begin() as conn:
            conn.execute(sql_connections.delete().where(sql_connections.c.id == connection.id))
            if connection.is_default:
                oldest = conn.execute(select(sql_connections.c.id).where(sql_connections.c.workspace == workspace)
                                      .order_by(sql_connections.c.created_at, sql_connections.c.name)).first()
                if oldest:
                    conn.execute(update(sql_connections).where(sql_connections.c.id == oldest[0]).values(is_default=1))
        self.secrets.delete(connection.id)
        logger.info("Removed database connection %r from workspace %s", connection.name, workspace)
        return connection

    def set_default(self, workspace: str, name_or_id: str) -> SqlConnection:
        connection = self.get(workspace, name_or_id)
        with self.metadata.begin() as conn:
            conn.execute(update(sql_connections).where(sql_connections.c.workspace == workspace).values(is_default=0))
            conn.execute(update(sql_connections).where(sql_connections.c.id == connection.id).values(is_default=1))
        return self.get(workspace, connection.id)

    def full_url(self, connection: SqlConnection) -> URL:
        """The URL to open the database with, password included (its text form still hides it)."""
        url = parse_url(connection.url)
        return url.set(password=self.secrets.get(connection.id)) if connection.has_password else url


def _from_row(row, url: str) -> SqlConnection:
    """A row as a connection whose ``url`` is the one to open (``url``: the row's, resolved)."""
    return SqlConnection(
        id=row.id, workspace=row.workspace, name=row.name, url=url, dialect=dialect_name(url),
        is_default=bool(row.is_default), has_password=bool(row.secret_ref), created_at=row.created_at,
    )
