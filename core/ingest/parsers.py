"""Turn an uploaded file's bytes into a ``ParsedDocument``: checks, content sniffing, dispatch.

Every failure reaches the caller as a ``core.errors`` exception whose message names the file
and says what to do; no exception from a parsing library escapes ``parse_document``.
The format parsers live in ``parse_pdf``, ``parse_office`` (DOCX) and ``parse_text``
(Markdown, reStructuredText, plain text, HTML, CSV); they are imported lazily so that a
process that never parses a PDF never imports pypdf. Pages without a text layer (scanned PDF
pages, and PNG/JPEG/TIFF images via ``parse_image``) are read by OCR in ``parse_ocr``.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from core.errors import EncryptedFile, NoExtractableText, UnsupportedFile, WorkbenchError

logger = logging.getLogger(__name__)

BLOCK_KINDS = ("heading", "paragraph", "table", "row")


@dataclass(frozen=True)
class Block:
    """One structural piece of a document: a heading, a paragraph, a table or one table row."""

    text: str
    kind: str
    level: int = 0  # heading depth (0 = document title, 1 = top section); 0 for other kinds
    page: int | None = None  # 1-based page number, for paged formats (PDF)
    ocr: bool = False  # read from a page image by OCR, so it may hold misread words (citations say so)

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"Block kind must be one of {', '.join(BLOCK_KINDS)}; got {self.kind!r}")


@dataclass(frozen=True)
class Attachment:
    """A file carried inside a document (a mail's attachment), ingested as a document of its own."""

    filename: str  # printable, without folders (``display_name``)
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class ParsedDocument:
    """The text of a document in reading order, with its structure."""

    title: str
    doc_type: str  # "pdf" | "docx" | "markdown" | "rst" | "text" | "html" | "csv" | "image"
    blocks: tuple[Block, ...]
    page_count: int | None = None  # pages in the file (PDF only), including pages without text
    warnings: tuple[str, ...] = ()  # parts that could not be read while the rest could
    # Pages (1-based) with no text layer, left by the sandboxed text pass to the OCR pass
    # (core.ingest.parse_ocr), which reads each in a sandboxed child of its own; () once read.
    needs_ocr: tuple[int, ...] = ()
    # Facts about the document as (name, value) pairs, for formats that state them apart from
    # the text: a mail's "from", "to", "cc", "date" (ISO 8601 when it parses) and "subject".
    # The text carries them too (a mail's header paragraph), so search finds them either way.
    metadata: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()  # files inside it (a mail's), in order


# Extension -> doc_type. Labels are what a user calls each type in messages.
DOC_TYPES: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "rst",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".tsv": "csv",
    # Spreadsheets, slides, mail and JSON (parse_sheets, parse_slides, parse_mail, parse_json).
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",  # a macro-enabled workbook: the same XML; macros are never run or read
    ".xls": "xls",
    ".ods": "ods",
    ".pptx": "pptx",
    ".eml": "eml",
    ".msg": "msg",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    # Scans and photos of documents, read by OCR (core.ingest.parse_image, parse_ocr).
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
}
TYPE_LABELS: dict[str, str] = {
    "pdf": "a PDF",
    "docx": "a Word document (.docx)",
    "markdown": "a Markdown file",
    "rst": "a reStructuredText file",
    "text": "a text file",
    "html": "an HTML page",
    "csv": "a CSV file",
    "xlsx": "an Excel workbook (.xlsx)",
    "xls": "an Excel 97-2003 workbook (.xls)",
    "ods": "an OpenDocument spreadsheet (.ods)",
    "pptx": "a PowerPoint presentation (.pptx)",
    "eml": "an e-mail message (.eml)",
    "msg": "an Outlook message (.msg)",
    "json": "a JSON file",
    "jsonl": "a JSON Lines file",
    "image": "an image (PNG, JPEG or TIFF)",
}
TEXT_TYPES = frozenset({"markdown", "rst", "text", "html", "csv"})
SUPPORTED_EXTENSIONS = tuple(sorted(DOC_TYPES))

_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Microsoft Office file (Word/Excel 97-2003, or a password-protected Office file)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"{\\rtf", "an RTF document"),
    (b"\x7fELF", "a program (executable)"),
    (b"MZ", "a Windows program (executable)"),
)
_ZIP_MEMBERS: tuple[tuple[str, str], ...] = (
    ("word/document.xml", "a Word document (.docx)"),
    ("xl/workbook.xml", "an Excel workbook (.xlsx)"),
    ("ppt/presentation.xml", "a PowerPoint presentation (.pptx)"),
    ("content.xml", "an OpenDocument file (.odt/.ods)"),
)
_CONTENT_TO_EXTENSION = {"a PDF document": ".pdf", "a Word document (.docx)": ".docx", "an Excel workbook (.xlsx)": ".xlsx",
                         "a PowerPoint presentation (.pptx)": ".pptx", "an OpenDocument spreadsheet (.ods)": ".ods"}
# Types whose files are ZIP containers (content sniffed from the members) or OLE2 compound files.
_ZIP_TYPES = {"xlsx": "an Excel workbook (.xlsx)", "pptx": "a PowerPoint presentation (.pptx)",
              "ods": "an OpenDocument spreadsheet (.ods)"}
_OLE_TYPES = frozenset({"xls", "msg"})
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# What an upload with an image extension may hold; any of the three, whatever its extension
# says (a JPEG saved as .png reads the same), because the image library looks at the bytes.
_IMAGE_CONTENTS = {"a PNG image": ".png", "a JPEG image": ".jpg", "a TIFF image": ".tif"}
_CONTENT_TO_EXTENSION.update(_IMAGE_CONTENTS)
_SNIFF_BYTES = 8192
_TITLE_CHARS = 200
_FILENAME_CHARS = 255  # the longest file name common file systems allow
# Embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) and the marks.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


@dataclass(frozen=True)
class ParseLimits:
    """How much one file may cost to read (see IngestSettings and AW_PARSE_* / AW_ARCHIVE_*)."""

    timeout_seconds: float = 120.0
    memory_mb: int = 2048
    archive_max_bytes: int = 100 * 1024 * 1024  # largest unpacked member, and total, of a .docx
    archive_max_ratio: float = 100.0  # largest unpacked/packed size ratio of one member
    ocr_languages: str = "eng"  # Tesseract's -l: language codes joined by "+" (AW_OCR_LANGUAGES)
    ocr_max_pages: int = 500  # most pages of one file read by OCR, each under the limits above

    @classmethod
    def from_settings(cls, ingest) -> "ParseLimits":
        """The limits of an ``IngestSettings``."""
        return cls(ingest.parse_timeout_seconds, ingest.parse_memory_mb, ingest.archive_max_bytes, ingest.archive_max_ratio,
                   ocr_languages=ingest.ocr_languages, ocr_max_pages=ingest.ocr_max_pages)


def parse_document(data: bytes, filename: str, *, password: str | None = None, max_bytes: int,
                   limits: ParseLimits | None = None) -> ParsedDocument:
    """Parse an uploaded file into blocks, or raise UnsupportedFile (or a subclass) saying why not.

    ``password`` unlocks an encrypted PDF and is ignored for other types; ``max_bytes`` is the
    upload limit (``IngestSettings.max_file_bytes``). The parsing itself runs in a sandboxed
    child process under ``limits`` (defaults when None): a file that takes too long or needs
    too much memory fails with ParseTimeout or ParseMemoryExceeded and nothing else is affected.
    """
    from core.ingest.sandbox import run_limited

    limits = limits or ParseLimits()
    name = display_name(filename)
    data = bytes(data)
    # Size and extension are free to check here; sniffing the content opens ZIP directories,
    # so it happens in the child with the parsing.
    doc_type = _check_size_and_extension(data, name, max_bytes)
    document = run_limited(
        parse_accepted, data, name, doc_type, password, limits,
        name=name, timeout_seconds=limits.timeout_seconds, memory_mb=limits.memory_mb,
    )
    if document.needs_ocr:
        from core.ingest.parse_ocr import read_pages_by_ocr

        # Each page in a sandboxed child of its own, under the same limits: OCR costs seconds a
        # page, so a scan of 100 pages must not be held to the time limit of one file.
        document = read_pages_by_ocr(document, data, name, password, limits)
    return replace(document, title=display_text(document.title, limit=_TITLE_CHARS) or filename_stem(name))


def parse_accepted(data: bytes, name: str, doc_type: str, password: str | None, limits: ParseLimits) -> ParsedDocument:
    """The part of ``parse_document`` that runs in the sandbox: content checks, then the parser.

    Not for direct use on untrusted files: it has no time or memory limit of its own.
    """
    _check_content(data, name, doc_type)
    try:
        document = _parse_by_type(data, name, doc_type, password, limits)
    except (WorkbenchError, MemoryError):
        raise  # the sandbox reports running out of memory with its own message
    except Exception as exc:  # the boundary for untrusted files: any library failure becomes a user error
        logger.debug("parsing %s failed", name, exc_info=True)
        raise UnsupportedFile(f"{name} could not be read as {TYPE_LABELS[doc_type]}: {short_reason(exc)}.") from exc
    # Pages left for OCR may still hold the text; the OCR pass decides (parse_ocr).
    if not document.needs_ocr and not any(block.text.strip() for block in document.blocks):
        raise NoExtractableText(_no_text_message(name, doc_type))
    return document


def display_name(filename: str) -> str:
    """The file's own name without any folders (browsers and CLIs may send either slash), printable."""
    base = PurePosixPath(str(filename).replace("\\", "/")).name
    return display_text(base, limit=_FILENAME_CHARS) or "The file"


def display_text(text: str, *, limit: int) -> str:
    """``text`` on one printable line of at most ``limit`` characters, for titles and file names.

    Control characters, line and paragraph separators become spaces (a newline in a file name
    would otherwise forge a row in the CLI's listing), and bidirectional overrides go (they make
    "txt.exe" look like "exe.txt"); runs of spaces collapse.
    """
    cleaned = "".join(" " if _is_line_breaking(ch) else ch for ch in str(text) if ch not in _BIDI_CONTROLS)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def _is_line_breaking(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def filename_stem(filename: str) -> str:
    """A readable title from a file name: its stem, with underscores as spaces."""
    stem = PurePosixPath(display_name(filename)).stem
    readable = " ".join(stem.replace("_", " ").split())
    return readable or display_name(filename)


def short_reason(exc: BaseException) -> str:
    """One short line describing a library exception, for messages shown to users."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return reason if len(reason) <= 200 else reason[:197] + "..."


def clean_title(raw: object) -> str:
    """A metadata title made presentable, or "" when it is missing or a placeholder."""
    if not isinstance(raw, str):
        return ""
    text = "".join(ch for ch in raw if unicodedata.category(ch)[0] != "C" or ch == " ")
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", text)
    if text.lower() in {"", "untitled", "untitled document", "document", "title"}:
        return ""
    return text[:200]


def format_table_row(header: list[str] | None, cells: list[str]) -> str:
    """One table row as text: "h1: v1; h2: v2" with a header, "v1 | v2" without; empty cells left out."""
    cells = [re.sub(r"\s+", " ", cell).strip() for cell in cells]
    if header is None:
        return " | ".join(cell for cell in cells if cell)
    parts = []
    for index, value in enumerate(cells):
        if not value:
            continue
        label = header[index].strip() if index < len(header) and header[index].strip() else f"column {index + 1}"
        parts.append(f"{label}: {value}")
    return "; ".join(parts)


def describe_content(data: bytes) -> str:
    """What the bytes look like ("a PDF document", "a PNG image", "binary data", "text"...)."""
    if data.lstrip()[:5] == b"%PDF-":
        return "a PDF document"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _describe_zip(data)
    for signature, description in _BINARY_SIGNATURES:
        if data.startswith(signature):
            return description
    return "binary data" if looks_binary(data) else "text"


def looks_binary(data: bytes) -> bool:
    """True when the start of the data has NUL bytes or is mostly control characters."""
    sample = data[:_SNIFF_BYTES]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    # Tab, newlines, form feed, backspace and escape appear in real text files; other
    # control bytes are rare enough in text that a few percent of them means binary data.
    control = sum(1 for byte in sample if (byte < 32 and byte not in b"\t\n\r\f\b\x1b") or byte == 127)
    return control / len(sample) > 0.05


def decode_text(data: bytes, name: str, *, declared_charset: str | None = None) -> str:
    """Decode a text file: a BOM's encoding, else UTF-8, else a cautious Windows-1252 fallback.

    Newlines come back as "\\n". Raises UnsupportedFile when the bytes are not text we can trust.
    """
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return _normalise_newlines(data.decode(encoding))
            except UnicodeDecodeError as exc:
                raise UnsupportedFile(
                    f"{name} starts with a {encoding.upper().replace('-SIG', '')} byte-order mark but is not valid "
                    f"{encoding.upper().replace('-SIG', '')} (byte {exc.start}): re-save it as UTF-8 and upload it again."
                ) from None
    try:
        return _normalise_newlines(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        first_error = exc
    if declared_charset:
        try:
            return _normalise_newlines(data.decode(declared_charset))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: fall through to the checks below
    fallback = _windows_1252_or_none(data)
    if fallback is not None:
        return _normalise_newlines(fallback)
    raise UnsupportedFile(
        f"{name} is not valid UTF-8 text (byte 0x{data[first_error.start]:02x} at position {first_error.start} "
        "cannot be decoded): open it in a text editor, save it with UTF-8 encoding, and upload it again."
    )


def _windows_1252_or_none(data: bytes) -> str | None:
    # Why a fallback at all: files saved as "ANSI" by Windows editors are common and are
    # nearly always Windows-1252; refusing them would frustrate users for no gain. Why not
    # latin-1: it accepts every byte sequence, so any other encoding would silently become
    # mojibake. Windows-1252 leaves five bytes undefined, and we also refuse the result when
    # it holds control characters or when most of its letters are non-ASCII (what UTF-16,
    # Shift-JIS or GBK bytes look like when misread); Western text in Windows-1252 has only a
    # few accented letters among mostly ASCII ones.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\b\x1b" for ch in text):
        return None
    letters = [ch for ch in text if ch.isalpha()]
    non_ascii = sum(1 for ch in letters if ord(ch) > 127)
    if letters and non_ascii / len(letters) > 0.3:
        return None
    return text


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _describe_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            # An OpenDocument file names its kind in a small first member, "mimetype".
            mimetype = archive.read("mimetype").strip() if "mimetype" in names and archive.getinfo("mimetype").file_size < 256 else b""
    except (zipfile.BadZipFile, OSError, ValueError):
        return "a damaged ZIP archive"
    if "content.xml" in names and mimetype == _ODS_MIMETYPE:
        return "an OpenDocument spreadsheet (.ods)"
    for member, description in _ZIP_MEMBERS:
        if member in names:
            return description
    return "a ZIP archive"


def _check_size_and_extension(data: bytes, name: str, max_bytes: int) -> str:
    """The file's doc_type, after the checks that cost nothing: emptiness, size, extension."""
    if not data:
        raise UnsupportedFile(f"{name} is empty (0 bytes).")
    if len(data) > max_bytes:
        raise UnsupportedFile(
            f"{name} is {_human_size(len(data))}, over the upload limit of {_human_size(max_bytes)} "
            "(AW_MAX_FILE_MB): split the file or ask an administrator to raise the limit."
        )
    extension = PurePosixPath(name).suffix.lower()
    doc_type = DOC_TYPES.get(extension)
    if doc_type is None:
        what = f"a {extension} file" if extension else "a file without an extension"
        raise UnsupportedFile(
            f"{name} is {what}, which the workbench cannot read. Supported types: "
            f"{', '.join(SUPPORTED_EXTENSIONS)}."
        )
    return doc_type


def _check_content(data: bytes, name: str, doc_type: str) -> None:
    """Refuse a file whose content is not what its extension says."""
    content = describe_content(data)
    if doc_type == "pdf":
        if b"%PDF-" not in data[:1024]:
            raise UnsupportedFile(_spoof_message(name, doc_type, content))
    elif doc_type == "docx":
        if content != "a Word document (.docx)":
            if content.startswith("an old-style Microsoft Office") and _is_encrypted_office(data):
                raise EncryptedFile(
                    f"{name} is a password-protected Word document, which the workbench cannot unlock: "
                    "remove the password in Word (File > Info > Protect Document) and upload it again."
                )
            raise UnsupportedFile(_spoof_message(name, doc_type, content))
    elif doc_type == "image":
        if content not in _IMAGE_CONTENTS:
            raise UnsupportedFile(_spoof_message(name, doc_type, content))
    elif doc_type in _ZIP_TYPES or doc_type in _OLE_TYPES:
        _check_container(data, name, doc_type, content)
    elif content != "text" and not _has_text_bom(data):
        raise UnsupportedFile(_spoof_message(name, doc_type, content))


def _check_container(data: bytes, name: str, doc_type: str, content: str) -> None:
    """Refuse a spreadsheet, deck or Outlook message whose container is not what it should be."""
    label = TYPE_LABELS[doc_type]
    ole = content.startswith("an old-style Microsoft Office")
    if ole and _is_encrypted_office(data):
        raise EncryptedFile(
            f"{name} is password-protected, which the workbench cannot unlock: remove the password in the program "
            "that made it (File > Info > Protect) and upload it again."
        )
    if content == _ZIP_TYPES.get(doc_type) or (doc_type in _OLE_TYPES and ole):
        return
    if content == "a damaged ZIP archive" and doc_type in _ZIP_TYPES:
        raise UnsupportedFile(
            f"{name} could not be read as {label}: the file is damaged or incomplete (its ZIP container cannot be "
            "opened). Upload an intact copy of it."
        )
    message = _spoof_message(name, doc_type, content)
    if ole and doc_type in ("xlsx", "ods"):
        message = f"{name} is not {label}: its content looks like an old-style Excel 97-2003 workbook. Rename it to {PurePosixPath(name).stem}.xls and upload it again."
    elif ole and doc_type == "pptx":
        message = f"{name} is not {label}: it is an old-style PowerPoint 97-2003 file. Open it in PowerPoint and save it as .pptx."
    elif content == "text" and doc_type == "xls":
        message += (" Many systems export an HTML or text table with an .xls extension: rename it to "
                    f"{PurePosixPath(name).stem}.html (or .csv) and upload it again.")
    elif content == "text" and doc_type == "msg":
        message += f" If it is a mail saved as text, rename it to {PurePosixPath(name).stem}.eml and upload it again."
    raise UnsupportedFile(message)


def _spoof_message(name: str, doc_type: str, content: str) -> str:
    label = {"pdf": "a PDF", "docx": "a Word document"}.get(doc_type, TYPE_LABELS[doc_type])
    message = f"{name} is not {label}: its content looks like {content}."
    right_extension = _CONTENT_TO_EXTENSION.get(content)
    if right_extension:
        message += f" Rename it to {PurePosixPath(name).stem}{right_extension} and upload it again."
    elif content == "text" and doc_type in {"pdf", "docx"}:
        message += " Upload it with a .txt extension if it is plain text."
    elif content.startswith("an old-style Microsoft Office"):
        message += " Open it in Word and save it as .docx."
    return message


def _has_text_bom(data: bytes) -> bool:
    return data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE))


def _is_encrypted_office(data: bytes) -> bool:
    # Office encrypts a .docx by wrapping it in an OLE2 container with an "EncryptedPackage"
    # stream; the stream name is stored in UTF-16 in the container's directory.
    return "EncryptedPackage".encode("utf-16-le") in data


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _parse_by_type(data: bytes, name: str, doc_type: str, password: str | None, limits: ParseLimits) -> ParsedDocument:
    if doc_type == "pdf":
        from core.ingest.parse_pdf import parse_pdf

        return parse_pdf(data, name, password=password)
    if doc_type == "docx":
        from core.ingest.parse_office import parse_docx

        return parse_docx(data, name, max_unpacked_bytes=limits.archive_max_bytes, max_ratio=limits.archive_max_ratio)
    if doc_type == "image":
        from core.ingest.parse_image import parse_image

        return parse_image(data, name)
    if doc_type in _ZIP_TYPES or doc_type in _OLE_TYPES or doc_type in ("eml", "json", "jsonl"):
        return _parse_other(data, name, doc_type, limits)
    from core.ingest import parse_text

    if doc_type == "html":
        return parse_text.parse_html(decode_text(data, name, declared_charset=parse_text.declared_html_charset(data)), name)
    text = decode_text(data, name)
    if doc_type == "csv":
        return parse_text.parse_csv(text, name, tab_separated=name.lower().endswith(".tsv"))
    parser = {"markdown": parse_text.parse_markdown, "rst": parse_text.parse_rst, "text": parse_text.parse_plain}[doc_type]
    return parser(text, name)


def _parse_other(data: bytes, name: str, doc_type: str, limits: ParseLimits) -> ParsedDocument:
    """Spreadsheets, slides, mail and JSON. ZIP-based files pass the archive checks first."""
    if doc_type in _ZIP_TYPES:
        from core.ingest.parse_office import check_archive

        check_archive(data, name, max_unpacked_bytes=limits.archive_max_bytes, max_ratio=limits.archive_max_ratio,
                      label=TYPE_LABELS[doc_type])
    if doc_type in ("xlsx", "xls", "ods"):
        from core.ingest import parse_sheets

        return {"xlsx": parse_sheets.parse_xlsx, "xls": parse_sheets.parse_xls, "ods": parse_sheets.parse_ods}[doc_type](data, name)
    if doc_type == "pptx":
        from core.ingest.parse_slides import parse_pptx

        return parse_pptx(data, name)
    if doc_type in ("eml", "msg"):
        from core.ingest import parse_mail

        return (parse_mail.parse_eml if doc_type == "eml" else parse_mail.parse_msg)(data, name)
    from core.ingest import parse_json

    return (parse_json.parse_json if doc_type == "json" else parse_json.parse_jsonl)(decode_text(data, name), name)


def _no_text_message(name: str, doc_type: str) -> str:
    if doc_type in ("xlsx", "xls", "ods"):
        return f"{name} has no extractable text: its sheets are empty."
    if doc_type == "pptx":
        return f"{name} has no extractable text: its slides hold no text or notes (pictures only?)."
    if doc_type in ("json", "jsonl"):
        return f"{name} has no extractable text: it holds only empty values."
    if doc_type == "pdf":
        # Pages without a text layer go to OCR, which has its own messages (parse_ocr); this
        # is a PDF whose text layer holds only spaces and no page was left for OCR.
        return f"{name} has no extractable text: its pages hold only blank space."
    if doc_type == "docx":
        return f"{name} has no extractable text (it is empty or holds only images); add text to it first."
    return f"{name} has no extractable text: it is blank or holds only markup."
