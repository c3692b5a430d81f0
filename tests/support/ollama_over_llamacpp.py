"""OllamaOverLlamaCpp: a real HTTP server on 127.0.0.1 that speaks Ollama's API with a real model behind it.

Each /api/chat request is translated to xllamacpp's OpenAI-compatible ``/v1/chat/completions`` (the
``openai_server`` fixture) and the reply translated back, with the field names the official ``ollama``
client reads (``ollama`` 0.6.3: ``message.content``, ``done``, ``done_reason``, ``eval_count``...):

- ``stream`` (default true): NDJSON, one object per piece the model generates, then ``done: true``;
- ``options.num_predict`` is the reply cap (``max_tokens``), ``options.temperature`` and the other
  sampling options are passed on; ``num_ctx`` is recorded but the engine's context is fixed at start;
- ``format``: a JSON schema is constrained decoding on the real model (``response_format`` json_schema,
  which llama.cpp turns into a grammar); ``"json"`` is any JSON object.

Upstream is always streamed, so a client that hangs up (mid-stream, or while waiting for a whole reply)
is noticed at the next piece: the upstream response is closed and llama.cpp stops generating. Every chat
is recorded as a ``ChatExchange`` (what the client sent, what went upstream, the pieces, how it ended) so
tests can assert the contract. FakeOllama stays the scripted double for exact-reply tests.

    with OllamaOverLlamaCpp(base_url, api_key) as server:
        llm = OllamaLLM(Settings.from_env({}, AW_OLLAMA_HOST=server.url, AW_OLLAMA_MODEL=server.model).llm)

Never used by product code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from tests.support.local_http import ClientGone, JSONHandler, LocalServer, upstream_client

MODEL = "smollm2:135m"
VERSION = "0.0.0-over-llamacpp"
# Ollama option -> llama.cpp server field, for the sampling options passed on as they are.
PASSED_OPTIONS = {"temperature": "temperature", "top_p": "top_p", "top_k": "top_k", "min_p": "min_p", "seed": "seed",
                  "stop": "stop", "repeat_penalty": "repeat_penalty", "repeat_last_n": "repeat_last_n",
                  "presence_penalty": "presence_penalty", "frequency_penalty": "frequency_penalty"}


@dataclass
class ChatExchange:
    """One /api/chat request and what became of it; ``finished`` is set once the server is done with it."""

    request: dict
    upstream: dict | None = None
    pieces: list[str] = field(default_factory=list)
    ended: str = ""  # "stop" | "length" (the cap) | "client_closed" | "error"
    eval_count: int | None = None  # tokens generated, as llama.cpp counted them
    prompt_eval_count: int | None = None
    error: str = ""
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None  # how long the server took over it, for diagnosing slow tests (never asserted)
    finished: threading.Event = field(default_factory=threading.Event)

    def wait(self, timeout: float = 30.0) -> "ChatExchange":
        if not self.finished.wait(timeout):
            raise AssertionError(f"the chat request was still being served after {timeout:g} s")
        return self


class OllamaOverLlamaCpp(LocalServer):
    """The server. ``upstream`` is xllamacpp's base URL (with or without ``/v1``), ``api_key`` its key."""

    name = "ollama-over-llamacpp"

    def __init__(self, upstream: str, api_key: str = "", *, model: str = MODEL) -> None:
        self.model = model if ":" in model.rsplit("/", 1)[-1] else f"{model}:latest"
        self.exchanges: list[ChatExchange] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, oldest first
        self._upstream = upstream_client(upstream.rstrip("/").removesuffix("/v1"), api_key)
        self._lock = threading.Lock()
        self._meta = self._read_meta()
        super().__init__(_handler_for(self))

    def close(self) -> None:
        super().close()
        self._upstream.close()

    @property
    def chat_requests(self) -> list[dict]:
        """Bodies of every /api/chat request, oldest first."""
        with self._lock:
            return [exchange.request for exchange in self.exchanges]

    @property
    def last(self) -> ChatExchange:
        with self._lock:
            return self.exchanges[-1]

    @property
    def context_length(self) -> int:
        return int(self._meta.get("n_ctx") or 2048)

    def _read_meta(self) -> dict:
        """What llama.cpp says about the model it serves (size, parameters, context), for /api/tags and /api/show."""
        response = self._upstream.get("/v1/models")
        response.raise_for_status()
        return dict(response.json()["data"][0].get("meta") or {})

    def _record(self, method: str, path: str, body: Any) -> ChatExchange | None:
        with self._lock:
            self.requests.append((method, path))
            if path == "/api/chat":
                exchange = ChatExchange(body if isinstance(body, dict) else {})
                self.exchanges.append(exchange)
                return exchange
        return None

    def has_model(self, name: Any) -> bool:
        return isinstance(name, str) and (name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest") == self.model

    def model_entry(self) -> dict:
        size = int(self._meta.get("size") or 0)
        params = int(self._meta.get("n_params") or 0)
        return {
            "name": self.model,
            "model": self.model,
            "modified_at": _now(),
            "size": size,
            "digest": hashlib.sha256(f"{self.model}:{size}".encode()).hexdigest(),
            "details": {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
                        "parameter_size": f"{params / 1e6:.0f}M" if params else "",
                        "quantization_level": str(self._meta.get("ftype") or "")},
        }

    def upstream_body(self, request: dict) -> dict:
        """The OpenAI-compatible request for an Ollama chat request."""
        options = request.get("options") or {}
        body: dict[str, Any] = {
            "messages": [{"role": m.get("role", "user"), "content": m.get("content") or ""} for m in request.get("messages") or ()],
            "stream": True,  # always: a hang-up is seen between pieces, and then generation is stopped
            "stream_options": {"include_usage": True},
        }
        cap = options.get("num_predict")
        if isinstance(cap, int) and cap > 0:  # Ollama's -1 (no limit) and -2 (fill the context) leave it open
            body["max_tokens"] = cap
        body.update({target: options[name] for name, target in PASSED_OPTIONS.items() if options.get(name) is not None})
        fmt = request.get("format")
        if isinstance(fmt, dict):
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "format", "schema": fmt}}
        elif fmt == "json":
            body["response_format"] = {"type": "json_object"}
        return body

    def generate(self, body: dict, exchange: ChatExchange) -> Iterator[str]:
        """Pieces of the reply from upstream; sets ``exchange.ended``/``eval_count``. Closing it closes upstream."""
        exchange.upstream = body
        with self._upstream.stream("POST", "/v1/chat/completions", json=body) as response:
            if response.status_code >= 400:
                response.read()
                raise UpstreamRefused(response.status_code, _error_message(response.text))
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return
                event = json.loads(payload)
                if event.get("error"):
                    raise UpstreamRefused(500, _error_message(json.dumps(event)))
                if event.get("usage"):
                    exchange.eval_count = event["usage"].get("completion_tokens")
                    exchange.prompt_eval_count = event["usage"].get("prompt_tokens")
                for choice in event.get("choices") or ():
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        yield text
                    if choice.get("finish_reason"):
                        exchange.ended = "length" if choice["finish_reason"] == "length" else "stop"


class UpstreamRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _handler_for(server: OllamaOverLlamaCpp) -> type[JSONHandler]:
    class Handler(_OllamaHandler):
        pass

    Handler.server_state = server
    return Handler


class _OllamaHandler(JSONHandler):
    server_state: OllamaOverLlamaCpp

    def do_HEAD(self) -> None:
        self.guarded(lambda: self.send_text(200, ""))

    def do_GET(self) -> None:
        self.guarded(self._get)

    def do_POST(self) -> None:
        self.guarded(self._post)

    def _get(self) -> None:
        state = self.server_state
        state._record("GET", self.path, None)
        if self.path == "/api/tags":
            self.send_json(200, {"models": [state.model_entry()]})
        elif self.path == "/api/version":
            self.send_json(200, {"version": VERSION})
        elif self.path == "/":
            self.send_text(200, "Ollama is running")
        else:
            self.send_text(404, "404 page not found")

    def _post(self) -> None:
        state = self.server_state
        try:
            body = self.read_json()
        except ValueError:
            state._record("POST", self.path, None)
            self.send_json(400, {"error": "invalid JSON body"})
            return
        exchange = state._record("POST", self.path, body)
        try:
            if self.path not in ("/api/chat", "/api/show"):
                self.send_text(404, "404 page not found")
                return
            model = body.get("model")
            if not state.has_model(model):
                message = f'model "{model}" not found, try pulling it first'  # Ollama's words, which the client reads
                if exchange is not None:
                    exchange.ended, exchange.error = "error", message
                self.send_json(404, {"error": message})
                return
            if self.path == "/api/show":
                self._show()
            else:
                self._chat(body, exchange)
        finally:
            if exchange is not None:
                exchange.seconds = time.monotonic() - exchange.started
                exchange.finished.set()

    def _show(self) -> None:
        state = self.server_state
        entry = state.model_entry()
        self.send_json(200, {
            "modified_at": entry["modified_at"],
            "modelfile": f"FROM {state.model}",
            "parameters": "",
            "template": "{{ .Prompt }}",
            "details": entry["details"],
            "model_info": {"general.architecture": "llama", "general.parameter_count": int(state._meta.get("n_params") or 0),
                           "llama.context_length": state.context_length},
            "capabilities": ["completion"],
        })

    def _chat(self, request: dict, exchange: ChatExchange) -> None:
        state = self.server_state
        started = time.monotonic_ns()
        pieces = state.generate(state.upstream_body(request), exchange)
        streaming = request.get("stream", True) is not False  # Ollama streams unless told not to
        try:
            first = next(pieces, None)  # an upstream refusal is an HTTP error, before any 200 is sent
        except UpstreamRefused as refused:
            exchange.ended, exchange.error = "error", refused.message
            self.send_json(400 if refused.status < 500 else 500, {"error": refused.message})
            return
        try:
            if streaming:
                self.start_chunked(200, "application/x-ndjson")
            for piece in _chain(first, pieces):
                exchange.pieces.append(piece)
                if streaming:
                    self._line({"model": state.model, "created_at": _now(), "done": False,
                                "message": {"role": "assistant", "content": piece}})
                elif self.client_gone():  # a client that stopped waiting for the whole reply
                    raise ClientGone()
        except ClientGone:
            exchange.ended = "client_closed"
            raise
        except UpstreamRefused as refused:  # mid-stream: Ollama sends an error line and ends the stream
            exchange.ended, exchange.error = "error", refused.message
            self._line({"error": refused.message})
            self.end_chunked()
            return
        finally:
            pieces.close()  # closes the upstream response: llama.cpp stops at its next token
        final = {
            "model": state.model,
            "created_at": _now(),
            "done": True,
            "done_reason": exchange.ended or "stop",
            "total_duration": time.monotonic_ns() - started,
            "load_duration": 0,
            "prompt_eval_count": exchange.prompt_eval_count or 0,
            "eval_count": exchange.eval_count if exchange.eval_count is not None else len(exchange.pieces),
        }
        if streaming:
            self._line({**final, "message": {"role": "assistant", "content": ""}})
            self.end_chunked()
        else:
            self.send_json(200, {**final, "message": {"role": "assistant", "content": "".join(exchange.pieces)}})

    def _line(self, payload: dict) -> None:
        self.write_chunk((json.dumps(payload) + "\n").encode())


def _chain(first: str | None, rest: Iterator[str]) -> Iterator[str]:
    if first is not None:
        yield first
        yield from rest


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _error_message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip() or "the model server refused the request"
    error = data.get("error") if isinstance(data, dict) else data
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error)

