"""The webhook service end to end through FastAPI's TestClient, with a fake assistant and
recording senders (the channel APIs cannot be reached from here)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import connectors.webhooks as webhooks
from connectors.channels.format import format_whatsapp
from connectors.channels.message import Reply, conversation_id
from connectors.channels.outbound import GradioAssistantClient, OutboundClients, reply_from_endpoint
from connectors.channels.verify import sign_whatsapp_body
from connectors.settings import WebhookConfig
from connectors.webhooks import RedactVerifyToken, create_app
from core.errors import BackendUnavailable, ConfigError, WorkbenchError
from core.records import Source
from tests.conftest import ROOT

FIXTURES = Path(__file__).parent / "channels" / "fixtures"
SECRETS = {
    "whatsapp_verify_token": "wa-verify-7d1e",
    "whatsapp_app_secret": "wa-app-secret-91b2",
    "whatsapp_token": "wa-access-token-55aa",
    "telegram_bot_token": "123456:tg-bot-token-AAbb",
    "telegram_secret_token": "tg-secret-token_0c3f",
    "email_webhook_token": "email-hook-token-7777",
    "voice_webhook_token": "voice-hook-token-8888",
    "web_webhook_token": "web-hook-token-6666",
    "conversation_key": "conversation-key-9999",
}
ANSWER = Reply("Sales in the North were **120** units [1].", (Source(1, "sql", "retail.db: orders", ""),))


class FakeAssistant:
    """Records questions; answers with a scripted reply or raises a scripted error."""

    def __init__(self, reply: Reply = ANSWER, error: Exception | None = None) -> None:
        self.reply, self.error, self.calls = reply, error, []

    def ask(self, message: str, conversation_id: str) -> Reply:
        self.calls.append((message, conversation_id))
        if self.error:
            raise self.error
        return self.reply


class RecordingWhatsApp:
    def __init__(self) -> None:
        self.sent = []

    def send_text(self, to: str, text: str, *, phone_number_id: str = "") -> None:
        self.sent.append({"to": to, "text": text, "phone_number_id": phone_number_id})


class RecordingTelegram:
    def __init__(self) -> None:
        self.sent = []

    def send_message(self, chat_id, text, *, parse_mode="MarkdownV2", reply_to_message_id=None) -> None:
        self.sent.append({"chat_id": chat_id, "text": text, "parse_mode": parse_mode, "reply_to": reply_to_message_id})


class RecordingEmail:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Service:
    """One app with its fakes, so a test can post and then look at what happened."""

    def __init__(self, assistant: FakeAssistant | None = None, *, wall_clock=None, base_url="http://testserver",
                 deliveries=None, **overrides) -> None:
        self.assistant = assistant or FakeAssistant()
        self.whatsapp, self.telegram, self.email = RecordingWhatsApp(), RecordingTelegram(), RecordingEmail()
        self.clock = FakeClock()
        # The fixtures are dated 2025: tests not about freshness accept any timestamp. Each service
        # gets its own metadata store unless a test shares one (a restart).
        defaults = {"smtp_host": "smtp.example.com", "smtp_from": "Workbench <assistant@workbench.example.com>",
                    "max_age_seconds": 1e12, "delivery_ttl_seconds": 1e12,
                    "metadata_url": f"sqlite:///{tempfile.mkdtemp(prefix='hooks-')}/workbench.db"}
        self.config = WebhookConfig(**(SECRETS | defaults | overrides))
        outbound = OutboundClients(whatsapp=self.whatsapp, telegram=self.telegram, email=self.email)
        self.client = TestClient(create_app(self.config, self.assistant, outbound, clock=self.clock,
                                            wall_clock=wall_clock or time.time, deliveries=deliveries),
                                 base_url=base_url)

    def post_whatsapp(self, payload: dict | bytes, signature: str | None = "sign"):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            signature = sign_whatsapp_body(body, SECRETS["whatsapp_app_secret"])
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return self.client.post("/webhooks/whatsapp", content=body, headers=headers)

    def post_telegram(self, payload: dict, secret: str | None = SECRETS["telegram_secret_token"]):
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return self.client.post("/webhooks/telegram", json=payload, headers=headers)

    def post_web(self, text: str, session_id: str = "session-1"):
        return self.client.post("/webhooks/web", json={"session_id": session_id, "text": text},
                                headers=bearer("web_webhook_token"))


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def bearer(name: str) -> dict:
    return {"Authorization": f"Bearer {SECRETS[name]}"}


# --- WhatsApp -------------------------------------------------------------------------------


def test_whatsapp_handshake():
    service = Service()
    params = {"hub.mode": "subscribe", "hub.verify_token": SECRETS["whatsapp_verify_token"], "hub.challenge": "1158201444"}
    ok = service.client.get("/webhooks/whatsapp", params=params)
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = service.client.get("/webhooks/whatsapp", params=params | {"hub.verify_token": "guess"})
    assert wrong.status_code == 403 and "1158201444" not in wrong.text
    assert service.client.get("/webhooks/whatsapp", params=params | {"hub.mode": "x"}).status_code == 403


def test_whatsapp_signed_message_is_answered_through_the_cloud_api(caplog):
    service = Service()
    with caplog.at_level(logging.DEBUG):
        response = service.post_whatsapp(load("whatsapp_text.json"))
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "messages": 1, "stale": 0}
    [(question, conversation)] = service.assistant.calls
    assert question == "What were total sales in the North region last quarter?"
    assert conversation == conversation_id("whatsapp", "16505551234", SECRETS["conversation_key"])
    assert "16505551234" not in conversation
    [sent] = service.whatsapp.sent
    assert sent["to"] == "16505551234" and sent["phone_number_id"] == "106540352242922"
    assert [sent["text"]] == format_whatsapp(ANSWER)
    assert "*120*" in sent["text"] and "*Sources*" in sent["text"]
    assert not any(secret in caplog.text for secret in SECRETS.values())


def test_whatsapp_tampered_or_unsigned_bodies_are_refused_with_403():
    service = Service()
    body = json.dumps(load("whatsapp_text.json")).encode()
    tampered = body.replace(b"North", b"South")
    refused = service.post_whatsapp(tampered, signature=sign_whatsapp_body(body, SECRETS["whatsapp_app_secret"]))
    assert refused.status_code == 403
    assert refused.json()["kind"] == "forbidden"
    assert service.post_whatsapp(body, signature=None).status_code == 403
    assert service.post_whatsapp(body, signature=sign_whatsapp_body(body, "not-the-secret")).status_code == 403
    assert service.assistant.calls == [] and service.whatsapp.sent == []


def test_whatsapp_batch_answers_each_text_and_explains_the_image():
    service = Service()
    assert service.post_whatsapp(load("whatsapp_batch.json")).json()["messages"] == 3
    assert [q for q, _ in service.assistant.calls] == ["Which suppliers are linked to Acme Corp?",
                                                       "And the revenue trend for 2024?"]
    assert [s["to"] for s in service.whatsapp.sent] == ["16505551234", "16315551181", "16315551181"]
    assert "only read text" in service.whatsapp.sent[1]["text"] and "image" in service.whatsapp.sent[1]["text"]


def test_whatsapp_status_updates_and_redeliveries_are_not_answered():
    service = Service()
    assert service.post_whatsapp(load("whatsapp_status.json")).json()["messages"] == 0
    service.post_whatsapp(load("whatsapp_text.json"))
    again = service.post_whatsapp(load("whatsapp_text.json"))
    assert again.status_code == 200 and again.json()["messages"] == 0
    assert len(service.assistant.calls) == 1 and len(service.whatsapp.sent) == 1


def test_whatsapp_malformed_json_with_a_valid_signature_is_400():
    service = Service()
    response = service.post_whatsapp(b"{not json")
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


def test_long_answers_go_out_as_several_whatsapp_messages():
    long_reply = Reply("\n\n".join("A paragraph about revenue and margins. " * 30 for _ in range(10)))
    service = Service(FakeAssistant(long_reply))
    service.post_whatsapp(load("whatsapp_text.json"))
    assert len(service.whatsapp.sent) > 1
    assert all(len(s["text"]) <= 4096 for s in service.whatsapp.sent)


# --- Telegram -------------------------------------------------------------------------------


def test_telegram_message_is_answered_with_markdownv2_in_the_same_chat():
    service = Service()
    response = service.post_telegram(load("telegram_message.json"))
    assert response.status_code == 200 and response.json()["ok"] is True
    [(question, conversation)] = service.assistant.calls
    assert question == "Summarise the Q3 board memo, please."
    assert conversation.startswith("telegram-")
    [sent] = service.telegram.sent
    assert sent["chat_id"] == 7311452804 and sent["reply_to"] == 1365 and sent["parse_mode"] == "MarkdownV2"
    assert "*120*" in sent["text"] and "\\[1\\]" in sent["text"] and "units \\[1\\]\\." in sent["text"]


@pytest.mark.parametrize("secret", [None, "", "tg-secret-token_0c3e"])
def test_telegram_without_the_secret_header_is_refused(secret):
    service = Service()
    assert service.post_telegram(load("telegram_message.json"), secret=secret).status_code == 403
    assert service.assistant.calls == [] and service.telegram.sent == []


def test_telegram_sticker_gets_a_notice_and_start_gets_a_welcome():
    service = Service()
    service.post_telegram(load("telegram_sticker.json"))
    service.post_telegram(load("telegram_start.json"))
    assert service.assistant.calls == []
    assert "sticker" in service.telegram.sent[0]["text"]
    assert service.telegram.sent[1]["chat_id"] == 5550001111
    assert "Ask me a question" in service.telegram.sent[1]["text"]


def test_switched_off_channel_answers_503_naming_the_setting():
    service = Service(telegram_secret_token="")
    response = service.post_telegram(load("telegram_message.json"))
    assert response.status_code == 503 and "AW_TELEGRAM_SECRET_TOKEN" in response.json()["error"]
    assert service.client.get("/healthz").json()["channels"]["telegram"] is False


# --- Email ----------------------------------------------------------------------------------


def test_email_is_answered_by_smtp_in_the_same_thread():
    service = Service()
    raw = (FIXTURES / "email_reply.eml").read_bytes()
    response = service.client.post("/webhooks/email", content=raw, headers=bearer("email_webhook_token"))
    assert response.status_code == 202
    [(question, conversation)] = service.assistant.calls
    assert ">" not in question and "Best regards" not in question and "Procurement Analyst" not in question
    assert question.startswith("Thanks, that helps.")
    assert conversation == conversation_id("email", "maria.gonzalez@example.org", SECRETS["conversation_key"])
    [sent] = service.email.sent
    assert sent["To"] == "maria.gonzalez@example.org"
    assert sent["From"] == "Workbench <assistant@workbench.example.com>"
    assert sent["Subject"] == "Re: Supplier risk summary"
    assert sent["In-Reply-To"] == "<CAB4x2=reply-0042@mail.example.org>"
    assert sent["References"].endswith("<assistant-0041@workbench.example.com> <CAB4x2=reply-0042@mail.example.org>")
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent.get_content_type() == "multipart/alternative"
    assert "<strong>120</strong>" in sent.get_body(("html",)).get_content()


def test_email_needs_the_bearer_token_and_auto_replies_are_ignored():
    service = Service()
    raw = (FIXTURES / "email_reply.eml").read_bytes()
    assert service.client.post("/webhooks/email", content=raw).status_code == 403
    ooo = (FIXTURES / "email_autoreply.eml").read_bytes()
    assert service.client.post("/webhooks/email", content=ooo, headers=bearer("email_webhook_token")).status_code == 202
    assert service.assistant.calls == [] and service.email.sent == []


# --- Voice and web --------------------------------------------------------------------------


def test_voice_returns_speakable_text():
    service = Service(FakeAssistant(Reply("## Result\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nSee https://x.org [1].")))
    response = service.client.post("/webhooks/voice", json=load("voice_transcript.json"), headers=bearer("voice_webhook_token"))
    assert response.status_code == 200
    body = response.json()
    assert body["call_id"] == "CA5f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert body["text"] == "Result. A table with 1 row and the columns a and b. Row 1: a 1, b 2. See."
    assert service.assistant.calls[0][0] == "What was the average order value in March?"


def test_voice_silence_and_missing_token():
    service = Service()
    silent = load("voice_transcript.json") | {"transcript": ""}
    response = service.client.post("/webhooks/voice", json=silent, headers=bearer("voice_webhook_token"))
    assert response.json()["text"] == webhooks.SILENCE_TEXT
    assert service.client.post("/webhooks/voice", json=load("voice_transcript.json")).status_code == 403
    assert service.assistant.calls == []


def test_web_returns_markdown_with_sources_and_stable_conversations():
    service = Service()
    first = service.post_web("Top products?", "session-a").json()
    again = service.post_web("And by region?", "session-a").json()
    other = service.post_web("Top products?", "session-b").json()
    assert first["reply"].startswith("Sales in the North were **120** units \\[1\\].")  # escaped by the sanitiser
    assert "**Sources**" in first["reply"]
    assert first["sources"] == [{"index": 1, "kind": "sql", "title": "retail.db: orders"}]
    assert first["conversation_id"] == again["conversation_id"] != other["conversation_id"]
    assert "session-a" not in first["conversation_id"]
    assert [c for _, c in service.assistant.calls] == [first["conversation_id"]] * 2 + [other["conversation_id"]]


def test_web_refuses_overlong_and_empty_messages_without_asking():
    service = Service(max_message_chars=50)
    too_long = service.post_web("x" * 51)
    assert too_long.status_code == 400 and "under 50 characters" in too_long.json()["error"]
    assert service.post_web("   ").status_code == 400
    assert service.assistant.calls == []


def test_web_token_is_enforced_when_set():
    service = Service(web_webhook_token="widget-token")
    assert service.post_web("hi").status_code == 403
    ok = service.client.post("/webhooks/web", json={"session_id": "s", "text": "hi"},
                             headers={"Authorization": "Bearer widget-token"})
    assert ok.status_code == 200


def test_assistant_errors_become_clear_replies():
    service = Service(FakeAssistant(error=BackendUnavailable("The assistant is restarting; try again in a minute.")))
    response = service.post_web("hi")
    assert response.status_code == 503 and response.json()["error"] == "The assistant is restarting; try again in a minute."
    service.post_whatsapp(load("whatsapp_text.json"))
    assert service.whatsapp.sent[0]["text"] == "The assistant is restarting; try again in a minute."


def test_unexpected_assistant_failure_is_logged_and_the_sender_is_told(caplog):
    service = Service(FakeAssistant(error=RuntimeError("boom")))
    with caplog.at_level(logging.ERROR, logger="connectors.webhooks"):
        service.post_telegram(load("telegram_message.json"))
    assert "boom" in caplog.text
    assert "something went wrong" in service.telegram.sent[0]["text"]


def test_oversized_bodies_are_413():
    service = Service(max_body_mb=0.001)
    response = service.client.post("/webhooks/web", content=b"{" + b" " * 2000 + b"}", headers=bearer("web_webhook_token"))
    assert response.status_code == 413


# --- Rate limit -----------------------------------------------------------------------------


def test_rate_limit_per_sender_on_the_web():
    service = Service(rate_limit=2)
    assert [service.post_web("q").status_code for _ in range(2)] == [200, 200]
    refused = service.post_web("q")
    assert refused.status_code == 429 and "2 a minute" in refused.json()["error"]
    assert service.post_web("q", session_id="someone-else").status_code == 200
    service.clock.now += 61
    assert service.post_web("q").status_code == 200
    assert len(service.assistant.calls) == 4


def test_rate_limit_on_push_channels_warns_once_then_stays_quiet():
    service = Service(rate_limit=2)
    for n in range(5):
        payload = load("whatsapp_text.json")
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = f"wamid.{n}"
        service.post_whatsapp(payload)
    texts = [s["text"] for s in service.whatsapp.sent]
    assert len(service.assistant.calls) == 2
    assert len(texts) == 3 and "faster than I can answer" in texts[2]


# --- Configuration, the assistant client, the entry point -----------------------------------


def test_config_from_env_and_secrets_stay_out_of_repr():
    env = {"AW_WEBHOOK_PORT": "9001", "AW_WEBHOOK_RATE_LIMIT": "5", "AW_TELEGRAM_BOT_TOKEN": "123:abc",
           "AW_CLIENT_ENDPOINT_TOKEN": "endpoint-secret", "AW_WEBHOOK_MAX_BODY_MB": "",
           "AW_CLIENT_ENDPOINT_URL": "http://gpu:7860/"}
    config = WebhookConfig.from_env(env)
    assert (config.port, config.rate_limit, config.max_body_mb) == (9001, 5, 10.0)
    assert config.telegram_bot_token == "123:abc" and config.endpoint_url == "http://gpu:7860/"
    assert config.endpoint_token == "endpoint-secret"
    assert config.host == "127.0.0.1"
    assert "123:abc" not in repr(config) and "endpoint-secret" not in repr(config)
    with pytest.raises(ConfigError, match="AW_WEBHOOK_PORT"):
        WebhookConfig.from_env({"AW_WEBHOOK_PORT": "eighty"})
    with pytest.raises(ConfigError, match="AW_WEBHOOK_RATE_LIMIT"):
        WebhookConfig.from_env({"AW_WEBHOOK_RATE_LIMIT": "0"})
    with pytest.raises(ConfigError, match="AW_TELEGRAM_SECRET_TOKEN"):
        WebhookConfig(telegram_secret_token="has spaces")


def test_reply_from_endpoint_reads_the_documented_shapes():
    assert reply_from_endpoint("Plain **markdown**") == Reply("Plain **markdown**")
    reply = reply_from_endpoint(({"answer": "A [1]", "sources": [{"index": 1, "title": "t", "url": "https://u"}],
                                  "notice": "n"}, "extra output"))
    assert reply.text == "A [1]" and reply.notice == "n"
    assert reply.sources[0].title == "t" and reply.sources[0].reference["url"] == "https://u"
    with pytest.raises(BackendUnavailable, match="empty answer"):
        reply_from_endpoint({"text": "  "})
    with pytest.raises(BackendUnavailable, match="AW_CLIENT_ENDPOINT_API_NAME"):
        reply_from_endpoint(42)


@pytest.mark.slow
def test_gradio_assistant_client_talks_to_a_real_gradio_endpoint(monkeypatch):
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    gr = pytest.importorskip("gradio")

    def chat(message: str, conversation: str) -> dict:
        if message == "fail":
            raise gr.Error("No documents in this workspace yet.")
        return {"text": f"You asked **{message}** in {conversation} [1].",
                "sources": [{"index": 1, "kind": "passage", "title": "memo.pdf"}]}

    demo = gr.Interface(chat, [gr.Textbox(), gr.Textbox()], gr.JSON(), api_name="chat")
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = GradioAssistantClient(url, token="endpoint-token")
        reply = client.ask("top products", "web-123")
        assert reply.text == "You asked **top products** in web-123 [1]."
        assert reply.sources[0].title == "memo.pdf"
        with pytest.raises(WorkbenchError, match="No documents in this workspace yet."):
            client.ask("fail", "web-123")
        with pytest.raises(BackendUnavailable, match="AW_CLIENT_ENDPOINT_API_NAME"):
            GradioAssistantClient(url, api_name="/missing").ask("x", "y")
        assert "endpoint-token" not in repr(client)
    finally:
        demo.close()


def test_unreachable_endpoint_is_backend_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        with pytest.raises(BackendUnavailable, match="AW_CLIENT_ENDPOINT_URL"):
            GradioAssistantClient(f"http://127.0.0.1:{port}/").ask("x", "y")


def test_redact_filter_hides_the_verify_token_in_access_logs():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("1.2.3.4:5", "GET", "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=s3cr3t&hub.challenge=9",
                                "1.1", 200), None)
    RedactVerifyToken().filter(record)
    assert "s3cr3t" not in record.getMessage() and "hub.challenge=9" in record.getMessage()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_python_m_connectors_webhooks_serves_on_localhost_and_keeps_secrets_out_of_logs():
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AW_")}
    env |= {"AW_WEBHOOK_PORT": str(port), "AW_WHATSAPP_VERIFY_TOKEN": "verify-s3cret", "AW_CONVERSATION_KEY": "k",
            "AW_DATA_DIR": tempfile.mkdtemp(prefix="hooks-")}
    process = subprocess.Popen([sys.executable, "-m", "connectors.webhooks"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "the service did not start"
                time.sleep(0.2)
        assert health.json()["channels"] == {"whatsapp": False, "telegram": False, "email": False,
                                             "voice": False, "web": False}
        handshake = httpx.get(f"{base}/webhooks/whatsapp", params={
            "hub.mode": "subscribe", "hub.verify_token": "verify-s3cret", "hub.challenge": "777"})
        assert handshake.text == "777"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    assert f"127.0.0.1:{port}" in output
    assert "hub.verify_token=<redacted>" in output
    assert "verify-s3cret" not in output


# --- Replays, stale timestamps, exposure, deep JSON ----------------------------------------

WHATSAPP_TEXT_TIME = 1749416383  # the timestamp in whatsapp_text.json
TELEGRAM_MESSAGE_TIME = 1749416383  # the date in telegram_message.json


def test_a_captured_signed_whatsapp_body_replayed_after_a_restart_is_not_answered(tmp_path):
    shared = {"metadata_url": f"sqlite:///{tmp_path}/workbench.db", "max_age_seconds": 300,
              "delivery_ttl_seconds": 86400}
    first = Service(wall_clock=lambda: WHATSAPP_TEXT_TIME + 5, **shared)
    body = json.dumps(load("whatsapp_text.json")).encode()
    assert first.post_whatsapp(body).json()["messages"] == 1
    # A new process on the same store (a restart): the same signed body is acknowledged, not answered.
    restarted = Service(wall_clock=lambda: WHATSAPP_TEXT_TIME + 60, **shared)
    again = restarted.post_whatsapp(body)
    assert again.status_code == 200 and again.json()["messages"] == 0
    assert restarted.assistant.calls == [] and restarted.whatsapp.sent == []


def test_telegram_and_email_redeliveries_are_remembered_across_restarts(tmp_path):
    shared = {"metadata_url": f"sqlite:///{tmp_path}/workbench.db", "max_age_seconds": 300}
    update = load("telegram_message.json")
    raw = (FIXTURES / "email_reply.eml").read_bytes()
    first = Service(wall_clock=lambda: TELEGRAM_MESSAGE_TIME, **shared)
    assert first.post_telegram(update).json()["messages"] == 1
    assert first.client.post("/webhooks/email", content=raw, headers=bearer("email_webhook_token")).json() == {"status": "accepted"}
    restarted = Service(wall_clock=lambda: TELEGRAM_MESSAGE_TIME, **shared)
    assert restarted.post_telegram(update).json()["messages"] == 0
    assert restarted.client.post("/webhooks/email", content=raw, headers=bearer("email_webhook_token")).json() == {"status": "duplicate"}
    assert restarted.assistant.calls == []


@pytest.mark.parametrize("offset", [301, 86400 * 30, -301])
def test_messages_timestamped_outside_the_window_are_not_answered(offset):
    service = Service(wall_clock=lambda: WHATSAPP_TEXT_TIME + offset, max_age_seconds=300)
    response = service.post_whatsapp(load("whatsapp_text.json"))
    assert response.status_code == 200 and response.json() == {"status": "accepted", "messages": 0, "stale": 1}
    telegram = Service(wall_clock=lambda: TELEGRAM_MESSAGE_TIME + offset, max_age_seconds=300)
    assert telegram.post_telegram(load("telegram_message.json")).json()["stale"] == 1
    assert service.assistant.calls == [] and telegram.assistant.calls == []


def test_the_window_is_configurable_and_documented():
    assert WebhookConfig.from_env({"AW_WEBHOOK_MAX_AGE_SECONDS": "60"}).max_age_seconds == 60
    assert WebhookConfig().max_age_seconds == 300
    with pytest.raises(ConfigError, match="AW_WEBHOOK_DELIVERY_TTL_SECONDS"):
        WebhookConfig(max_age_seconds=600, delivery_ttl_seconds=60)
    assert "AW_WEBHOOK_MAX_AGE_SECONDS" in (ROOT / "README.md").read_text()
    within = Service(wall_clock=lambda: WHATSAPP_TEXT_TIME + 299, max_age_seconds=300)
    assert within.post_whatsapp(load("whatsapp_text.json")).json()["messages"] == 1


def test_stored_delivery_ids_expire_after_their_ttl(tmp_path):
    from connectors.channels.guards import StoredDeliveries
    from core.metadata import MetadataStore, webhook_deliveries

    clock = FakeClock()
    store = MetadataStore(f"sqlite:///{tmp_path}/workbench.db")
    one, other = StoredDeliveries(store, 100, clock), StoredDeliveries(store, 100, clock)
    assert one.first_time("whatsapp:wamid.1") is True
    assert other.first_time("whatsapp:wamid.1") is False  # another process sees it too
    assert one.first_time("") is True and one.first_time("") is True
    clock.now += 101
    assert other.first_time("whatsapp:wamid.1") is True
    with store.connect() as conn:
        ids = [row.id for row in conn.execute(webhook_deliveries.select())]
    assert ids and all(len(i) == 64 and "wamid" not in i for i in ids)  # hashed, never the platform id


def test_the_delivery_table_appears_on_an_existing_data_dir(tmp_path):
    import sqlalchemy

    from connectors.channels.guards import StoredDeliveries
    from core.metadata import MetadataStore

    from alembic import command

    from core.migrations.runner import BASELINE, _config

    url = f"sqlite:///{tmp_path}/workbench.db"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:  # a data dir as the release before migrations left it
        command.upgrade(_config(conn), BASELINE)
        conn.execute(sqlalchemy.text("DROP TABLE alembic_version"))
    assert "webhook_deliveries" not in sqlalchemy.inspect(engine).get_table_names()
    engine.dispose()
    assert StoredDeliveries(MetadataStore(url), 60).first_time("telegram:1") is True
    assert "webhook_deliveries" in sqlalchemy.inspect(sqlalchemy.create_engine(url)).get_table_names()


def test_web_channel_is_off_without_a_token():
    service = Service(web_webhook_token="")
    response = service.client.post("/webhooks/web", json={"session_id": "s", "text": "hi"})
    assert response.status_code == 503 and "AW_WEB_WEBHOOK_TOKEN" in response.json()["error"]
    assert service.client.get("/healthz").json()["channels"]["web"] is False
    assert service.assistant.calls == []


def test_refuses_a_non_loopback_bind_without_a_tls_proxy(capsys):
    assert webhooks.main({"AW_WEBHOOK_HOST": "0.0.0.0", "AW_DATA_DIR": tempfile.mkdtemp()}) == 2
    assert "AW_WEBHOOK_TRUSTED_PROXIES" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="Refusing to listen on 10.1.2.3"):
        webhooks.check_exposure(WebhookConfig(host="10.1.2.3"))
    webhooks.check_exposure(WebhookConfig(host="0.0.0.0", trusted_proxies="10.0.0.5"))
    webhooks.check_exposure(WebhookConfig())


def test_behind_the_proxy_only_https_calls_are_answered():
    plain = Service(host="0.0.0.0", trusted_proxies="10.0.0.5")
    assert plain.post_web("hi").status_code == 403
    secure = Service(host="0.0.0.0", trusted_proxies="10.0.0.5", base_url="https://testserver")
    assert secure.post_web("hi").status_code == 200


@pytest.mark.parametrize("channel", ["whatsapp", "telegram", "voice", "web"])
def test_deeply_nested_json_is_400_not_500(channel):
    service = Service()
    service.client = TestClient(service.client.app, raise_server_exceptions=False)
    body = b"[" * 200_000 + b"]" * 200_000
    if channel == "whatsapp":
        response = service.post_whatsapp(body)
    else:
        token = {"telegram": {}, "voice": bearer("voice_webhook_token"), "web": bearer("web_webhook_token")}[channel]
        headers = token | ({"X-Telegram-Bot-Api-Secret-Token": SECRETS["telegram_secret_token"]} if channel == "telegram" else {})
        response = service.client.post(f"/webhooks/{channel}", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["error"]


REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own on the local Redis; its keys are deleted afterwards."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379 (make test starts one)")
    prefix = f"aw-test:{time.time_ns()}:"
    yield prefix
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_with_redis_a_replay_after_a_restart_is_not_answered(redis_prefix):
    from connectors.channels.guards import RedisDeliveries

    body = json.dumps(load("whatsapp_text.json")).encode()
    first = Service(wall_clock=lambda: WHATSAPP_TEXT_TIME, max_age_seconds=300,
                    deliveries=RedisDeliveries(REDIS_URL, 3600, prefix=redis_prefix))
    assert first.post_whatsapp(body).json()["messages"] == 1
    restarted = Service(wall_clock=lambda: WHATSAPP_TEXT_TIME, max_age_seconds=300,
                        deliveries=RedisDeliveries(REDIS_URL, 3600, prefix=redis_prefix))
    assert restarted.post_whatsapp(body).json()["messages"] == 0
    assert restarted.assistant.calls == []


def test_redis_delivery_ids_expire_and_the_url_selects_redis(redis_prefix):
    from connectors.channels.guards import RedisDeliveries

    ledger = RedisDeliveries(REDIS_URL, 0.5, prefix=redis_prefix)
    assert ledger.first_time("telegram:42") is True and ledger.first_time("telegram:42") is False
    time.sleep(0.7)
    assert ledger.first_time("telegram:42") is True
    config = WebhookConfig.from_env({"AW_REDIS_URL": REDIS_URL})
    assert isinstance(webhooks.build_deliveries(config), RedisDeliveries)
    assert REDIS_URL not in repr(config)
    unreachable = RedisDeliveries("redis://127.0.0.1:1/0", 60)
    with pytest.raises(BackendUnavailable, match="Redis cannot be reached"):
        unreachable.first_time("whatsapp:x")
