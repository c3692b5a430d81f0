"""OllamaLLM: generation through an Ollama server's /api/chat, with errors a user can act on."""

from __future__ import annotations

from core.urls import display_host  # noqa: F401  (re-exported: callers import it from here)

import logging
from typing import Any, Generator, Iterator

import httpx
import ollama

from core.errors import ConfigError, InvalidInput, LLMUnavailable
from core.health import PROBE_TIMEOUT, BackendHealth, first_line
from core.llm.base import Message
from core.llm.bounds import AvailabilityCache, Deadline, call_bounds
from core.settings import LLMSettings

log = logging.getLogger(__name__)

# A health check should answer quickly even when generation may legitimately take minutes.
PROBE_TIMEOUT_SECONDS = 10.0


class OllamaLLM:
    """An LLM served by Ollama. Each backend gets only its settings section: ``LLMSettings``."""

    description = "answers are written by a model on an Ollama server"
    settings_section = "llm"
    generates = True
    # The settings the Settings page shows for this provider (the first one first), and the one that picks a model.
    settings_fields = ("AW_OLLAMA_HOST", "AW_OLLAMA_MODEL", "AW_LLM_KEEP_ALIVE")
    model_field = "AW_OLLAMA_MODEL"

    def __init__(self, settings: LLMSettings) -> None:
        if not settings.ollama_host.strip():
            raise ConfigError("AW_OLLAMA_HOST is empty: set it to your Ollama server, e.g. http://127.0.0.1:11434.")
        if not settings.model.strip():
            raise ConfigError("AW_OLLAMA_MODEL is empty: set it to a model the server has, e.g. llama3.1.")
        self.model = settings.model.strip()
        self.name = f"ollama/{self.model}"
        self.host = display_host(settings.ollama_host)
        self.settings = settings
        self._settings = settings
        self._availability = AvailabilityCache(settings.availability_ttl_seconds)
        self._client = ollama.Client(host=settings.ollama_host, timeout=settings.timeout_seconds)
        self._probe_timeout = min(settings.timeout_seconds, PROBE_TIMEOUT_SECONDS)
        self._probe = ollama.Client(host=settings.ollama_host, timeout=self._probe_timeout)

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> "OllamaLLM":
        """Check AW_OLLAMA_HOST and AW_OLLAMA_MODEL; the server is contacted on first use."""
        return cls(settings)

    @classmethod
    def check_health(cls, settings: LLMSettings) -> BackendHealth:
        """Whether the server answers within two seconds and has the model (nothing is loaded)."""
        return ollama_health("llm", settings.ollama_host, settings.model)

    def complete(
        self,
        messages: list[Message],
        *,
        stream: bool = False,
        json_schema: dict | None = None,
        options: dict | None = None,
    ) -> str | Iterator[str]:
        """Chat with the model; with ``stream=True`` return an iterator of text pieces.

        The reply is capped at ``options["max_tokens"]`` tokens (Ollama's ``num_predict``; default
        AW_LLM_MAX_TOKENS_ANSWER). AW_LLM_TIMEOUT (or ``options["timeout_seconds"]``, if lower) bounds
        each wait on the server and, when streaming, the whole answer: a stream still going at the
        deadline stops with ``LLMUnavailable``.

        A streamed call fetches its first piece before returning, so an unreachable server
        or a missing model raises ``LLMUnavailable`` here rather than mid-iteration.
        """
        if not messages:
            raise InvalidInput("There is nothing to send to the model: the conversation is empty.")
        bounds = call_bounds(options, self._settings)
        deadline = Deadline(bounds.timeout)
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "options": {
                "temperature": self._settings.temperature,
                "num_ctx": self._settings.num_ctx,
                "num_predict": bounds.max_tokens,
                **bounds.rest,
            },
        }
        keep_alive = keep_alive_value(self._settings.keep_alive)
        if keep_alive is not None:
            request["keep_alive"] = keep_alive
        if json_schema is not None:
            request["format"] = json_schema
        log.debug(
            "ollama chat: model=%s messages=%d stream=%s json=%s", self.model, len(messages), stream, json_schema is not None
        )
        client = self._client_for(bounds.timeout)
        if not stream:
            try:
                response = client.chat(**request, stream=False)
            except Exception as exc:  # narrowed and re-raised by _unavailable
                raise self._down(self._unavailable(exc, bounds.timeout)) from exc
            finally:
                if client is not self._client:
                    client.close()
            return response.message.content or ""
        try:
            chunks = client.chat(**request, stream=True)
            first = next(chunks, None)
        except Exception as exc:
            if client is not self._client:
                client.close()
            raise self._down(self._unavailable(exc, bounds.timeout)) from exc
        return self._pieces(first, chunks, deadline, client)

    def _client_for(self, timeout: float) -> ollama.Client:
        """The client for a call that may wait ``timeout`` s: the shared one, or its own for a call that asked for less.

        The ollama client takes its timeout only when built, and a whole (not streamed) reply sends nothing until
        it is done, so without its own client a call's lower limit would wait out AW_LLM_TIMEOUT instead.
        """
        if timeout >= self._settings.timeout_seconds:
            return self._client
        return ollama.Client(host=self._settings.ollama_host, timeout=timeout)

    def _pieces(self, first: Any, chunks: Generator[Any, None, None], deadline: Deadline,
                client: ollama.Client) -> Iterator[str]:
        try:
            chunk = first
            while chunk is not None:
                if deadline.expired:
                    raise LLMUnavailable(
                        f"Ollama at {self.host} did not finish answering within {deadline.seconds:g} s (model {self.model}). "
                        "Raise AW_LLM_TIMEOUT, use a smaller model, or lower the reply caps (AW_LLM_MAX_TOKENS_*).")
                if chunk.message.content:
                    yield chunk.message.content
                chunk = next(chunks, None)
        except LLMUnavailable:
            raise
        except Exception as exc:
            raise self._down(self._unavailable(exc, deadline.seconds)) from exc
        finally:
            # A reader that stops early must not leave the HTTP response open: closing it stops Ollama generating.
            chunks.close()
            if client is not self._client:
                client.close()

    def available(self) -> tuple[bool, str]:
        """Whether the server answers /api/tags and has the model; remembered for AW_LLM_AVAILABILITY_TTL s."""
        return self._availability.get(self._probe_tags)

    def _down(self, exc: LLMUnavailable) -> LLMUnavailable:
        self._availability.mark_down(str(exc))
        return exc

    def _probe_tags(self) -> tuple[bool, str]:
        try:
            names = self._list_models()
        except LLMUnavailable as exc:
            return False, str(exc)
        if any(same_model(self.model, name) for name in names):
            return True, f"Ollama at {self.host} is up and has model {self.model}."
        return False, model_missing_message(self.host, self.model, names)

    def models(self) -> list[str]:
        """Names of the models pulled on the server, as /api/tags reports them."""
        return self._list_models()

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()
        self._probe.close()

    def _list_models(self) -> list[str]:
        try:
            listing = self._probe.list()
        except Exception as exc:
            raise self._unavailable(exc, self._probe_timeout) from exc
        return [entry.model for entry in listing.models if entry.model]

    def _unavailable(self, exc: Exception, timeout: float | None = None) -> LLMUnavailable:
        timeout = self._settings.timeout_seconds if timeout is None else timeout
        return translate_ollama_error(exc, host=self.host, model=self.model, timeout=timeout)


def ollama_health(backend: str, host_url: str, model: str) -> BackendHealth:
    """Health of ``model`` on the Ollama server at ``host_url``: /api/tags within ``PROBE_TIMEOUT``.

    Shared by the LLM and the embedder on Ollama; the URL is shown without any credentials it carries.
    """
    url = host_url.rstrip("/")
    host = display_host(url)
    try:
        response = httpx.get(f"{url}/api/tags", timeout=PROBE_TIMEOUT)
        response.raise_for_status()
        names = [entry.get("name", "") for entry in response.json().get("models", [])]
    except Exception as exc:  # any transport or protocol error means "not reachable"; the reason is shown
        return BackendHealth(backend, "ollama", "server", False, f"{host}: {first_line(exc)}",
                             "Start Ollama (`ollama serve`) or fix AW_OLLAMA_HOST.")
    if not any(same_model(model, name) for name in names):
        return BackendHealth(backend, "ollama", "server", False, f"{host}: model {model} is not pulled",
                             f"Run `ollama pull {model}` on the Ollama server.")
    return BackendHealth(backend, "ollama", "server", True, f"{host}: {model}")


def translate_ollama_error(exc: Exception, *, host: str, model: str, timeout: float) -> LLMUnavailable:
    """Turn what the ollama client or httpx raised into an ``LLMUnavailable`` a user can act on.

    Anything that is not a transport or server problem is a bug and is re-raised as is.
    """
    fix_host = "Start it with `ollama serve` or fix AW_OLLAMA_HOST."
    if isinstance(exc, ollama.ResponseError):
        if is_model_missing(exc, model):
            return LLMUnavailable(model_missing_message(host, model, None))
        status = f"HTTP {exc.status_code}" if exc.status_code > 0 else "mid-answer"
        detail = " ".join(str(exc.error).split())[:300].rstrip(".")
        return LLMUnavailable(
            f"Ollama at {host} refused the request ({status}): {detail}. "
            "Check the server's log; if AW_OLLAMA_HOST points at something else, fix it."
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return LLMUnavailable(f"Cannot reach Ollama at {host}: connecting timed out after {timeout:g} s. {fix_host}")
    if isinstance(exc, httpx.TimeoutException):
        return LLMUnavailable(
            f"Ollama at {host} timed out after {timeout:g} s without answering (model {model}). "
            "Raise AW_LLM_TIMEOUT, use a smaller model, or check the server is not overloaded."
        )
    if isinstance(exc, (httpx.TransportError, ConnectionError)):
        return LLMUnavailable(f"Cannot reach Ollama at {host}: {_reason(exc)}. {fix_host}")
    if isinstance(exc, ValueError):
        # A 200 answer that is not the Ollama API (bad JSON, or JSON of another shape).
        return LLMUnavailable(
            f"The server at {host} did not answer like Ollama ({type(exc).__name__}). "
            "Check AW_OLLAMA_HOST points at an Ollama server."
        )
    raise exc


def is_model_missing(exc: ollama.ResponseError, model: str) -> bool:
    """Ollama answers 404 "model 'x' not found, try pulling it first" for a model it lacks."""
    text = str(exc.error).lower()
    return exc.status_code == 404 and "not found" in text and ("model" in text or model.lower() in text)


def model_missing_message(host: str, model: str, available: list[str] | None) -> str:
    """The message for a model the server has not pulled, optionally listing what it has."""
    message = f"Ollama at {host} does not have model '{model}'. Pull it with `ollama pull {model}`"
    if available:
        shown = ", ".join(available[:10]) + (", ..." if len(available) > 10 else "")
        return f"{message} or set AW_OLLAMA_MODEL to one it has: {shown}."
    if available is not None:
        return f"{message}; the server has no models yet."
    return f"{message} or set AW_OLLAMA_MODEL to a model it has."


def same_model(wanted: str, listed: str) -> bool:
    """Whether two model names are the same, treating a missing tag as ``:latest``."""
    return _with_tag(wanted) == _with_tag(listed)


def _with_tag(name: str) -> str:
    last = name.strip().rsplit("/", 1)[-1]
    return name.strip() if ":" in last else f"{name.strip()}:latest"


def keep_alive_value(raw: str) -> str | float | None:
    """Ollama takes a duration ("5m") or a number of seconds (-1 keeps the model loaded).

    Empty means "the server's default" and is left out of the request.
    """
    if not raw.strip():
        return None
    try:
        return float(raw) if "." in raw else int(raw)
    except ValueError:
        return raw.strip()


def _reason(exc: Exception) -> str:
    if type(exc) is ConnectionError:
        # The client replaces httpx's error with a generic sentence ("from None" keeps it as context).
        cause = exc.__context__
        if cause is not None and str(cause).strip():
            return str(cause).strip()
        return "could not connect (nothing is listening there, or the host name does not resolve)"
    return str(exc).strip() or type(exc).__name__
