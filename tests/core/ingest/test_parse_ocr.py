"""OCR of scanned pages and image uploads, on real Tesseract and real PDFs from ../shared.

Scans are made here from real text PDFs: their pages rendered to images at 300 dpi by PDFium
and wrapped as image-only PDFs (or PNG, JPEG, TIFF) by Pillow, then ingested through the real
pipeline. What OCR must get back is measured by word recovery (``word_recovery``): of the
words the page's text layer holds, counted with repeats, the share found in the OCR text.

OCR costs 1-4 s a page on the project's machines, so these tests read about a dozen pages.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import unicodedata
from collections import Counter

import pytest

from core.errors import ConfigError, NoExtractableText, ParseTimeout
from core.ingest.parsers import ParseLimits, parse_document
from core.ingest.pipeline import Upload
from tests.conftest import clean_env

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None,
                                reason="Tesseract is not installed: run `bash scripts/install_ocr.sh`")

LIMIT = 50 * 1024 * 1024
# Real text PDFs from ../shared/data/external/pdf-samples (SOURCES.md) and the page scanned.
SCANNED = {
    "001-trivial_minimal-document.pdf": 1,  # pdfTeX, one paragraph of Lorem ipsum
    "021-pdfa_crazyones-pdfa.pdf": 1,  # a PDF/A page of prose
    "026-latex-multicolumn_multicolumn.pdf": 1,  # two columns of text
}
MIXED_SOURCE = "004-pdflatex-4-pages_pdflatex-4-pages.pdf"
RECOVERY = 0.95


def words(text: str) -> Counter:
    """Lowercased runs of letters and digits, with how often each occurs."""
    return Counter(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold()))


def word_recovery(original: str, read: str) -> float:
    """The share of ``original``'s words (with repeats) that ``read`` has too: multiset overlap / original."""
    wanted, found = words(original), words(read)
    return sum(min(count, found[word]) for word, count in wanted.items()) / max(1, sum(wanted.values()))


def render(pdf_path, page: int, dpi: int = 300):
    """One page of a real PDF as a grayscale Pillow image, the way a scanner would give it."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_path)
    try:
        return pdf[page - 1].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()


def image_only_pdf(images) -> bytes:
    """The images as the pages of a PDF with no text layer (Pillow's PDF writer)."""
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=list(images[1:]), resolution=300)
    return buffer.getvalue()


def encoded(image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def text_layer(pdf_path, page: int) -> str:
    """The page's own text, as the text-layer reader gets it (the reference for word recovery)."""
    document = parse_document(pdf_path.read_bytes(), pdf_path.name, max_bytes=LIMIT)
    return "\n".join(block.text for block in document.blocks if block.page == page)


def stored_blocks(ws, document_id: str) -> list[dict]:
    """The blocks the pipeline stored for a document (what re-chunking reads), with their OCR marks."""
    return json.loads(ws.original_file(document_id).with_name("blocks.json").read_text())


def document_text(ws, document_id: str) -> str:
    return "\n".join(chunk.text for chunk in ws.chunks(document_id))


@pytest.fixture
def ocr_workbench(tmp_path, embedder):
    """A workbench whose chunks do not overlap, so the chunks' words are the document's words once."""
    from core.settings import Settings
    from core.workbench import build_workbench

    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"), AW_CHUNK_OVERLAP="0")
    wb = build_workbench(settings, embedder=embedder)
    yield wb
    wb.close()


@pytest.fixture(scope="module")
def scans(pdf_samples) -> dict[str, tuple[str, bytes]]:
    """Per sample: its page's text layer and that page as an image-only PDF."""
    return {name: (text_layer(pdf_samples / name, page), image_only_pdf([render(pdf_samples / name, page)]))
            for name, page in SCANNED.items()}


# ---------------------------------------------------------------- scanned PDFs

def test_scanned_pages_of_real_pdfs_are_read_back_by_ocr(ocr_workbench, scans):
    ws = ocr_workbench.workspace()
    uploads = [Upload(f"scan of {name}", data) for name, (_, data) in scans.items()]
    results = ws.ingest(uploads)
    assert [r.status for r in results] == ["ingested"] * len(uploads), results
    for (name, (original, _)), result in zip(scans.items(), results):
        recovered = word_recovery(original, document_text(ws, result.document_id))
        print(f"word recovery of {name}: {recovered:.3f} of {sum(words(original).values())} words")
        assert recovered >= RECOVERY, name
        blocks = stored_blocks(ws, result.document_id)
        assert blocks and all(block["ocr"] and block["page"] == 1 for block in blocks), "OCR text is marked, with its page"
        assert {chunk.page for chunk in ws.chunks(result.document_id)} == {1}
    # Found by what it says: OCR text is searchable like any other.
    hits = ws.search("Lorem ipsum dolor sit amet", k=3, mode="keyword")
    assert hits and hits[0].chunk.document_id == results[0].document_id


def test_a_mixed_pdf_keeps_its_text_layer_and_reads_only_its_scanned_page(ocr_workbench, pdf_samples):
    from pypdf import PdfReader, PdfWriter

    source = pdf_samples / MIXED_SOURCE
    writer = PdfWriter()
    writer.add_page(PdfReader(source).pages[0])  # page 1: the original page, text layer and all
    writer.add_page(PdfReader(io.BytesIO(image_only_pdf([render(source, 2)]))).pages[0])  # page 2: a scan
    buffer = io.BytesIO()
    writer.write(buffer)
    ws = ocr_workbench.workspace()
    result = ws.ingest([Upload("mixed.pdf", buffer.getvalue())])[0]
    assert result.status == "ingested", result
    blocks = stored_blocks(ws, result.document_id)
    original = parse_document(source.read_bytes(), source.name, max_bytes=LIMIT)
    first_page = [{"text": b.text, "kind": b.kind, "page": b.page, "ocr": b.ocr} for b in original.blocks if b.page == 1]
    assert [{k: b[k] for k in ("text", "kind", "page", "ocr")} for b in blocks if b["page"] == 1] == first_page, \
        "the text-layer page is exactly what the text layer says, not OCR"
    second = [b for b in blocks if b["page"] == 2]
    assert second and all(b["ocr"] for b in second)
    recovered = word_recovery(text_layer(source, 2), "\n".join(b["text"] for b in second))
    print(f"word recovery of page 2 of {MIXED_SOURCE}: {recovered:.3f}")
    assert recovered >= RECOVERY
    assert {chunk.page for chunk in ws.chunks(result.document_id)} == {1, 2}


def test_image_only_samples_give_text_or_say_no_text_even_after_ocr(workbench, pdf_samples):
    from pypdf import PdfReader

    # The samples pypdf reads no letter or digit from (an oracle independent of the parser).
    image_only = []
    for path in sorted(pdf_samples.glob("*.pdf")):
        try:
            reader = PdfReader(path)
            if not reader.is_encrypted and not any(ch.isalnum() for page in reader.pages for ch in page.extract_text() or ""):
                image_only.append(path)
        except Exception:
            continue  # a file pypdf cannot open is the fallback reader's test
    assert len(image_only) >= 5, [p.name for p in image_only]
    results = workbench.workspace().ingest_paths(image_only)
    for result in results:
        if result.status == "ingested":
            assert result.chunks > 0
        else:
            assert result.error_kind == "no_text" and "has no text even after OCR" in result.error, result


# ---------------------------------------------------------------- image uploads

def test_png_jpeg_and_multipage_tiff_uploads_are_read_by_ocr(ocr_workbench, pdf_samples):
    source = pdf_samples / "002-trivial-libre-office-writer_002-trivial-libre-office-writer.pdf"
    short = pdf_samples / "016-libre-office-link_libre-office-link.pdf"
    page, short_page = render(source, 1), render(short, 1)
    blank = page.point(lambda _: 255)
    original = text_layer(source, 1)
    ws = ocr_workbench.workspace()
    uploads = [
        Upload("scan.png", encoded(page, "PNG")),
        # A phone camera's colour JPEG, saved with a resolution.
        Upload("photo.jpg", encoded(page.convert("RGB"), "JPEG", quality=90, dpi=(300, 300))),
        # A scanner's multi-page TIFF: a page, a blank page, a short page.
        Upload("batch.tiff", encoded(page, "TIFF", save_all=True, append_images=[blank, short_page], compression="tiff_lzw")),
    ]
    png, jpeg, tiff = ws.ingest(uploads)
    for result in (png, jpeg):
        assert result.status == "ingested", result
        recovered = word_recovery(original, document_text(ws, result.document_id))
        print(f"word recovery of {result.file}: {recovered:.3f}")
        assert recovered >= RECOVERY
        assert {chunk.page for chunk in ws.chunks(result.document_id)} == {None}, "one picture has no page numbers"
        assert ws.document(result.document_id).doc_type == "image"
    assert tiff.status == "ingested", tiff
    blocks = stored_blocks(ws, tiff.document_id)
    assert {b["page"] for b in blocks} == {1, 3}, "the blank page 2 has no text"
    assert all(b["ocr"] for b in blocks)
    for page, reference in ((1, original), (3, text_layer(short, 1))):
        assert word_recovery(reference, "\n".join(b["text"] for b in blocks if b["page"] == page)) >= RECOVERY, page
    # The blank page is reported, by page.
    warnings = parse_document(uploads[2].data, "batch.tiff", max_bytes=LIMIT).warnings
    assert any(w.startswith("batch.tiff: page 2 has no text even after OCR") for w in warnings), warnings


def test_an_image_without_text_and_a_broken_image_fail_with_specific_reasons():
    from PIL import Image

    blank = encoded(Image.new("L", (800, 600), 255), "PNG")
    with pytest.raises(NoExtractableText, match=r"^white\.png has no text even after OCR: it looks like a picture"):
        parse_document(blank, "white.png", max_bytes=LIMIT)
    truncated = encoded(Image.new("RGB", (400, 300), (200, 10, 10)), "JPEG")[:300]
    with pytest.raises(Exception, match=r"^cut\.jpg could not be read as an image \(the file looks damaged\)"):
        parse_document(truncated, "cut.jpg", max_bytes=LIMIT)
    with pytest.raises(Exception, match=r"^notes\.png is not an image \(PNG, JPEG or TIFF\): its content looks like a PDF "
                                        r"document\. Rename it to notes\.pdf"):
        parse_document(b"%PDF-1.4\n%%EOF\n", "notes.png", max_bytes=LIMIT)


# ---------------------------------------------------------------- settings and limits

def test_ocr_languages_are_checked_against_what_tesseract_has(scans):
    data = scans["001-trivial_minimal-document.pdf"][1]
    with pytest.raises(ConfigError, match=r"AW_OCR_LANGUAGES asks for xyz, which Tesseract does not have "
                                          r"\(installed: .*eng.*\): install tesseract-ocr-xyz"):
        parse_document(data, "scan.pdf", max_bytes=LIMIT, limits=ParseLimits(ocr_languages="eng+xyz"))
    with pytest.raises(ConfigError, match=r"AW_OCR_LANGUAGES is invalid: 'eng,deu' is not a list of Tesseract language "
                                          r"codes joined by '\+'"):
        parse_document(data, "scan.pdf", max_bytes=LIMIT, limits=ParseLimits(ocr_languages="eng,deu"))


def test_a_language_setting_tesseract_lacks_fails_the_upload_with_the_setting_named(tmp_path, embedder, scans):
    from core.settings import Settings
    from core.workbench import build_workbench

    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"), AW_OCR_LANGUAGES=" klingon ")
    assert settings.ingest.ocr_languages == "klingon"
    wb = build_workbench(settings, embedder=embedder)
    try:
        result = wb.workspace().ingest([Upload("scan.pdf", scans["001-trivial_minimal-document.pdf"][1])])[0]
    finally:
        wb.close()
    assert result.status == "error" and result.error_kind == "config"
    assert "AW_OCR_LANGUAGES asks for klingon" in result.error and "eng" in result.error


def test_without_tesseract_scans_fail_saying_how_to_install_it_and_text_pages_are_kept(monkeypatch, pdf_samples, tmp_path):
    from pypdf import PdfReader, PdfWriter

    source = pdf_samples / MIXED_SOURCE
    writer = PdfWriter()
    writer.add_page(PdfReader(source).pages[0])
    writer.add_page(PdfReader(io.BytesIO(image_only_pdf([render(source, 2, dpi=100)]))).pages[0])
    buffer = io.BytesIO()
    writer.write(buffer)
    scan = encoded(render(source, 2, dpi=100), "PNG")
    # A machine without Tesseract: no folder on PATH has it.
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NoExtractableText, match=r"^scan\.png is an image, and reading scanned pages needs the OCR program "
                                                r"Tesseract, which is not installed: .*scripts/install_ocr\.sh"):
        parse_document(scan, "scan.png", max_bytes=LIMIT)
    mixed = parse_document(buffer.getvalue(), "mixed.pdf", max_bytes=LIMIT)
    assert {block.page for block in mixed.blocks} == {1}
    assert any(w.startswith("mixed.pdf: page 2 is a scanned image and was not read: reading scanned pages needs")
               for w in mixed.warnings), mixed.warnings


def test_pages_over_the_time_limit_fail_alone_and_a_file_of_them_is_given_up_on(pdf_samples):
    source = pdf_samples / MIXED_SOURCE  # pages of 700 words: seconds of OCR each
    data = image_only_pdf([render(source, page) for page in (1, 2, 3, 4)])
    with pytest.raises(ParseTimeout) as caught:
        parse_document(data, "scan.pdf", max_bytes=LIMIT, limits=ParseLimits(timeout_seconds=1))
    assert str(caught.value) == (
        "scan.pdf has no text that could be read: page 1 took longer than 1 s to read by OCR (AW_PARSE_TIMEOUT) "
        "(and 2 more pages could not be read by OCR); page 4 was not read by OCR: the 3 pages before it hit the "
        "time or memory limit."
    )
