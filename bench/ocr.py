"""OCR throughput and its share of ingestion time for a scanned PDF, against its text layer.

    .venv/bin/python bench/ocr.py [--file NAME] [--pages N] [--without-graph]

A real text PDF from ../shared/data/external/pdf-samples (default: the 4 pages of 700 words of
``004-pdflatex-4-pages``) is "scanned" here: its pages rendered at 300 dpi by PDFium and
wrapped as an image-only PDF by Pillow. In one process, on one fresh workbench (the default
pipeline, graph extraction on unless --without-graph), this prints:

- ingestion of the original (text layer) and of the scan, end to end, and their ratio;
- OCR pages/s and OCR's share of the scan's ingestion time, from the parse stage of that same
  ingestion (timed by the pipeline's progress reports; see ``ingest_timed``);
- word recovery: the share of the text layer's words (lowercased letters and digits, with
  repeats) that the scan's chunks hold.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import time
from collections import Counter

from _common import ROOT, fresh_workbench, machine, require

SAMPLES = ROOT.parent / "shared" / "data" / "external" / "pdf-samples"
LIMIT = 50 * 1024 * 1024


def scanned(pdf_path, pages: int) -> tuple[bytes, int]:
    """The first ``pages`` pages of a PDF as an image-only PDF at 300 dpi, and how many it has."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_path)
    try:
        images = [pdf[i].render(scale=300 / 72, grayscale=True).to_pil().convert("L") for i in range(min(pages, len(pdf)))]
    finally:
        pdf.close()
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=300)
    return buffer.getvalue(), len(images)


def first_pages(pdf_path, pages: int) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(pdf_path).pages[:pages]:
        writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def words(text: str) -> Counter:
    return Counter(re.findall(r"[^\W_]+", text.casefold()))


def recovery(original: str, read: str) -> float:
    wanted, found = words(original), words(read)
    return sum(min(n, found[w]) for w, n in wanted.items()) / max(1, sum(wanted.values()))


def ingest_timed(workspace, upload) -> tuple[object, float, float]:
    """Ingest one file: its result, total seconds, and seconds of its parse stage.

    The parse stage runs from the pipeline's "parse" report to its first "embed" report: the
    sandboxed text pass, OCR of the pages without a text layer (each in its own sandboxed
    child) and chunking (milliseconds). For a scan it is OCR's time, inside the same ingestion.
    """
    marks: dict[str, float] = {}

    def progress(step) -> None:
        marks.setdefault(step.stage, time.perf_counter())

    started = time.perf_counter()
    result = workspace.ingest([upload], progress=progress)[0]
    total = time.perf_counter() - started
    return result, total, marks.get("embed", started) - marks.get("parse", started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", default="004-pdflatex-4-pages_pdflatex-4-pages.pdf", help="A PDF in pdf-samples.")
    parser.add_argument("--pages", type=int, default=4, help="Pages scanned (default 4).")
    parser.add_argument("--without-graph", action="store_true", help="Leave knowledge-graph extraction out of ingestion.")
    args = parser.parse_args()
    source = require(SAMPLES / args.file)
    from core.ingest.parse_ocr import tesseract_missing
    from core.ingest.parsers import ParseLimits
    from core.ingest.pipeline import Upload

    if tesseract_missing():
        sys.exit("Tesseract is not installed: run `bash scripts/install_ocr.sh` first.")
    scan, pages = scanned(source, args.pages)
    text_pdf = first_pages(source, pages)
    workbench = fresh_workbench()
    workbench.embedder.embed(["warm up the model before timing"])  # model load is not ingestion cost
    if args.without_graph:
        workbench.ingestion.indexers.clear()
    limits = ParseLimits.from_settings(workbench.settings.ingest)
    workspace = workbench.workspace("bench")
    # Warm-up, untimed: the parse server's start, the first PDF, the graph extractor's model load
    # and Tesseract's first run (its language data from disk) are not the cost of either file.
    warm_up = SAMPLES / "001-trivial_minimal-document.pdf"
    workspace.ingest([Upload("warm-up.pdf", warm_up.read_bytes()), Upload("warm-up-scan.pdf", scanned(warm_up, 1)[0])])

    text_result, text_seconds, text_parse = ingest_timed(workspace, Upload("text-layer.pdf", text_pdf))
    scan_result, scan_seconds, scan_parse = ingest_timed(workspace, Upload("scanned.pdf", scan))
    for result in (text_result, scan_result):
        if result.status != "ingested":
            sys.exit(f"{result.file} was not ingested: {result.error}")
    original = " ".join(c.text for c in workspace.chunks(text_result.document_id))
    read = " ".join(c.text for c in workspace.chunks(scan_result.document_id))

    print(f"machine: {machine()}")
    print(f"document: {args.file}, {pages} pages, {len(scan) / 1e6:.1f} MB scanned at 300 dpi; "
          f"graph extraction: {'no' if args.without_graph else 'yes'}; languages: {limits.ocr_languages}")
    print(f"ingest text layer: {text_seconds:.2f} s, of which parsing {text_parse:.2f} s ({text_result.chunks} chunks)")
    print(f"ingest scan:       {scan_seconds:.2f} s, of which parsing with OCR {scan_parse:.2f} s ({scan_result.chunks} chunks)")
    print(f"ratio scan/text-layer ingestion time: {scan_seconds / text_seconds:.1f}x")
    print(f"OCR: {pages / scan_parse:.2f} pages/s ({scan_parse / pages:.2f} s a page, sandboxed text pass included)")
    print(f"OCR share of the scan's ingestion time: {100 * scan_parse / scan_seconds:.0f}%")
    print(f"word recovery (multiset overlap with the text layer's words): {recovery(original, read):.3f}")
    workbench.close()


if __name__ == "__main__":
    main()
