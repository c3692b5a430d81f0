"""API tokens through Gradio's login gate, for an endpoint that has web logins too.

With ``auth`` (AW_ENDPOINT_USERS) Gradio answers 401 to every route, ``/config`` included, for a
request without a login cookie: a bridge sending ``Authorization: Bearer TOKEN`` would be locked out
the moment web logins are turned on. ``BearerTokenSessions`` sits in front of Gradio and gives a
request that carries one of the accepted tokens a login session of its own, whose user name is
``api-token:<fingerprint>`` (a name no web login can have: logins cannot contain ':'). A request
with no token, or a wrong one, passes unchanged and meets Gradio's gate as before.

The session secret is made here and only ever put into requests on their way in; it is never sent
to a client, so the cookie cannot be replayed without the token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Iterable

API_TOKEN_USER = "api-token:"


def fingerprint(token: str) -> str:
    """A short, stable id for a token (the caller id of its conversations); never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def token_from_header(value: str) -> str:
    """The token of an ``Authorization: Bearer TOKEN`` header value, or ''."""
    return value[7:].strip() if value.lower().startswith("bearer ") else ""


def is_token_user(username: str | None) -> bool:
    """Whether a Gradio user name is one ``BearerTokenSessions`` gave a token holder."""
    return bool(username) and username.startswith(API_TOKEN_USER)


class BearerTokenSessions:
    """ASGI middleware inside Gradio's app: a valid bearer token becomes that token's login session."""

    def __init__(self, app, *, tokens: Iterable[str]) -> None:
        self.app = app
        self._tokens = tuple(tokens)
        self._sessions: dict[str, str] = {}  # token fingerprint -> session secret

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            token = self._valid_token(scope)
            gradio_app = scope.get("app")
            if token and gradio_app is not None and getattr(gradio_app, "auth", None):
                scope = dict(scope, headers=self._with_session(scope["headers"], gradio_app, token))
        await self.app(scope, receive, send)

    def _valid_token(self, scope) -> str:
        given = next((token_from_header(value.decode("latin-1")) for name, value in scope.get("headers", ())
                      if name == b"authorization"), "")
        # Every token is compared, in constant time, so the answer's timing does not say which one matched.
        matches = [token for token in self._tokens if hmac.compare_digest(given.encode(), token.encode())]
        return matches[0] if given and matches else ""

    def _with_session(self, headers, gradio_app, token: str) -> list:
        key = fingerprint(token)
        session = self._sessions.setdefault(key, secrets.token_urlsafe(32))
        gradio_app.tokens[session] = API_TOKEN_USER + key  # Gradio's own table of logged-in sessions
        cookie = f"access-token-unsecure-{gradio_app.cookie_id}={session}".encode()
        # Any cookie the caller sent is dropped: the request is the token holder's, not a web login's.
        return [(name, value) for name, value in headers if name != b"cookie"] + [(b"cookie", cookie)]
