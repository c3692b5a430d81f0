"""One formatter per channel: the assistant's Markdown reply with sources -> what the channel shows.

- ``format_whatsapp``: WhatsApp's own markup (*bold*, _italic_, ~strike~, ```mono```), no tables,
  headings or link syntax, split into messages of at most 4096 characters.
- ``format_telegram``: MarkdownV2 with every reserved character escaped, at most 4096 characters
  (UTF-16 units, as Telegram counts) per message after escaping.
- ``format_voice``: plain speakable text: no markup, URLs or tables; citations dropped or spoken.
- ``format_email``: a multipart/alternative message with a plain-text and an HTML part.
- ``format_web``: Markdown with a sources list.

All of them read the reply with the small Markdown reader in ``markdown``, so every channel sees
the same structure, and long replies are split there without cutting markup in half.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from html import escape as html_escape

from connectors.channels.markdown import (
    Block,
    aligned_table,
    escape_markdown,
    is_safe_url,
    parse_blocks,
    parse_spans,
    plain_text,
    split_messages,
)
from connectors.channels.message import Reply
from core.records import Source
from core.text_safety import safe_markdown

WHATSAPP_MAX_CHARS = 4096
TELEGRAM_MAX_CHARS = 4096
VOICE_MAX_CHARS = 900
TELEGRAM_RESERVED = "_*[]()~`>#+-=|{}.!\\"


def _source_label(source: Source, with_url: bool = True) -> str:
    url = str(source.reference.get("url", "")) if with_url else ""
    return f"{source.title} ({url})" if url and is_safe_url(url) else source.title


def _markdown_with_sources(reply: Reply) -> str:
    parts = [reply.text.strip()]
    if reply.notice.strip():
        parts.append(f"Note: {escape_markdown(reply.notice.strip())}")
    if reply.sources:
        lines = [f"- \\[{s.index}\\] {escape_markdown(_source_label(s))}" for s in reply.sources]
        parts.append("**Sources**\n" + "\n".join(lines))
    return "\n\n".join(part for part in parts if part)


# --- WhatsApp -------------------------------------------------------------------------------

_WHATSAPP_MARK = {"bold": "*", "italic": "_", "strike": "~"}


def _whatsapp_inline(text: str) -> str:
    out = []
    for span in parse_spans(text):
        if span.kind == "text":
            out.append(span.text)
        elif span.kind == "code":
            out.append(f"```{span.text}```")
        elif span.kind == "link":
            shown = span.text if span.text == span.url or not is_safe_url(span.url) else f"{span.text} ({span.url})"
            out.append(shown)
        else:
            out.append(f"{_WHATSAPP_MARK[span.kind]}{span.text}{_WHATSAPP_MARK[span.kind]}")
    return "".join(out)


def _whatsapp_block(block: Block) -> str:
    indent = "  " * block.depth
    if block.kind == "heading":
        return f"*{plain_text(parse_spans(block.text))}*"
    if block.kind == "bullet":
        return f"{indent}• {_whatsapp_inline(block.text)}"
    if block.kind == "ordered":
        return f"{indent}{block.marker}. {_whatsapp_inline(block.text)}"
    if block.kind == "quote":
        return f"> {_whatsapp_inline(block.text)}"
    if block.kind == "code":
        return f"```\n{block.text}\n```"
    if block.kind == "table":
        header = [plain_text(parse_spans(cell)) for cell in block.rows[0]]
        return "\n".join("• " + ", ".join(f"{h}: {_whatsapp_inline(v)}" for h, v in zip(header, row))
                         for row in block.rows[1:])
    if block.kind == "rule":
        return ""
    return _whatsapp_inline(block.text)


def format_whatsapp(reply: Reply, *, max_chars: int = WHATSAPP_MAX_CHARS) -> list[str]:
    """The reply as WhatsApp messages in its markup subset, each at most ``max_chars`` long."""
    return split_messages(_markdown_with_sources(reply), _whatsapp_block, max_chars)


# --- Telegram -------------------------------------------------------------------------------

_TELEGRAM_MARK = {"bold": "*", "italic": "_", "strike": "~"}


_TELEGRAM_RESERVED_RE = re.compile(f"([{re.escape(TELEGRAM_RESERVED)}])")


def escape_telegram(text: str) -> str:
    """``text`` with every MarkdownV2 reserved character backslash-escaped."""
    return _TELEGRAM_RESERVED_RE.sub(r"\\\1", text)


def _telegram_code(text: str) -> str:
    return re.sub(r"([`\\])", r"\\\1", text)


def _telegram_inline(text: str) -> str:
    out = []
    for span in parse_spans(text):
        if span.kind == "text":
            out.append(escape_telegram(span.text))
        elif span.kind == "code":
            out.append(f"`{_telegram_code(span.text)}`")
        elif span.kind == "link" and is_safe_url(span.url):
            # Inside the (...) of a link only ')' and '\' are escaped.
            url = re.sub(r"([)\\])", r"\\\1", span.url)
            out.append(f"[{escape_telegram(span.text)}]({url})")
        elif span.kind == "link":
            out.append(escape_telegram(span.text))
        else:
            out.append(f"{_TELEGRAM_MARK[span.kind]}{escape_telegram(span.text)}{_TELEGRAM_MARK[span.kind]}")
    return "".join(out)


def _telegram_block(block: Block) -> str:
    indent = "  " * block.depth
    if block.kind == "heading":
        return f"*{escape_telegram(plain_text(parse_spans(block.text)))}*"
    if block.kind == "bullet":
        return f"{indent}• {_telegram_inline(block.text)}"
    if block.kind == "ordered":
        return f"{indent}{escape_telegram(block.marker + '.')} {_telegram_inline(block.text)}"
    if block.kind == "quote":
        return f">{_telegram_inline(block.text)}"
    if block.kind == "code":
        return f"```{block.marker}\n{_telegram_code(block.text)}\n```"
    if block.kind == "table":
        return f"```\n{_telegram_code(aligned_table(block.rows))}\n```"
    if block.kind == "rule":
        return ""
    return _telegram_inline(block.text)


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def format_telegram(reply: Reply, *, max_chars: int = TELEGRAM_MAX_CHARS) -> list[str]:
    """The reply as Telegram MarkdownV2 messages, each at most ``max_chars`` UTF-16 units after escaping."""
    return split_messages(_markdown_with_sources(reply), _telegram_block, max_chars, _utf16_length)


# --- Voice ----------------------------------------------------------------------------------

_CITATION = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# A URL, without the punctuation that ends the sentence around it.
_URL = re.compile(r"(?:https?://|www\.|mailto:)\S+?(?=[.,;:!?)]*(?:\s|$))", re.IGNORECASE)


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return f"{text}." if text and text[-1].isalnum() else text


def _spoken_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _speak_table(rows: tuple[tuple[str, ...], ...]) -> str:
    header = [plain_text(parse_spans(cell)) for cell in rows[0]]
    body = rows[1:]
    said = [f"A table with {len(body)} row{'' if len(body) == 1 else 's'}"
            + (f" and the columns {_spoken_list(header)}." if any(header) else ".")]
    for n, row in enumerate(body[:3], start=1):
        said.append(f"Row {n}: " + ", ".join(f"{h} {plain_text(parse_spans(v))}" for h, v in zip(header, row)) + ".")
    if len(body) > 3:
        said.append("The other rows are in the written answer.")
    return " ".join(said)


def _voice_block(block: Block) -> str:
    if block.kind == "code":
        return "There is a code sample in the written answer."
    if block.kind == "table":
        return _speak_table(block.rows)
    if block.kind == "rule":
        return ""
    return _sentence(plain_text(parse_spans(block.text)))


def _spoken_title(source: Source) -> str:
    title = re.sub(r"\.(pdf|docx?|md|rst|txt|csv|html?)$", "", source.title, flags=re.IGNORECASE)
    return " ".join(re.sub(r"[_\-]+", " ", title).split())


def format_voice(reply: Reply, *, max_chars: int = VOICE_MAX_CHARS, speak_citations: bool = False) -> str:
    """The reply as plain text for speech: no markup, URLs or tables; at most ``max_chars`` long.

    Citations like [1] are dropped, or said as "source 1" when ``speak_citations`` is set.
    """
    said = [_sentence(reply.notice)] if reply.notice.strip() else []
    said += [_voice_block(block) for block in parse_blocks(reply.text)]
    text = " ".join(part for part in said if part)

    def citation(m: re.Match) -> str:
        numbers = re.split(r"\s*[,;]\s*", m.group(1))
        return f" (source{'s' if len(numbers) > 1 else ''} {_spoken_list(numbers)})" if speak_citations else ""

    text = _URL.sub("", _CITATION.sub(citation, text))
    text = re.sub(r"[*_`#|~\\]+", " ", text)  # stray markup the reader left as text
    text = re.sub(r"\s+([.,;:!?)])", r"\1", " ".join(text.split())).strip()
    if reply.sources:
        titles = [_spoken_title(s) for s in reply.sources[:3]]
        text += f" This answer draws on {len(reply.sources)} source{'' if len(reply.sources) == 1 else 's'}" + (
            f", including {_spoken_list(titles)}." if len(reply.sources) > 3 else f": {_spoken_list(titles)}.")
    return _shorten_speech(text, max_chars)


def _shorten_speech(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    ending = " That is the short version of the answer."
    room = text[: max(max_chars - len(ending), 0)]
    cut = max(room.rfind(". "), room.rfind("? "), room.rfind("! "))
    short = room[: cut + 1] if cut > 0 else room[: room.rfind(" ")].rstrip(",;:") + "..."
    return (short + ending)[:max_chars]


# --- Email ----------------------------------------------------------------------------------


def _plain_inline(text: str) -> str:
    return "".join(f"{s.text} <{s.url}>" if s.kind == "link" and s.text != s.url else s.text for s in parse_spans(text))


def _email_plain_block(block: Block) -> str:
    if block.kind == "heading":
        title = plain_text(parse_spans(block.text))
        return f"{title}\n{'-' * len(title)}"
    if block.kind in ("bullet", "ordered"):
        bullet = f"{block.marker}." if block.kind == "ordered" else "-"
        return f"{'  ' * block.depth}{bullet} {_plain_inline(block.text)}"
    if block.kind == "quote":
        return f"> {_plain_inline(block.text)}"
    if block.kind == "code":
        return "\n".join(f"    {line}" for line in block.text.split("\n"))
    if block.kind == "table":
        return aligned_table(block.rows)
    if block.kind == "rule":
        return "-" * 20
    return _plain_inline(block.text)


_HTML_TAG = {"bold": "strong", "italic": "em", "strike": "del", "code": "code"}


def _html_inline(text: str) -> str:
    out = []
    for span in parse_spans(text):
        shown = html_escape(span.text).replace("\n", "<br>\n")
        if span.kind == "link" and is_safe_url(span.url):
            out.append(f'<a href="{html_escape(span.url, quote=True)}">{shown}</a>')
        elif span.kind in _HTML_TAG:
            out.append(f"<{_HTML_TAG[span.kind]}>{shown}</{_HTML_TAG[span.kind]}>")
        else:
            out.append(shown)
    return "".join(out)


def _html_block(block: Block) -> str:
    if block.kind == "heading":
        return f"<h3>{_html_inline(block.text)}</h3>"
    if block.kind in ("bullet", "ordered"):
        value = f' value="{block.marker}"' if block.marker else ""
        style = f' style="margin-left:{1.5 * block.depth}em"' if block.depth else ""
        return f"<li{value}{style}>{_html_inline(block.text)}</li>"
    if block.kind == "quote":
        return f"<blockquote>{_html_inline(block.text)}</blockquote>"
    if block.kind == "code":
        return f"<pre><code>{html_escape(block.text)}</code></pre>"
    if block.kind == "table":
        head = "".join(f"<th>{_html_inline(c)}</th>" for c in block.rows[0])
        body = "".join("<tr>" + "".join(f"<td>{_html_inline(c)}</td>" for c in row) + "</tr>" for row in block.rows[1:])
        return f'<table border="1" cellpadding="4" cellspacing="0"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    if block.kind == "rule":
        return "<hr>"
    return f"<p>{_html_inline(block.text)}</p>"


def _email_html(reply: Reply) -> str:
    parts, open_list = [], ""
    for block in parse_blocks(reply.text):
        list_tag = {"bullet": "ul", "ordered": "ol"}.get(block.kind, "")
        if open_list and list_tag != open_list:
            parts.append(f"</{open_list}>")
            open_list = ""
        if list_tag and not open_list:
            parts.append(f"<{list_tag}>")
            open_list = list_tag
        parts.append(_html_block(block))
    if open_list:
        parts.append(f"</{open_list}>")
    if reply.notice.strip():
        parts.append(f"<p><em>Note: {html_escape(reply.notice.strip())}</em></p>")
    if reply.sources:
        items = []
        for s in reply.sources:
            url = str(s.reference.get("url", ""))
            link = f' &mdash; <a href="{html_escape(url, quote=True)}">{html_escape(url)}</a>' if is_safe_url(url) else ""
            items.append(f'<li value="{int(s.index)}">{html_escape(s.title)}{link}</li>')
        parts.append(f'<h4>Sources</h4>\n<ol class="sources">{"".join(items)}</ol>')
    body = "\n".join(parts)
    return f'<!DOCTYPE html>\n<html><body style="font-family:sans-serif;line-height:1.4">\n{body}\n</body></html>\n'


def _email_plain(reply: Reply) -> str:
    parts = []
    for block in parse_blocks(reply.text):
        text = _email_plain_block(block)
        parts.append(("\n" if block.tight and parts else "\n\n" if parts else "") + text)
    if reply.notice.strip():
        parts.append(f"\n\nNote: {reply.notice.strip()}")
    if reply.sources:
        parts.append("\n\nSources:\n" + "\n".join(f"[{s.index}] {_source_label(s)}" for s in reply.sources))
    return "".join(parts).strip() + "\n"


def format_email(reply: Reply, *, subject: str) -> EmailMessage:
    """The reply as a multipart/alternative email (plain text and HTML) with ``subject``; the
    caller adds From, To and threading headers."""
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split()) or "Your question"
    message.set_content(_email_plain(reply))
    message.add_alternative(_email_html(reply), subtype="html")
    return message


# --- Web ------------------------------------------------------------------------------------


def format_web(reply: Reply) -> str:
    """The reply as Markdown for the web widget, with the note and a sources list appended.

    The widget renders it in a browser, so it goes through ``safe_markdown``: whatever the
    assistant client returned, no image or raw HTML reaches the page.
    """
    return safe_markdown(_markdown_with_sources(reply))
