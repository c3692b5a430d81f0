"""Mail: EML written by the stdlib email package, MSG written by aspose-email-foss (an Outlook
MSG writer independent of extract-msg, which reads them). Headers, bodies, attachments as
documents of their own linked to the mail, through the real pipeline and search."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from email.message import EmailMessage

import pytest

from core.errors import UnsupportedFile
from core.ingest.parsers import Attachment, Block, parse_document
from core.ingest.pipeline import MAX_ATTACHMENT_DEPTH, Upload

LIMIT = 50 * 1024 * 1024
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def xlsx_attachment() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Lanes"
    sheet.append(["Lane", "Carrier"])
    sheet.append(["Genoa-Lyon", "Kestrel Lines"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def mail(subject: str, body: str, *, html: str | None = None, sender: str = "Ann Analyst <ann@example.com>",
         to: str = "Bob Boss <bob@example.com>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Cc"] = "Cy <cy@example.com>"
    message["Subject"] = subject
    message["Date"] = "Tue, 01 Oct 2024 09:15:00 +0200"
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def freight_mail() -> EmailMessage:
    message = mail("Freight report for October",
                   "Hi Bob,\n\nthe October freight figures are attached; the Genoa lane is late again.\n\nAnn",
                   html='<p>Hi Bob,</p><p>the October freight figures are attached.</p><img src="cid:logo@example">')
    # A picture shown inside the HTML body: part of the body, not an attachment.
    message.get_payload()[1].add_related(GIF, maintype="image", subtype="gif", cid="<logo@example>")
    message.add_attachment("Carrier,Delay days\nKestrel Lines,6\n".encode(), maintype="text", subtype="csv", filename="delays.csv")
    message.add_attachment(xlsx_attachment(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="../lanes.xlsx")
    forwarded = mail("Zeppelin budget", "The zeppelin budget for 2025 is 9 million euros.", sender="Dee <dee@example.com>")
    message.add_attachment(forwarded)  # a forwarded mail: message/rfc822
    message.add_attachment(GIF, maintype="image", subtype="gif", filename="chart.gif")  # not a format the workbench reads
    return message


def test_an_eml_gives_its_headers_body_and_attachments():
    document = parse_document(freight_mail().as_bytes(), "freight.eml", max_bytes=LIMIT)
    assert document.doc_type == "eml" and document.title == "Freight report for October"
    assert dict(document.metadata) == {
        "from": "Ann Analyst <ann@example.com>", "to": "Bob Boss <bob@example.com>", "cc": "Cy <cy@example.com>",
        "date": "2024-10-01T09:15:00+02:00", "subject": "Freight report for October",
    }
    names = ["delays.csv", "lanes.xlsx", "Zeppelin budget.eml", "chart.gif"]
    assert [attachment.filename for attachment in document.attachments] == names
    assert zipfile.ZipFile(io.BytesIO(document.attachments[1].data)).read("xl/workbook.xml")  # the workbook, whole
    assert b"The zeppelin budget for 2025" in document.attachments[2].data
    assert list(document.blocks) == [
        Block("From: Ann Analyst <ann@example.com>\nTo: Bob Boss <bob@example.com>\nCc: Cy <cy@example.com>\n"
              "Date: 2024-10-01T09:15:00+02:00\nSubject: Freight report for October\nAttachments: " + ", ".join(names), "paragraph"),
        Block("Hi Bob,", "paragraph"),
        Block("the October freight figures are attached; the Genoa lane is late again.", "paragraph"),  # text/plain preferred
        Block("Ann", "paragraph"),
    ]


def test_an_html_only_mail_is_read_as_parse_text_reads_html():
    message = EmailMessage()
    message["From"] = "ops@example.com"
    message["Subject"] = "Weekly status"
    message.set_content("<h2>Status</h2><p>All <b>42</b> trucks on the road.</p><script>track()</script>", subtype="html")
    document = parse_document(message.as_bytes(), "status.eml", max_bytes=LIMIT)
    assert list(document.blocks)[1:] == [Block("Status", "heading", level=2), Block("All 42 trucks on the road.", "paragraph")]


def test_broken_and_misnamed_mail_get_specific_errors():
    with pytest.raises(UnsupportedFile, match=r"^notes\.eml is not an e-mail message: it has none of the headers From, To, Date and Subject"):
        parse_document(b"Just some notes\nwithout headers.\n", "notes.eml", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^logo\.eml is not an e-mail message \(\.eml\): its content looks like a GIF image"):
        parse_document(GIF, "logo.eml", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^mail\.msg is not an Outlook message \(\.msg\): its content looks like text\. "
                                              r"If it is a mail saved as text, rename it to mail\.eml"):
        parse_document(freight_mail().as_bytes(), "mail.msg", max_bytes=LIMIT)
    data = msg_bytes()
    with pytest.raises(UnsupportedFile, match=r"^mail\.xls is not an Excel workbook: it is another kind of Office 97-2003 file"):
        parse_document(data, "mail.xls", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^broken\.msg could not be read as an Outlook message \(\.msg\) \(the file looks "
                                              r"damaged or is not a mail\): \w+"):
        parse_document(data[: len(data) // 2], "broken.msg", max_bytes=LIMIT)


# ---------------------------------------------------------------- MSG


def msg_bytes(*, with_embedded: bool = True) -> bytes:
    writer = pytest.importorskip("aspose.email_foss.msg", reason="aspose-email-foss writes the .msg samples (requirements-dev.txt)")
    message = writer.MapiMessage.create("Customs hold in Antwerp",
                                        "Bob,\n\nthe Antwerp customs office is holding container MSCU 448812.\n\nAnn")
    message.set_property(writer.PropertyId.SENDER_NAME, "Ann Analyst")
    message.set_property(writer.PropertyId.SENDER_EMAIL_ADDRESS, "ann@example.com")
    message.set_property(writer.PropertyId.MESSAGE_DELIVERY_TIME, dt.datetime(2024, 10, 2, 8, 30, tzinfo=dt.timezone.utc))
    message.add_recipient("bob@example.com", display_name="Bob Boss")
    message.add_attachment("hold-notice.txt", b"Container MSCU 448812 is held pending a phytosanitary certificate.\n",
                           mime_type="text/plain")
    message.add_attachment("logo.png", b"\x89PNG\r\n\x1a\n", mime_type="image/png", content_id="logo001")
    if with_embedded:
        inner = writer.MapiMessage.create("Broker reply", "The broker expects release on Friday.")
        message.add_embedded_message_attachment(inner)
    return message.to_bytes()


def test_an_msg_gives_its_headers_body_and_attachments():
    document = parse_document(msg_bytes(), "hold.msg", max_bytes=LIMIT)
    metadata = dict(document.metadata)
    assert document.doc_type == "msg" and document.title == "Customs hold in Antwerp"
    assert metadata["subject"] == "Customs hold in Antwerp" and "Ann Analyst" in metadata["from"]
    assert "bob@example.com" in metadata["to"] and metadata["date"] == "2024-10-02T08:30:00+00:00"
    # The logo has a content id but the body (plain text) never shows it: it is an attachment.
    assert [attachment.filename for attachment in document.attachments] == ["hold-notice.txt", "logo.png", "Broker reply.msg"]
    assert document.attachments[0] == Attachment("hold-notice.txt", b"Container MSCU 448812 is held pending a phytosanitary certificate.\n")
    assert any("holding container MSCU 448812" in block.text for block in document.blocks)
    assert document.blocks[0].text.startswith("From: Ann Analyst")
    inner = parse_document(document.attachments[2].data, "Broker reply.msg", max_bytes=LIMIT)
    assert inner.title == "Broker reply" and any("release on Friday" in block.text for block in inner.blocks)


# ---------------------------------------------------------------- through the pipeline


def test_attachments_become_their_own_documents_linked_to_the_mail(workbench):
    ws = workbench.workspace()
    data = freight_mail().as_bytes()
    results = ws.ingest([Upload("freight.eml", data)], tags=["october"])
    by_file = {result.file: result for result in results}
    assert list(by_file) == ["freight.eml", "freight.eml › delays.csv", "freight.eml › lanes.xlsx",
                             "freight.eml › Zeppelin budget.eml", "freight.eml › chart.gif"]
    parent = by_file["freight.eml"]
    assert parent.status == "ingested" and parent.parent_id is None
    assert all(result.parent_id == parent.document_id for result in results[1:])
    assert [result.status for result in results[1:]] == ["ingested", "ingested", "ingested", "error"]
    assert "chart.gif is a .gif file, which the workbench cannot read" in by_file["freight.eml › chart.gif"].error

    documents = {document.filename: document for document in ws.documents()}
    assert set(documents) == {"freight.eml", "delays.csv", "lanes.xlsx", "Zeppelin budget.eml"}
    assert {documents[name].doc_type for name in documents} == {"eml", "csv", "xlsx"}
    assert all(document.tags == ("october",) for document in documents.values())

    header = ws.search("the mail Ann Analyst sent about the October freight report", k=3)
    assert header[0].chunk.document_id == parent.document_id and "Subject: Freight report for October" in header[0].chunk.text
    lane = ws.search("Genoa-Lyon", k=3, mode="keyword")
    assert lane[0].chunk.document_id == documents["lanes.xlsx"].id and lane[0].citation == "lanes, Lanes"
    zeppelin = ws.search("zeppelin budget for 2025", k=3)
    assert zeppelin[0].chunk.document_id == documents["Zeppelin budget.eml"].id
    assert zeppelin[0].document_title == "Zeppelin budget"

    again = ws.ingest([Upload("copy.eml", data)])
    assert [result.status for result in again] == ["duplicate"], "a duplicate mail is not read again"


def test_an_msg_upload_ingests_its_attachments_and_nested_mail(workbench):
    ws = workbench.workspace()
    results = ws.ingest([Upload("hold.msg", msg_bytes())])
    assert [(result.file, result.status) for result in results] == [
        ("hold.msg", "ingested"), ("hold.msg › hold-notice.txt", "ingested"), ("hold.msg › logo.png", results[2].status),
        ("hold.msg › Broker reply.msg", "ingested"),
    ]
    hits = ws.search("phytosanitary certificate", k=3, mode="keyword")
    assert hits[0].chunk.document_id == results[1].document_id
    assert ws.search("when does the broker expect release", k=3)[0].chunk.document_id == results[3].document_id


def test_attachments_nested_too_deep_are_reported_not_read(workbench):
    # Built inside out: the deepest mail is attached to the one above it, and so on.
    deepest = mail(f"Level {MAX_ATTACHMENT_DEPTH}", "The deepest mail.")
    current = deepest
    for level in range(MAX_ATTACHMENT_DEPTH - 1, -1, -1):
        outer = mail(f"Level {level}", f"Mail at nesting level {level}.")
        outer.add_attachment(current)
        current = outer
    results = workbench.workspace().ingest([Upload("chain.eml", current.as_bytes())])
    assert [result.status for result in results] == ["ingested"] * MAX_ATTACHMENT_DEPTH + ["error"]
    assert "attachments nested more than" in results[-1].error
    assert [result.parent_id for result in results[1:]] == [result.document_id for result in results[:-1]]
