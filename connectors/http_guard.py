"""An ASGI guard in front of a web app: an allow-list of routes, and a cap on request bodies.

``RequestGuard`` answers 404 for any method and path not on its allow-list (so file uploads,
file serving, proxies and other routes a framework adds but the app does not use are absent),
and 413 for a request body larger than its cap: at once when ``Content-Length`` says so, before
anything is read, and as soon as a chunked body grows past the cap. A body within the cap is
read (at most the cap is held in memory) and handed on to the app unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Awaitable, Callable, Iterable

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Route:
    """A method set and a full-match path pattern that may pass the guard."""

    def __init__(self, methods: Iterable[str], pattern: str) -> None:
        self.methods = frozenset(m.upper() for m in methods)
        self.pattern = re.compile(pattern)

    def allows(self, method: str, path: str) -> bool:
        return method in self.methods and self.pattern.fullmatch(path) is not None


class RequestGuard:
    """ASGI middleware: only ``routes`` pass, and no request body larger than ``max_body_bytes``."""

    def __init__(self, app, *, routes: Iterable[Route], max_body_bytes: int) -> None:
        if max_body_bytes <= 0:
            raise ValueError("max_body_bytes must be positive")
        self.app, self.routes, self.max_body_bytes = app, tuple(routes), max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})  # no websocket routes are allowed
            return
        method, path = scope["method"].upper(), _app_path(scope)
        if not any(route.allows(method, path) for route in self.routes):
            await _respond(send, 404, "Not found: this server does not offer that route.")
            return
        length = _content_length(scope)
        if length is None and _header(scope, b"content-length") is not None:
            await _respond(send, 400, "The Content-Length header is not a number.")
            return
        if length is not None and length > self.max_body_bytes:
            await _respond(send, 413, f"The request body is larger than the limit of {self.max_body_bytes} bytes.")
            return
        if method not in BODY_METHODS and length in (None, 0) and _header(scope, b"transfer-encoding") is None:
            await self.app(scope, receive, send)
            return
        # Read the body here, never more than the cap, then replay it to the app.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body_bytes:
                await _respond(send, 413, f"The request body is larger than the limit of {self.max_body_bytes} bytes.")
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replayed() -> dict:
            if replay:
                return replay.pop()
            return await receive()  # after the body: wait for the disconnect, as servers do

        await self.app(scope, replayed, send)


def _app_path(scope: Scope) -> str:
    path = scope.get("path", "") or "/"
    root = scope.get("root_path", "") or ""
    if root and path.startswith(root):
        return path[len(root):] or "/"
    return path


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope.get("headers", ()) if key.lower() == name), None)


def _content_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


async def _respond(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
