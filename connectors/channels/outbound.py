"""Small clients for the services the webhook service calls out to, each behind a Protocol.

- ``AssistantClient``: asks the assistant a question. ``GradioAssistantClient`` calls the Gradio
  endpoint with ``gradio_client`` (imported lazily; the bridges never import gradio itself).
- ``WhatsAppSender`` / ``TelegramSender`` / ``EmailSender``: post a reply on a channel.
  ``GraphWhatsAppSender`` (WhatsApp Cloud API), ``BotApiTelegramSender`` (Bot API sendMessage) and
  ``SmtpEmailSender`` (smtplib) are the real ones; tests pass recording fakes instead.

Failures raise ``BackendUnavailable`` with a message that names the service but never a token.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Mapping, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from connectors.channels.message import Reply
from core.errors import BackendUnavailable, ConfigError, WorkbenchError
from core.records import Source


class AssistantClient(Protocol):
    """Anything that answers a question within a conversation."""

    def ask(self, message: str, conversation_id: str) -> Reply: ...


class WhatsAppSender(Protocol):
    def send_text(self, to: str, text: str, *, phone_number_id: str = "") -> None: ...


class TelegramSender(Protocol):
    def send_message(self, chat_id: int | str, text: str, *, parse_mode: str | None = "MarkdownV2",
                     reply_to_message_id: int | None = None) -> None: ...


class EmailSender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class OutboundClients:
    """The senders for the push channels; None switches that channel off."""

    whatsapp: WhatsAppSender | None = None
    telegram: TelegramSender | None = None
    email: EmailSender | None = None


# --- The assistant --------------------------------------------------------------------------


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _source(position: int, item: Any) -> Source:
    if isinstance(item, str):
        return Source(index=position, kind="passage", title=item, text="")
    if not isinstance(item, Mapping):
        raise BackendUnavailable("The assistant endpoint returned a source this bridge cannot read.")
    index = int(item.get("index", position))
    reference = dict(item.get("reference") or {})
    if item.get("url"):
        reference.setdefault("url", str(item["url"]))
    return Source(index=index, kind=str(item.get("kind", "passage")), title=str(item.get("title") or f"Source {index}"),
                  text=str(item.get("text", "")), reference=reference)


def reply_from_endpoint(result: Any) -> Reply:
    """A ``Reply`` from what the chat endpoint returned.

    Accepted: a Markdown string; a dict ``{"text" | "answer" | "content", "sources": [{"index",
    "title", "kind", "text", "url"}], "notice"}``; or a tuple/list whose first item is one of those
    (endpoints with extra outputs return the answer first).
    """
    if isinstance(result, (list, tuple)) and result:
        result = result[0]
    if isinstance(result, str):
        text, sources, notice = result, (), ""
    elif isinstance(result, Mapping):
        text = result.get("text") or result.get("answer") or result.get("content") or ""
        sources = tuple(_source(n, item) for n, item in enumerate(result.get("sources") or (), start=1))
        notice = str(result.get("notice") or "")
    else:
        raise BackendUnavailable(
            f"The assistant endpoint returned a {type(result).__name__}, not an answer: check that "
            "AW_CLIENT_ENDPOINT_API_NAME names the chat endpoint.")
    if not isinstance(text, str) or not text.strip():
        raise BackendUnavailable("The assistant endpoint returned an empty answer.")
    return Reply(text=text, sources=sources, notice=notice)


class GradioAssistantClient:
    """Asks the assistant through its Gradio endpoint: ``predict(message, conversation_id, api_name=...)``.

    The endpoint's ``api_name`` (default ``/chat``) takes the message and the conversation id and
    returns what ``reply_from_endpoint`` reads. Give ``auth=(user, password)`` for Gradio's login,
    or ``token`` to send ``Authorization: Bearer <token>``. The connection is made on first use.
    """

    def __init__(self, url: str, api_name: str = "/chat", *, auth: tuple[str, str] | None = None,
                 token: str = "", timeout_seconds: float = 120.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"The assistant endpoint URL must start with http:// or https://, got {url!r}.")
        self._url, self._api_name, self._auth, self._token = url, api_name, auth, token
        self._timeout = timeout_seconds
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GradioAssistantClient({_without_credentials(self._url)!r}, api_name={self._api_name!r})"

    def _connected(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    from gradio_client import Client
                except ImportError:
                    raise ConfigError("The webhook service needs gradio_client: pip install gradio-client.") from None
                headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
                try:
                    # token=False: never forward a locally saved Hugging Face token to our own server.
                    self._client = Client(self._url, token=False, auth=self._auth, headers=headers, verbose=False,
                                          download_files=False, analytics_enabled=False,
                                          httpx_kwargs={"timeout": self._timeout})
                except Exception as exc:
                    raise BackendUnavailable(
                        f"Cannot reach the assistant endpoint at {_without_credentials(self._url)} "
                        f"({type(exc).__name__}): check AW_CLIENT_ENDPOINT_URL and that the endpoint is running.") from None
            return self._client

    def ask(self, message: str, conversation_id: str) -> Reply:
        """The assistant's reply to ``message`` in ``conversation_id``."""
        client = self._connected()
        from gradio_client.exceptions import AppError

        try:
            result = client.predict(message, conversation_id, api_name=self._api_name)
        except AppError as exc:
            # The endpoint turns workbench errors into gr.Error messages written for users.
            raise WorkbenchError(str(exc.message) or "The assistant could not answer.") from None
        except ValueError as exc:
            raise BackendUnavailable(
                f"The assistant endpoint rejected the call: {str(exc).rstrip('.')}. Check AW_CLIENT_ENDPOINT_API_NAME.") from None
        except Exception as exc:
            raise BackendUnavailable(
                f"The assistant endpoint failed ({type(exc).__name__}); try again shortly.") from None
        return reply_from_endpoint(result)


# --- Channel senders ------------------------------------------------------------------------

_BOT_TOKEN_IN_URL = re.compile(r"/bot[^/\s]+/")


class _RedactBotToken(logging.Filter):
    """httpx logs every request URL at INFO, and the Bot API puts the bot token in the URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _BOT_TOKEN_IN_URL.search(message):
            record.msg, record.args = _BOT_TOKEN_IN_URL.sub("/bot<redacted>/", message), ()
        return True


def _api_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if not isinstance(body, dict):
        return response.reason_phrase
    # Telegram says {"description": ...}; the Graph API says {"error": {"message": ...}}.
    error = body.get("error")
    detail = body.get("description") or (error.get("message") if isinstance(error, dict) else error)
    return str(detail or response.reason_phrase)[:300]


def _post_json(http: httpx.Client, path: str, payload: dict[str, Any], service: str) -> dict[str, Any]:
    try:
        response = http.post(path, json=payload)
    except httpx.HTTPError as exc:
        raise BackendUnavailable(f"{service} could not be reached ({type(exc).__name__}); try again later.") from None
    if response.status_code >= 400:
        raise BackendUnavailable(f"{service} refused the message: HTTP {response.status_code} {_api_error(response)}")
    try:
        return response.json()
    except ValueError:
        raise BackendUnavailable(f"{service} answered with something that is not JSON.") from None


class GraphWhatsAppSender:
    """Sends text messages through the WhatsApp Cloud API (``POST /<version>/<phone id>/messages``)."""

    def __init__(self, access_token: str, *, phone_number_id: str = "", api_version: str = "v22.0",
                 base_url: str = "https://graph.facebook.com", timeout_seconds: float = 15.0) -> None:
        if not access_token:
            raise ConfigError("Sending WhatsApp replies needs an access token: set AW_WHATSAPP_TOKEN.")
        self._phone_number_id, self._api_version = phone_number_id, api_version
        self._http = httpx.Client(base_url=base_url, timeout=timeout_seconds,
                                  headers={"Authorization": f"Bearer {access_token}"})

    def __repr__(self) -> str:
        return f"GraphWhatsAppSender(api_version={self._api_version!r})"

    def send_text(self, to: str, text: str, *, phone_number_id: str = "") -> None:
        """Send ``text`` to the WhatsApp user ``to`` from ``phone_number_id`` (or the default)."""
        sender = phone_number_id or self._phone_number_id
        if not sender:
            raise ConfigError("No WhatsApp phone number id to send from: set AW_WHATSAPP_PHONE_NUMBER_ID.")
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                   "type": "text", "text": {"preview_url": False, "body": text}}
        _post_json(self._http, f"/{self._api_version}/{sender}/messages", payload, "WhatsApp")


class BotApiTelegramSender:
    """Sends messages with the Telegram Bot API ``sendMessage`` method."""

    def __init__(self, bot_token: str, *, base_url: str = "https://api.telegram.org", timeout_seconds: float = 15.0) -> None:
        if not bot_token:
            raise ConfigError("Sending Telegram replies needs the bot token: set AW_TELEGRAM_BOT_TOKEN.")
        httpx_logger = logging.getLogger("httpx")
        if not any(isinstance(f, _RedactBotToken) for f in httpx_logger.filters):
            httpx_logger.addFilter(_RedactBotToken())
        self._http = httpx.Client(base_url=f"{base_url.rstrip('/')}/bot{bot_token}", timeout=timeout_seconds)

    def __repr__(self) -> str:
        return "BotApiTelegramSender()"

    def send_message(self, chat_id: int | str, text: str, *, parse_mode: str | None = "MarkdownV2",
                     reply_to_message_id: int | None = None) -> None:
        """Send ``text`` to ``chat_id``, as a reply to ``reply_to_message_id`` when given."""
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text, "link_preview_options": {"is_disabled": True}}
        if parse_mode:
            payload["parse_mode"] = parse_mode
        if reply_to_message_id is not None:
            payload["reply_parameters"] = {"message_id": reply_to_message_id, "allow_sending_without_reply": True}
        answer = _post_json(self._http, "/sendMessage", payload, "Telegram")
        if not answer.get("ok", False):
            raise BackendUnavailable(f"Telegram refused the message: {answer.get('description', 'no reason given')}")


class SmtpEmailSender:
    """Sends email through an SMTP server; ``security`` is ``starttls`` (port 587), ``ssl`` (465) or ``none``."""

    def __init__(self, host: str, port: int = 587, *, username: str = "", password: str = "",
                 security: str = "starttls", timeout_seconds: float = 30.0) -> None:
        if not host:
            raise ConfigError("Sending email replies needs an SMTP server: set AW_SMTP_HOST.")
        if security not in ("starttls", "ssl", "none"):
            raise ConfigError(f"AW_SMTP_SECURITY must be starttls, ssl or none; got {security!r}.")
        self._host, self._port, self._security, self._timeout = host, port, security, timeout_seconds
        self._username, self._password = username, password

    def __repr__(self) -> str:
        return f"SmtpEmailSender({self._host!r}, {self._port}, security={self._security!r})"

    def send(self, message: EmailMessage) -> None:
        """Send ``message`` (with its From/To headers set) through the SMTP server."""
        context = ssl.create_default_context()
        try:
            if self._security == "ssl":
                smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
            else:
                smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
            with smtp:
                if self._security == "starttls":
                    smtp.starttls(context=context)
                if self._username:
                    smtp.login(self._username, self._password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            detail = f"{type(exc).__name__} {getattr(exc, 'smtp_code', '')}".strip()
            raise BackendUnavailable(
                f"The mail server {self._host}:{self._port} did not take the reply ({detail}); "
                "check the AW_SMTP_* settings.") from None
