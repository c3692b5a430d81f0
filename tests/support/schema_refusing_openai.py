"""SchemaRefusingProxy: an OpenAI-compatible server that refuses ``response_format`` json_schema, with the real
model behind it.

Some OpenAI-compatible servers accept only ``json_object`` (or nothing) as ``response_format`` and answer
HTTP 400 to a JSON schema. This proxy plays one in front of xllamacpp's server (the ``openai_server``
fixture): a chat completion asking for ``json_schema`` gets a 400 naming ``response_format``, as such servers
answer; every other request (``json_object``, plain chat, ``/v1/models``) is forwarded as it is, streams piece
by piece, and a client that hangs up closes the upstream response. Each chat request is recorded with
whether it was refused and, for whole replies, the text the model returned.

    with SchemaRefusingProxy(base_url) as proxy:
        llm = OpenAILLM(Settings.from_env({}, AW_OPENAI_BASE_URL=proxy.url, AW_OPENAI_API_KEY=key).llm)

Never used by product code.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from tests.support.local_http import JSONHandler, LocalServer, upstream_client

REFUSAL = {"error": {"message": "response_format type 'json_schema' is not supported by this server; "
                                "use 'json_object' or 'text'",
                     "type": "invalid_request_error", "param": "response_format", "code": None}}


@dataclass
class ChatAttempt:
    """One POST /v1/chat/completions the proxy received."""

    body: dict
    refused: bool
    reply: str | None = None  # the model's text, for a whole (not streamed) reply that was forwarded
    upstream_status: int | None = None  # what the real server answered, for a forwarded whole reply

    @property
    def response_format(self) -> str | None:
        return (self.body.get("response_format") or {}).get("type")


class SchemaRefusingProxy(LocalServer):
    """``url`` ends in ``/v1`` as AW_OPENAI_BASE_URL does; ``upstream`` is xllamacpp's (with or without ``/v1``)."""

    name = "schema-refusing-openai"

    def __init__(self, upstream: str, *, refuse_schemas: bool = True) -> None:
        # refuse_schemas=False forwards json_schema too: the proxy only records what the client sent.
        self.refuse_schemas = refuse_schemas
        # No key of its own: the client's Authorization header is passed on, so upstream still checks it.
        self._upstream = upstream_client(upstream.rstrip("/").removesuffix("/v1"), "")
        self.attempts: list[ChatAttempt] = []
        self._lock = threading.Lock()
        super().__init__(_handler_for(self))

    @property
    def url(self) -> str:
        return super().url + "/v1"

    def close(self) -> None:
        super().close()
        self._upstream.close()

    def _record(self, attempt: ChatAttempt) -> ChatAttempt:
        with self._lock:
            self.attempts.append(attempt)
        return attempt


def _handler_for(proxy: SchemaRefusingProxy) -> type[JSONHandler]:
    class Handler(_ProxyHandler):
        pass

    Handler.proxy = proxy
    return Handler


class _ProxyHandler(JSONHandler):
    proxy: SchemaRefusingProxy

    def do_GET(self) -> None:
        self.guarded(self._get)

    def do_POST(self) -> None:
        self.guarded(self._post)

    def _auth(self) -> dict[str, str]:
        value = self.headers.get("Authorization")
        return {"Authorization": value} if value else {}

    def _get(self) -> None:
        response = self.proxy._upstream.get(self.path, headers=self._auth())
        self.send_bytes(response.status_code, response.content, response.headers.get("content-type", "application/json"))

    def _post(self) -> None:
        try:
            body = self.read_json()
        except ValueError:
            self.send_json(400, {"error": {"message": "invalid JSON body", "type": "invalid_request_error"}})
            return
        if self.path != "/v1/chat/completions":
            self.send_json(404, {"error": {"message": f"{self.path} is not served here", "type": "not_found"}})
            return
        if self.proxy.refuse_schemas and (body.get("response_format") or {}).get("type") == "json_schema":
            self.proxy._record(ChatAttempt(body, refused=True))
            self.send_json(400, REFUSAL)
            return
        attempt = self.proxy._record(ChatAttempt(body, refused=False))
        if body.get("stream"):
            self._forward_stream(body)
        else:
            self._forward_whole(body, attempt)

    def _forward_whole(self, body: dict, attempt: ChatAttempt) -> None:
        response = self.proxy._upstream.post(self.path, json=body, headers=self._auth())
        attempt.upstream_status = response.status_code
        if response.status_code < 400:
            attempt.reply = response.json()["choices"][0]["message"].get("content") or ""
        self.send_bytes(response.status_code, response.content, response.headers.get("content-type", "application/json"))

    def _forward_stream(self, body: dict) -> None:
        with self.proxy._upstream.stream("POST", self.path, json=body, headers=self._auth()) as response:
            if response.status_code >= 400:
                response.read()
                self.send_bytes(response.status_code, response.content, "application/json")
                return
            self.start_chunked(200, response.headers.get("content-type", "text/event-stream"))
            # Leaving this block on ClientGone closes the upstream response, so llama.cpp stops generating.
            for line in response.iter_lines():
                self.write_chunk((line + "\n").encode())
            self.end_chunked()

