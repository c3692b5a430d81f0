"""E-mail: EML (RFC 5322, the stdlib ``email`` package) and Outlook MSG (extract-msg).

A mail becomes: one paragraph with its headers (From, To, Cc, Date, Subject and the names of
its attachments, so "the mail from Ann with the freight report" is found by its headers too),
then its body: the text/plain part when there is one, else the HTML part read as
``parse_text`` reads an HTML page. The same headers go to ``ParsedDocument.metadata``. Each
attachment is handed back as bytes in ``ParsedDocument.attachments``; the pipeline ingests it
as a document of its own. Pictures embedded in the HTML body (``cid:`` references, Outlook's
signature logos) are part of the body, not attachments, and are left out.
"""

from __future__ import annotations

import mimetypes

from core.errors import UnsupportedFile
from core.ingest.parsers import (
    Attachment, Block, ParsedDocument, clean_title, display_name, filename_stem, short_reason,
)

MAX_ATTACHMENTS = 100  # per mail: more is a mass mailing or a hostile file, not correspondence
_HEADER_FIELDS = ("from", "to", "cc", "date", "subject")


def parse_eml(data: bytes, name: str) -> ParsedDocument:
    from email import policy
    from email.parser import BytesParser

    message = BytesParser(policy=policy.default).parsebytes(data)
    headers = {field: _header(message, field) for field in _HEADER_FIELDS}
    if not any(headers.values()):
        raise UnsupportedFile(
            f"{name} is not an e-mail message: it has none of the headers From, To, Date and Subject. "
            "Save the mail from your mail program again (as .eml), or upload it with a .txt extension if it is plain text."
        )
    date = message["date"]
    if date is not None and getattr(date, "datetime", None) is not None:
        headers["date"] = date.datetime.isoformat()
    body_part = message.get_body(preferencelist=("plain", "html"))
    body_blocks: tuple[Block, ...] = ()
    html = ""
    if body_part is not None:
        text = _part_text(body_part)
        if body_part.get_content_type() == "text/html":
            html = text
            body_blocks = _html_blocks(text, name)
        else:
            body_blocks = _plain_blocks(text, name)
    if not html:
        html_part = message.get_body(preferencelist=("html",))
        html = _part_text(html_part) if html_part is not None else ""
    attachments, warnings = _eml_attachments(message, body_part, html, name)
    return _mail_document(name, "eml", headers, body_blocks, attachments, warnings)


def _header(message, field: str) -> str:
    try:
        value = message[field]
    except Exception:  # a header the policy's parser chokes on: a defect, not a reason to refuse the mail
        value = next((raw for key, raw in message.raw_items() if key.lower() == field), "")
    return " ".join(str(value).split()) if value is not None else ""


def _part_text(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):  # an unknown or lying charset
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return content if isinstance(content, str) else content.decode("utf-8", "replace")


def _eml_attachments(message, body_part, html: str, name: str) -> tuple[list[Attachment], list[str]]:
    """The parts a reader would call attachments, in order; attached mails whole (as .eml)."""
    from email import policy

    found: list[Attachment] = []
    stack = [message]
    while stack:
        part = stack.pop()
        content_type = part.get_content_type()
        if part is not message and content_type == "message/rfc822":
            inner = part.get_payload()[0] if isinstance(part.get_payload(), list) else part.get_payload()
            filename = part.get_filename() or f"{_header(inner, 'subject') or 'attached message'}.eml"
            found.append(Attachment(_attachment_name(filename, ".eml", len(found)), inner.as_bytes(policy=policy.default)))
            continue
        if part.is_multipart():
            stack.extend(reversed(part.get_payload()))
            continue
        if part is body_part or part is message:
            continue
        filename = part.get_filename()
        if part.get_content_disposition() != "attachment" and not filename:
            continue  # the other alternative of the body (its HTML twin), not an attachment
        content_id = (part.get("Content-ID") or "").strip().strip("<>")
        if content_id and part.get_content_disposition() != "attachment" and f"cid:{content_id}" in html:
            continue  # a picture shown inside the body
        extension = mimetypes.guess_extension(content_type) or ""
        found.append(Attachment(_attachment_name(filename, extension, len(found)), part.get_payload(decode=True) or b""))
    return _capped(found, name)


def parse_msg(data: bytes, name: str) -> ParsedDocument:
    import extract_msg

    try:
        message = extract_msg.openMsg(data)
    except MemoryError:
        raise
    except Exception as exc:  # extract-msg raises its own errors and olefile's for damaged files
        raise UnsupportedFile(
            f"{name} could not be read as an Outlook message (.msg) (the file looks damaged or is not a mail): {short_reason(exc)}."
        ) from exc
    try:
        headers = {
            "from": _text(getattr(message, "sender", "")),
            "to": _text(getattr(message, "to", "")),
            "cc": _text(getattr(message, "cc", "")),
            "date": message.date.isoformat() if getattr(message, "date", None) is not None else "",
            "subject": _text(getattr(message, "subject", "")),
        }
        plain = _text_block_source(getattr(message, "body", None))
        # The HTML body is read for the body when there is no plain text, and to recognise
        # pictures shown inside it (an HTML body may be decoded from RTF: not free).
        has_inline = any(getattr(attachment, "contentId", None) for attachment in getattr(message, "attachments", ()))
        html = _decoded(getattr(message, "htmlBody", None)) if not plain or has_inline else ""
        body_blocks = _plain_blocks(plain, name) if plain else _html_blocks(html, name) if html.strip() else ()
        attachments, warnings = _msg_attachments(message, html, name)
    finally:
        message.close()
    return _mail_document(name, "msg", headers, body_blocks, attachments, warnings)


def _msg_attachments(message, html: str, name: str) -> tuple[list[Attachment], list[str]]:
    from extract_msg.enums import AttachmentType

    found: list[Attachment] = []
    warnings: list[str] = []
    for attachment in getattr(message, "attachments", ()):
        filename = getattr(attachment, "longFilename", None) or getattr(attachment, "shortFilename", None) or getattr(attachment, "name", None)
        content_id = (getattr(attachment, "contentId", None) or "").strip().strip("<>")
        if getattr(attachment, "hidden", False) or (content_id and f"cid:{content_id}" in html):
            continue  # a picture shown inside the body
        kind = getattr(attachment, "type", None)
        data = attachment.data
        if kind == AttachmentType.MSG:
            try:
                data = data.exportBytes(allowBadEmbed=True)  # the attached mail, as a .msg of its own
            except Exception as exc:
                warnings.append(f"The attached message {filename or '(unnamed)'} of {name} could not be read: {short_reason(exc)}.")
                continue
            found.append(Attachment(_attachment_name(filename, ".msg", len(found), force_extension=True), data))
        elif isinstance(data, bytes):
            found.append(Attachment(_attachment_name(filename, "", len(found)), data))
        else:
            warnings.append(f"The attachment {filename or '(unnamed)'} of {name} is a link or an object the workbench cannot read; it was left out.")
    attachments, capped = _capped(found, name)
    return attachments, warnings + capped


def _text(value) -> str:
    return " ".join(str(value).split()) if value else ""


def _text_block_source(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) and value.strip() else ""


def _decoded(value) -> str:
    if isinstance(value, bytes):
        from core.ingest.parse_text import declared_html_charset

        charset = declared_html_charset(value) or "utf-8"
        try:
            return value.decode(charset, "replace")
        except LookupError:
            return value.decode("utf-8", "replace")
    return value or ""


# ---------------------------------------------------------------- shared: the mail as a document

def _mail_document(name: str, doc_type: str, headers: dict[str, str], body: tuple[Block, ...],
                   attachments: list[Attachment], warnings: list[str]) -> ParsedDocument:
    lines = [f"{field.capitalize()}: {value}" for field, value in headers.items() if value]
    if attachments:
        lines.append("Attachments: " + ", ".join(attachment.filename for attachment in attachments))
    blocks = (Block("\n".join(lines), "paragraph"),) if lines else ()
    return ParsedDocument(
        title=clean_title(headers.get("subject", "")) or filename_stem(name), doc_type=doc_type,
        blocks=blocks + tuple(body), warnings=tuple(warnings),
        metadata=tuple((field, value) for field, value in headers.items() if value), attachments=tuple(attachments),
    )


def _plain_blocks(text: str, name: str) -> tuple[Block, ...]:
    from core.ingest.parse_text import parse_plain

    return parse_plain(text, name).blocks


def _html_blocks(html: str, name: str) -> tuple[Block, ...]:
    from core.ingest.parse_text import parse_html

    return parse_html(html, name).blocks


def _attachment_name(filename: str | None, extension: str, index: int, *, force_extension: bool = False) -> str:
    """A safe, printable file name for an attachment: no folders, never empty."""
    cleaned = display_name(filename) if filename else ""
    if cleaned == "The file":  # display_name's stand-in for a name that was only folders or controls
        cleaned = ""
    if not cleaned:
        cleaned = f"attachment {index + 1}{extension}"
    elif force_extension and not cleaned.lower().endswith(extension):
        cleaned += extension
    return cleaned


def _capped(found: list[Attachment], name: str) -> tuple[list[Attachment], list[str]]:
    if len(found) <= MAX_ATTACHMENTS:
        return found, []
    return found[:MAX_ATTACHMENTS], [
        f"{name} has {len(found)} attachments; only the first {MAX_ATTACHMENTS} were kept."
    ]
