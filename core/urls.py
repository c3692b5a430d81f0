"""URLs made safe to show: credentials removed."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def display_host(host: str) -> str:
    """The host URL without any user:password part, safe for messages and logs."""
    text = host.strip().rstrip("/")
    if "://" not in text:
        text = f"http://{text}"
    parts = urlsplit(text)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
