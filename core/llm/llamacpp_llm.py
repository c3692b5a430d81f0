"""LlamaCppLLM: generation inside the workbench's process from a GGUF file, with ``xllamacpp``.

``xllamacpp`` is llama.cpp as a prebuilt wheel: no compiler and no server to run, so a laptop
gets written answers from a local model file (AW_LLAMACPP_MODEL). The model is loaded on first
use, not at construction, and once per provider.

Every call runs as a stream on a worker thread: llama.cpp hands each piece to a callback, and
the callback's answer is how generation is stopped. It says stop when the reader closed the
iterator, when the call's deadline passed, or when the provider is closed, so a user who leaves
mid-answer, or a model that rambles, frees the CPU at the next token. JSON replies use
llama.cpp's constrained decoding with the JSON schema (LLGuidance in xllamacpp's wheels).

xllamacpp's engine also opens an HTTP port on 127.0.0.1; it is given a random API key that is
never shown, so nothing else on the machine can use the model through it.

xllamacpp's library must load before any LadybugDB database is opened in the process, or loading
it aborts the process (see ``LOAD_FIRST`` in core/registry.py, which sees to it).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import queue
import secrets
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from core.errors import ConfigError, InvalidInput, LLMReplyError, LLMUnavailable
from core.health import BackendHealth
from core.llm.base import Message
from core.llm.bounds import AvailabilityCache, Deadline, call_bounds
from core.settings import LLMSettings

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
_DONE = object()


@dataclass(frozen=True)
class ReplyStats:
    """How the last call went: pieces generated, seconds to the first one and in all, and why it ended."""

    tokens: int
    first_token_seconds: float | None
    seconds: float
    ended: str  # "stop" | "length" | "closed" (the reader stopped early) | "timeout" | "error"

    @property
    def tokens_per_second(self) -> float:
        generating = self.seconds - (self.first_token_seconds or 0.0)
        return self.tokens / generating if generating > 0 and self.tokens > 1 else 0.0


def default_threads() -> int:
    """Half the machine's cores, at least one: generation is memory-bound, and the app needs a core too."""
    return max(1, (os.cpu_count() or 2) // 2)


class LlamaCppLLM:
    """An LLM run in-process by llama.cpp from a GGUF file. Reads only its settings section: ``LLMSettings``."""

    description = "answers are written by a GGUF model file that llama.cpp runs inside the workbench (no server)"
    settings_section = "llm"
    generates = True
    settings_fields = ("AW_LLAMACPP_MODEL", "AW_LLAMACPP_THREADS")  # shown by the Settings page
    model_field = ""  # the model is the file

    def __init__(self, settings: LLMSettings) -> None:
        raw = settings.llamacpp_model.strip()
        if not raw:
            raise ConfigError("AW_LLAMACPP_MODEL is empty: set it to the path of a GGUF model file.")
        self.settings = settings
        self.path = Path(raw).expanduser()
        problem = _file_problem(self.path)
        if problem:
            raise ConfigError(problem)
        self.threads = settings.llamacpp_threads or default_threads()
        self.name = f"llamacpp/{self.path.stem}"
        self._engine: Any = None
        self._load_lock = threading.Lock()
        self._load_error = ""
        self._availability = AvailabilityCache(settings.availability_ttl_seconds)
        self._closed = threading.Event()
        self._api_key = secrets.token_urlsafe(32)  # see the module docstring: the port is not for others
        self.last_reply: ReplyStats | None = None

    def __repr__(self) -> str:
        return f"LlamaCppLLM(path={str(self.path)!r}, threads={self.threads}, loaded={self._engine is not None})"

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> "LlamaCppLLM":
        """Check AW_LLAMACPP_MODEL names a GGUF file; the model is loaded on first use."""
        return cls(settings)

    @classmethod
    def check_health(cls, settings: LLMSettings) -> BackendHealth:
        """Whether xllamacpp is installed and AW_LLAMACPP_MODEL is a readable GGUF file (nothing is loaded)."""
        raw = settings.llamacpp_model.strip()
        if importlib.util.find_spec("xllamacpp") is None:
            return BackendHealth("llm", "llamacpp", "embedded", False, "Python package xllamacpp is not installed",
                                 "Run `make run` (it installs requirements.txt).")
        if not raw:
            return BackendHealth("llm", "llamacpp", "embedded", False, "AW_LLAMACPP_MODEL is empty",
                                 "Set AW_LLAMACPP_MODEL to the path of a GGUF model file.")
        path = Path(raw).expanduser()
        problem = _file_problem(path)
        if problem:
            return BackendHealth("llm", "llamacpp", "embedded", False, problem,
                                 "Point AW_LLAMACPP_MODEL at a .gguf file (download one from the model's publisher).")
        threads = settings.llamacpp_threads or default_threads()
        return BackendHealth("llm", "llamacpp", "embedded", True,
                             f"{path} ({path.stat().st_size / 1e6:.0f} MB, {threads} thread{'s' if threads > 1 else ''})")

    # ---- the LLM protocol ------------------------------------------------------------------

    def complete(self, messages: list[Message], *, stream: bool = False, json_schema: dict | None = None,
                 options: dict | None = None) -> str | Iterator[str]:
        """Generate a reply; with ``stream=True`` an iterator of text pieces.

        Capped at ``options["max_tokens"]`` (default AW_LLM_MAX_TOKENS_ANSWER); the whole call at
        AW_LLM_TIMEOUT (or ``options["timeout_seconds"]``), after which ``LLMUnavailable`` is raised.
        A schema llama.cpp cannot turn into a grammar raises ``LLMReplyError``.
        """
        if not messages:
            raise InvalidInput("There is nothing to send to the model: the conversation is empty.")
        bounds = call_bounds(options, self.settings)
        deadline = Deadline(bounds.timeout)
        engine = self._loaded()
        request: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": bounds.max_tokens,
            "temperature": self.settings.temperature,
            **bounds.rest,
            "stream": True,  # always: the stream's callback is the only way to stop llama.cpp early
        }
        if json_schema is not None:
            request["json_schema"] = json_schema
        pieces = self._generate(engine, request, deadline)
        if not stream:
            try:
                return "".join(pieces)
            finally:
                pieces.close()
        try:
            first = next(pieces, None)  # a refused request (prompt too long, bad schema) raises here, not mid-answer
        except BaseException:
            pieces.close()
            raise
        return _Stream(first, pieces)

    def available(self) -> tuple[bool, str]:
        """Whether the model file loads (loading it on the first ask); remembered for AW_LLM_AVAILABILITY_TTL s."""
        return self._availability.get(self._probe)

    def models(self) -> list[str]:
        """The one model this provider runs: its file name (nothing is loaded to answer)."""
        return [self.path.name]

    def count_tokens(self, text: str) -> int:
        """How many tokens the model's own tokenizer makes of ``text`` (no special tokens), loading the model if needed.

        xllamacpp's Python API has no tokenize call, but its engine serves llama.cpp's ``/tokenize`` on
        127.0.0.1 behind this provider's key: a few milliseconds, no generation. Raises ``LLMUnavailable``.
        """
        engine = self._loaded()
        request = urllib.request.Request(
            str(engine.listening_address).rstrip("/") + "/tokenize", data=json.dumps({"content": text}).encode(),
            headers={"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"})
        try:
            # No proxy: the engine is on 127.0.0.1, and a proxy from the environment would see the key.
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as reply:
                return len(json.load(reply)["tokens"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LLMUnavailable(f"llama.cpp could not count tokens with {self.path.name}: {type(exc).__name__}") from None

    def close(self) -> None:
        """Stop any generation in progress and free the model."""
        self._closed.set()
        with self._load_lock:
            self._engine = None

    # ---- loading ---------------------------------------------------------------------------

    def _probe(self) -> tuple[bool, str]:
        try:
            self._loaded()
        except LLMUnavailable as exc:
            return False, str(exc)
        return True, f"The local model {self.path.name} is loaded ({self.threads} thread{'s' if self.threads > 1 else ''})."

    def _loaded(self) -> Any:
        if self._closed.is_set():
            raise LLMUnavailable(f"The local model {self.path.name} was closed; restart the workbench to use it again.")
        with self._load_lock:
            if self._engine is not None:
                return self._engine
            if self._load_error:
                raise LLMUnavailable(self._load_error)
            try:
                import xllamacpp
            except ImportError:
                raise LLMUnavailable("The Python package xllamacpp is not installed: run `make run` "
                                     "(it installs requirements.txt).") from None
            params = xllamacpp.CommonParams()
            params.model.path = str(self.path)
            params.n_ctx = self.settings.num_ctx
            params.n_parallel = 1  # one sequence gets the whole context; requests queue
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            params.sampling.temp = self.settings.temperature
            params.verbosity = -1  # llama.cpp's own log goes to stderr; ours says what matters
            params.api_keys = [self._api_key]
            started = time.monotonic()
            try:
                self._engine = xllamacpp.Server(params)
            except Exception as exc:  # llama.cpp reports a bad file, too little memory... as a RuntimeError
                self._load_error = (f"llama.cpp could not load {self.path} ({' '.join(str(exc).split())[:200] or type(exc).__name__}). "
                                    "Check AW_LLAMACPP_MODEL is a complete GGUF file and there is enough memory.")
                raise LLMUnavailable(self._load_error) from None
            log.info("llamacpp: loaded %s in %.1f s (%d threads)", self.path.name, time.monotonic() - started, self.threads)
            return self._engine

    # ---- generation ------------------------------------------------------------------------

    def _generate(self, engine: Any, request: dict, deadline: Deadline) -> Iterator[str]:
        out: queue.Queue = queue.Queue()
        stop = threading.Event()
        started = time.monotonic()
        state = {"tokens": 0, "first": None, "ended": "stop"}

        def on_chunk(chunk: Any) -> bool:
            # Runs on llama.cpp's side for every piece; returning True stops generation. It must never raise:
            # xllamacpp swallows exceptions from the callback.
            try:
                if stop.is_set() or self._closed.is_set():
                    return True
                if deadline.expired:
                    state["ended"] = "timeout"
                    return True
                if isinstance(chunk, dict) and chunk.get("error"):
                    out.put(_engine_error(chunk["error"], self.path.name))
                    return True
                for choice in (chunk.get("choices") or ()) if isinstance(chunk, dict) else ():
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        state["tokens"] += 1
                        if state["first"] is None:
                            state["first"] = time.monotonic() - started
                        out.put(text)
                    if choice.get("finish_reason"):
                        state["ended"] = choice["finish_reason"]
                return False
            except Exception:  # pragma: no cover - defensive: a bad chunk must not hang the reader
                log.exception("llamacpp: unreadable stream chunk")
                return True

        def work() -> None:
            try:
                engine.handle_chat_completions(request, on_chunk)
            except ValueError as exc:  # the schema cannot become a grammar, or the template cannot render
                out.put(LLMReplyError(f"llama.cpp cannot constrain a reply to this request: {' '.join(str(exc).split())[:300]}"))
            except Exception as exc:
                out.put(LLMUnavailable(f"llama.cpp failed while generating with {self.path.name}: {str(exc)[:300]}"))
            finally:
                out.put(_DONE)

        worker = threading.Thread(target=work, name="llamacpp-generate", daemon=True)
        worker.start()
        return _Generation(self._pieces(out, stop, worker, deadline, state, started), stop)

    def _pieces(self, out: queue.Queue, stop: threading.Event, worker: threading.Thread, deadline: Deadline,
                state: dict, started: float) -> Iterator[str]:
        try:
            while True:
                try:
                    item = out.get(timeout=max(deadline.remaining(), 0.01))
                except queue.Empty:
                    state["ended"] = "timeout"
                    raise self._too_slow(deadline) from None
                if item is _DONE:
                    break
                if isinstance(item, Exception):
                    state["ended"] = "error"
                    raise item
                yield item
            if state["ended"] == "timeout":
                raise self._too_slow(deadline)
        except GeneratorExit:
            state["ended"] = "closed"
            raise
        finally:
            stop.set()  # the next callback tells llama.cpp to stop
            if state["ended"] == "closed":
                worker.join(timeout=2.0)  # so the next call does not queue behind an abandoned one
            self.last_reply = ReplyStats(state["tokens"], state["first"], time.monotonic() - started, state["ended"])

    def _too_slow(self, deadline: Deadline) -> LLMUnavailable:
        # Not marked unavailable: the model works, this call asked too much of it.
        return LLMUnavailable(
            f"The local model {self.path.name} did not finish within {deadline.seconds:g} s (AW_LLM_TIMEOUT). "
            "Raise AW_LLM_TIMEOUT, use a smaller model or more threads (AW_LLAMACPP_THREADS), "
            "or lower the reply caps (AW_LLM_MAX_TOKENS_*).")


class _Generation:
    """The generator of one call plus its stop flag: closing it stops llama.cpp even if it was never read."""

    def __init__(self, pieces: Iterator[str], stop: threading.Event) -> None:
        self._pieces = pieces
        self._stop = stop

    def __iter__(self) -> "_Generation":
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        self._stop.set()
        self._pieces.close()


class _Stream:
    """What a streamed call returns: the first piece (already read), then the rest; ``close()`` stops generation."""

    def __init__(self, first: str | None, rest: _Generation) -> None:
        self._first = first
        self._rest = rest

    def __iter__(self) -> "_Stream":
        return self

    def __next__(self) -> str:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return next(self._rest)

    def close(self) -> None:
        self._first = None
        self._rest.close()

    def __del__(self) -> None:  # a reader that drops the iterator without closing it still frees the CPU
        self._rest.close()


def _engine_error(error: Any, model: str) -> LLMUnavailable:
    message = error.get("message", "") if isinstance(error, dict) else str(error)
    if isinstance(error, dict) and error.get("type") == "exceed_context_size_error":
        return LLMUnavailable(f"The prompt ({error.get('n_prompt_tokens')} tokens) does not fit the local model's "
                              f"context of {error.get('n_ctx')} tokens: raise AW_LLM_NUM_CTX or ask about less.")
    return LLMUnavailable(f"llama.cpp refused the request to {model}: {' '.join(str(message).split())[:300]}")


def _file_problem(path: Path) -> str:
    """Why ``path`` is not a usable GGUF file, or "" when it is."""
    if not path.is_file():
        return f"AW_LLAMACPP_MODEL points at {path}, which is not a file."
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        return f"AW_LLAMACPP_MODEL {path} cannot be read: {exc.strerror}."
    if magic != GGUF_MAGIC:
        return f"AW_LLAMACPP_MODEL {path} is not a GGUF model file (it does not start with 'GGUF')."
    return ""
