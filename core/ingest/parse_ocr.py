"""OCR with Tesseract for pages without a text layer: scanned PDF pages and image uploads.

The sandboxed text pass (``parse_pdf``, ``parse_image``) lists the pages that have no text
layer in ``ParsedDocument.needs_ocr``. ``read_pages_by_ocr`` (in the calling process) then
has each of them read in a sandboxed child of its own (``sandbox.run_limited``) under the
file limits AW_PARSE_TIMEOUT and AW_PARSE_MEMORY_MB: OCR costs seconds a page, so a scan of a
hundred pages is not held to one file's time limit, a page too hard to read fails alone (a
warning; the other pages are kept), and no image is decoded in the app process. At most
AW_OCR_MAX_PAGES pages of a file are read by OCR.

Tesseract runs as its command-line program through ``subprocess``, not through pytesseract:
pytesseract wraps the same program but passes images and text through temporary files,
while here the page goes in on a pipe and the text comes out on one, under a timeout, with
the program killed along with the sandbox child that started it (so a page over its time
limit leaves nothing running), and with ``OMP_THREAD_LIMIT=1``: Tesseract's OpenMP threads
made a page 2-4x slower on this project's two shared cores (measured: 1.5 s instead of 2.8 s
for a page of 100 words, 3.7 s instead of 12.8 s for one of 700).

OCR text is marked (``Block.ocr``) so that citations can say it was read by OCR.
"""

from __future__ import annotations

import ctypes
import io
import logging
import math
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import replace

from core.errors import ConfigError, NoExtractableText, ParseMemoryExceeded, ParseTimeout, UnsupportedFile
from core.ingest.parsers import Block, ParsedDocument, ParseLimits, short_reason

logger = logging.getLogger(__name__)

# 300 dpi is what Tesseract is trained for; lower loses small print, higher only costs time.
OCR_DPI = 300
# A page image larger than this is rendered smaller: a huge page box (a poster, or a hostile
# file's 200-inch page) would otherwise need gigabytes. 40 megapixels is A3 at 400 dpi.
_MAX_PIXELS = 40_000_000
_MAX_SIDE = 30_000  # Leptonica, which Tesseract reads images with, refuses larger sides
_MARGIN_SECONDS = 1.0  # of a page's time limit kept for sending the answer after Tesseract ends
_LANGUAGE_CODE = re.compile(r"^[A-Za-z0-9_]+(?:/[A-Za-z0-9_]+)?$")  # "eng", "chi_sim", "script/Latin"
# OCR of a picture or speckle yields stray marks ("|", "~", "a"); a page counts as read when it
# has at least two letters or digits in a row.
_WORD = re.compile(r"[^\W_]{2}")
_LISTED_PAGES = 10
# A file whose pages hit the time or memory limit this many times in a row is given up on:
# a hostile scan of 500 such pages would otherwise hold the upload for 500 time limits.
_LIMIT_HITS_IN_A_ROW = 3
INSTALL_HINT = ("ask an administrator to run `bash scripts/install_ocr.sh` (it installs the Debian packages "
                "tesseract-ocr and tesseract-ocr-eng)")


def has_ocr_text(text: str) -> bool:
    """True when OCR output holds a word, not just stray marks."""
    return _WORD.search(text) is not None


# ---------------------------------------------------------------- the calling process's side

def read_pages_by_ocr(document: ParsedDocument, data: bytes, name: str, password: str | None,
                      limits: ParseLimits) -> ParsedDocument:
    """``document`` with its ``needs_ocr`` pages read by OCR, each in a sandboxed child.

    Raises NoExtractableText when no page has text in the end ("no text even after OCR", or
    Tesseract is not installed), ConfigError when AW_OCR_LANGUAGES names a language Tesseract
    does not have. Pages that stay unread are listed in the document's warnings.
    """
    pages = document.needs_ocr
    missing = tesseract_missing()
    if missing:
        return _without_ocr(document, name, missing)
    check_languages(limits.ocr_languages)
    todo, skipped = pages[: limits.ocr_max_pages], pages[limits.ocr_max_pages:]
    texts: dict[int, str] = {}
    blank: list[int] = []
    failed: list[tuple[int, UnsupportedFile]] = []
    limit_hits = 0
    for index, page in enumerate(todo):
        if limit_hits == _LIMIT_HITS_IN_A_ROW:
            skipped = todo[index:] + skipped
            break
        try:
            text = _read_page(document.doc_type, data, name, page, password, limits)
        except UnsupportedFile as exc:  # its subclasses ParseTimeout and ParseMemoryExceeded too
            failed.append((page, exc))
            limit_hits = limit_hits + 1 if isinstance(exc, (ParseTimeout, ParseMemoryExceeded)) else 0
            continue
        limit_hits = 0
        if has_ocr_text(text):
            texts[page] = text
        else:
            blank.append(page)
    blocks = _merge(document, texts)
    if not any(block.text.strip() for block in blocks):
        raise _nothing_read(name, document, blank, failed, skipped, limits)
    warnings = [*document.warnings, *_warnings(name, document, blank, failed, skipped, limits)]
    return replace(document, blocks=tuple(blocks), warnings=tuple(warnings), needs_ocr=())


def _read_page(doc_type: str, data: bytes, name: str, page: int, password: str | None, limits: ParseLimits) -> str:
    from core.ingest.sandbox import run_limited

    try:
        return run_limited(
            ocr_page, data, name, doc_type, page, password, limits.ocr_languages, limits.timeout_seconds,
            name=name, timeout_seconds=limits.timeout_seconds, memory_mb=limits.memory_mb,
        )
    # The sandbox's own messages speak of the whole file; these say which page and which limit.
    except ParseTimeout:
        raise ParseTimeout(f"page {page} took longer than {limits.timeout_seconds:g} s to read by OCR "
                           "(AW_PARSE_TIMEOUT)") from None
    except ParseMemoryExceeded:
        raise ParseMemoryExceeded(f"page {page} needed more than {limits.memory_mb} MB of memory to read by OCR "
                                  "(AW_PARSE_MEMORY_MB)") from None


def tesseract_missing() -> str:
    """Why OCR cannot run on this machine ("" when Tesseract is installed)."""
    if shutil.which("tesseract") is None:
        return f"reading scanned pages needs the OCR program Tesseract, which is not installed: {INSTALL_HINT}"
    return ""


def installed_languages() -> list[str]:
    """The languages Tesseract has (``tesseract --list-langs``); ConfigError when it cannot say."""
    try:
        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, timeout=30, check=True,
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"Tesseract (the OCR program) does not work: `tesseract --list-langs` failed "
                          f"({short_reason(exc)}); {INSTALL_HINT} again.") from None
    # Tesseract 4+ prints the list on stdout, older ones on stderr; the first line is a header.
    lines = (listed.stdout or listed.stderr).decode("utf-8", "replace").splitlines()
    return [line.strip() for line in lines[1:] if line.strip()]


def check_languages(languages: str) -> None:
    """Raise ConfigError unless every language of ``languages`` ("eng+deu") is installed."""
    codes = languages.split("+") if languages else []
    if not codes or not all(_LANGUAGE_CODE.match(code) for code in codes):
        raise ConfigError(f"Setting AW_OCR_LANGUAGES is invalid: {languages!r} is not a list of Tesseract "
                          "language codes joined by '+', such as 'eng' or 'eng+deu'.")
    installed = installed_languages()
    missing = [code for code in codes if code not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{code.lower().replace('_', '-')}" for code in missing if "/" not in code)
        raise ConfigError(
            f"AW_OCR_LANGUAGES asks for {', '.join(missing)}, which Tesseract does not have (installed: "
            f"{', '.join(installed) or 'none'}): install {packages or 'its traineddata files'} (Debian) "
            "or change AW_OCR_LANGUAGES."
        )


def _merge(document: ParsedDocument, texts: dict[int, str]) -> list[Block]:
    """The text pass's blocks with each OCR page's blocks in its place, in page order."""
    from core.ingest.parse_pdf import matches_heading, page_blocks

    single_image = document.doc_type == "image" and document.page_count == 1
    merged: list[Block] = []
    for page in sorted({block.page for block in document.blocks if block.page is not None} | set(texts)):
        own = [block for block in document.blocks if block.page == page]
        if page not in texts:
            merged.extend(own)
            continue
        # A page left for OCR has only its bookmarks from the text pass; an OCR line that
        # matches one becomes that heading. A bookmark OCR found no line for keeps its order
        # among the others: before the first one found at the top of the page, else at its end.
        headings = [(block.text, block.level) for block in own if block.kind == "heading"]
        read = page_blocks(texts[page], None if single_image else page, headings, ocr=True)
        found = [block.text for block in read if block.kind == "heading"]
        is_found = [any(matches_heading(line, block.text) for line in found) for block in own]
        first = is_found.index(True) if True in is_found else len(own)
        merged.extend(own[:first])
        merged.extend(read)
        merged.extend(block for block, hit in zip(own[first:], is_found[first:]) if not hit)
    merged.extend(block for block in document.blocks if block.page is None)
    return merged


def _without_ocr(document: ParsedDocument, name: str, missing: str) -> ParsedDocument:
    if not any(block.text.strip() for block in document.blocks):
        what = "is an image" if document.doc_type == "image" else "has no text layer (it looks like scanned images)"
        raise NoExtractableText(f"{name} {what}, and {missing}.")
    pages = document.needs_ocr
    one = len(pages) == 1
    warning = (f"{name}: {_pages_phrase(pages)} {'is a scanned image' if one else 'are scanned images'} and "
               f"{'was' if one else 'were'} not read: {missing}.")
    return replace(document, warnings=(*document.warnings, warning), needs_ocr=())


def _warnings(name: str, document: ParsedDocument, blank: list[int], failed: list[tuple[int, UnsupportedFile]],
              skipped: tuple[int, ...], limits: ParseLimits) -> list[str]:
    """One line per kind of page left unread, each "<file>: <what happened to which pages>."."""
    phrases = []
    if blank:
        phrases.append(_blank_phrase(blank))
    phrases.extend(_phrase(error) for _, error in failed[:_LISTED_PAGES])
    if len(failed) > _LISTED_PAGES:
        phrases.append(f"{len(failed) - _LISTED_PAGES} more pages could not be read by OCR")
    if skipped:
        phrases.append(_skipped_phrase(skipped, limits))
    return [f"{name}: {phrase}." for phrase in phrases]


def _nothing_read(name: str, document: ParsedDocument, blank: list[int], failed: list[tuple[int, UnsupportedFile]],
                  skipped: tuple[int, ...], limits: ParseLimits) -> UnsupportedFile:
    """The error for a file of which OCR read nothing, of the kind of what went wrong."""
    if blank and not failed and not skipped:
        if document.doc_type == "image" and document.page_count == 1:
            what = "it looks like a picture or a blank page, or its text is too small or faint to read"
        elif len(blank) == 1:
            what = "its page looks like a picture or a blank page, or its text is too small or faint to read"
        else:
            what = (f"its {len(blank)} pages without a text layer look like pictures or blank pages, or their text is "
                    "too small or faint to read")
        return NoExtractableText(f"{name} has no text even after OCR: {what} (scans read best at 300 dpi, black on white).")
    phrases = [_blank_phrase(blank)] if blank else []
    if failed:
        more = f" (and {len(failed) - 1} more pages could not be read by OCR)" if len(failed) > 1 else ""
        phrases.append(_phrase(failed[0][1]) + more)
    if skipped:
        phrases.append(_skipped_phrase(skipped, limits))
    message = f"{name} has no text that could be read: " + "; ".join(phrases) + "."
    kinds = {type(error) for _, error in failed}
    if not blank and len(kinds) == 1 and kinds <= {ParseTimeout, ParseMemoryExceeded}:
        return kinds.pop()(message)  # every page read hit the same limit: the error's kind says which
    return NoExtractableText(message)


def _phrase(error: UnsupportedFile) -> str:
    """A page's failure as a phrase ("page 3 took longer than..."), as ``ocr_page`` and ``_read_page`` word them."""
    return str(error).rstrip(".")


def _blank_phrase(pages) -> str:
    return (f"{_pages_phrase(pages)} {'has' if len(pages) == 1 else 'have'} no text even after OCR (a picture, a blank "
            "page, or text too small or faint to read)")


def _skipped_phrase(skipped: tuple[int, ...], limits: ParseLimits) -> str:
    one = len(skipped) == 1
    what = f"{_pages_phrase(skipped)} {'was' if one else 'were'} not read by OCR"
    if skipped[0] <= limits.ocr_max_pages:  # given up on, not past the page limit
        return f"{what}: the {_LIMIT_HITS_IN_A_ROW} pages before {'it' if one else 'them'} hit the time or memory limit"
    return f"{what}: at most {limits.ocr_max_pages} pages of a file are (AW_OCR_MAX_PAGES)"


def _pages_phrase(pages) -> str:
    pages = list(pages)
    if len(pages) == 1:
        return f"page {pages[0]}"
    if pages == list(range(pages[0], pages[-1] + 1)):
        return f"pages {pages[0]}-{pages[-1]}"
    listed = ", ".join(str(page) for page in pages[:_LISTED_PAGES])
    return f"pages {listed}" + (f" and {len(pages) - _LISTED_PAGES} more" if len(pages) > _LISTED_PAGES else "")


# ---------------------------------------------------------------- one page, in a sandboxed child

def ocr_page(data: bytes, name: str, doc_type: str, page: int, password: str | None, languages: str,
             timeout_seconds: float) -> str:
    """The OCR text of one page (1-based) of a PDF or an image; runs in a sandboxed child.

    Raises UnsupportedFile (ParseTimeout when Tesseract outlives the page's time limit).
    """
    from core.ingest.parse_pdf import clean_text

    started = time.monotonic()
    image, dpi = _pdf_page_image(data, page, password) if doc_type == "pdf" else _image_page(data, page)
    buffer = io.BytesIO()
    image.save(buffer, format="PPM")  # grayscale: PGM, which Tesseract reads without decoding work
    del image
    left = timeout_seconds - (time.monotonic() - started) - _MARGIN_SECONDS
    return clean_text(run_tesseract(buffer.getvalue(), languages, dpi, max(left, 1.0), page=page))


def run_tesseract(image: bytes, languages: str, dpi: int | None, timeout_seconds: float, *, page: int) -> str:
    """Tesseract's text for one encoded image (PNM, PNG, TIFF...) given on its standard input."""
    command = ["tesseract", "stdin", "stdout", "-l", languages, "-c", "page_separator="]
    if dpi:
        command += ["--dpi", str(dpi)]  # else it guesses from the text size, and says so on stderr
    try:
        result = subprocess.run(
            command, input=image, capture_output=True, timeout=timeout_seconds, env=_tesseract_env(),
            preexec_fn=_die_with_parent,
        )
    except subprocess.TimeoutExpired:
        raise ParseTimeout(f"page {page} took longer than its time limit to read by OCR (AW_PARSE_TIMEOUT)") from None
    except OSError as exc:
        raise UnsupportedFile(f"page {page} could not be read by OCR: Tesseract did not start ({short_reason(exc)})") from None
    if result.returncode != 0:
        detail = _last_line(result.stderr) or f"exit status {result.returncode}"
        raise UnsupportedFile(f"page {page} could not be read by OCR: Tesseract failed ({detail})")
    return result.stdout.decode("utf-8", "replace")


def _pdf_page_image(data: bytes, page: int, password: str | None):
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data, password=password)
        try:
            pdf_page = pdf[page - 1]
            width, height = pdf_page.get_size()  # in points, 1/72 inch
            scale = _scale(width * OCR_DPI / 72, height * OCR_DPI / 72) * OCR_DPI / 72
            image = pdf_page.render(scale=scale, grayscale=True).to_pil()
        finally:
            pdf.close()
    except MemoryError:
        raise
    except Exception as exc:
        raise UnsupportedFile(f"page {page} could not be rendered for OCR ({short_reason(exc)})") from None
    return image.convert("L"), round(scale * 72)


def _image_page(data: bytes, page: int):
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.seek(page - 1)
            dpi = image.info.get("dpi")
            frame = ImageOps.exif_transpose(image)  # a phone photo of a page is stored sideways
            gray = _grayscale(frame)
    except MemoryError:
        raise
    except Exception as exc:
        raise UnsupportedFile(f"page {page} could not be decoded for OCR ({short_reason(exc)})") from None
    factor = _scale(*gray.size)
    if factor < 1:
        gray = gray.resize((max(1, int(gray.width * factor)), max(1, int(gray.height * factor))))
    # A resolution the file states helps Tesseract size the text; 0, 1 or 72 "dpi" are placeholders.
    stated = round(float(dpi[0])) if dpi and dpi[0] else 0
    return gray, (round(stated * factor) if stated >= 100 else None)


def _grayscale(image):
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent pixels are black underneath; on white, text drawn on them stays readable.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode.startswith("I;16"):
        image = image.convert("I")
    if image.mode in ("I", "F"):
        # 16- and 32-bit scans: their own range stretched to 0-255 (convert("L") would clip it).
        low, high = image.getextrema()
        if high > low:
            image = image.point(lambda value: (value - low) * (255.0 / (high - low)))
    return image.convert("L")


def _scale(width: float, height: float) -> float:
    """1, or the factor that brings a ``width`` x ``height`` image under the pixel and side limits."""
    if width <= 0 or height <= 0:
        return 1.0
    return min(1.0, math.sqrt(_MAX_PIXELS / (width * height)), _MAX_SIDE / width, _MAX_SIDE / height)


def _tesseract_env() -> dict[str, str]:
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def _die_with_parent() -> None:
    # In Tesseract's process, before it starts: the kernel kills it when the sandbox child dies
    # (for example at its time limit), so no OCR outlives the page it was for. Linux only;
    # elsewhere Tesseract still ends at its own timeout and its inherited CPU-time limit.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""
