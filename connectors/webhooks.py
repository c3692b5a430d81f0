"""The webhook service: channel traffic in, the assistant's answers out.

Start it with ``python -m connectors.webhooks`` (uvicorn on 127.0.0.1:8088 unless the settings below say otherwise).
Routes (each checks the caller, normalises, maps the sender to a conversation, asks the assistant
and formats the answer for the channel):

- ``GET /webhooks/whatsapp``: Meta's subscription handshake. ``POST /webhooks/whatsapp``: messages
  signed with ``X-Hub-Signature-256``; replies go out through the WhatsApp Cloud API.
- ``POST /webhooks/telegram``: Bot API updates carrying ``X-Telegram-Bot-Api-Secret-Token``;
  replies go out with ``sendMessage`` (MarkdownV2).
- ``POST /webhooks/email``: one raw MIME message with ``Authorization: Bearer <email token>``;
  the reply goes out by SMTP.
- ``POST /webhooks/voice``: ``{"call_id", "caller_id", "transcript"}`` with ``Authorization: Bearer
  <voice token>``; answers ``{"text"}`` ready for text-to-speech.
- ``POST /webhooks/web``: ``{"session_id", "text"}`` with ``Authorization: Bearer <web token>``;
  answers ``{"reply"}`` in Markdown with its sources. Switched off (503) until the token is set.
- ``GET /healthz``: which channels are switched on.

Push channels (WhatsApp, Telegram, email) are acknowledged at once and answered in the background,
because their platforms retry calls that take long. A channel whose secrets are not set answers 503.

Replays: every WhatsApp, Telegram and email delivery id is recorded in the metadata store (table
``webhook_deliveries``, or Redis when AW_REDIS_URL is set; kept AW_WEBHOOK_DELIVERY_TTL_SECONDS) and a delivery seen before is not
answered again, across restarts and processes. WhatsApp and Telegram messages whose timestamp is
more than AW_WEBHOOK_MAX_AGE_SECONDS away from the server's clock are acknowledged but not answered
(a captured signed call replayed later, or a retry after a long outage). Bodies nested too deeply
to parse answer 400.

Exposure: the service refuses to start on a non-loopback address unless AW_WEBHOOK_TRUSTED_PROXIES
names the TLS-terminating reverse proxy in front of it; it then trusts that proxy's
``X-Forwarded-Proto``/``X-Forwarded-For`` and refuses plain-HTTP calls with 403.

Settings (secrets are never logged or shown in reprs): ``WebhookConfig`` in ``connectors/settings.py``,
one row each in its ``CONNECTOR_SETTINGS_TABLE`` (the table in docs/configuration.md): ``AW_WEBHOOK_*`` for
the service, ``AW_CLIENT_ENDPOINT_*`` for calling the assistant's Gradio endpoint, ``AW_WHATSAPP_*``,
``AW_TELEGRAM_*``, ``AW_EMAIL_WEBHOOK_TOKEN``, ``AW_SMTP_*``, ``AW_VOICE_*``, ``AW_WEB_WEBHOOK_TOKEN`` and
``AW_CONVERSATION_KEY`` for the channels, ``AW_REDIS_URL``, ``AW_DATA_DIR`` and ``AW_METADATA_URL`` for the
delivery log, and ``AW_ENDPOINT_MAX_CHARS``, the endpoint's message-length limit, which the bridges apply
before calling it.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import sys
import time
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Callable, Mapping

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from connectors.channels.format import format_email, format_telegram, format_voice, format_web, format_whatsapp
from connectors.channels.guards import DeliveryLedger, RedisDeliveries, SenderRateLimiter, StoredDeliveries
from connectors.channels.message import InboundMessage, Normalized, Reply, UnsupportedMessage, conversation_id
from connectors.channels.normalize import (
    normalize_email,
    normalize_telegram,
    normalize_voice,
    normalize_web,
    normalize_whatsapp,
)
from connectors.channels.outbound import (
    AssistantClient,
    BotApiTelegramSender,
    GradioAssistantClient,
    GraphWhatsAppSender,
    OutboundClients,
    SmtpEmailSender,
)
from connectors.channels.verify import (
    TELEGRAM_SECRET_HEADER,
    WHATSAPP_SIGNATURE_HEADER,
    WebhookRejected,
    verify_bearer_token,
    verify_telegram_secret,
    verify_whatsapp_signature,
    verify_whatsapp_subscription,
)
from connectors.settings import WebhookConfig
from core.errors import BackendUnavailable, ConfigError, InvalidInput, RateLimited, WorkbenchError
from core.metadata import MetadataStore

logger = logging.getLogger(__name__)

WELCOME_TEXT = ("Hello! Ask me a question about your documents, the knowledge graph or your databases, "
                "and I will answer with my sources.")
SORRY_TEXT = "Sorry, something went wrong while answering. Please try again in a few minutes."
SILENCE_TEXT = "Sorry, I did not catch that. Please say your question again."


def is_loopback(host: str) -> bool:
    return host in {"localhost", "::1"} or host.startswith("127.")


def check_exposure(config: WebhookConfig) -> None:
    """Refuse to listen beyond this machine unless a TLS-terminating proxy is configured in front."""
    if not is_loopback(config.host) and not config.trusted_proxies.strip():
        raise ConfigError(f"Refusing to listen on {config.host} without a TLS-terminating reverse proxy: put one in "
                          "front of the service and set AW_WEBHOOK_TRUSTED_PROXIES to its address, or bind to 127.0.0.1.")


def build_deliveries(config: WebhookConfig) -> DeliveryLedger:
    """The delivery log: in Redis when AW_REDIS_URL is set, else in the metadata store (the workbench's by default)."""
    if config.redis_url:
        return RedisDeliveries(config.redis_url, config.delivery_ttl_seconds)
    url = config.metadata_url or f"sqlite:///{(Path(config.data_dir).expanduser().resolve() / 'workbench.db')}"
    return StoredDeliveries(MetadataStore(url), config.delivery_ttl_seconds)


def build_outbound_clients(config: WebhookConfig) -> OutboundClients:
    """The real channel senders for every channel whose sending credentials are set."""
    return OutboundClients(
        whatsapp=GraphWhatsAppSender(config.whatsapp_token, phone_number_id=config.whatsapp_phone_number_id,
                                     api_version=config.whatsapp_api_version) if config.whatsapp_token else None,
        telegram=BotApiTelegramSender(config.telegram_bot_token) if config.telegram_bot_token else None,
        email=SmtpEmailSender(config.smtp_host, config.smtp_port, username=config.smtp_user,
                              password=config.smtp_password, security=config.smtp_security)
        if config.smtp_host and config.smtp_from else None,
    )


def build_assistant_client(config: WebhookConfig) -> GradioAssistantClient:
    """The Gradio endpoint client described by ``config``."""
    auth = (config.endpoint_user, config.endpoint_password) if config.endpoint_user else None
    return GradioAssistantClient(config.endpoint_url, config.endpoint_api_name, auth=auth,
                                 token=config.endpoint_token, timeout_seconds=config.endpoint_timeout)


# --- The bridge -----------------------------------------------------------------------------


class _Bridge:
    """What every route shares: guards, conversation mapping, the assistant and the senders."""

    def __init__(self, config: WebhookConfig, assistant: AssistantClient, outbound: OutboundClients,
                 clock: Callable[[], float], deliveries: DeliveryLedger) -> None:
        self.config, self.assistant, self.outbound = config, assistant, outbound
        self.limiter = SenderRateLimiter(config.rate_limit, clock)
        self.seen = deliveries
        self.rate_text = (f"You are sending messages faster than I can answer (the limit is {config.rate_limit} "
                          "a minute). Please wait a minute and try again.")

    def ask(self, message: InboundMessage) -> Reply:
        """The assistant's reply to ``message``; raises ``InvalidInput`` for an over-long message."""
        limit = self.config.max_message_chars
        if len(message.content) > limit:
            raise InvalidInput(f"Your message is {len(message.content)} characters long; "
                               f"please keep it under {limit} characters.")
        conversation = conversation_id(message.channel, message.sender_id, self.config.conversation_key)
        logger.info("%s message for %s (%d characters)", message.channel, conversation, len(message.content))
        return self.assistant.ask(message.content, conversation)

    def answer_now(self, message: InboundMessage) -> Reply:
        """For request/response channels: refusals raise, for the route to turn into a status code."""
        if self.limiter.admit(f"{message.channel}:{message.sender_id}") != "ok":
            raise RateLimited(self.rate_text)
        return self.ask(message)

    def push_reply(self, item: Normalized) -> Reply | None:
        """For push channels: the reply to send, including notices; None when silence is right."""
        if isinstance(item, UnsupportedMessage) and not item.notify_sender:
            return None
        verdict = self.limiter.admit(f"{item.channel}:{item.sender_id}")
        if verdict != "ok":
            return Reply(self.rate_text) if verdict == "refused" else None
        if isinstance(item, UnsupportedMessage):
            return Reply(item.user_notice)
        if item.metadata.get("command") in ("start", "help"):
            return Reply(WELCOME_TEXT)
        try:
            return self.ask(item)
        except WorkbenchError as exc:
            return Reply(str(exc))  # workbench messages are written to be shown to users
        except Exception:
            logger.exception("The assistant failed on a %s message", item.channel)
            return Reply(SORRY_TEXT)

    def deliver(self, item: Normalized) -> None:
        """Answer one push-channel message and send the reply (run as a background task)."""
        reply = self.push_reply(item)
        if reply is None:
            return
        try:
            if item.channel == "whatsapp":
                self._send_whatsapp(item, reply)
            elif item.channel == "telegram":
                self._send_telegram(item, reply)
            else:
                self._send_email(item, reply)
        except WorkbenchError as exc:
            logger.error("Could not deliver the %s reply: %s", item.channel, exc)

    def _send_whatsapp(self, item: Normalized, reply: Reply) -> None:
        number = item.metadata.get("phone_number_id") or self.config.whatsapp_phone_number_id
        for text in format_whatsapp(reply):
            self.outbound.whatsapp.send_text(item.sender_id, text, phone_number_id=number)

    def _send_telegram(self, item: Normalized, reply: Reply) -> None:
        for n, text in enumerate(format_telegram(reply)):
            self.outbound.telegram.send_message(item.metadata["chat_id"], text, parse_mode="MarkdownV2",
                                                reply_to_message_id=item.metadata.get("message_id") if n == 0 else None)

    def _send_email(self, item: Normalized, reply: Reply) -> None:
        subject = item.metadata.get("subject") or "your question"
        message = format_email(reply, subject=subject if subject.lower().startswith("re:") else f"Re: {subject}")
        message["From"] = self.config.smtp_from
        message["To"] = item.metadata.get("reply_to") or item.sender_id
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.config.smtp_from.rpartition("@")[2].strip("> ") or None)
        message["Auto-Submitted"] = "auto-replied"  # RFC 3834: keeps other robots from answering back
        original = item.metadata.get("message_id", "")
        if original:
            message["In-Reply-To"] = original
            message["References"] = f"{item.metadata.get('references', '')} {original}".strip()
        self.outbound.email.send(message)


# --- The app --------------------------------------------------------------------------------

_STATUS = ((WebhookRejected, 403), (RateLimited, 429), (InvalidInput, 400), (ConfigError, 503),
           (BackendUnavailable, 503), (WorkbenchError, 502))


class PayloadTooLarge(InvalidInput):
    """A request body is larger than AW_WEBHOOK_MAX_BODY_MB."""

    kind = "payload_too_large"


def _status_for(exc: WorkbenchError) -> int:
    if isinstance(exc, PayloadTooLarge):
        return 413
    return next(status for cls, status in _STATUS if isinstance(exc, cls))


async def _read_body(request: Request, limit_bytes: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit_bytes:
            raise PayloadTooLarge(f"The request body is larger than {limit_bytes // 1_000_000} MB.")
        chunks.append(chunk)
    return b"".join(chunks)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The request body is not valid JSON.") from None
    except RecursionError:
        raise InvalidInput("The request body is nested too deeply to be a channel message.") from None


def create_app(config: WebhookConfig, assistant: AssistantClient, outbound: OutboundClients,
               *, clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
               deliveries: DeliveryLedger | None = None) -> FastAPI:
    """The webhook service as a FastAPI app.

    ``clock`` (seconds) drives the rate limit; ``wall_clock`` (Unix seconds) is compared with
    message timestamps; ``deliveries`` remembers delivery ids (default: the metadata store's log).
    """
    if deliveries is None:
        deliveries = build_deliveries(config)
    bridge = _Bridge(config, assistant, outbound, clock, deliveries)
    https_only = not is_loopback(config.host)
    limit_bytes = int(config.max_body_mb * 1_000_000)
    enabled = {
        "whatsapp": bool(config.whatsapp_app_secret and outbound.whatsapp),
        "telegram": bool(config.telegram_secret_token and outbound.telegram),
        "email": bool(config.email_webhook_token and outbound.email),
        "voice": bool(config.voice_webhook_token),
        "web": bool(config.web_webhook_token),
    }
    app = FastAPI(title="Analyst Workbench channel bridges", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def tls_only(request: Request, call_next):
        # Behind the TLS-terminating proxy, the scheme comes from its X-Forwarded-Proto (uvicorn).
        if https_only and request.url.scheme != "https":
            return JSONResponse({"error": "This service only answers over HTTPS, through its reverse proxy.",
                                 "kind": "forbidden"}, status_code=403)
        return await call_next(request)

    @app.exception_handler(WorkbenchError)
    async def workbench_error(request: Request, exc: WorkbenchError) -> JSONResponse:
        return JSONResponse({"error": str(exc), "kind": exc.kind}, status_code=_status_for(exc))

    def require(channel: str, settings: str) -> None:
        if not enabled[channel]:
            raise ConfigError(f"The {channel} channel is switched off on this server: set {settings}.")

    def fresh_enough(items: list[Normalized]) -> tuple[list[Normalized], int]:
        """The items whose timestamp is within AW_WEBHOOK_MAX_AGE_SECONDS of now, and how many were not."""
        now = wall_clock()
        kept = [item for item in items if abs(now - item.timestamp.timestamp()) <= config.max_age_seconds]
        if len(kept) < len(items):
            logger.warning("Ignored %d %s message(s) timestamped more than %g s from now (a replay, or a retry "
                           "after a long outage)", len(items) - len(kept), items[0].channel, config.max_age_seconds)
        return kept, len(items) - len(kept)

    def first_deliveries(items: list[Normalized], id_field: str) -> list[Normalized]:
        """The items not delivered before (by their platform id); blocking, so run in a thread."""
        return [item for item in items if bridge.seen.first_time(
            f"{item.channel}:{item.metadata[id_field]}" if item.metadata.get(id_field) not in (None, "") else "")]

    async def queue(tasks: BackgroundTasks, items: list[Normalized], id_field: str) -> int:
        """Schedule each item not delivered before for a background answer."""
        fresh = await run_in_threadpool(first_deliveries, items, id_field)
        for item in fresh:
            tasks.add_task(bridge.deliver, item)
        return len(fresh)

    @app.get("/healthz")
    async def health() -> dict:
        return {"status": "ok", "channels": enabled}

    @app.get("/webhooks/whatsapp", response_class=PlainTextResponse)
    async def whatsapp_handshake(request: Request) -> str:
        return verify_whatsapp_subscription(request.query_params, config.whatsapp_verify_token)

    @app.post("/webhooks/whatsapp")
    async def whatsapp(request: Request, tasks: BackgroundTasks) -> dict:
        require("whatsapp", "AW_WHATSAPP_APP_SECRET and AW_WHATSAPP_TOKEN")
        body = await _read_body(request, limit_bytes)
        verify_whatsapp_signature(body, request.headers.get(WHATSAPP_SIGNATURE_HEADER), config.whatsapp_app_secret)
        items, stale = fresh_enough(normalize_whatsapp(_json(body)))
        accepted = await queue(tasks, items, "message_id")
        return {"status": "accepted", "messages": accepted, "stale": stale}

    @app.post("/webhooks/telegram")
    async def telegram(request: Request, tasks: BackgroundTasks) -> dict:
        require("telegram", "AW_TELEGRAM_SECRET_TOKEN and AW_TELEGRAM_BOT_TOKEN")
        verify_telegram_secret(request.headers.get(TELEGRAM_SECRET_HEADER), config.telegram_secret_token)
        items, stale = fresh_enough(normalize_telegram(_json(await _read_body(request, limit_bytes))))
        accepted = await queue(tasks, items, "update_id")
        return {"ok": True, "messages": accepted, "stale": stale}

    @app.post("/webhooks/email", status_code=202)
    async def email(request: Request, tasks: BackgroundTasks) -> dict:
        require("email", "AW_EMAIL_WEBHOOK_TOKEN, AW_SMTP_HOST and AW_SMTP_FROM")
        verify_bearer_token(request.headers.get("Authorization"), config.email_webhook_token, "email webhook")
        item = normalize_email(await _read_body(request, limit_bytes))
        accepted = await queue(tasks, [item], "message_id")
        return {"status": "accepted" if accepted else "duplicate"}

    @app.post("/webhooks/voice")
    async def voice(request: Request) -> JSONResponse:
        require("voice", "AW_VOICE_WEBHOOK_TOKEN")
        verify_bearer_token(request.headers.get("Authorization"), config.voice_webhook_token, "voice webhook")
        item = normalize_voice(_json(await _read_body(request, limit_bytes)))
        call = {"call_id": item.metadata["call_id"]}
        if isinstance(item, UnsupportedMessage):
            return JSONResponse({**call, "text": SILENCE_TEXT})
        try:
            reply = await run_in_threadpool(bridge.answer_now, item)
        except WorkbenchError as exc:
            # The caller is on the phone: the error must be speakable too.
            return JSONResponse({**call, "error": str(exc), "kind": exc.kind, "text": format_voice(Reply(str(exc)))},
                                status_code=_status_for(exc))
        conversation = conversation_id("voice", item.sender_id, config.conversation_key)
        return JSONResponse({**call, "conversation_id": conversation,
                             "text": format_voice(reply, max_chars=config.voice_max_chars)})

    @app.post("/webhooks/web")
    async def web(request: Request) -> dict:
        require("web", "AW_WEB_WEBHOOK_TOKEN")
        verify_bearer_token(request.headers.get("Authorization"), config.web_webhook_token, "web widget")
        item = normalize_web(_json(await _read_body(request, limit_bytes)))
        if isinstance(item, UnsupportedMessage):
            raise InvalidInput("The message is empty: type a question first.")
        reply = await run_in_threadpool(bridge.answer_now, item)
        return {
            "conversation_id": conversation_id("web", item.sender_id, config.conversation_key),
            "reply": format_web(reply),
            "sources": [{"index": s.index, "kind": s.kind, "title": s.title} for s in reply.sources],
            "notice": reply.notice,
        }

    return app


# --- Entry point ----------------------------------------------------------------------------


class RedactVerifyToken(logging.Filter):
    """Access logs print query strings, and Meta's handshake carries the verify token in one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(re.sub(r"(hub\.verify_token=)[^&\s\"]*", r"\1<redacted>", a) if isinstance(a, str) else a
                                for a in record.args)
        return True


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run the service with uvicorn, configured from the environment; 2 when the settings are refused."""
    import uvicorn

    # Logging first: reading the settings may warn about deprecated names.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = WebhookConfig.from_env(environ)
        check_exposure(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not config.conversation_key:
        logger.warning("AW_CONVERSATION_KEY is not set: conversation ids are unkeyed hashes of sender ids.")
    if not config.web_webhook_token:
        logger.warning("AW_WEB_WEBHOOK_TOKEN is not set: the web channel is switched off.")
    app = create_app(config, build_assistant_client(config), build_outbound_clients(config))
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    log_config.setdefault("filters", {})["redact"] = {"()": RedactVerifyToken}
    for handler in log_config["handlers"].values():
        handler.setdefault("filters", []).append("redact")
    proxies = ",".join(p.strip() for p in config.trusted_proxies.split(",") if p.strip())
    uvicorn.run(app, host=config.host, port=config.port, log_config=log_config,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
