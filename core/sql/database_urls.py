"""Database URLs: parsed without leaking the password, and only driver options known to be safe.

A URL's query options go straight to the driver, and some drivers act on them at connect
time: PyMySQL's ``init_command`` runs any SQL on every new connection and ``local_infile``
lets the server read the workbench's own files; libpq's ``options`` can turn read-only off.
So each driver gets an allow-list of options (TLS, timeouts, character set, application
name) and everything else is refused by name, before anything connects.

Passwords are often pasted unencoded. ``postgresql://u:p@ss@host/db`` is read the way a
browser reads it (the host follows the last ``@``), so the whole password is masked and
used, instead of SQLAlchemy's reading where ``ss@host`` becomes the host and shows up in
error messages.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from sqlalchemy.engine import URL, make_url

from core.errors import ConfigError

# Options each driver may receive from a URL. Anything else is refused with its name.
ALLOWED_OPTIONS: dict[str, frozenset[str]] = {
    "postgres": frozenset({
        "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslcrldir", "sslsni", "sslnegotiation",
        "ssl_min_protocol_version", "ssl_max_protocol_version", "channel_binding", "gssencmode",
        "requirepeer", "connect_timeout", "application_name", "target_session_attrs", "client_encoding",
        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
    }),
    "mysql": frozenset({
        "charset", "ssl_ca", "ssl_cert", "ssl_key", "ssl_verify_cert", "ssl_verify_identity", "ssl_disabled",
        "connect_timeout", "program_name",
    }),
    # The workbench builds SQLite's URI itself (mode=ro); nothing from the user reaches it.
    "sqlite": frozenset(),
}
# Moved into the secrets file by the connection store; never passed to a driver.
SECRET_OPTIONS = frozenset({"password"})

_HOST = re.compile(r"^(?:[0-9A-Fa-f:.]+|[A-Za-z0-9._%~-]+)$")
_HOST_PORT = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._%~-]*)(?::\d*)?$")
_INVALID = ("The database URL is not a valid SQLAlchemy URL: write it like postgresql+psycopg://user@host:5432/db, "
            "mysql+pymysql://user@host/db or sqlite:////path/to/file.db (percent-encode @ : / ? # in passwords).")


def parse_database_url(url: str | URL) -> URL:
    """A SQLAlchemy URL; a malformed one raises ``ConfigError`` without echoing it (it may hold a password)."""
    if isinstance(url, URL):
        return url
    text = (url or "").strip()
    try:
        parsed = make_url(text)
    except Exception:  # SQLAlchemy raises several types, and their messages repeat the URL
        parsed = None
    if parsed is not None and not _looks_misread(parsed):
        return parsed
    repaired = _split_at_last_at(text)
    if repaired is not None:
        return repaired
    if parsed is not None:
        return parsed
    raise ConfigError(_INVALID) from None


def _looks_misread(parsed: URL) -> bool:
    """Whether an unencoded ``@``, ``/``, ``?`` or ``#`` in the password made SQLAlchemy misread the URL:
    a host that is not a host name, or a database name holding ``@`` (SQLite paths excepted)."""
    if parsed.get_backend_name() == "sqlite":
        return False
    host = parsed.host or ""
    return bool(host and not _HOST.match(host)) or "@" in (parsed.database or "")


def _split_at_last_at(text: str) -> URL | None:
    """Read ``scheme://user:pass@host...`` with the host after the last ``@`` that is followed by a host."""
    scheme, sep, rest = text.partition("://")
    if not sep or "@" not in rest:
        return None
    for at in (i for i in range(len(rest) - 1, -1, -1) if rest[i] == "@"):
        tail = rest[at + 1 :]
        host_port = re.split(r"[/?]", tail, maxsplit=1)[0]
        if not _HOST_PORT.match(host_port):
            continue
        user, _, password = rest[:at].partition(":")
        try:
            base = make_url(f"{scheme}://{tail}")
        except Exception:
            return None
        # Percent-decoded, as SQLAlchemy decodes an encoded password.
        return URL.create(base.drivername, unquote(user) or None, unquote(password) or None, base.host, base.port,
                          base.database, base.query)
    return None


def check_url_options(url: URL, dialect: str) -> None:
    """Refuse every query option the dialect's driver does not need for a plain read-only connection."""
    allowed = ALLOWED_OPTIONS[dialect]
    refused = sorted(name for name in url.query if name not in allowed and name not in SECRET_OPTIONS)
    if not refused:
        return
    names = ", ".join(refused)
    if allowed:
        hint = f"The options this driver accepts are: {', '.join(sorted(allowed))}."
    else:
        hint = "A SQLite URL takes no options: the workbench always opens the file read-only."
    raise ConfigError(
        f"The database URL has option{'s' if len(refused) > 1 else ''} the workbench does not pass to the driver: "
        f"{names}. Remove {'them' if len(refused) > 1 else 'it'}. {hint}"
    )
