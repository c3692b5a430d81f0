"""One normaliser per channel: a channel's payload in, ``InboundMessage``/``UnsupportedMessage`` out.

Payloads that are not what the channel documents raise ``InvalidInput`` (the webhook answers
400); well-formed messages the bridges cannot read (images, stickers, auto-replies) become an
``UnsupportedMessage`` so the sender gets a clear notice.

Shapes accepted:
- WhatsApp Cloud API webhook: ``{"object": "whatsapp_business_account", "entry": [{"changes":
  [{"field": "messages", "value": {"metadata", "contacts", "messages" | "statuses"}}]}]}``.
- Telegram Bot API ``Update`` with ``message`` or ``edited_message``.
- Email: the raw MIME bytes of one message.
- Voice: ``{"call_id", "caller_id", "transcript", "timestamp"?}`` (timestamp ISO 8601 or epoch seconds).
- Web widget: ``{"session_id", "text", "display_name"?, "message_id"?}``.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, timezone
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any, Mapping

from bs4 import BeautifulSoup

from connectors.channels.message import InboundMessage, Normalized, UnsupportedMessage
from core.errors import InvalidInput

_TELEGRAM_MEDIA = ("photo", "sticker", "voice", "audio", "video", "video_note", "animation",
                   "document", "location", "venue", "contact", "poll", "dice")
_SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _epoch(value: Any, what: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        raise InvalidInput(f"{what} has an invalid timestamp {value!r}; expected Unix seconds.") from None


def _require(mapping: Any, key: str, what: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping:
        raise InvalidInput(f"{what} is missing the field {key!r}.")
    return mapping[key]


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be a JSON object.")
    return value


def _array(value: Any, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{what} must be a JSON array.")
    return value


def _identifier(value: Any, what: str) -> str:
    # Platforms send ids as numbers or strings; booleans and objects are never ids.
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise InvalidInput(f"{what} is missing or is not an id.")
    return str(value)


def _string(value: Any) -> str:
    """An optional descriptive field (a name, a type): itself when it is text, otherwise empty."""
    return value if isinstance(value, str) else ""


# --- WhatsApp -------------------------------------------------------------------------------

def normalize_whatsapp(payload: Mapping[str, Any]) -> list[Normalized]:
    """Every message in a WhatsApp Cloud API webhook; delivery/read status updates are skipped."""
    if not isinstance(payload, Mapping) or payload.get("object") != "whatsapp_business_account":
        raise InvalidInput("This is not a WhatsApp Business webhook (object must be 'whatsapp_business_account').")
    results: list[Normalized] = []
    for entry in _array(_require(payload, "entry", "The WhatsApp webhook"), "The WhatsApp webhook's entry"):
        changes = _require(_object(entry, "A WhatsApp webhook entry"), "changes", "A WhatsApp webhook entry")
        for change in _array(changes, "A WhatsApp entry's changes"):
            if _object(change, "A WhatsApp change").get("field") != "messages":
                continue  # account, template and quality updates: nothing to answer
            value = _object(change.get("value"), "A WhatsApp change's value")
            names = {}
            for contact in _array(value.get("contacts"), "A WhatsApp change's contacts"):
                profile = _object(contact, "A WhatsApp contact").get("profile")
                names[str(contact.get("wa_id"))] = _string(profile.get("name")) if isinstance(profile, Mapping) else ""
            metadata = value.get("metadata")
            phone_number_id = str(metadata.get("phone_number_id") or "") if isinstance(metadata, Mapping) else ""
            for message in _array(value.get("messages"), "A WhatsApp change's messages"):
                results.append(_whatsapp_message(_object(message, "A WhatsApp message"), names, phone_number_id))
    return results


def _whatsapp_message(message: Mapping[str, Any], names: dict, phone_number_id: str) -> Normalized:
    sender = _identifier(message.get("from"), "A WhatsApp message's 'from'")
    metadata = {
        "message_id": _string(message.get("id")),
        "display_name": names.get(sender, ""),
        "phone_number_id": phone_number_id,
    }
    timestamp = _epoch(_require(message, "timestamp", "A WhatsApp message"), "A WhatsApp message")
    kind = _string(message.get("type")) or "unknown"
    text = message.get("text")
    body = _string(text.get("body")) if kind == "text" and isinstance(text, Mapping) else ""
    if kind != "text" or not body.strip():
        return UnsupportedMessage("whatsapp", sender, kind if kind != "text" else "empty message", timestamp, metadata)
    return InboundMessage(body, sender, "whatsapp", timestamp, metadata)


# --- Telegram -------------------------------------------------------------------------------

def normalize_telegram(update: Mapping[str, Any]) -> list[Normalized]:
    """The message (or edited message) of a Telegram ``Update``; other update kinds give []."""
    if not isinstance(update, Mapping) or "update_id" not in update:
        raise InvalidInput("This is not a Telegram Update (no update_id).")
    key = next((k for k in ("message", "edited_message") if k in update), None)
    if key is None:
        return []  # chat-member changes, callback queries, polls...: nothing to answer
    message = _object(update[key], f"A Telegram {key}")
    chat = _object(message.get("chat"), "A Telegram message's chat")
    sender = _object(message.get("from", chat), "A Telegram message's sender")
    names = (sender.get("first_name"), sender.get("last_name"))
    chat_id = chat.get("id")
    _identifier(chat_id, "A Telegram chat's id")  # kept as sent (a number): sendMessage wants it back
    metadata = {
        "update_id": update["update_id"],
        "message_id": message.get("message_id") if isinstance(message.get("message_id"), int) else None,
        "chat_id": chat_id,
        "chat_type": _string(chat.get("type")),
        "display_name": " ".join(n for n in names if isinstance(n, str) and n) or _string(sender.get("title")),
        "username": _string(sender.get("username")),
        "edited": key == "edited_message",
    }
    sender_id = _identifier(sender.get("id"), "A Telegram message's sender id")
    timestamp = _epoch(_require(message, "date", "A Telegram message"), "A Telegram message")
    if key == "edited_message" and message.get("edit_date") is not None:
        # An edit carries the original message's date; the edit itself happened at edit_date.
        timestamp = _epoch(message["edit_date"], "A Telegram edited message")
    text = message.get("text", "")
    if not isinstance(text, str) or not text.strip():
        kind = next((k for k in _TELEGRAM_MEDIA if k in message), "non-text message")
        return [UnsupportedMessage("telegram", sender_id, kind, timestamp, metadata)]
    if text.startswith("/"):
        # "/start@MyBot args" -> "start": Telegram appends the bot name in group chats.
        metadata["command"] = text[1:].split()[0].split("@")[0].lower() if text[1:].strip() else ""
    return [InboundMessage(text, sender_id, "telegram", timestamp, metadata)]


# --- Email ----------------------------------------------------------------------------------

_REPLY_HEADER = re.compile(
    r"^(On\b.{0,300}\bwrote:|Le\b.{0,300}\ba écrit\s?:|Am\b.{0,300}\bschrieb.{0,80}:)\s*$"
    r"|^-{2,}\s*(Original|Forwarded) Message\s*-{2,}"
    r"|^_{20,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_HEADER = re.compile(r"^\*?From:\*?\s.+", re.IGNORECASE)
_OUTLOOK_FOLLOW = re.compile(r"^\*?(Sent|Date|To|Subject):\*?\s", re.IGNORECASE)
_SIGNATURE = re.compile(r"^(--|Sent from my \w.*|Get Outlook for \w.*|Sent from (Mail|Outlook) for \w.*)$", re.IGNORECASE)
_VALEDICTION = re.compile(
    r"^((best|kind|warm|many)\s+)?(regards|wishes|thanks)[,!.]?$|^(thanks|thank you|cheers|sincerely|best)[,!.]?$",
    re.IGNORECASE,
)
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


def strip_quoted_reply(text: str) -> str:
    """The new part of an email body: drops quoted ``>`` lines, the quoted thread and the signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        # Clients wrap long "On <date>, <name> wrote:" lines, so look at this line joined to the next.
        joined = f"{stripped} {lines[i + 1].strip()}" if i + 1 < len(lines) else stripped
        if _REPLY_HEADER.match(stripped) or (stripped.startswith("On ") and _REPLY_HEADER.match(joined)):
            break
        if _OUTLOOK_HEADER.match(stripped) and any(_OUTLOOK_FOLLOW.match(n.strip()) for n in lines[i + 1:i + 4]):
            break
        if _SIGNATURE.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    while kept and (not kept[-1].strip() or _VALEDICTION.match(kept[-1].strip())):
        kept.pop()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def html_to_text(html: str) -> str:
    """Readable text from an HTML email body, without scripts, styles or quoted history."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(["script", "style", "head", "blockquote"]):
        tag.decompose()
    for tag in soup.select(".gmail_quote, .yahoo_quoted, #divRplyFwdMsg, #appendonsend, .moz-cite-prefix"):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr"]):
        block.insert_before("\n")
        block.append("\n")
    for item in soup.find_all("li"):
        item.insert_before("\n- ")
    lines = (re.sub(r"[ \t\xa0]+", " ", line).strip() for line in soup.get_text().split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _header(msg: EmailMessage, name: str, *, decode: bool = True) -> str:
    """A header's text on one line (RFC 2047 words decoded unless ``decode`` is off), "" when absent.

    Read from the raw headers because the stdlib's strict header parser can crash (IndexError,
    AttributeError) on some malformed address headers instead of reporting a defect.
    """
    value = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), "")
    return " ".join((_decoded(value) if decode else value).split())


def _decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError, HeaderParseError):
        return value  # undecodable encoded words: keep them as they are


def _address(msg: EmailMessage, name: str) -> tuple[str, str]:
    """(display name, lower-case address) of the first address in an address header."""
    # Split the raw header first: a decoded display name may contain commas or brackets.
    found = getaddresses([_header(msg, name, decode=False)])
    display, address = found[0] if found else ("", "")
    return _decoded(display), address.lower() if "@" in address else ""


def _part_text(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError):
        # An unknown or lying charset: keep what decodes rather than losing the whole message.
        return (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")


def normalize_email(raw: bytes, *, received_at: datetime | None = None) -> Normalized:
    """One inbound email (raw MIME bytes): the new text of the plain part (or the HTML part as
    text), the subject and threading headers in metadata."""
    if not raw or not raw.strip():
        raise InvalidInput("The email is empty.")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    display_name, sender = _address(msg, "From")
    if not sender:
        raise InvalidInput("The email has no valid From address to answer.")
    timestamp = _email_date(msg, received_at)
    metadata = {
        "message_id": _header(msg, "Message-ID"),
        "subject": _header(msg, "Subject"),
        "display_name": display_name,
        "reply_to": _address(msg, "Reply-To")[1] or sender,
        "references": _header(msg, "References"),
    }
    auto = (_header(msg, "Auto-Submitted") or "no").lower()
    if auto != "no" or _header(msg, "Precedence").lower() in _AUTO_PRECEDENCE:
        return UnsupportedMessage("email", sender, "automatic reply", timestamp, metadata, notify_sender=False)
    body = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        content = _part_text(body)
        text = strip_quoted_reply(html_to_text(content) if body.get_content_subtype() == "html" else content)
    if not text:
        text = metadata["subject"]
    if not text:
        return UnsupportedMessage("email", sender, "email without text", timestamp, metadata)
    return InboundMessage(text, sender, "email", timestamp, metadata)


def _email_date(msg: EmailMessage, received_at: datetime | None) -> datetime:
    fallback = received_at or _now()
    raw = _header(msg, "Date")
    if not raw:
        return fallback
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return fallback  # a malformed Date header is common and harmless: use the arrival time
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# --- Voice and web --------------------------------------------------------------------------

def normalize_voice(payload: Mapping[str, Any], *, received_at: datetime | None = None) -> Normalized:
    """A voice call's speech-to-text transcript; an empty transcript is an unsupported 'silence'."""
    call_id = str(_require(payload, "call_id", "The voice transcript")).strip()
    caller = str(_require(payload, "caller_id", "The voice transcript")).strip()
    transcript = _require(payload, "transcript", "The voice transcript")
    if not call_id or not caller:
        raise InvalidInput("The voice transcript needs a non-empty call_id and caller_id.")
    if not isinstance(transcript, str):
        raise InvalidInput("The voice transcript field 'transcript' must be text.")
    timestamp = _voice_time(payload.get("timestamp"), received_at)
    metadata = {"call_id": call_id}
    if not transcript.strip():
        return UnsupportedMessage("voice", caller, "silence", timestamp, metadata)
    return InboundMessage(" ".join(transcript.split()), caller, "voice", timestamp, metadata)


def _voice_time(value: Any, received_at: datetime | None) -> datetime:
    if value in (None, ""):
        return received_at or _now()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _epoch(value, "The voice transcript")
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"The voice transcript timestamp {value!r} is not ISO 8601 or Unix seconds.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def normalize_web(payload: Mapping[str, Any], *, received_at: datetime | None = None) -> Normalized:
    """A web-widget message; the time is the server's arrival time because browsers' clocks lie."""
    session_id = _require(payload, "session_id", "The web message")
    text = _require(payload, "text", "The web message")
    if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
        raise InvalidInput("The web message session_id must be 1-128 letters, digits or _ . : -")
    if not isinstance(text, str):
        raise InvalidInput("The web message field 'text' must be text.")
    metadata = {"message_id": str(payload.get("message_id", "")), "display_name": str(payload.get("display_name", ""))}
    timestamp = received_at or _now()
    if not text.strip():
        return UnsupportedMessage("web", session_id, "empty message", timestamp, metadata)
    return InboundMessage(text.strip(), session_id, "web", timestamp, metadata)
