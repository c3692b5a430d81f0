"""Plumbing for the test servers that sit in front of a real model: a stdlib HTTP server on 127.0.0.1 in a
background thread, a handler with JSON and chunked-streaming helpers, and the upstream client.

The servers built on it (``ollama_over_llamacpp``, ``schema_refusing_openai``) translate or filter requests
to xllamacpp's OpenAI-compatible server. Streams are passed on piece by piece, and a client that hangs up
makes the server close its upstream response, which is how xllamacpp learns to stop generating.
Never used by product code.
"""

from __future__ import annotations

import json
import select
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class ClientGone(Exception):
    """The client closed its connection before the answer was complete."""


class LocalServer:
    """A ``ThreadingHTTPServer`` on an ephemeral port of 127.0.0.1; use it as a context manager."""

    name = "local-test-server"

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._handler = handler
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running: use it as a context manager or call start().")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler)
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown, and so each module's teardown, quick.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=self.name, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def upstream_client(base_url: str, api_key: str) -> httpx.Client:
    """A client for xllamacpp's server. No proxy from the environment: the server is on 127.0.0.1."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=httpx.Timeout(120.0, connect=5.0),
                        trust_env=False)


class JSONHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 with JSON bodies, chunked streaming, and a way to tell the client has hung up."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def guarded(self, action) -> None:
        """Run ``action``; a client that hung up (its timeout fired, it closed a stream) just ends the connection."""
        try:
            action()
        except (BrokenPipeError, ConnectionResetError, ClientGone):
            self.close_connection = True

    def read_json(self) -> Any:
        """The request's JSON body; ValueError when it is not JSON."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw or b"{}")

    def send_json(self, status: int, payload: Any) -> None:
        self.send_bytes(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def send_text(self, status: int, text: str) -> None:
        self.send_bytes(status, text.encode(), "text/plain; charset=utf-8")

    def send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def start_chunked(self, status: int, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        """One chunk of a chunked body; ``ClientGone`` when the client has hung up."""
        if self.client_gone():
            raise ClientGone()
        try:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise ClientGone() from exc

    def end_chunked(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise ClientGone() from exc

    def client_gone(self) -> bool:
        """Whether the client closed its side: the socket reads as end-of-file (or was reset).

        A client waiting for a streamed answer sends nothing, so a readable socket means it hung up. A
        write alone notices only one piece later (the first write after a close still succeeds).
        """
        sock = self.connection
        try:
            # poll, not select: a long test process holds more than 1,024 descriptors, which select refuses.
            poller = select.poll()
            poller.register(sock, select.POLLIN | select.POLLHUP | select.POLLERR)
            if not poller.poll(0):
                return False
            return sock.recv(1, socket.MSG_PEEK) == b""
        except (ConnectionResetError, OSError):
            return True
