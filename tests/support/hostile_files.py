"""Builders for the hostile files of the attack review, made in the test (never stored in the repo)."""

from __future__ import annotations

import io
import zipfile
import zlib


def tiny_pdf(content: bytes) -> bytes:
    """A valid one-page PDF whose page content stream is ``content`` (Flate-compressed), Helvetica as F1."""
    stream = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_with_text(text: bytes) -> bytes:
    """A PDF showing ``text`` (no parentheses or backslashes in it) in one text operator."""
    return tiny_pdf(b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET")


def docx_with_member(docx: bytes, member: str, size: int, *, fill: bytes = b" ") -> bytes:
    """``docx`` with one more ZIP member of ``size`` bytes of ``fill``, written in slices (never whole in memory)."""
    buffer = io.BytesIO(docx)
    # Level 1: the fastest to build; repetitive data still shrinks several hundred times.
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(member, "w", force_zip64=size > 2**31) as target:
            slice_ = fill * (1024 * 1024 // len(fill))
            left = size
            while left > 0:
                piece = slice_[:left]
                target.write(piece)
                left -= len(piece)
    return buffer.getvalue()


def docx_bomb(size: int) -> bytes:
    """A ZIP that looks like a .docx (it has word/document.xml) whose document part unpacks to ``size`` bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    # Never valid XML: the archive check must refuse it before anything tries to parse it.
    return docx_with_member(buffer.getvalue(), "word/document.xml", size, fill=b"<w:p/>")
