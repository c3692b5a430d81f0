"""The internal message every channel is normalised into, and the reply that goes back out.

A channel payload becomes either an ``InboundMessage`` (text the assistant can answer) or an
``UnsupportedMessage`` (a sticker, an image, an empty email...), which the bridge answers with a
clear notice instead of crashing. ``conversation_id`` maps a sender to a stable id that does not
reveal the phone number or address it came from.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Union

from core.errors import InvalidInput
from core.records import Answer, Source

CHANNELS = ("whatsapp", "telegram", "email", "voice", "web")


def _as_utc(timestamp: datetime) -> datetime:
    if not isinstance(timestamp, datetime) or timestamp.tzinfo is None:
        raise InvalidInput("A message timestamp must be a timezone-aware datetime.")
    return timestamp.astimezone(timezone.utc)


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise InvalidInput(f"Unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}.")


@dataclass(frozen=True)
class InboundMessage:
    """A text message from a person on one channel, in the one shape the bridges share.

    ``metadata`` holds what a channel needs to reply (chat id, message id, subject...).
    """

    content: str
    sender_id: str
    channel: str
    timestamp: datetime
    metadata: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        _check_channel(self.channel)
        if not self.sender_id:
            raise InvalidInput(f"A {self.channel} message has no sender id.")
        if not self.content.strip():
            raise InvalidInput(f"A {self.channel} message has no text.")
        # Frozen: normalising the timezone has to go through object.__setattr__.
        object.__setattr__(self, "timestamp", _as_utc(self.timestamp))


@dataclass(frozen=True)
class UnsupportedMessage:
    """A message the bridges cannot answer (an image, a sticker, an auto-reply...).

    ``kind`` names what arrived; ``notify_sender`` is False when answering would do harm, for
    example replying to an out-of-office email would start a mail loop.
    """

    channel: str
    sender_id: str
    kind: str
    timestamp: datetime
    metadata: dict[str, Any] = field(default_factory=dict, hash=False)
    notify_sender: bool = True

    def __post_init__(self) -> None:
        _check_channel(self.channel)
        object.__setattr__(self, "timestamp", _as_utc(self.timestamp))

    @property
    def reason(self) -> str:
        """A short machine-readable explanation, for logs and HTTP responses."""
        return f"unsupported message type: {self.kind}"

    @property
    def user_notice(self) -> str:
        """What to tell the sender, in words a person understands."""
        return (
            f"Sorry, I can only read text messages, so I could not read this {self.kind.replace('_', ' ')}. "
            "Please send your question as text."
        )


Normalized = Union[InboundMessage, UnsupportedMessage]


@dataclass(frozen=True)
class Reply:
    """The assistant's answer as the bridges receive it: Markdown text citing [n] sources."""

    text: str
    sources: tuple[Source, ...] = ()
    notice: str = ""

    @classmethod
    def from_answer(cls, answer: Answer) -> "Reply":
        """The reply for a core ``Answer`` (what the assistant returns in-process)."""
        return cls(text=answer.text, sources=tuple(answer.sources), notice=answer.notice)


def conversation_id(channel: str, sender_id: str, key: str = "") -> str:
    """A stable, channel-prefixed conversation id for a sender that does not expose who it is.

    The sender is hashed with HMAC-SHA256 under ``key`` because phone numbers are so few that a
    plain hash could be reversed by trying them all; set a secret key in production.
    """
    _check_channel(channel)
    if not sender_id:
        raise InvalidInput("Cannot map a message without a sender id to a conversation.")
    digest = hmac.new(key.encode("utf-8"), f"{channel}\x00{sender_id}".encode("utf-8"), hashlib.sha256)
    return f"{channel}-{digest.hexdigest()[:32]}"
