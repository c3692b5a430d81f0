"""DOCX parsing with python-docx: paragraphs and tables in reading order, headings from styles."""

from __future__ import annotations

import io
import re
import zipfile

from core.errors import ArchiveTooLarge, UnsupportedFile
from core.ingest.parsers import Block, ParsedDocument, clean_title, filename_stem, format_table_row, short_reason

# Below this unpacked size a member's compression ratio is no threat (and small, repetitive XML
# parts can compress very well); the total unpacked size still bounds many such members.
_RATIO_FLOOR_BYTES = 1024 * 1024
_HEADING_STYLE = re.compile(r"heading\s*([1-9])", re.IGNORECASE)


def parse_docx(data: bytes, name: str, *, max_unpacked_bytes: int, max_ratio: float) -> ParsedDocument:
    """Parse a Word document: "Title"/"Heading N" styles (or outline levels) become headings.

    Refuses (ArchiveTooLarge) a file with a member that unpacks to more than
    ``max_unpacked_bytes`` or by more than ``max_ratio`` times, or whose members together do.
    """
    check_archive(data, name, max_unpacked_bytes=max_unpacked_bytes, max_ratio=max_ratio)
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except MemoryError:
        raise  # the sandbox reports it: the file is too big to read, not damaged
    except Exception as exc:  # python-docx and lxml raise many types for damaged files
        raise UnsupportedFile(f"{name} could not be read as a Word document (the file looks damaged): {short_reason(exc)}.") from exc

    blocks: list[Block] = []
    for item in _body_items(document):
        if isinstance(item, Table):
            text = _table_text(item)
            if text:
                blocks.append(Block(text, "table"))
            continue
        text = item.text.strip()
        if not text:
            continue
        level = _heading_level(item)
        if level is None:
            blocks.append(Block(text, "paragraph"))
        else:
            blocks.append(Block(re.sub(r"\s+", " ", text), "heading", level=level))

    title = clean_title(document.core_properties.title) or _first_heading(blocks) or filename_stem(name)
    return ParsedDocument(title=title, doc_type="docx", blocks=tuple(blocks))


def check_archive(data: bytes, name: str, *, max_unpacked_bytes: int, max_ratio: float,
                  label: str = "a Word document") -> None:
    """Refuse a ZIP whose members would unpack to too much, before anything is unpacked.

    A .docx (and a .xlsx, .pptx, .ods) is a ZIP, and a megabyte can inflate to gigabytes of
    XML ("zip bomb"). The sizes checked are the ones the ZIP directory declares; they are safe
    to trust because Python's zipfile never yields more than a member's declared size (and
    fails on a CRC mismatch). ``label`` names the kind of file in messages.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsupportedFile(f"{name} could not be read as {label} (the ZIP container is damaged): {short_reason(exc)}.") from exc
    advice = "it is probably not a real document (a \"zip bomb\"). If it is genuine, ask an administrator to raise "
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > max_unpacked_bytes:
            raise ArchiveTooLarge(
                f"{name} was refused: its part {member.filename!r} unpacks to {_mb(member.file_size)}, more than the "
                f"{_mb(max_unpacked_bytes)} limit; {advice}AW_ARCHIVE_MAX_MB."
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= _RATIO_FLOOR_BYTES and ratio > max_ratio:
            raise ArchiveTooLarge(
                f"{name} was refused: its part {member.filename!r} unpacks {ratio:.0f} times larger than it is stored "
                f"({_mb(member.compress_size)} to {_mb(member.file_size)}), more than the limit of {max_ratio:g} times; "
                f"{advice}AW_ARCHIVE_MAX_RATIO."
            )
    if total > max_unpacked_bytes:
        raise ArchiveTooLarge(
            f"{name} was refused: its {len(members)} parts unpack to {_mb(total)} together, more than the "
            f"{_mb(max_unpacked_bytes)} limit; {advice}AW_ARCHIVE_MAX_MB."
        )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _body_items(document):
    """Paragraphs and tables of the body in order, including those inside content controls."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    paragraph_tag, table_tag = qn("w:p"), qn("w:tbl")
    # Content controls (w:sdt), tracked insertions and custom XML wrap ordinary paragraphs;
    # python-docx's own iterator skips whatever they wrap.
    wrapper_tags = {qn("w:sdt"), qn("w:sdtContent"), qn("w:ins"), qn("w:customXml")}

    def walk(element):
        for child in element.iterchildren():
            if child.tag == paragraph_tag:
                yield Paragraph(child, document)
            elif child.tag == table_tag:
                yield Table(child, document)
            elif child.tag in wrapper_tags:
                yield from walk(child)

    yield from walk(document.element.body)


def _heading_level(paragraph) -> int | None:
    """0 for the "Title" style, N for "Heading N" or outline level N-1, None for body text."""
    style = paragraph.style
    name = (style.name or "") if style is not None else ""
    if name.strip().lower() == "title":
        return 0
    match = _HEADING_STYLE.fullmatch(name.strip())
    if match:
        return int(match.group(1))
    # Localised templates name headings in their own language ("Überschrift 1") but still
    # give them an outline level, directly or through their style chain.
    level = _outline_level(paragraph._p.pPr)
    while level is None and style is not None:
        level = _outline_level(style.element.pPr)
        style = style.base_style
    return level + 1 if level is not None and level < 9 else None


def _outline_level(ppr) -> int | None:
    if ppr is None or ppr.outlineLvl is None:
        return None
    return int(ppr.outlineLvl.val)


def _table_text(table) -> str:
    """A table as text, one line per row; with a header row, each cell is labelled by its column."""
    rows: list[list[str]] = []
    for row in table.rows:
        cells, seen = [], []
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; keep it once.
            if any(cell._tc is element for element in seen):
                continue
            seen.append(cell._tc)
            cells.append(cell.text)
        if any(cell.strip() for cell in cells):
            rows.append(cells)
    if not rows:
        return ""
    first = [cell.strip() for cell in rows[0]]
    # A header labels every column: distinct, non-empty, and as wide as the rows below it.
    has_header = len(rows) > 1 and all(first) and len(set(first)) == len(first) and len(first) >= max(map(len, rows[1:]))
    if has_header:
        return "\n".join(format_table_row(first, cells) for cells in rows[1:])
    return "\n".join(format_table_row(None, cells) for cells in rows)


def _first_heading(blocks: list[Block]) -> str:
    return next((block.text for block in blocks if block.kind == "heading"), "")
