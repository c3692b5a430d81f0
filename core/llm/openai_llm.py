"""OpenAILLM: generation through any OpenAI-compatible ``/v1/chat/completions`` API.

vLLM, llama.cpp's server, LM Studio, LocalAI, Ollama's ``/v1`` and hosted APIs all speak it.
Spoken with httpx directly (no SDK): streaming is server-sent events, JSON replies use
``response_format`` with the JSON schema, or ``json_object`` plus the schema in the prompt on a
server that refuses schemas (remembered for the rest of the process).

The API key is a secret: it is only ever put in the ``Authorization`` header. It is not in
``repr``, in ``name``, in health output, in logs, or in any error message, even when a server
echoes it back in an error body.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any, Iterator

import httpx

from core.errors import ConfigError, InvalidInput, LLMUnavailable
from core.health import PROBE_TIMEOUT, BackendHealth, first_line
from core.llm.base import Message
from core.llm.bounds import AvailabilityCache, Deadline, call_bounds
from core.settings import LLMSettings
from core.urls import display_host

log = logging.getLogger(__name__)

# Waiting for /models should be short even when generation may legitimately take minutes.
PROBE_TIMEOUT_SECONDS = 10.0
# OpenAI shows part of a wrong key ("sk-abc...xyz"); anything key-like is masked in messages.
_KEY_LIKE = re.compile(r"\b(?:sk|pk|rk|key|api)[-_][A-Za-z0-9_\-*.]{6,}", re.IGNORECASE)
_FIX_URL = "Start the server or fix AW_OPENAI_BASE_URL (it includes the /v1, e.g. http://127.0.0.1:8000/v1)."


class OpenAILLM:
    """An LLM behind an OpenAI-compatible API. Reads only its settings section: ``LLMSettings``."""

    description = ("answers are written by a model on an OpenAI-compatible server (vLLM, llama.cpp's server, "
                   "LM Studio, LocalAI, Ollama's /v1, or a hosted API with a key)")
    settings_section = "llm"
    generates = True
    # Shown by the Settings page; the key is shown only as set or not, and is never saved there.
    settings_fields = ("AW_OPENAI_BASE_URL", "AW_OPENAI_MODEL", "AW_OPENAI_API_KEY")
    model_field = "AW_OPENAI_MODEL"

    def __init__(self, settings: LLMSettings) -> None:
        base = settings.openai_base_url.strip().rstrip("/")
        if not base:
            raise ConfigError("AW_OPENAI_BASE_URL is empty: set it to the server's API, e.g. http://127.0.0.1:8000/v1.")
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"AW_OPENAI_BASE_URL must start with http:// or https://, got {display_host(base)!r}.")
        self.settings = settings
        self.base_url = base
        self.host = display_host(base)
        self._key = settings.openai_api_key.strip()
        self._model = settings.openai_model.strip()
        self.name = f"openai/{self._model or 'default'}"
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        self._client = httpx.Client(base_url=base, headers=headers, timeout=settings.timeout_seconds)
        self._probe_timeout = min(settings.timeout_seconds, PROBE_TIMEOUT_SECONDS)
        self._availability = AvailabilityCache(settings.availability_ttl_seconds)
        self._lock = threading.Lock()
        # What this server turned out to accept; learned from a refusal, then kept.
        self._json_mode = "json_schema"
        self._tokens_field = "max_tokens"

    def __repr__(self) -> str:
        return f"OpenAILLM(base_url={self.host!r}, model={self._model or 'default'!r}, api_key={'set' if self._key else 'none'})"

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> "OpenAILLM":
        """Check AW_OPENAI_BASE_URL; the server is contacted on first use."""
        return cls(settings)

    @classmethod
    def check_health(cls, settings: LLMSettings) -> BackendHealth:
        """Whether ``/models`` answers within two seconds (with the key) and lists the model."""
        base = settings.openai_base_url.strip().rstrip("/")
        if not base:
            return BackendHealth("llm", "openai", "server", False, "AW_OPENAI_BASE_URL is empty",
                                 "Set AW_OPENAI_BASE_URL to the server's API, e.g. http://127.0.0.1:8000/v1.")
        host = display_host(base)
        key = settings.openai_api_key.strip()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        try:
            response = httpx.get(f"{base}/models", headers=headers, timeout=PROBE_TIMEOUT)
            if response.status_code in (401, 403):
                return BackendHealth("llm", "openai", "server", False, f"{host}: the API key was refused (HTTP {response.status_code})",
                                     "Set AW_OPENAI_API_KEY to a valid key for this server.")
            response.raise_for_status()
            names = _model_ids(response.json())
        except Exception as exc:  # any transport or protocol error means "not reachable"; the reason is shown
            return BackendHealth("llm", "openai", "server", False, f"{host}: {_scrub(first_line(exc), key)}", _FIX_URL)
        model = settings.openai_model.strip()
        if model and model not in names:
            return BackendHealth("llm", "openai", "server", False, f"{host}: model {model} is not served",
                                 "Set AW_OPENAI_MODEL to one the server lists" + (f": {', '.join(names[:5])}." if names else "."))
        if not names and not model:
            return BackendHealth("llm", "openai", "server", False, f"{host}: the server lists no model",
                                 "Load a model on the server or set AW_OPENAI_MODEL.")
        return BackendHealth("llm", "openai", "server", True, f"{host}: {model or names[0]}")

    # ---- the LLM protocol ------------------------------------------------------------------

    def complete(self, messages: list[Message], *, stream: bool = False, json_schema: dict | None = None,
                 options: dict | None = None) -> str | Iterator[str]:
        """Chat with the model; with ``stream=True`` an iterator of text pieces.

        The reply is capped at ``options["max_tokens"]`` (default AW_LLM_MAX_TOKENS_ANSWER) and the
        whole call, streaming included, at AW_LLM_TIMEOUT (or ``options["timeout_seconds"]``).
        A streamed call reads its first piece before returning, so a server that is down raises
        ``LLMUnavailable`` here; closing the iterator closes the connection, which stops the server.
        """
        if not messages:
            raise InvalidInput("There is nothing to send to the model: the conversation is empty.")
        bounds = call_bounds(options, self.settings)
        deadline = Deadline(bounds.timeout)
        try:
            model = self._model or self._default_model(deadline)
            if not stream:
                return self._whole(model, messages, json_schema, bounds, deadline)
            pieces = self._streamed(model, messages, json_schema, bounds, deadline)
            first = next(pieces, None)
        except LLMUnavailable as exc:
            self._availability.mark_down(str(exc))
            raise
        return self._rest(first, pieces)

    def available(self) -> tuple[bool, str]:
        """Whether the server answers ``/models`` and serves the model; remembered for AW_LLM_AVAILABILITY_TTL s."""
        return self._availability.get(self._probe)

    def models(self) -> list[str]:
        """The model ids the server lists at ``/models``."""
        return self._list_models(self._probe_timeout)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    # ---- requests --------------------------------------------------------------------------

    def _body(self, model: str, messages: list[Message], json_schema: dict | None, bounds, stream: bool) -> dict[str, Any]:
        sent = [{"role": m.role, "content": m.content} for m in messages]
        body: dict[str, Any] = {"model": model, "messages": sent, "temperature": self.settings.temperature,
                                self._tokens_field: bounds.max_tokens, "stream": stream, **bounds.rest}
        if json_schema is not None:
            if self._json_mode == "json_schema":
                body["response_format"] = {"type": "json_schema",
                                           "json_schema": {"name": "reply", "schema": json_schema, "strict": False}}
            else:
                # json_object only promises some JSON: the schema goes in the prompt, and the reply is still validated.
                body["response_format"] = {"type": "json_object"}
                _say_schema(sent, json_schema)
        return body

    def _post(self, body: dict, deadline: Deadline, *, stream: bool) -> httpx.Response:
        """POST /chat/completions; retries once when the server refuses a field it does not know."""
        for _attempt in range(3):
            request = self._client.build_request("POST", "/chat/completions", json=body,
                                                 timeout=_timeout(deadline, self._probe_timeout))
            try:
                response = self._client.send(request, stream=stream)
            except httpx.HTTPError as exc:
                raise self._unavailable(exc, deadline) from None
            if response.status_code in (400, 422) and self._learn_from_refusal(response, body):
                response.close()
                continue
            if response.status_code >= 400:
                raise self._refused(response)
            return response
        raise self._refused(response)

    def _learn_from_refusal(self, response: httpx.Response, body: dict) -> bool:
        """Adapt to a server that refuses a JSON schema or ``max_tokens``; True when the request was changed."""
        text = _read_text(response).lower()
        with self._lock:
            if "response_format" in body and body["response_format"]["type"] == "json_schema" and "schema" in text:
                if "response_format" in text or "json_schema" in text:  # the server has no schema support at all
                    log.info("openai server at %s refuses json_schema; using json_object", self.host)
                    self._json_mode = "json_object"
                else:
                    # llama.cpp's "JSON schema error at #/...": this one schema cannot become a grammar. Only this
                    # request falls back; the server keeps constrained decoding for every other schema.
                    log.info("openai server at %s cannot use this JSON schema; json_object for this request", self.host)
                schema = body["response_format"]["json_schema"]["schema"]
                body["response_format"] = {"type": "json_object"}
                _say_schema(body["messages"], schema)
                return True
            if "max_tokens" in body and "max_completion_tokens" in text:
                self._tokens_field = "max_completion_tokens"
                body["max_completion_tokens"] = body.pop("max_tokens")
                return True
        return False

    def _whole(self, model, messages, json_schema, bounds, deadline) -> str:
        response = self._post(self._body(model, messages, json_schema, bounds, stream=False), deadline, stream=False)
        try:
            data = response.json()
            return data["choices"][0]["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise LLMUnavailable(f"The server at {self.host} did not answer like an OpenAI-compatible API "
                                 f"(no choices[0].message in the reply). {_FIX_URL}") from None

    def _streamed(self, model, messages, json_schema, bounds, deadline) -> Iterator[str]:
        response = self._post(self._body(model, messages, json_schema, bounds, stream=True), deadline, stream=True)
        try:
            for line in response.iter_lines():
                if deadline.expired:
                    raise self._too_slow(deadline)
                if not line.startswith("data:"):
                    continue  # blank separators, ": ping" comments, "event:" lines
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return
                try:
                    event = json.loads(payload)
                except ValueError:
                    raise LLMUnavailable(f"The server at {self.host} sent a stream event that is not JSON. {_FIX_URL}") from None
                if isinstance(event, dict) and event.get("error"):
                    raise LLMUnavailable(f"The server at {self.host} stopped mid-answer: {self._detail(event['error'])}.")
                for choice in event.get("choices") or ():
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        yield text
        except httpx.HTTPError as exc:
            raise self._unavailable(exc, deadline) from None
        finally:
            # Closing the response drops the connection, which is how a server learns to stop generating.
            response.close()

    def _rest(self, first: str | None, pieces: Iterator[str]) -> Iterator[str]:
        try:
            if first is not None:
                yield first
                yield from pieces
        except LLMUnavailable as exc:
            self._availability.mark_down(str(exc))
            raise
        finally:
            pieces.close()

    # ---- models and availability -----------------------------------------------------------

    def _probe(self) -> tuple[bool, str]:
        try:
            names = self._list_models(self._probe_timeout)
        except LLMUnavailable as exc:
            return False, str(exc)
        if self._model and self._model not in names:
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            return False, (f"The server at {self.host} does not serve model '{self._model}'. "
                           f"Set AW_OPENAI_MODEL to one it serves{': ' + shown if shown else ''}.")
        if not self._model and not names:
            return False, f"The server at {self.host} lists no model. Load one there or set AW_OPENAI_MODEL."
        return True, f"The server at {self.host} is up and serves model {self._model or names[0]}."

    def _list_models(self, timeout: float) -> list[str]:
        try:
            response = self._client.get("/models", timeout=timeout)
        except httpx.HTTPError as exc:
            raise self._unavailable(exc, Deadline(timeout)) from None
        if response.status_code >= 400:
            raise self._refused(response)
        try:
            return _model_ids(response.json())
        except (ValueError, TypeError, AttributeError):
            raise LLMUnavailable(f"The server at {self.host} did not list models like an OpenAI-compatible API. {_FIX_URL}") from None

    def _default_model(self, deadline: Deadline) -> str:
        """AW_OPENAI_MODEL empty: the first model the server lists, asked once."""
        names = self._list_models(min(self._probe_timeout, max(deadline.remaining(), 0.1)))
        if not names:
            raise LLMUnavailable(f"The server at {self.host} lists no model. Load one there or set AW_OPENAI_MODEL.")
        with self._lock:
            self._model = self._model or names[0]
        return self._model

    # ---- errors ----------------------------------------------------------------------------

    def _unavailable(self, exc: httpx.HTTPError, deadline: Deadline) -> LLMUnavailable:
        if isinstance(exc, httpx.ConnectTimeout):
            return LLMUnavailable(f"Cannot reach the server at {self.host}: connecting timed out. {_FIX_URL}")
        if isinstance(exc, httpx.TimeoutException):
            return self._too_slow(deadline)
        if isinstance(exc, httpx.TransportError):
            return LLMUnavailable(f"Cannot reach the server at {self.host}: {self._detail(str(exc) or type(exc).__name__)}. {_FIX_URL}")
        return LLMUnavailable(f"The server at {self.host} failed: {self._detail(str(exc))}.")

    def _too_slow(self, deadline: Deadline) -> LLMUnavailable:
        return LLMUnavailable(
            f"The model at {self.host} did not finish within {deadline.seconds:g} s (AW_LLM_TIMEOUT). "
            "Raise AW_LLM_TIMEOUT, use a smaller model, or lower the reply caps (AW_LLM_MAX_TOKENS_*).")

    def _refused(self, response: httpx.Response) -> LLMUnavailable:
        status = response.status_code
        detail = self._detail(_error_message(_read_text(response)))
        if status in (401, 403):
            return LLMUnavailable(f"The server at {self.host} refused the API key (HTTP {status}). "
                                  "Set AW_OPENAI_API_KEY to a valid key for this server.")
        if status == 404:
            return LLMUnavailable(f"The server at {self.host} answered HTTP 404 ({detail}): the model is not served "
                                  f"or the URL is wrong. {_FIX_URL}")
        if status == 429:
            return LLMUnavailable(f"The server at {self.host} is rate-limiting or out of quota (HTTP 429): {detail}.")
        return LLMUnavailable(f"The server at {self.host} refused the request (HTTP {status}): {detail}. "
                              "Check the server's log.")

    def _detail(self, value: Any) -> str:
        text = value.get("message", "") if isinstance(value, dict) else str(value)
        return _scrub(" ".join(str(text).split())[:300].rstrip("."), self._key) or "no detail"


def _say_schema(messages: list[dict], schema: dict) -> None:
    """Put the schema in the prompt, in the conversation's system message when it has one.

    Not as a second system message: many chat templates (Llama 2's, Mistral's) allow one system message
    only and refuse the request ("Conversation roles must alternate"), which would fail every JSON call.
    """
    instruction = "Reply with one JSON object that matches this JSON schema: " + json.dumps(schema)
    if messages and messages[0].get("role") == "system":
        messages[0] = {**messages[0], "content": f"{messages[0]['content']}\n\n{instruction}"}
    else:
        messages.insert(0, {"role": "system", "content": instruction})


def _timeout(deadline: Deadline, connect_cap: float) -> httpx.Timeout:
    remaining = max(deadline.remaining(), 0.05)
    return httpx.Timeout(remaining, connect=min(remaining, connect_cap))


def _read_text(response: httpx.Response) -> str:
    try:
        response.read()
        return response.text
    except httpx.HTTPError:
        return ""


def _error_message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error or data)


def _model_ids(data: Any) -> list[str]:
    """``{"data": [{"id": ...}]}`` as OpenAI lists models."""
    return [str(entry["id"]) for entry in data.get("data", []) if isinstance(entry, dict) and entry.get("id")]


def _scrub(text: str, key: str) -> str:
    """The text with the API key, any part of it a server echoed, and anything key-like masked."""
    if key:
        text = text.replace(key, "***")
        for size in (12, 8):  # a server may echo the key's start or end
            if len(key) > size * 2:
                text = text.replace(key[:size], "***").replace(key[-size:], "***")
    return _KEY_LIKE.sub("***", text)
