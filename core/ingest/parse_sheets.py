"""Spreadsheets: XLSX (openpyxl), XLS (xlrd) and ODS (content.xml read as a stream).

Each sheet becomes a section: a heading with the sheet's name, then one "row" block per row,
labelled by the sheet's first non-empty row as CSV rows are ("Region: North; Q3: 12"), so a
cited row says which sheet it came from. Rows are read one at a time and at most ``MAX_ROWS``
per file are kept: a million-row export would otherwise need gigabytes in the sandbox and hours
of embedding; what is left out is said in ``ParsedDocument.warnings``.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator

from core.errors import EncryptedFile, UnsupportedFile
from core.ingest.parsers import Block, ParsedDocument, clean_title, filename_stem, format_table_row, short_reason

MAX_ROWS = 100_000  # rows kept from one file, over all its sheets
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


def parse_xlsx(data: bytes, name: str) -> ParsedDocument:
    """An Excel 2007+ workbook; formulas give the values Excel saved with the file."""
    import openpyxl

    try:
        # read_only streams each sheet's XML instead of building every cell; data_only reads
        # the cached result of a formula (a file never opened in a spreadsheet program has none).
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except MemoryError:
        raise  # the sandbox reports it: the file is too big to read, not damaged
    except Exception as exc:  # openpyxl raises KeyError, zipfile and XML errors for damaged files
        raise UnsupportedFile(f"{name} could not be read as an Excel workbook (the file looks damaged): {short_reason(exc)}.") from exc
    try:
        sheets = [(sheet.title, _xlsx_rows(sheet)) for sheet in book.worksheets]
        title = clean_title(book.properties.title) if book.properties is not None else ""
        return _document(name, "xlsx", title, sheets)
    finally:
        book.close()


def _xlsx_rows(sheet) -> Iterator[list[object]]:
    # A sheet's stored dimensions are often wrong (a whole formatted column claims 1,048,576
    # rows); without them openpyxl yields the rows and cells that are really in the file.
    sheet.reset_dimensions()
    for row in sheet.iter_rows(values_only=True):
        yield list(row)


def parse_xls(data: bytes, name: str) -> ParsedDocument:
    """An Excel 97-2003 workbook (BIFF); sheets are loaded one at a time."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except MemoryError:
        raise
    except Exception as exc:  # xlrd.XLRDError, CompDocError, struct errors for damaged files
        if "encrypt" in str(exc).lower():
            raise EncryptedFile(
                f"{name} is a password-protected Excel workbook, which the workbench cannot unlock: remove the "
                "password in Excel (File > Info > Protect Workbook) and upload it again."
            ) from exc
        if "can't find workbook" in str(exc).lower():
            # An Office 97-2003 container without a workbook: a .doc, .ppt or .msg renamed.
            raise UnsupportedFile(
                f"{name} is not an Excel workbook: it is another kind of Office 97-2003 file (a Word or PowerPoint "
                "file, or an Outlook message). Upload it with its own extension (.msg for a mail)."
            ) from exc
        raise UnsupportedFile(f"{name} could not be read as an Excel 97-2003 workbook (the file looks damaged): {short_reason(exc)}.") from exc
    try:
        sheets = [(sheet_name, _xls_rows(book, index)) for index, sheet_name in enumerate(book.sheet_names())]
        return _document(name, "xls", "", sheets)
    finally:
        book.release_resources()


def _xls_rows(book, index: int) -> Iterator[list[object]]:
    import xlrd

    sheet = book.sheet_by_index(index)
    try:
        for row_index in range(sheet.nrows):
            yield [_xls_value(cell, book.datemode, xlrd) for cell in sheet.row(row_index)]
    finally:
        book.unload_sheet(index)


def _xls_value(cell, datemode: int, xlrd) -> object:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell.value  # a number formatted as a date it cannot be: keep the number
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return cell.value


def parse_ods(data: bytes, name: str) -> ParsedDocument:
    """An OpenDocument spreadsheet: its content.xml is read as a stream of rows."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        mimetype = archive.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in archive.namelist() else ""
        if mimetype and mimetype != ODS_MIMETYPE:
            raise UnsupportedFile(f"{name} is not an OpenDocument spreadsheet: it is a {mimetype} file.")
        content = archive.open("content.xml")
    except UnsupportedFile:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnsupportedFile(f"{name} could not be read as an OpenDocument spreadsheet (the file looks damaged): {short_reason(exc)}.") from exc
    with archive, content:
        try:
            sheets = ((sheet_name, iter(rows)) for sheet_name, rows in _ods_sheets(content))
            return _document(name, "ods", "", sheets)
        except (UnsupportedFile, MemoryError):
            raise
        except Exception as exc:  # lxml.etree.XMLSyntaxError, zipfile's CRC check
            raise UnsupportedFile(f"{name} could not be read as an OpenDocument spreadsheet (the file looks damaged): {short_reason(exc)}.") from exc


# ODF's namespaces, in lxml's "{uri}local" form.
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_T_TABLE, _T_ROW = f"{{{_TABLE}}}table", f"{{{_TABLE}}}table-row"
_T_CELLS = (f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell")
_T_P, _T_H, _T_S, _T_TAB, _T_BREAK = (f"{{{_TEXT}}}{local}" for local in ("p", "h", "s", "tab", "line-break"))
_T_NOTE = f"{{{_OFFICE}}}annotation"


def _ods_sheets(content) -> Iterator[tuple[str, list[list[object]]]]:
    """(sheet name, rows) per sheet, in order.

    ODS compresses runs of identical rows and cells into one element with a repeat count (a
    sheet formatted to its last row says 1,048,576 rows); empty runs are never expanded, so
    such a sheet costs what its real cells cost. Each sheet's first non-empty row (its header)
    is always kept, data rows only up to one past the file's ``MAX_ROWS``, which is enough for
    ``_document`` to tell that rows were left out.
    """
    from lxml import etree

    # No entity expansion, no network, no huge-tree mode: a hostile content.xml cannot make
    # the parser fetch anything or grow a billion-laughs entity.
    events = etree.iterparse(content, events=("start", "end"), tag=(_T_TABLE, _T_ROW),
                             resolve_entities=False, no_network=True, huge_tree=False)
    sheet_name, rows, data_rows, depth, sheet_number = "", [], 0, 0, 0
    for event, element in events:
        if element.tag == _T_TABLE:
            depth += 1 if event == "start" else -1
            if event == "start" and depth == 1:
                sheet_number += 1
                sheet_name, rows = element.get(f"{{{_TABLE}}}name", "") or f"Sheet {sheet_number}", []
            elif event == "end" and depth == 0:
                yield sheet_name, rows
                element.clear()
            continue
        if event != "end" or depth != 1:
            continue  # a row of a table nested in a cell is part of that cell
        cells = _ods_cells(element)
        repeat = _count(element.get(f"{{{_TABLE}}}number-rows-repeated"))
        # Free the row and the rows before it: the tree would otherwise grow to the whole sheet.
        element.clear()
        parent = element.getparent()
        while element.getprevious() is not None:
            del parent[0]
        if not any(_cell_text(value) for value in cells):
            continue
        if not rows:
            rows.append(cells)  # the header
            repeat -= 1
        copies = max(0, min(repeat, MAX_ROWS + 1 - data_rows))
        rows.extend(list(cells) for _ in range(copies))
        data_rows += copies


def _ods_cells(row) -> list[object]:
    cells: list[object] = []
    pending_empty = 0
    for cell in row:
        if cell.tag not in _T_CELLS:
            continue
        value = _ods_value(cell)
        repeat = _count(cell.get(f"{{{_TABLE}}}number-columns-repeated"))
        if value == "":
            pending_empty += repeat  # a trailing empty run (to column 16,384) is never expanded
            continue
        cells.extend([""] * min(pending_empty, 16384))
        pending_empty = 0
        cells.extend([value] * min(repeat, 16384))
    return cells


def _ods_value(cell) -> object:
    kind = cell.get(f"{{{_OFFICE}}}value-type")
    if kind in ("float", "percentage", "currency"):
        try:
            return float(cell.get(f"{{{_OFFICE}}}value", ""))
        except ValueError:
            return _ods_text(cell)
    if kind == "date":
        raw = cell.get(f"{{{_OFFICE}}}date-value", "")
        try:
            return dt.datetime.fromisoformat(raw) if "T" in raw else dt.date.fromisoformat(raw)
        except ValueError:
            return _ods_text(cell)
    if kind == "boolean":
        return cell.get(f"{{{_OFFICE}}}boolean-value", "").lower() == "true"
    return _ods_text(cell)


def _ods_text(cell) -> str:
    """The cell's own paragraphs, one per line (comments left out)."""
    return "\n".join(_odf_inline(child) for child in cell if child.tag in (_T_P, _T_H)).strip()


def _odf_inline(element) -> str:
    """A paragraph's text with ODF's encoded spaces, tabs and line breaks; libxml2 caps the
    nesting (256 levels without huge_tree), so the recursion is bounded."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == _T_S:
            parts.append(" " * _count(child.get(f"{{{_TEXT}}}c")))
        elif child.tag == _T_TAB:
            parts.append("\t")
        elif child.tag == _T_BREAK:
            parts.append("\n")
        elif child.tag != _T_NOTE:
            parts.append(_odf_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _count(raw: str | None) -> int:
    try:
        return max(1, int(raw)) if raw else 1
    except ValueError:
        return 1


# ---------------------------------------------------------------- shared: sheets -> blocks

def _document(name: str, doc_type: str, title: str, sheets: Iterable[tuple[str, Iterator[list[object]]]]) -> ParsedDocument:
    blocks: list[Block] = []
    warnings: list[str] = []
    kept = 0
    skipped_sheets: list[str] = []
    for number, (sheet_name, rows) in enumerate(sheets, start=1):
        label = " ".join(str(sheet_name).split()) or f"Sheet {number}"
        if kept >= MAX_ROWS:
            if any(any(_cell_text(value) for value in row) for row in rows):
                skipped_sheets.append(label)
            continue
        sheet_blocks, count, cut = _sheet_blocks(rows, MAX_ROWS - kept)
        kept += count
        if sheet_blocks:
            blocks.append(Block(label, "heading", level=1))
            blocks.extend(sheet_blocks)
        if cut:
            warnings.append(f"Only the first {MAX_ROWS:,} rows of {name} were read (the limit for one file): "
                            f"the rest of sheet {label!r} was left out.")
    if skipped_sheets:
        warnings.append(f"The sheets after the first {MAX_ROWS:,} rows of {name} were left out: "
                        + ", ".join(repr(sheet) for sheet in skipped_sheets) + ".")
    return ParsedDocument(title=title or filename_stem(name), doc_type=doc_type, blocks=tuple(blocks), warnings=tuple(warnings))


def _sheet_blocks(rows: Iterator[list[object]], room: int) -> tuple[list[Block], int, bool]:
    """One sheet's rows as blocks: (blocks, data rows kept, whether rows were left out)."""
    header: list[str] | None = None
    blocks: list[Block] = []
    for values in rows:
        cells = [_cell_text(value) for value in values]
        if not any(cells):
            continue
        if header is None:
            header = [cell.strip() for cell in cells]
            continue
        if len(blocks) >= room:
            return blocks, len(blocks), True
        text = format_table_row(header, cells)
        if text:
            blocks.append(Block(text, "row"))
    if header is not None and not blocks:
        blocks.append(Block("Columns: " + ", ".join(cell for cell in header if cell), "paragraph"))
        return blocks, 0, False
    return blocks, len(blocks), False


def _cell_text(value: object) -> str:
    """A cell's value as the text a reader would expect (12, 12.5, 2024-03-01, TRUE)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")  # 0.1 + 0.2 reads as 0.3, as a spreadsheet shows it
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 and value.microsecond == 0 else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()
