"""The LLM layer: the ``LLM`` protocol, its providers, and ``build_llm`` to pick one by name.

Providers are imported lazily so that evidence mode never imports the ollama client.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from core.llm.base import LLM, Message, parse_json_reply
from core.settings import LLMSettings

if TYPE_CHECKING:
    from core.llm.no_llm import NoLLM
    from core.llm.ollama_llm import OllamaLLM

__all__ = ["LLM", "Message", "parse_json_reply", "build_llm", "NoLLM", "OllamaLLM"]

def build_llm(settings: LLMSettings) -> LLM:
    """The provider ``settings.provider`` names (see core.registry). It does not contact any server."""
    from core.registry import build_backend

    return build_backend("llm", settings.provider, settings)


def __getattr__(name: str):
    # Lazy access to the provider classes, e.g. ``from core.llm import OllamaLLM``.
    if name == "NoLLM":
        return import_module("core.llm.no_llm").NoLLM
    if name == "OllamaLLM":
        return import_module("core.llm.ollama_llm").OllamaLLM
    raise AttributeError(f"module 'core.llm' has no attribute {name!r}")
