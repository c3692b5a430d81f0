"""The LLM layer: the ``LLM`` protocol every provider implements, and the ``Message`` type.

Providers are registered in ``core/registry.py`` and built with
``core.registry.build_chosen("llm", settings)``; importing this package imports none of them,
so evidence mode never imports the ollama client.
"""

from __future__ import annotations

from core.llm.base import LLM, Message, parse_json_reply

__all__ = ["LLM", "Message", "parse_json_reply"]
