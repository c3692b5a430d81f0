"""The connectors' settings: the Gradio endpoint, the bridges' way of calling it, the webhook service.

Declared once in ``CONNECTOR_SETTINGS_TABLE`` with ``core.settings.SettingSpec`` rows and read by
core's own loader (``core.settings.parse_table``), so they follow the workbench's rules and the
documentation table is generated from them (``settings_markdown_table``). Three families of names:

- ``AW_ENDPOINT_*``: the endpoint *server* (where it listens, who may call it, its limits).
- ``AW_CLIENT_*``: how a bridge *calls* the endpoint (its URL, API name, token, login, timeout).
  A prefix of their own because ``AW_ENDPOINT_TOKENS`` (the tokens the server accepts) and the
  bridge's token used to be one letter apart.
- ``AW_WEBHOOK_*`` for the webhook service itself, and ``AW_WHATSAPP_*``, ``AW_TELEGRAM_*``,
  ``AW_SMTP_*``, ... for its channels. The service also reads the workbench's ``AW_DATA_DIR`` and
  ``AW_METADATA_URL`` (declared in core) to find the metadata store.

``AW_ENDPOINT_MAX_CHARS`` is the one message-length limit: the endpoint refuses longer messages,
and the bridges refuse them before calling it.

The bridges' old client names (``AW_ENDPOINT_URL``, ``AW_ENDPOINT_TOKEN``, ...) and
``AW_WEBHOOK_MAX_MESSAGE_CHARS`` are still read for one release, with a warning naming the new
variable (``DEPRECATED_NAMES``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from core.errors import ConfigError
from core.settings import SETTINGS_TABLE, SettingSpec, _bool, _positive_int, parse_table
from core.settings import settings_markdown_table as markdown_table

logger = logging.getLogger(__name__)


def _text(raw: str) -> str:
    return raw.strip()


def _blank_is_default(parse: Callable[[str], Any], default: str) -> Callable[[str], Any]:
    # The webhook service has always treated a blank number (``AW_WEBHOOK_PORT=``) as unset.
    def parse_or_default(raw: str) -> Any:
        return parse(raw if raw.strip() else default)

    return parse_or_default


def _hook(env: str, section: str, name: str, default: str, meaning: str,
          parse: Callable[[str], Any] = _text, secret: bool = False) -> SettingSpec:
    """A webhook-service or client row: text is stripped, a blank number keeps its default."""
    if parse is not _text:
        parse = _blank_is_default(parse, default)
    return SettingSpec(env, section, name, default, meaning, parse, secret)


CONNECTOR_SETTINGS_TABLE: tuple[SettingSpec, ...] = (
    # The Gradio endpoint (python -m connectors.gradio_endpoint), the server side.
    SettingSpec("AW_ENDPOINT_HOST", "endpoint", "host", "127.0.0.1", "Address the Gradio endpoint binds to. Anything but loopback requires authentication."),
    SettingSpec("AW_ENDPOINT_PORT", "endpoint", "port", "7860", "Port of the Gradio endpoint.", _positive_int),
    SettingSpec("AW_ENDPOINT_SHARE", "endpoint", "share", "false", "Ask Gradio for a public share link (requires authentication; links are public and expire).", _bool),
    SettingSpec("AW_ENDPOINT_USERS", "endpoint", "users", "", "Web chat logins as `user:password` pairs separated by commas (never shown or logged).", secret=True),
    SettingSpec("AW_ENDPOINT_TOKENS", "endpoint", "tokens", "", "API tokens the endpoint accepts from bridges, comma separated; callers send `Authorization: Bearer TOKEN` (never shown or logged). A bridge sends one of them as AW_CLIENT_ENDPOINT_TOKEN.", secret=True),
    SettingSpec("AW_ENDPOINT_WORKSPACES", "endpoint", "workspaces", "", "Workspaces API callers may pick per request (comma separated); others always get the default workspace."),
    SettingSpec("AW_ENDPOINT_RATE_LIMIT", "endpoint", "rate_limit_per_minute", "20", "Most messages one conversation may send per minute.", _positive_int),
    SettingSpec("AW_ENDPOINT_MAX_CHARS", "endpoint", "max_message_chars", "2000", "Longest message answered, in characters: the endpoint and the channel bridges refuse longer ones.", _positive_int),
    SettingSpec("AW_ENDPOINT_CONCURRENCY", "endpoint", "concurrency", "4", "Questions answered at the same time; the rest wait in Gradio's queue.", _positive_int),
    # How a bridge calls the endpoint, the client side.
    _hook("AW_CLIENT_ENDPOINT_URL", "client", "endpoint_url", "http://127.0.0.1:7860/", "URL of the Gradio endpoint the bridges call."),
    _hook("AW_CLIENT_ENDPOINT_API_NAME", "client", "endpoint_api_name", "/chat", "The endpoint's chat API name."),
    _hook("AW_CLIENT_ENDPOINT_TOKEN", "client", "endpoint_token", "", "Token the bridges send as `Authorization: Bearer` to the endpoint: one of its AW_ENDPOINT_TOKENS (never shown or logged).", secret=True),
    _hook("AW_CLIENT_ENDPOINT_USER", "client", "endpoint_user", "", "Gradio login the bridges use on the endpoint (one of its AW_ENDPOINT_USERS)."),
    _hook("AW_CLIENT_ENDPOINT_PASSWORD", "client", "endpoint_password", "", "Password of that login (never shown or logged).", secret=True),
    _hook("AW_CLIENT_ENDPOINT_TIMEOUT", "client", "endpoint_timeout", "120", "Seconds a bridge waits for the endpoint's answer.", float),
    # The webhook service (python -m connectors.webhooks) and its channels.
    _hook("AW_WEBHOOK_HOST", "webhooks", "host", "127.0.0.1", "Address the webhook service listens on. Anything but loopback requires AW_WEBHOOK_TRUSTED_PROXIES."),
    _hook("AW_WEBHOOK_PORT", "webhooks", "port", "8088", "Port of the webhook service.", int),
    _hook("AW_WEBHOOK_RATE_LIMIT", "webhooks", "rate_limit", "20", "Messages one sender may send per minute.", int),
    _hook("AW_WEBHOOK_MAX_BODY_MB", "webhooks", "max_body_mb", "10", "Largest request body accepted, in MB.", float),
    _hook("AW_WEBHOOK_MAX_AGE_SECONDS", "webhooks", "max_age_seconds", "300", "How far a WhatsApp/Telegram message's timestamp may be from the server's clock; older or newer ones are acknowledged but not answered (replays, retries after a long outage).", float),
    _hook("AW_WEBHOOK_DELIVERY_TTL_SECONDS", "webhooks", "delivery_ttl_seconds", "86400", "How long delivery ids are remembered, so a redelivery is not answered twice; at least the max age.", float),
    _hook("AW_WEBHOOK_TRUSTED_PROXIES", "webhooks", "trusted_proxies", "", "Addresses of the TLS-terminating reverse proxy, comma separated (uvicorn's `forwarded_allow_ips`); required to listen on anything but loopback, and plain-HTTP calls are then refused."),
    _hook("AW_WHATSAPP_VERIFY_TOKEN", "webhooks", "whatsapp_verify_token", "", "The verify token typed into Meta's webhook settings (never shown or logged).", secret=True),
    _hook("AW_WHATSAPP_APP_SECRET", "webhooks", "whatsapp_app_secret", "", "The Meta app secret that signs webhook calls (never shown or logged).", secret=True),
    _hook("AW_WHATSAPP_TOKEN", "webhooks", "whatsapp_token", "", "The WhatsApp Cloud API access token used to send replies (never shown or logged).", secret=True),
    _hook("AW_WHATSAPP_PHONE_NUMBER_ID", "webhooks", "whatsapp_phone_number_id", "", "The WhatsApp number to reply from when a call does not say."),
    _hook("AW_WHATSAPP_API_VERSION", "webhooks", "whatsapp_api_version", "v22.0", "Graph API version used to send WhatsApp replies."),
    _hook("AW_TELEGRAM_BOT_TOKEN", "webhooks", "telegram_bot_token", "", "The Telegram bot token from BotFather (never shown or logged).", secret=True),
    _hook("AW_TELEGRAM_SECRET_TOKEN", "webhooks", "telegram_secret_token", "", "The `secret_token` given to Telegram's `setWebhook` (never shown or logged).", secret=True),
    _hook("AW_EMAIL_WEBHOOK_TOKEN", "webhooks", "email_webhook_token", "", "Bearer token of the inbound-mail hook (never shown or logged).", secret=True),
    _hook("AW_SMTP_HOST", "webhooks", "smtp_host", "", "SMTP server that sends email replies."),
    _hook("AW_SMTP_PORT", "webhooks", "smtp_port", "587", "Port of the SMTP server.", int),
    _hook("AW_SMTP_USER", "webhooks", "smtp_user", "", "SMTP login."),
    _hook("AW_SMTP_PASSWORD", "webhooks", "smtp_password", "", "SMTP password (never shown or logged).", secret=True),
    _hook("AW_SMTP_FROM", "webhooks", "smtp_from", "", "From address of email replies."),
    _hook("AW_SMTP_SECURITY", "webhooks", "smtp_security", "starttls", "How the SMTP connection is secured: `starttls`, `ssl` or `none`."),
    _hook("AW_VOICE_WEBHOOK_TOKEN", "webhooks", "voice_webhook_token", "", "Bearer token of the voice hook (never shown or logged).", secret=True),
    _hook("AW_VOICE_MAX_CHARS", "webhooks", "voice_max_chars", "900", "Longest spoken answer, in characters.", int),
    _hook("AW_WEB_WEBHOOK_TOKEN", "webhooks", "web_webhook_token", "", "Bearer token of the web widget's hook; empty switches the web channel off (never shown or logged).", secret=True),
    _hook("AW_CONVERSATION_KEY", "webhooks", "conversation_key", "", "Key that hashes senders into conversation ids; set it, and keep it (never shown or logged).", secret=True),
    _hook("AW_REDIS_URL", "webhooks", "redis_url", "", "When set (`redis://host:6379/0`), delivery ids are kept in Redis instead of the metadata store (never shown or logged).", secret=True),
)

# Old name -> new name. Still read for one release, with a warning; the new name wins when both are set.
DEPRECATED_NAMES: Mapping[str, str] = {
    "AW_ENDPOINT_URL": "AW_CLIENT_ENDPOINT_URL",
    "AW_ENDPOINT_API_NAME": "AW_CLIENT_ENDPOINT_API_NAME",
    "AW_ENDPOINT_TOKEN": "AW_CLIENT_ENDPOINT_TOKEN",
    "AW_ENDPOINT_USER": "AW_CLIENT_ENDPOINT_USER",
    "AW_ENDPOINT_PASSWORD": "AW_CLIENT_ENDPOINT_PASSWORD",
    "AW_ENDPOINT_TIMEOUT": "AW_CLIENT_ENDPOINT_TIMEOUT",
    "AW_WEBHOOK_MAX_MESSAGE_CHARS": "AW_ENDPOINT_MAX_CHARS",
}

# The workbench settings the webhook service also reads (where its delivery log lives), as core declares them.
_SHARED_WITH_CORE = tuple(dataclasses.replace(spec, section="webhooks") for spec in SETTINGS_TABLE
                          if spec.env in {"AW_DATA_DIR", "AW_METADATA_URL"})


def _rows(*sections: str) -> tuple[SettingSpec, ...]:
    return tuple(spec for spec in CONNECTOR_SETTINGS_TABLE if spec.section in sections)


def _source(environ: Mapping[str, str] | None, overrides: Mapping[str, str]) -> dict[str, str]:
    source = dict(os.environ if environ is None else environ)
    source.update(overrides)
    return source


def with_deprecated_names(source: Mapping[str, str]) -> dict[str, str]:
    """``source`` with each deprecated name's value under its new name, warning once per old name set.

    The warning names the variables, never their values (several are secrets).
    """
    merged = dict(source)
    for old, new in DEPRECATED_NAMES.items():
        if old not in source:
            continue
        if new in source:
            logger.warning("%s is deprecated and ignored because %s is also set; remove %s.", old, new, old)
        else:
            logger.warning("%s is deprecated and will stop being read in the next release: rename it to %s.", old, new)
            merged[new] = source[old]
    return merged


def env_name(field_name: str) -> str:
    """The environment variable that sets a ``WebhookConfig`` field."""
    return _WEBHOOK_ENV[field_name]


def settings_markdown_table() -> str:
    """The connectors' configuration table as Markdown, for README.md and docs/configuration.md."""
    return markdown_table(CONNECTOR_SETTINGS_TABLE)


# --- The Gradio endpoint --------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointSettings:
    """The Gradio endpoint's settings (the ``AW_ENDPOINT_*`` rows)."""

    host: str
    port: int
    share: bool
    users: tuple[tuple[str, str], ...] = field(repr=False)
    tokens: tuple[str, ...] = field(repr=False)
    workspaces: tuple[str, ...] = ()
    rate_limit_per_minute: int = 20
    max_message_chars: int = 2000
    concurrency: int = 4

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: str) -> "EndpointSettings":
        """Read the endpoint's settings from ``environ`` (default ``os.environ``); ``overrides`` win."""
        v = parse_table(_rows("endpoint"), _source(environ, overrides))["endpoint"]
        return cls(
            host=v["host"].strip(), port=v["port"], share=v["share"], users=_users(v["users"]),
            tokens=_items(v["tokens"]), workspaces=_items(v["workspaces"]),
            rate_limit_per_minute=v["rate_limit_per_minute"], max_message_chars=v["max_message_chars"],
            concurrency=v["concurrency"],
        )

    @property
    def has_auth(self) -> bool:
        return bool(self.users or self.tokens)

    @property
    def is_loopback(self) -> bool:
        return self.host in {"127.0.0.1", "localhost", "::1"} or self.host.startswith("127.")


def _items(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _users(raw: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in filter(None, (p.strip() for p in raw.split(","))):
        user, sep, password = item.partition(":")
        if not sep or not user or not password:
            # The value is a secret: name the setting, never echo it.
            raise ConfigError("AW_ENDPOINT_USERS must be user:password pairs separated by commas.")
        pairs.append((user, password))
    return tuple(pairs)


# --- The webhook service --------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookConfig:
    """The webhook service's settings: its own rows, the client rows, and the one message limit.

    The defaults here are the table's (a test checks that they agree); ``from_env`` reads the table.
    """

    host: str = "127.0.0.1"
    port: int = 8088
    endpoint_url: str = "http://127.0.0.1:7860/"
    endpoint_api_name: str = "/chat"
    endpoint_token: str = field(default="", repr=False)
    endpoint_user: str = ""
    endpoint_password: str = field(default="", repr=False)
    endpoint_timeout: float = 120.0
    whatsapp_verify_token: str = field(default="", repr=False)
    whatsapp_app_secret: str = field(default="", repr=False)
    whatsapp_token: str = field(default="", repr=False)
    whatsapp_phone_number_id: str = ""
    whatsapp_api_version: str = "v22.0"
    telegram_bot_token: str = field(default="", repr=False)
    telegram_secret_token: str = field(default="", repr=False)
    email_webhook_token: str = field(default="", repr=False)
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = ""
    smtp_security: str = "starttls"
    voice_webhook_token: str = field(default="", repr=False)
    web_webhook_token: str = field(default="", repr=False)
    conversation_key: str = field(default="", repr=False)
    rate_limit: int = 20
    max_message_chars: int = 2000
    max_body_mb: float = 10.0
    voice_max_chars: int = 900
    max_age_seconds: float = 300.0
    delivery_ttl_seconds: float = 86400.0
    trusted_proxies: str = ""
    data_dir: str = "data"
    metadata_url: str = field(default="", repr=False)
    redis_url: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: str) -> "WebhookConfig":
        """Read the service's settings from ``environ`` (default ``os.environ``); ``overrides`` win."""
        source = with_deprecated_names(_source(environ, overrides))
        v = parse_table(_rows("client", "webhooks") + (_BRIDGE_MAX_CHARS,) + _SHARED_WITH_CORE, source)
        return cls(**v["client"], **v["webhooks"], max_message_chars=v["endpoint"]["max_message_chars"])

    def __post_init__(self) -> None:
        for name in ("port", "smtp_port", "rate_limit", "max_message_chars", "voice_max_chars"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{env_name(name)} must be a positive number.")
        if self.max_body_mb <= 0 or self.endpoint_timeout <= 0:
            raise ConfigError("AW_WEBHOOK_MAX_BODY_MB and AW_CLIENT_ENDPOINT_TIMEOUT must be positive.")
        if self.max_age_seconds <= 0:
            raise ConfigError("AW_WEBHOOK_MAX_AGE_SECONDS must be a positive number of seconds.")
        if self.delivery_ttl_seconds < self.max_age_seconds:
            # A shorter memory would forget a delivery while a replay of it is still fresh enough.
            raise ConfigError("AW_WEBHOOK_DELIVERY_TTL_SECONDS must be at least AW_WEBHOOK_MAX_AGE_SECONDS.")
        if self.smtp_security not in ("starttls", "ssl", "none"):
            raise ConfigError(f"AW_SMTP_SECURITY must be starttls, ssl or none; got {self.smtp_security!r}.")
        if self.telegram_secret_token and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self.telegram_secret_token):
            raise ConfigError("AW_TELEGRAM_SECRET_TOKEN may only hold 1-256 letters, digits, _ and - (Telegram's rule).")


_MAX_CHARS = next(spec for spec in CONNECTOR_SETTINGS_TABLE if spec.env == "AW_ENDPOINT_MAX_CHARS")
# The same row as the endpoint reads; blank keeps the default, as AW_WEBHOOK_MAX_MESSAGE_CHARS did.
_BRIDGE_MAX_CHARS = dataclasses.replace(_MAX_CHARS, parse=_blank_is_default(_MAX_CHARS.parse, _MAX_CHARS.default))
_WEBHOOK_ENV = {spec.name: spec.env for spec in _rows("client", "webhooks") + (_MAX_CHARS,) + _SHARED_WITH_CORE}
