"""The LLM protocol every provider implements, the Message type, and JSON reply validation."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator, Protocol, runtime_checkable

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

from core.errors import InvalidInput, LLMReplyError

ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class Message:
    """One chat message: ``role`` is system, user, assistant or tool."""

    role: str
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInput(f"Message role must be one of {', '.join(ROLES)}; got {self.role!r}.")

    @classmethod
    def system(cls, content: str) -> "Message":
        return cls("system", content)

    @classmethod
    def user(cls, content: str) -> "Message":
        return cls("user", content)

    @classmethod
    def assistant(cls, content: str) -> "Message":
        return cls("assistant", content)


@runtime_checkable
class LLM(Protocol):
    """A generative model. ``name`` says which provider and model, for display and logs."""

    name: str

    def complete(
        self,
        messages: list[Message],
        *,
        stream: bool = False,
        json_schema: dict | None = None,
        options: dict | None = None,
    ) -> str | Iterator[str]:
        """Answer the conversation: the whole reply, or with ``stream=True`` an iterator of text pieces.

        ``json_schema`` asks the model for JSON matching that schema (check the reply with
        ``parse_json_reply``); ``options`` (e.g. ``temperature``) override the provider's defaults.
        Raises ``LLMUnavailable`` when no answer can be had.
        """
        ...

    def available(self) -> tuple[bool, str]:
        """Whether ``complete`` can work right now, and a sentence saying why (not)."""
        ...

    def models(self) -> list[str]:
        """Names of the models the provider offers."""
        ...


# Models asked for JSON without constrained decoding often wrap it in a Markdown fence.
_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(?P<body>.*?)\n?\s*```\s*$", re.DOTALL | re.IGNORECASE)


def parse_json_reply(text: str, schema: dict) -> dict:
    """Parse a model's JSON reply and check it against ``schema``; return the object.

    Raises ``LLMReplyError`` saying what is wrong when the reply is not JSON, not an
    object, or does not match the schema. A malformed ``schema`` is a programming error
    and raises ``jsonschema.SchemaError``.
    """
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    fenced = _FENCE.match(text)
    body = fenced.group("body") if fenced else text
    try:
        value: Any = json.loads(body)
    except json.JSONDecodeError as exc:
        raise LLMReplyError(
            f"The model's reply is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}). "
            f"It began: {_preview(text)}"
        ) from None
    error = best_match(validator_class(schema).iter_errors(value))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "the top level"
        raise LLMReplyError(
            f"The model's reply does not have the expected shape: at {where}, {error.message}."
        )
    if not isinstance(value, dict):
        raise LLMReplyError(
            f"The model's reply should be a JSON object but is a {type(value).__name__}: {_preview(text)}"
        )
    return value


def _preview(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[:limit] + "...")
