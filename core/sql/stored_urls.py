"""How a saved connection's URL is stored: a SQLite file inside the data dir is stored relative to it.

The demo database lives in ``<data dir>/demo/retail.db``. Stored as an absolute path, a copied or
moved data dir would go on reading the old folder's file (while its health check looks at its own);
stored as ``sqlite:///demo/retail.db`` it is always the data dir's own file. Every other URL (files
elsewhere, servers) is stored as given. Paths saved relative can only mean the data dir: relative
SQLite paths given by a user are made absolute before they are saved.

Small on purpose (no driver imports): the health check reads the demo connection with it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import URL

DEMO_CONNECTION_NAME = "demo"


def to_stored(url: "URL", data_dir: Path | None) -> "URL":
    """``url`` as it is stored: a SQLite file under ``data_dir`` relative to it, anything else unchanged."""
    relative = _under(url, data_dir)
    return url if relative is None else url.set(database=relative.as_posix())


def from_stored(url: "URL", data_dir: Path | None) -> "URL":
    """A stored URL as the one to open: a relative SQLite path is inside ``data_dir``."""
    if data_dir is None or url.get_backend_name() != "sqlite":
        return url
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:") or Path(database).is_absolute():
        return url
    return url.set(database=str(Path(data_dir) / database))


def is_legacy_absolute(url: "URL", data_dir: Path | None) -> bool:
    """Whether ``url`` is a SQLite file under ``data_dir`` stored absolute (as before paths were stored relative)."""
    return _under(url, data_dir) is not None


def _under(url: "URL", data_dir: Path | None) -> Path | None:
    if data_dir is None or url.get_backend_name() != "sqlite" or not url.database:
        return None
    path = Path(url.database)
    if not path.is_absolute():
        return None
    root = Path(data_dir).resolve()
    try:
        return path.resolve().relative_to(root)
    except ValueError:
        return None
