"""Checks that a webhook call really comes from its channel. Every check fails closed.

- WhatsApp (Meta): the subscription handshake (``hub.mode=subscribe``, ``hub.verify_token``,
  ``hub.challenge``) and the ``X-Hub-Signature-256: sha256=<hex>`` header, an HMAC-SHA256 of the
  raw request body keyed with the app secret.
- Telegram: the ``X-Telegram-Bot-Api-Secret-Token`` header set with ``setWebhook(secret_token=...)``.
- Email, voice and web: a shared token sent as ``Authorization: Bearer <token>``.

Secrets are compared in constant time and never appear in error messages.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Mapping

from core.errors import WorkbenchError

WHATSAPP_SIGNATURE_HEADER = "X-Hub-Signature-256"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookRejected(WorkbenchError):
    """A webhook call failed its authenticity check (the service answers 403).

    Defined here because core.errors has no "forbidden" error; it subclasses WorkbenchError so
    edges can translate it like any other.
    """

    kind = "forbidden"


def _same_secret(given: str, expected: str) -> bool:
    # compare_digest on bytes: constant time, and it accepts non-ASCII input (str must be ASCII).
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _require_configured(secret: str, what: str) -> None:
    if not secret:
        raise WebhookRejected(f"{what} is not configured on this server, so the call cannot be verified.")


def verify_whatsapp_subscription(params: Mapping[str, str], verify_token: str) -> str:
    """The ``hub.challenge`` to echo back when Meta's subscription handshake carries our verify token."""
    _require_configured(verify_token, "The WhatsApp verify token")
    if params.get("hub.mode") != "subscribe":
        raise WebhookRejected("The WhatsApp handshake must have hub.mode=subscribe.")
    if not _same_secret(params.get("hub.verify_token", ""), verify_token):
        raise WebhookRejected("The WhatsApp handshake carried a wrong verify token.")
    challenge = params.get("hub.challenge", "")
    if not challenge:
        raise WebhookRejected("The WhatsApp handshake has no hub.challenge to echo.")
    return challenge


def sign_whatsapp_body(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body`` (``sha256=<hex>``)."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_whatsapp_signature(body: bytes, signature: str | None, app_secret: str) -> None:
    """Accept ``body`` only if ``signature`` is its HMAC-SHA256 under the app secret."""
    _require_configured(app_secret, "The WhatsApp app secret")
    if not signature:
        raise WebhookRejected(f"The WhatsApp call has no {WHATSAPP_SIGNATURE_HEADER} header.")
    if not signature.startswith("sha256="):
        raise WebhookRejected(f"The {WHATSAPP_SIGNATURE_HEADER} header must look like sha256=<hex>.")
    if not _same_secret(signature.strip().lower(), sign_whatsapp_body(body, app_secret)):
        raise WebhookRejected("The WhatsApp signature does not match the request body.")


def verify_telegram_secret(header_value: str | None, secret_token: str) -> None:
    """Accept a Telegram call only if it carries the secret token given to ``setWebhook``."""
    _require_configured(secret_token, "The Telegram secret token")
    if not header_value or not _same_secret(header_value, secret_token):
        raise WebhookRejected(f"The Telegram call has a missing or wrong {TELEGRAM_SECRET_HEADER} header.")


def verify_bearer_token(authorization: str | None, token: str, what: str) -> None:
    """Accept a call only if its ``Authorization`` header is ``Bearer <token>``."""
    _require_configured(token, f"The {what} token")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given or not _same_secret(given.strip(), token):
        raise WebhookRejected(f"The {what} call has a missing or wrong Authorization: Bearer token.")
