"""NoLLM: the evidence-mode provider used when no LLM is configured. It never generates."""

from __future__ import annotations

from typing import Iterator

from core.errors import LLMUnavailable
from core.health import BackendHealth
from core.llm.base import Message
from core.settings import LLMSettings

TURN_ON = ("set AW_OLLAMA_HOST (and AW_OLLAMA_MODEL) to an Ollama server, AW_OPENAI_BASE_URL to an "
           "OpenAI-compatible server, or AW_LLAMACPP_MODEL to a local GGUF model file")
GENERATION_OFF = f"Generation is off: no LLM is configured. To turn it on, {TURN_ON}."


class NoLLM:
    """Stands in for an LLM so callers can ask ``available()`` and fall back to evidence mode."""

    name = "none"
    description = "answers show the retrieved evidence"
    settings_section = "llm"
    generates = False
    settings_fields: tuple[str, ...] = ()
    model_field = ""

    def __init__(self, settings: LLMSettings | None = None) -> None:
        # Accepts the settings section like every provider; there is nothing in it to use.
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> "NoLLM":
        return cls(settings)

    @classmethod
    def check_health(cls, settings: LLMSettings) -> BackendHealth:
        """Always ready: evidence mode needs no server."""
        return BackendHealth(
            "llm", "none", "off", True, "Generation is off: answers show the retrieved evidence.",
            f"To generate answers, {TURN_ON}.",
        )

    def complete(
        self,
        messages: list[Message],
        *,
        stream: bool = False,
        json_schema: dict | None = None,
        options: dict | None = None,
    ) -> str | Iterator[str]:
        """Always raises ``LLMUnavailable``: there is nothing to generate with."""
        raise LLMUnavailable(GENERATION_OFF)

    def available(self) -> tuple[bool, str]:
        """Always ``(False, <how to turn generation on>)``."""
        return False, GENERATION_OFF

    def models(self) -> list[str]:
        """No models."""
        return []
