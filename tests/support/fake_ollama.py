"""FakeOllama: a real HTTP server on 127.0.0.1 that speaks enough of the Ollama API for tests.

It serves /api/chat (streamed NDJSON or one JSON object), /api/tags, /api/embed, /api/show
and /api/version with the field names the official ``ollama`` client reads, answers with
scripted replies, and records every request so tests can assert what went over the wire.

    with FakeOllama(models=["llama3.1"]) as server:
        server.enqueue("Hello there.")
        llm = OllamaLLM(Settings.from_env({}, AW_OLLAMA_HOST=server.url).llm)
        ...
        assert server.chat_requests[0]["options"]["temperature"] == 0.1

Never used by product code.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from tests.support.local_http import JSONHandler
from tests.support.scripted_llm import split_into_pieces

CREATED_AT = "2025-01-01T00:00:00.000000Z"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received; ``body`` is the decoded JSON (None for GET)."""

    method: str
    path: str
    body: Any


@dataclass(frozen=True)
class ScriptedError:
    """An HTTP error the fake answers the next chat or embed request with."""

    status: int
    message: str


def with_tag(name: str) -> str:
    """Ollama's naming rule: a model without a tag is ``:latest``."""
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else f"{name}:latest"


def fake_vector(text: str, dimension: int) -> list[float]:
    """A deterministic unit vector for ``text``: same text, same vector; different text, different vector."""
    values: list[float] = []
    counter = 0
    while len(values) < dimension:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend((byte - 127.5) / 127.5 for byte in digest)
        counter += 1
    values = values[:dimension]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


class FakeOllama:
    """The fake server. Use it as a context manager; ``url`` is its address once started.

    ``strict_format=True`` mimics Ollama's constrained decoding: when a request carries a
    ``format`` schema, a scripted reply that does not match it is a mistake in the test and
    the fake answers HTTP 500 saying so. Set it False to play a model that breaks format.
    ``delay_seconds`` makes chat and embed requests wait before answering (to test timeouts).
    """

    def __init__(
        self,
        models: list[str] | tuple[str, ...] = ("llama3.1",),
        *,
        embedding_dimension: int = 8,
        strict_format: bool = True,
        delay_seconds: float = 0.0,
    ) -> None:
        self.models = [with_tag(name) for name in models]
        self.embedding_dimension = embedding_dimension
        self.strict_format = strict_format
        self.delay_seconds = delay_seconds
        self.requests: list[RecordedRequest] = []
        self._replies: deque[str | ScriptedError] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------

    def enqueue(self, reply: str) -> "FakeOllama":
        """Queue the text of the next chat reply."""
        with self._lock:
            self._replies.append(reply)
        return self

    def enqueue_error(self, status: int, message: str) -> "FakeOllama":
        """Make the next chat or embed request fail with ``status`` and ``{"error": message}``."""
        with self._lock:
            self._replies.append(ScriptedError(status, message))
        return self

    def requests_to(self, path: str) -> list[Any]:
        """Bodies of the requests received on ``path``, oldest first."""
        with self._lock:
            return [r.body for r in self.requests if r.path == path]

    @property
    def chat_requests(self) -> list[dict]:
        """Bodies of every /api/chat request, oldest first."""
        return self.requests_to("/api/chat")

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeOllama is not running: use it as a context manager or call start().")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeOllama":
        """Listen on an ephemeral port of 127.0.0.1 in a background thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown (and so every test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-ollama", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; requests still sleeping in ``delay_seconds`` are cut short."""
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "FakeOllama":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- behaviour (called from handler threads) ----------------------------------------------

    def _record(self, method: str, path: str, body: Any) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, body))

    def _has_model(self, name: Any) -> bool:
        return isinstance(name, str) and with_tag(name) in self.models

    def _next_reply(self) -> str | ScriptedError:
        with self._lock:
            if not self._replies:
                return ScriptedError(500, "fake ollama: no reply is queued; call enqueue() in the test")
            return self._replies.popleft()

    def _next_embed_error(self) -> ScriptedError | None:
        # Embeddings are computed, not scripted; only a queued error at the head applies.
        with self._lock:
            if self._replies and isinstance(self._replies[0], ScriptedError):
                return self._replies.popleft()
            return None

    def _wait(self) -> None:
        if self.delay_seconds:
            self._closing.wait(self.delay_seconds)

    def _format_problem(self, reply: str, fmt: Any) -> str | None:
        if not self.strict_format or fmt in (None, ""):
            return None
        try:
            value = json.loads(reply)
        except json.JSONDecodeError:
            return "fake ollama: the scripted reply is not JSON but the request asked for format"
        if isinstance(fmt, dict):
            error = best_match(Draft202012Validator(fmt).iter_errors(value))
            if error is not None:
                return f"fake ollama: the scripted reply does not match the requested schema: {error.message}"
        return None


def _handler_for(fake: FakeOllama) -> type[BaseHTTPRequestHandler]:
    class Handler(_OllamaHandler):
        pass

    Handler.fake = fake
    return Handler


class _OllamaHandler(JSONHandler):
    fake: FakeOllama

    def do_GET(self) -> None:
        self.guarded(self._get)

    def do_HEAD(self) -> None:
        self.guarded(lambda: self.send_text(200, ""))

    def do_POST(self) -> None:
        self.guarded(self._post)

    def _get(self) -> None:
        self.fake._record("GET", self.path, None)
        if self.path == "/api/tags":
            self.send_json(200, {"models": [_model_entry(name) for name in self.fake.models]})
        elif self.path == "/api/version":
            self.send_json(200, {"version": "0.0.0-fake"})
        elif self.path == "/":
            self.send_text(200, "Ollama is running")
        else:
            self.send_text(404, "404 page not found")

    def _post(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self.fake._record("POST", self.path, None)
            self.send_json(400, {"error": "invalid JSON body"})
            return
        self.fake._record("POST", self.path, body)
        routes = {"/api/chat": self._chat, "/api/embed": self._embed, "/api/show": self._show}
        route = routes.get(self.path)
        if route is None:
            self.send_text(404, "404 page not found")
            return
        model = body.get("model")
        if not self.fake._has_model(model):
            self.send_json(404, {"error": f'model "{model}" not found, try pulling it first'})
            return
        route(body)

    def _chat(self, body: dict) -> None:
        self.fake._wait()
        reply = self.fake._next_reply()
        if isinstance(reply, ScriptedError):
            self.send_json(reply.status, {"error": reply.message})
            return
        problem = self.fake._format_problem(reply, body.get("format"))
        if problem:
            self.send_json(500, {"error": problem})
            return
        model = body["model"]
        final = {
            "model": model,
            "created_at": CREATED_AT,
            "done": True,
            "done_reason": "stop",
            "total_duration": 1_000_000,
            "load_duration": 100_000,
            "prompt_eval_count": sum(len(str(m.get("content", "")).split()) for m in body.get("messages", [])),
            "prompt_eval_duration": 200_000,
            "eval_count": len(split_into_pieces(reply)),
            "eval_duration": 700_000,
        }
        # Ollama streams unless the request says "stream": false.
        if body.get("stream", True) is False:
            self.send_json(200, {**final, "message": {"role": "assistant", "content": reply}})
            return
        self.start_chunked(200, "application/x-ndjson")
        for piece in split_into_pieces(reply):
            message = {"role": "assistant", "content": piece}
            chunk = {"model": model, "created_at": CREATED_AT, "message": message, "done": False}
            self._write_chunk(json.dumps(chunk) + "\n")
        self._write_chunk(json.dumps({**final, "message": {"role": "assistant", "content": ""}}) + "\n")
        self._end_chunked()

    def _embed(self, body: dict) -> None:
        self.fake._wait()
        texts = body.get("input", [])
        texts = [texts] if isinstance(texts, str) else list(texts)
        scripted = self.fake._next_embed_error()
        if scripted is not None:
            self.send_json(scripted.status, {"error": scripted.message})
            return
        self.send_json(
            200,
            {
                "model": body["model"],
                "embeddings": [fake_vector(text, self.fake.embedding_dimension) for text in texts],
                "total_duration": 500_000,
                "load_duration": 100_000,
                "prompt_eval_count": sum(len(text.split()) for text in texts),
            },
        )

    def _show(self, body: dict) -> None:
        self.send_json(
            200,
            {
                "modelfile": f"FROM {body['model']}",
                "parameters": "stop \"<|eot_id|>\"",
                "template": "{{ .Prompt }}",
                "details": _model_entry(body["model"])["details"],
                "model_info": {"general.architecture": "llama", "llama.context_length": 131072},
                "capabilities": ["completion"],
            },
        )

    # -- wire helpers ----------------------------------------------------------------------

    def _write_chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _model_entry(name: str) -> dict:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return {
        "name": name,
        "model": name,
        "modified_at": CREATED_AT,
        "size": 4_920_753_328,
        "digest": digest,
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "llama",
            "families": ["llama"],
            "parameter_size": "8.0B",
            "quantization_level": "Q4_K_M",
        },
    }
