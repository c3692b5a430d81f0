"""Normalisers turn each channel's documented payload into InboundMessage / UnsupportedMessage."""

from __future__ import annotations

import copy
import json
import random
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest

from connectors.channels.message import InboundMessage, UnsupportedMessage, conversation_id
from connectors.channels.normalize import (
    html_to_text,
    normalize_email,
    normalize_telegram,
    normalize_voice,
    normalize_web,
    normalize_whatsapp,
    strip_quoted_reply,
)
from core.errors import InvalidInput

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --- WhatsApp -------------------------------------------------------------------------------


def test_whatsapp_text_message_becomes_one_inbound_message():
    [message] = normalize_whatsapp(load("whatsapp_text.json"))
    assert isinstance(message, InboundMessage)
    assert message.channel == "whatsapp"
    assert message.content == "What were total sales in the North region last quarter?"
    assert message.sender_id == "16505551234"
    assert message.timestamp == datetime(2025, 6, 8, 20, 59, 43, tzinfo=timezone.utc)
    assert message.metadata["display_name"] == "Sheena Nelson"
    assert message.metadata["phone_number_id"] == "106540352242922"
    assert message.metadata["message_id"].startswith("wamid.")


def test_whatsapp_batch_gives_every_message_in_order_and_flags_the_image():
    items = normalize_whatsapp(load("whatsapp_batch.json"))
    assert [type(i).__name__ for i in items] == ["InboundMessage", "UnsupportedMessage", "InboundMessage"]
    assert [i.metadata["message_id"] for i in items] == ["wamid.BATCH0001", "wamid.BATCH0002", "wamid.BATCH0003"]
    image = items[1]
    assert image.kind == "image" and image.sender_id == "16315551181"
    assert image.reason == "unsupported message type: image"
    assert "text" in image.user_notice and "image" in image.user_notice
    assert items[2].metadata["display_name"] == "Kerry Fisher"


def test_whatsapp_status_updates_are_ignored():
    assert normalize_whatsapp(load("whatsapp_status.json")) == []


def test_whatsapp_payload_of_another_object_is_refused():
    payload = load("whatsapp_text.json") | {"object": "page"}
    with pytest.raises(InvalidInput, match="not a WhatsApp"):
        normalize_whatsapp(payload)


def test_whatsapp_message_without_sender_is_invalid_input_not_a_crash():
    payload = load("whatsapp_text.json")
    del payload["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
    with pytest.raises(InvalidInput, match="'from'"):
        normalize_whatsapp(payload)


def test_whatsapp_reaction_is_unsupported():
    payload = load("whatsapp_text.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0] = {
        "from": "16505551234", "id": "wamid.R", "timestamp": "1749416383", "type": "reaction",
        "reaction": {"message_id": "wamid.X", "emoji": "\U0001F44D"},
    }
    [item] = normalize_whatsapp(payload)
    assert isinstance(item, UnsupportedMessage) and item.kind == "reaction"


# --- Telegram -------------------------------------------------------------------------------


def test_telegram_message_update():
    [message] = normalize_telegram(load("telegram_message.json"))
    assert message.channel == "telegram"
    assert message.content == "Summarise the Q3 board memo, please."
    assert message.sender_id == "7311452804"
    assert message.metadata["chat_id"] == 7311452804
    assert message.metadata["message_id"] == 1365
    assert message.metadata["display_name"] == "Ada Lovelace"
    assert message.metadata["edited"] is False
    assert message.timestamp == datetime.fromtimestamp(1749416383, timezone.utc)


def test_telegram_edited_message_in_a_group_keeps_sender_and_chat_apart():
    [message] = normalize_telegram(load("telegram_edited.json"))
    assert message.metadata["edited"] is True
    assert message.timestamp == datetime.fromtimestamp(1749416450, timezone.utc)  # edit_date, not the original date
    assert message.sender_id == "7311452804"
    assert message.metadata["chat_id"] == -1001234567890
    assert message.metadata["chat_type"] == "supergroup"


def test_telegram_sticker_is_unsupported_with_a_clear_reason():
    [item] = normalize_telegram(load("telegram_sticker.json"))
    assert isinstance(item, UnsupportedMessage)
    assert item.kind == "sticker"
    assert item.reason == "unsupported message type: sticker"
    assert item.metadata["chat_id"] == 7311452804


def test_telegram_command_is_recognised_even_with_the_bot_name():
    [start] = normalize_telegram(load("telegram_start.json"))
    assert start.metadata["command"] == "start"
    update = load("telegram_start.json")
    update["message"]["text"] = "/help@AnalystBot now"
    [helped] = normalize_telegram(update)
    assert helped.metadata["command"] == "help"


def test_telegram_update_without_a_message_gives_nothing():
    update = {"update_id": 5, "my_chat_member": {"chat": {"id": 1}, "date": 1}}
    assert normalize_telegram(update) == []


def test_telegram_non_update_is_refused():
    with pytest.raises(InvalidInput, match="update_id"):
        normalize_telegram({"message": {"text": "hi"}})


# --- Email ----------------------------------------------------------------------------------


def test_email_reply_keeps_only_the_new_text_and_the_subject():
    message = normalize_email((FIXTURES / "email_reply.eml").read_bytes())
    assert isinstance(message, InboundMessage)
    assert message.channel == "email"
    assert message.content == (
        "Thanks, that helps.\n\n"
        "Which of those suppliers had late deliveries in May, and by how many days on average?"
    )
    assert message.sender_id == "maria.gonzalez@example.org"
    assert message.metadata["subject"] == "Re: Supplier risk summary"
    assert message.metadata["display_name"] == "Maria Gonzalez"
    assert message.metadata["message_id"] == "<CAB4x2=reply-0042@mail.example.org>"
    assert "<assistant-0041@workbench.example.com>" in message.metadata["references"]
    assert message.timestamp == datetime(2025, 6, 10, 7, 41, 7, tzinfo=timezone.utc)


def test_email_with_only_html_is_read_as_text_without_scripts_or_quotes():
    message = normalize_email((FIXTURES / "email_html_only.eml").read_bytes())
    assert message.content == "Hello,\n\nWhat was the churn rate in Q1 & Q2?\n\n- by region\n- by plan"
    assert "alert" not in message.content and "color" not in message.content
    assert "Earlier" not in message.content and "Sent:" not in message.content


def test_automatic_replies_are_not_answered():
    item = normalize_email((FIXTURES / "email_autoreply.eml").read_bytes())
    assert isinstance(item, UnsupportedMessage)
    assert item.notify_sender is False


def test_email_without_body_falls_back_to_subject_and_reply_to_is_kept():
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Reply-To"] = "team@example.com"
    msg["Subject"] = "Headcount by department?"
    msg.set_content("")
    item = normalize_email(msg.as_bytes())
    assert item.content == "Headcount by department?"
    assert item.metadata["reply_to"] == "team@example.com"


def test_email_without_date_uses_arrival_time():
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg.set_content("Question?")
    arrived = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    item = normalize_email(msg.as_bytes(), received_at=arrived)
    assert item.timestamp == arrived and item.timestamp.tzinfo == timezone.utc


def test_email_without_sender_is_invalid():
    with pytest.raises(InvalidInput, match="From"):
        normalize_email(b"Subject: hi\n\nbody\n")


def test_email_headers_are_decoded_and_malformed_senders_are_invalid_input():
    raw = (b"From: =?utf-8?q?Gonz=C3=A1lez=2C_Mar=C3=ADa?= <Maria@Example.org>\n"
           b"Subject: =?utf-8?q?Pr=C3=BCfung?=\n\nWhich audits are open?\n")
    message = normalize_email(raw)
    assert message.sender_id == "maria@example.org"
    assert message.metadata["display_name"] == "Gonz\u00e1lez, Mar\u00eda"
    assert message.metadata["subject"] == "Pr\u00fcfung"
    # The stdlib's strict header parser raises IndexError on this one; we must not.
    with pytest.raises(InvalidInput, match="From"):
        normalize_email(b"From: Maria Gonzalez <Maria.Gonzalez@\nSubject: x\n\nhello\n")


@pytest.mark.parametrize("text, expected", [
    ("Short answer?\n\nOn Tue, 3 Jun 2025, Bob <b@x.org> wrote:\n> old", "Short answer?"),
    ("New\n\n-----Original Message-----\nFrom: x\nold", "New"),
    ("New\n\nFrom: Bob\nSent: Monday\nTo: me\n\nold", "New"),
    ("Inline:\n> quoted question\nmy answer\n\nKind regards\n-- \nBob\nPhone", "Inline:\nmy answer"),
    ("Question\n\nSent from my iPhone", "Question"),
])
def test_strip_quoted_reply(text, expected):
    assert strip_quoted_reply(text) == expected


def test_html_to_text_keeps_line_structure():
    assert html_to_text("<p>One<br>Two</p><p>Three &amp; <b>four</b></p>") == "One\nTwo\n\nThree & four"


JUNK = [None, 1, "x", [], {}, [1], {"a": 1}, True, -5, "   "]


def _mutations(payload, rng, count):
    """Copies of ``payload`` with one nested value replaced by junk or removed."""
    def paths(value, prefix=()):
        if prefix:
            yield prefix
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            yield from paths(child, prefix + (key,))

    all_paths = list(paths(payload))
    for _ in range(count):
        mutated, path = copy.deepcopy(payload), rng.choice(all_paths)
        parent = mutated
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[path[-1]]
        else:
            parent[path[-1]] = rng.choice(JUNK)
        yield mutated


@pytest.mark.parametrize("fixture, normalize", [
    ("whatsapp_batch.json", normalize_whatsapp), ("telegram_message.json", normalize_telegram),
    ("telegram_edited.json", normalize_telegram), ("voice_transcript.json", normalize_voice),
    ("web_message.json", normalize_web),
])
def test_malformed_payloads_give_invalid_input_or_messages_never_a_crash(fixture, normalize):
    for payload in _mutations(load(fixture), random.Random(fixture), 400):
        try:
            result = normalize(payload)
        except InvalidInput:
            continue
        for item in result if isinstance(result, list) else [result]:
            assert isinstance(item, (InboundMessage, UnsupportedMessage))
            assert isinstance(item.sender_id, str) and item.sender_id


# --- Voice and web --------------------------------------------------------------------------


def test_voice_transcript():
    message = normalize_voice(load("voice_transcript.json"))
    assert message.channel == "voice"
    assert message.content == "What was the average order value in March?"
    assert message.sender_id == "+14155550123"
    assert message.metadata["call_id"] == "CA5f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert message.timestamp == datetime(2025, 6, 8, 21, 13, 3, tzinfo=timezone.utc)


def test_voice_silence_is_unsupported_and_missing_ids_are_invalid():
    payload = load("voice_transcript.json") | {"transcript": "   "}
    assert normalize_voice(payload).kind == "silence"
    with pytest.raises(InvalidInput, match="caller_id"):
        normalize_voice({"call_id": "c", "transcript": "hi"})
    with pytest.raises(InvalidInput, match="ISO 8601"):
        normalize_voice(load("voice_transcript.json") | {"timestamp": "yesterday"})


def test_web_message_uses_server_time():
    arrived = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    message = normalize_web(load("web_message.json"), received_at=arrived)
    assert message.channel == "web"
    assert message.sender_id == "web_3f9c2a71-4b8e-4d7a-9a31-0c5e2f1b6d88"
    assert message.content == "Show me the top five products by revenue."
    assert message.timestamp == arrived


@pytest.mark.parametrize("session_id", ["", "has space", "x" * 129, "<script>", 42])
def test_web_message_rejects_bad_session_ids(session_id):
    with pytest.raises(InvalidInput, match="session_id"):
        normalize_web({"session_id": session_id, "text": "hi"})


# --- The internal message -------------------------------------------------------------------


def test_inbound_message_is_frozen_and_in_utc():
    local = datetime(2025, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    message = InboundMessage("hi", "s1", "web", local)
    assert message.timestamp == datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert message.timestamp.tzinfo == timezone.utc
    with pytest.raises(AttributeError):
        message.content = "changed"  # type: ignore[misc]


def test_inbound_message_refuses_naive_time_unknown_channel_and_empty_text():
    now = datetime.now(timezone.utc)
    with pytest.raises(InvalidInput, match="timezone"):
        InboundMessage("hi", "s", "web", datetime(2025, 1, 1))
    with pytest.raises(InvalidInput, match="Unknown channel"):
        InboundMessage("hi", "s", "sms", now)
    with pytest.raises(InvalidInput, match="no text"):
        InboundMessage("  ", "s", "web", now)


def test_conversation_ids_are_stable_distinct_and_do_not_expose_the_sender():
    phone = "16505551234"
    first = conversation_id("whatsapp", phone, "k")
    assert first == conversation_id("whatsapp", phone, "k")
    assert first.startswith("whatsapp-")
    assert phone not in first
    others = {conversation_id("whatsapp", "16505551235", "k"), conversation_id("telegram", phone, "k"),
              conversation_id("whatsapp", phone, "other key")}
    assert first not in others and len(others) == 3
