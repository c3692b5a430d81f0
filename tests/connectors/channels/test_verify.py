"""Webhook authenticity checks fail closed and never echo a secret."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from connectors.channels.verify import (
    WebhookRejected,
    sign_whatsapp_body,
    verify_bearer_token,
    verify_telegram_secret,
    verify_whatsapp_signature,
    verify_whatsapp_subscription,
)

APP_SECRET = "meta-app-secret-3f1c"
BODY = (Path(__file__).parent / "fixtures" / "whatsapp_text.json").read_bytes()


def test_signature_matches_an_independent_hmac():
    expected = hmac.new(APP_SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign_whatsapp_body(BODY, APP_SECRET) == f"sha256={expected}"


def test_valid_signature_is_accepted_in_either_hex_case():
    signature = sign_whatsapp_body(BODY, APP_SECRET)
    verify_whatsapp_signature(BODY, signature, APP_SECRET)
    verify_whatsapp_signature(BODY, "sha256=" + signature.removeprefix("sha256=").upper(), APP_SECRET)


@pytest.mark.parametrize("body, signature, reason", [
    (BODY.replace(b"North", b"South"), sign_whatsapp_body(BODY, APP_SECRET), "does not match"),
    (BODY, sign_whatsapp_body(BODY, "another-secret"), "does not match"),
    (BODY, None, "no X-Hub-Signature-256"),
    (BODY, "", "no X-Hub-Signature-256"),
    (BODY, hashlib.sha256(BODY).hexdigest(), "sha256=<hex>"),
    (BODY, "sha1=" + hmac.new(APP_SECRET.encode(), BODY, hashlib.sha1).hexdigest(), "sha256=<hex>"),
    (BODY, "sha256=" + "0" * 64, "does not match"),
])
def test_tampered_missing_or_malformed_signatures_are_rejected(body, signature, reason):
    with pytest.raises(WebhookRejected, match=reason) as caught:
        verify_whatsapp_signature(body, signature, APP_SECRET)
    assert APP_SECRET not in str(caught.value)
    assert caught.value.kind == "forbidden"


def test_signature_check_fails_closed_without_an_app_secret():
    with pytest.raises(WebhookRejected, match="not configured"):
        verify_whatsapp_signature(BODY, sign_whatsapp_body(BODY, ""), "")


def test_subscription_handshake_echoes_the_challenge():
    params = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    assert verify_whatsapp_subscription(params, "verify-me") == "1158201444"


@pytest.mark.parametrize("params, reason", [
    ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}, "wrong verify token"),
    ({"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"}, "hub.mode=subscribe"),
    ({"hub.mode": "subscribe", "hub.challenge": "1"}, "wrong verify token"),
    ({"hub.mode": "subscribe", "hub.verify_token": "verify-me"}, "no hub.challenge"),
])
def test_bad_handshakes_are_rejected(params, reason):
    with pytest.raises(WebhookRejected, match=reason) as caught:
        verify_whatsapp_subscription(params, "verify-me")
    assert "verify-me" not in str(caught.value)


def test_handshake_fails_closed_without_a_verify_token():
    with pytest.raises(WebhookRejected, match="not configured"):
        verify_whatsapp_subscription({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, "")


def test_telegram_secret_header():
    verify_telegram_secret("tg_secret-42", "tg_secret-42")
    for given in (None, "", "tg_secret-43", "tg_secret-42 ", "ünïcode"):
        with pytest.raises(WebhookRejected, match="X-Telegram-Bot-Api-Secret-Token"):
            verify_telegram_secret(given, "tg_secret-42")
    with pytest.raises(WebhookRejected, match="not configured"):
        verify_telegram_secret("", "")


def test_bearer_token():
    verify_bearer_token("Bearer s3cret", "s3cret", "voice webhook")
    verify_bearer_token("bearer s3cret", "s3cret", "voice webhook")
    for given in (None, "", "s3cret", "Basic s3cret", "Bearer s3cre", "Bearer "):
        with pytest.raises(WebhookRejected, match="voice webhook") as caught:
            verify_bearer_token(given, "s3cret", "voice webhook")
        assert "s3cret" not in str(caught.value)
    with pytest.raises(WebhookRejected, match="not configured"):
        verify_bearer_token("Bearer x", "", "email webhook")
