"""The second PDF reader (PDFium) for files pypdf cannot open, on real damaged PDFs."""

from __future__ import annotations

import io

import pytest

from core.errors import EncryptedFile, UnsupportedFile
from core.ingest.parsers import parse_document
from core.ingest.pipeline import Upload

LIMIT = 50 * 1024 * 1024
DAMAGED = "017-unreadable-meta-data_unreadablemetadata.pdf"  # the sample neither reader can open
ENCRYPTED = "005-libreoffice-writer-password_libreoffice-writer-password.pdf"


def cut_short(data: bytes) -> bytes:
    """The file as an interrupted download leaves it: everything before its final "startxref"."""
    return data[: data.rfind(b"startxref")]


def pypdf_refuses(data: bytes) -> bool:
    from pypdf import PdfReader

    try:
        PdfReader(io.BytesIO(data), strict=False)
    except Exception:
        return True
    return False


def test_a_pdf_neither_reader_can_open_fails_with_the_reason_from_both(pdf_samples):
    with pytest.raises(UnsupportedFile) as caught:
        parse_document((pdf_samples / DAMAGED).read_bytes(), DAMAGED, max_bytes=LIMIT)
    message = str(caught.value)
    assert message.startswith(f"{DAMAGED} could not be read as a PDF by either PDF reader (the file looks damaged): ")
    assert "pypdf: its page list is damaged (PdfReadError: Invalid object in /Pages)" in message
    assert "; pdfium: PdfiumError: Failed to load document (PDFium: Data format error)." in message
    assert caught.value.kind == "unsupported_file"


def test_a_truncated_pdf_pypdf_cannot_open_is_read_by_pdfium_through_the_pipeline(workbench, pdf_samples):
    original = (pdf_samples / "006-pdflatex-outline_pdflatex-outline.pdf").read_bytes()
    data = cut_short(original)
    assert pypdf_refuses(data)
    ws = workbench.workspace()
    result = ws.ingest([Upload("outline-cut.pdf", data)])[0]
    assert result.status == "ingested", result
    chunks = ws.chunks(result.document_id)
    assert {chunk.page for chunk in chunks} == {1, 2, 3, 4}, "page numbers come from the second reader too"
    assert any(chunk.heading_path and chunk.heading_path[-1] == "1 Foo" for chunk in chunks), "and so do bookmarks"
    expected = parse_document(original, "outline.pdf", max_bytes=LIMIT)
    got = parse_document(data, "outline-cut.pdf", max_bytes=LIMIT)
    assert [b.page for b in got.blocks] == sorted(b.page for b in got.blocks)
    assert " ".join(b.text for b in got.blocks).split() == " ".join(b.text for b in expected.blocks).split()


def test_a_truncated_encrypted_pdf_asks_for_its_password_and_opens_with_it(pdf_samples):
    data = cut_short((pdf_samples / ENCRYPTED).read_bytes())
    assert pypdf_refuses(data)
    with pytest.raises(EncryptedFile, match=r"^cut\.pdf is password-protected: enter its password"):
        parse_document(data, "cut.pdf", max_bytes=LIMIT)
    with pytest.raises(EncryptedFile, match=r"^cut\.pdf could not be unlocked: the password is wrong"):
        parse_document(data, "cut.pdf", password="not-it", max_bytes=LIMIT)
    document = parse_document(data, "cut.pdf", password="openpassword", max_bytes=LIMIT)
    assert "Lorem ipsum" in document.blocks[0].text and document.page_count == 1
