"""PDF parsing: text per page (page numbers kept), paragraphs, headings from bookmarks.

pypdf reads the text layer. A file pypdf cannot open (or whose pages it cannot read) is tried
with a second reader, PDFium (pypdfium2, the engine of Chrome's PDF viewer, which copes with
damaged cross-reference tables and page trees differently), before the file is refused, with
the reason from both in the error. Pages without a text layer are not read here: they are
listed in ``ParsedDocument.needs_ocr`` for the OCR pass (``parse_ocr``), page by page.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
import unicodedata
from typing import Iterator, Sequence

from core.errors import EncryptedFile, UnsupportedFile
from core.ingest.parsers import Block, ParsedDocument, clean_title, filename_stem, short_reason

logger = logging.getLogger(__name__)

_SECTION_NUMBER = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)*\.?|[A-Z]\.?|[IVXLC]+\.)$")
# Starts at a dot, never at a space: a leading "[ \t]*" made every space of a long run start a
# scan over the rest of the run (quadratic: 60,000 spaces took 78 s). The spaces before a
# leader are left in place; line joining collapses them anyway.
_DOT_LEADER = re.compile(r"[.·…](?:[ \t]*[.·…]){3,}[ \t]*")
# Every Cc character but newline and tab, deleted by str.translate (a per-character Python
# loop took seconds on a page holding one 20 MB word).
_CONTROL_CHARACTERS = dict.fromkeys([*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])
_PARAGRAPH_END = re.compile(r"""[.!?:;]["'”’)\]]*$""")


def parse_pdf(data: bytes, name: str, *, password: str | None = None) -> ParsedDocument:
    """Parse PDF bytes; raise EncryptedFile, UnsupportedFile or (via the caller) NoExtractableText."""
    try:
        return _parse_with_pypdf(data, name, password)
    except _Unreadable as pypdf_failure:
        logger.debug("pypdf could not read %s (%s); trying pdfium", name, pypdf_failure)
        try:
            return _parse_with_pdfium(data, name, password)
        except _Unreadable as pdfium_failure:
            raise UnsupportedFile(
                f"{name} could not be read as a PDF by either PDF reader (the file looks damaged): "
                f"pypdf: {str(pypdf_failure).rstrip('.')}; pdfium: {str(pdfium_failure).rstrip('.')}."
            ) from None


def has_text_layer(text: str) -> bool:
    """True when a page's extracted text holds a letter or digit; else the page is left to OCR."""
    return any(ch.isalnum() for ch in text)


class _Unreadable(Exception):
    """One reader could not read the file at all; the message is the reason, for the final error."""


def _parse_with_pypdf(data: bytes, name: str, password: str | None) -> ParsedDocument:
    _quiet_pypdf_logging()
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except DependencyError as exc:  # opening an encrypted file already tries the empty password
        raise UnsupportedFile(_missing_crypto_message(name, exc)) from exc
    except MemoryError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise _Unreadable(short_reason(exc)) from exc
    if reader.is_encrypted:
        _unlock(reader, name, password)
    try:
        pages = list(reader.pages)
    except MemoryError:
        raise
    except Exception as exc:
        raise _Unreadable(f"its page list is damaged ({short_reason(exc)})") from exc
    if not pages:
        raise _Unreadable("it has no pages")
    texts: list[str | None] = []
    for number, page in enumerate(pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except MemoryError:
            raise  # not a damaged page: the sandbox reports the file as too big to read
        except Exception:
            logger.debug("pypdf text extraction failed on page %d of %s", number, name, exc_info=True)
            texts.append(None)
    if all(text is None for text in texts):
        raise _Unreadable("text extraction failed on every page")
    if None in texts:
        # The second reader often reads the pages the first one stumbles on.
        texts = _fill_from_pdfium(data, password, texts)
    return _document(name, texts, _outline_headings(reader), _metadata_title(reader))


def _parse_with_pdfium(data: bytes, name: str, password: str | None) -> ParsedDocument:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data, password=password)
    except MemoryError:
        raise
    except pdfium.PdfiumError as exc:
        import pypdfium2.raw as pdfium_c

        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedFile(_password_message(name, password)) from None
        raise _Unreadable(short_reason(exc)) from None
    try:
        texts = [_pdfium_page_text(pdf, index) for index in range(len(pdf))]
        if all(text is None for text in texts):
            raise _Unreadable("text extraction failed on every page")
        return _document(name, texts, _pdfium_headings(pdf), _pdfium_title(pdf))
    finally:
        pdf.close()


def _fill_from_pdfium(data: bytes, password: str | None, texts: list[str | None]) -> list[str | None]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data, password=password)
    except MemoryError:
        raise
    except Exception:
        logger.debug("pdfium could not open the file either", exc_info=True)
        return texts
    try:
        if len(pdf) != len(texts):
            return texts  # the readers disagree on the pages: its page numbers could not be trusted
        return [text if text is not None else _pdfium_page_text(pdf, index) for index, text in enumerate(texts)]
    finally:
        pdf.close()


def _pdfium_page_text(pdf, index: int) -> str | None:
    try:
        text = pdf[index].get_textpage().get_text_bounded()
    except MemoryError:
        raise
    except Exception:
        logger.debug("pdfium text extraction failed on page %d", index + 1, exc_info=True)
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _document(name: str, texts: Sequence[str | None], headings_by_page: dict[int, list[tuple[str, int]]],
              title: str) -> ParsedDocument:
    """The ParsedDocument of one reader's page texts (None: the page could not be read)."""
    blocks: list[Block] = []
    failed_pages: list[int] = []
    needs_ocr: list[int] = []
    for number, text in enumerate(texts, start=1):
        headings = headings_by_page.get(number, [])
        if text is None:
            failed_pages.append(number)
        elif has_text_layer(text):
            blocks.extend(page_blocks(clean_text(text), number, headings))
        else:
            # No text layer: a scanned page. Its bookmarks stand as headings at their place;
            # the OCR pass puts the page's text after them (or at the lines that match them).
            needs_ocr.append(number)
            blocks.extend(Block(heading, "heading", level=depth, page=number) for heading, depth in headings)
    warnings = ()
    if failed_pages:
        listed = ", ".join(str(n) for n in failed_pages[:10]) + (" ..." if len(failed_pages) > 10 else "")
        warnings = (f"Text could not be extracted from page(s) {listed}; the other pages were read.",)
    return ParsedDocument(title=title or filename_stem(name), doc_type="pdf", blocks=tuple(blocks), page_count=len(texts),
                          warnings=warnings, needs_ocr=tuple(needs_ocr))


def _pdfium_headings(pdf) -> dict[int, list[tuple[str, int]]]:
    """Bookmark titles per 1-based page, as ``_outline_headings`` gives them from pypdf."""
    headings: dict[int, list[tuple[str, int]]] = {}
    try:
        for bookmark in pdf.get_toc():
            destination = bookmark.get_dest()
            index = destination.get_index() if destination is not None else None
            title = clean_title(bookmark.get_title() or "")
            if index is not None and title:
                headings.setdefault(index + 1, []).append((title, bookmark.level + 1))
    except MemoryError:
        raise
    except Exception:
        # Bookmarks only add headings; without them the text is still read in full.
        logger.debug("could not read the PDF outline with pdfium", exc_info=True)
    return headings


def _pdfium_title(pdf) -> str:
    try:
        return clean_title(pdf.get_metadata_value("Title"))
    except MemoryError:
        raise
    except Exception:
        logger.debug("could not read the PDF metadata title with pdfium", exc_info=True)
        return ""


def _quiet_pypdf_logging() -> None:
    # pypdf logs every recoverable oddity of a malformed file ("rebuild xref", "invalid
    # parent") as a WARNING; to an analyst that is noise, and real failures still raise.
    # Only done when nobody configured the pypdf logger, so a developer can turn it back on.
    pypdf_logger = logging.getLogger("pypdf")
    if pypdf_logger.level == logging.NOTSET:
        pypdf_logger.setLevel(logging.ERROR)


def _unlock(reader, name: str, password: str | None) -> None:
    from pypdf import PasswordType
    from pypdf.errors import DependencyError

    # A PDF with only an owner password (printing/copying restrictions) opens with the empty
    # user password, as in any PDF viewer, so the user is asked for a password only when needed.
    candidates = [password] if password else [""]
    try:
        unlocked = any(reader.decrypt(candidate) != PasswordType.NOT_DECRYPTED for candidate in candidates)
    except DependencyError as exc:
        raise UnsupportedFile(_missing_crypto_message(name, exc)) from exc
    except Exception as exc:
        raise UnsupportedFile(f"{name} could not be decrypted (its encryption data looks damaged): {short_reason(exc)}.") from exc
    if not unlocked:
        raise EncryptedFile(_password_message(name, password))


def _password_message(name: str, password: str | None) -> str:
    if password:
        return f"{name} could not be unlocked: the password is wrong. Check it and try again."
    return f"{name} is password-protected: enter its password in the upload form (or --password) to unlock it."


def _missing_crypto_message(name: str, exc: Exception) -> str:
    return (
        f"{name} uses an encryption method (AES) that needs the 'cryptography' package, which is not "
        f"installed: ask an administrator to install it ({short_reason(exc)})."
    )


def _metadata_title(reader) -> str:
    try:
        metadata = reader.metadata
        return clean_title(metadata.title) if metadata is not None else ""
    except MemoryError:
        raise
    except Exception:
        # An unreadable /Info dictionary only costs the title; the file name stands in for it.
        logger.debug("could not read the PDF metadata title", exc_info=True)
        return ""


def _outline_headings(reader) -> dict[int, list[tuple[str, int]]]:
    """Bookmark titles per 1-based page, with their depth as heading level (1 = top)."""
    headings: dict[int, list[tuple[str, int]]] = {}
    try:
        for title, depth, page_index in _walk_outline(reader, reader.outline, 1):
            if page_index is not None and title:
                headings.setdefault(page_index + 1, []).append((title, depth))
    except MemoryError:
        raise
    except Exception:
        # Bookmarks only add headings; without them the text is still read in full.
        logger.debug("could not read the PDF outline", exc_info=True)
    return headings


def _walk_outline(reader, items, depth: int) -> Iterator[tuple[str, int, int | None]]:
    for item in items:
        if isinstance(item, list):
            yield from _walk_outline(reader, item, depth + 1)
        else:
            yield clean_title(str(item.title or "")), depth, reader.get_destination_page_number(item)


def clean_text(text: str) -> str:
    """Extracted (or OCR) text made searchable: plain letters, no dot leaders, no control characters."""
    # NFKC turns typographic ligatures ("ﬁ") into plain letters so search finds "file".
    text = unicodedata.normalize("NFKC", text)
    # Dot leaders of tables of contents ("Intro . . . . . 3") cost many tokens and say nothing.
    text = _DOT_LEADER.sub(" ", text)
    return text.translate(_CONTROL_CHARACTERS)


def _normalise_for_match(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def matches_heading(line: str, title: str) -> bool:
    """True when a line of page text is the heading a bookmark titled ``title`` points at."""
    line_n, title_n = _normalise_for_match(line), _normalise_for_match(title)
    if not line_n or len(line_n) > 200:
        return False
    if line_n == title_n:
        return True
    # LaTeX bookmarks often drop the section number that the page shows ("Foo" vs "1 Foo").
    if line_n.endswith(" " + title_n):
        return bool(_SECTION_NUMBER.match(line_n[: -len(title_n) - 1].strip().upper()))
    return False


def page_blocks(text: str, page: int | None, headings: Sequence[tuple[str, int]], *, ocr: bool = False) -> list[Block]:
    """Paragraphs of one page's text, with lines matching the page's bookmarks as headings.

    ``ocr`` marks the blocks as read by OCR (``Block.ocr``).
    """
    lines = [line.strip() for line in text.split("\n")]
    widths = [len(line) for line in lines if line]
    typical = statistics.median(widths) if widths else 0
    pending = list(headings)
    blocks: list[Block] = []
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            blocks.append(Block(_join_lines(buffer), "paragraph", page=page, ocr=ocr))
            buffer.clear()

    for line in lines:
        if not line:
            flush()
            continue
        match = next((item for item in pending if matches_heading(line, item[0])), None)
        if match is not None:
            flush()
            pending.remove(match)
            blocks.append(Block(re.sub(r"\s+", " ", line), "heading", level=match[1], page=page, ocr=ocr))
            continue
        buffer.append(line)
        # A line clearly shorter than the page's typical line that ends a sentence closes a
        # paragraph: pypdf gives no blank lines between paragraphs, only line breaks.
        if _PARAGRAPH_END.search(line) and len(line) < 0.8 * typical:
            flush()
    flush()
    return blocks


def _join_lines(lines: list[str]) -> str:
    # Pieces joined once at the end (growing one string copies it per line: quadratic in a
    # paragraph of many lines); ``tail`` is the last two characters joined so far.
    pieces = [lines[0]]
    tail = lines[0][-2:]
    for line in lines[1:]:
        # Re-join words hyphenated at a line end ("adip-" + "iscing"), keep real hyphens otherwise.
        if tail.endswith("-") and len(tail) > 1 and tail[-2].isalpha() and line[:1].islower():
            pieces[-1] = pieces[-1][:-1]
            tail = (tail[:-1] + line)[-2:]
        else:
            pieces.append(" ")
            tail = (tail + " " + line)[-2:]
        pieces.append(line)
    return re.sub(r"[ \t]+", " ", "".join(pieces)).strip()
