"""What a user database connection may be: the access policy every connection is opened under.

The policy comes from the SQL settings section and travels with each ``ReadOnlyDatabase``, so
every door (the page's Add-connection form, the CLI, the assistant, graph linking) is held to
the same rules:

- the workbench's own stores are never a "database": SQLite files inside the data dir (after
  resolving symlinks) and the metadata store's URL are refused; only the demo database, which
  the workbench generated itself, is exempt;
- ``AW_SQL_SQLITE_ROOTS`` narrows where SQLite files may be opened from;
- a role that is a superuser or can write (``core.sql.privileges``) is refused unless an
  administrator set ``AW_SQL_ALLOW_PRIVILEGED``;
- results are capped in bytes (``AW_SQL_MAX_RESULT_MB``) as well as rows;
- ``AW_SQL_EXTRA_FUNCTIONS`` extends the function allow-list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL

from core.errors import ConfigError
from core.settings import SQLSettings
from core.sql.database_urls import parse_database_url
from core.sql.functions import parse_extra_functions

DEFAULT_MAX_RESULT_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class AccessPolicy:
    """The rules a connection is opened under; the defaults are the strict ones."""

    allow_privileged: bool = False
    sqlite_roots: tuple[Path, ...] = ()
    protected_dirs: tuple[Path, ...] = ()
    protected_urls: tuple[str, ...] = field(default=(), repr=False)
    exempt_files: tuple[Path, ...] = ()
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES
    extra_functions: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: SQLSettings) -> "AccessPolicy":
        protected_dirs = (settings.workbench_data_dir,) if settings.workbench_data_dir else ()
        return cls(
            allow_privileged=settings.allow_privileged,
            sqlite_roots=tuple(settings.sqlite_roots),
            protected_dirs=tuple(Path(d).resolve() for d in protected_dirs),
            protected_urls=(settings.metadata_url,) if settings.metadata_url else (),
            exempt_files=(Path(settings.demo_db_path).resolve(),) if settings.demo_db_path else (),
            max_result_bytes=settings.max_result_bytes,
            extra_functions=parse_extra_functions(settings.extra_functions),
        )

    def check_sqlite_file(self, path: Path) -> None:
        """Refuse a SQLite file inside the workbench's data dir or outside the allowed roots."""
        resolved = Path(path).expanduser().resolve()
        if resolved in self.exempt_files:
            return
        for protected in self.protected_dirs:
            if resolved == protected or protected in resolved.parents:
                raise ConfigError(
                    f"{resolved} is inside the workbench's own data folder ({protected}); its stores hold every "
                    "workspace's documents, chats and connections and cannot be opened as a database."
                )
        for url in self.protected_urls:
            target = parse_database_url(url)
            if target.get_backend_name() == "sqlite" and target.database and \
                    Path(target.database).expanduser().resolve() == resolved:
                raise ConfigError(f"{resolved} is the workbench's metadata store and cannot be opened as a database.")
        if self.sqlite_roots and not any(resolved == root or root in resolved.parents for root in self.sqlite_roots):
            roots = ", ".join(str(root) for root in self.sqlite_roots)
            raise ConfigError(
                f"SQLite files can only be opened from {roots} (AW_SQL_SQLITE_ROOTS); {resolved} is elsewhere."
            )

    def check_server(self, url: URL) -> None:
        """Refuse the server database that holds the workbench's own metadata."""
        for protected in self.protected_urls:
            target = parse_database_url(protected)
            if target.get_backend_name() == "sqlite":
                continue
            if _same_server_database(target, url):
                raise ConfigError(
                    "This is the workbench's own metadata database (AW_METADATA_URL); it holds every workspace's "
                    "documents, chats and connections and cannot be opened as a database."
                )


_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", ""}


def _same_server_database(first: URL, second: URL) -> bool:
    def key(url: URL) -> tuple:
        backend = url.get_backend_name()
        backend = "mysql" if backend == "mariadb" else backend
        host = (url.host or "").lower()
        host = "localhost" if host in _LOCAL_HOSTS else host
        return backend, host, url.port or _DEFAULT_PORTS.get(backend), (url.database or "").lower()

    return key(first) == key(second)
