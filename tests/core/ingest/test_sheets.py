"""Spreadsheets (XLSX, XLS, ODS) written by real writers (openpyxl, xlwt, odfpy), parsed in the
sandbox, ingested through the real pipeline and found by search with their sheet cited."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from core.errors import ArchiveTooLarge, EncryptedFile, NoExtractableText, UnsupportedFile
from core.ingest import parse_sheets
from core.ingest.parsers import Block, ParseLimits, parse_document
from core.ingest.pipeline import Upload

LIMIT = 50 * 1024 * 1024


def xlsx_bytes(sheets: dict[str, list[list[object]]], *, title: str = "") -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    if title:
        book.properties.title = title
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xls_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    xlwt = pytest.importorskip("xlwt", reason="xlwt writes the .xls samples (requirements-dev.txt)")
    book = xlwt.Workbook()
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write(r, c, value, date_style)
                elif value is not None:
                    sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ods_bytes(sheets: dict[str, list[list[object]]], *, repeated_blank_rows: int = 0) -> bytes:
    pytest.importorskip("odf", reason="odfpy writes the .ods samples (requirements-dev.txt)")
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for row in rows:
            element = TableRow()
            for value in row:
                if value is None:
                    cell = TableCell()
                elif isinstance(value, bool):
                    cell = TableCell(valuetype="boolean", booleanvalue="true" if value else "false")
                    cell.addElement(P(text=str(value).upper()))
                elif isinstance(value, (int, float)):
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=str(value)))
                elif isinstance(value, dt.date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat())
                    cell.addElement(P(text=value.isoformat()))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=value))
                element.addElement(cell)
            table.addElement(element)
        if repeated_blank_rows:
            # What LibreOffice writes for a sheet formatted to its last row: one element, repeated.
            table.addElement(TableRow(numberrowsrepeated=repeated_blank_rows))
            blank = TableRow()
            blank.addElement(TableCell(numbercolumnsrepeated=16384))
            table.addElement(blank)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


SHEETS = {
    "Revenue": [["Region", "Q2", "Q3", "Closed"], ["North", 10, 12.5, dt.date(2024, 9, 30)], [None, None, None, None],
                ["South", 8, 0.1 + 0.2, None]],
    "Headcount": [["Team", "People"], ["Logistics", 41]],
    "Empty": [],
}
EXPECTED = [
    Block("Revenue", "heading", level=1),
    Block("Region: North; Q2: 10; Q3: 12.5; Closed: 2024-09-30", "row"),
    Block("Region: South; Q2: 8; Q3: 0.3", "row"),
    Block("Headcount", "heading", level=1),
    Block("Team: Logistics; People: 41", "row"),
]
WRITERS = {"xlsx": xlsx_bytes, "xls": xls_bytes, "ods": ods_bytes}


@pytest.mark.parametrize("extension", sorted(WRITERS))
def test_each_sheet_is_a_section_of_rows_labelled_by_its_header(extension):
    document = parse_document(WRITERS[extension](SHEETS), f"budget.{extension}", max_bytes=LIMIT)
    assert document.doc_type == extension
    assert list(document.blocks) == EXPECTED
    assert document.title == "budget" and document.warnings == ()


def test_xlsx_reads_saved_formula_values_dates_booleans_and_its_title():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Freight"
    sheet.append(["Lane", "Cost", "Paid", "Booked"])
    sheet.append(["Rotterdam-Hamburg", 1200, True, dt.datetime(2024, 3, 1, 14, 5)])
    sheet.append(["Total", "=B2*2"])
    book.properties.title = "Freight costs 2024"
    buffer = io.BytesIO()
    book.save(buffer)
    data = _with_cached_value(buffer.getvalue(), "Freight", "B3", "2400")
    document = parse_document(data, "freight.xlsx", max_bytes=LIMIT)
    assert document.title == "Freight costs 2024"
    assert [b.text for b in document.blocks] == [
        "Freight",
        "Lane: Rotterdam-Hamburg; Cost: 1200; Paid: TRUE; Booked: 2024-03-01 14:05",
        "Lane: Total; Cost: 2400",  # the value the spreadsheet program saved, not the formula
    ]


def _with_cached_value(data: bytes, sheet: str, cell: str, value: str) -> bytes:
    """The workbook as a spreadsheet program saves it: the formula with its computed value
    (openpyxl writes formulas without one, as a file never opened in Excel has)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                start = text.index(f'<c r="{cell}"')
                end = text.index("</c>", start)
                assert "<f>" in text[start:end] and "<v></v>" in text[start:end], "the sample must hold a formula there"
                content = (text[:start] + text[start:end].replace("<v></v>", f"<v>{value}</v>") + text[end:]).encode()
            target.writestr(item, content)
    return out.getvalue()


def test_a_sheet_with_only_a_header_lists_its_columns_and_an_empty_workbook_has_no_text():
    document = parse_document(xlsx_bytes({"Plan": [["Week", "Owner"]]}), "plan.xlsx", max_bytes=LIMIT)
    assert list(document.blocks) == [Block("Plan", "heading", level=1), Block("Columns: Week, Owner", "paragraph")]
    with pytest.raises(NoExtractableText, match=r"empty\.xlsx has no extractable text: its sheets are empty"):
        parse_document(xlsx_bytes({"Sheet1": []}), "empty.xlsx", max_bytes=LIMIT)


def test_stored_dimensions_and_repeated_blank_rows_cost_only_the_real_cells():
    # A sheet that claims all 1,048,576 rows and 16,384 columns (a formatted whole sheet) holds
    # three real rows: read under a small memory limit and a short time limit, it costs those.
    limits = ParseLimits(timeout_seconds=20, memory_mb=400)
    ods = ods_bytes({"Stock": [["Item", "Count"], ["Bolts", 40]]}, repeated_blank_rows=1_048_574)
    assert [b.text for b in parse_document(ods, "stock.ods", max_bytes=LIMIT, limits=limits).blocks] == ["Stock", "Item: Bolts; Count: 40"]
    xlsx = _claiming_dimension(xlsx_bytes({"Stock": [["Item", "Count"], ["Bolts", 40]]}), "A1:XFD1048576")
    assert [b.text for b in parse_document(xlsx, "stock.xlsx", max_bytes=LIMIT, limits=limits).blocks] == ["Stock", "Item: Bolts; Count: 40"]


def _claiming_dimension(data: bytes, dimension: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                start = text.index("<dimension ref=")
                content = (text[:start] + f'<dimension ref="{dimension}"/>' + text[text.index("/>", start) + 2:]).encode()
            target.writestr(item, content)
    return out.getvalue()


def test_rows_past_the_cap_are_left_out_with_a_warning(monkeypatch):
    # The cap applied in this process (the sandbox's child would not see a patched constant).
    monkeypatch.setattr(parse_sheets, "MAX_ROWS", 3)
    data = xlsx_bytes({"Orders": [["Id"]] + [[n] for n in range(1, 6)], "Returns": [["Id"], [9]], "Blank": []})
    document = parse_sheets.parse_xlsx(data, "orders.xlsx")
    assert [b.text for b in document.blocks] == ["Orders", "Id: 1", "Id: 2", "Id: 3"]
    assert document.warnings == (
        "Only the first 3 rows of orders.xlsx were read (the limit for one file): the rest of sheet 'Orders' was left out.",
        "The sheets after the first 3 rows of orders.xlsx were left out: 'Returns'.",
    )
    ods = parse_sheets.parse_ods(ods_bytes({"Orders": [["Id"]] + [[n] for n in range(1, 6)]}), "orders.ods")
    assert [b.text for b in ods.blocks] == ["Orders", "Id: 1", "Id: 2", "Id: 3"] and len(ods.warnings) == 1


def test_a_large_sheet_is_read_as_a_stream_within_the_memory_limit():
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Shipments")
    sheet.append(["Id", "Port", "Weight"])
    for n in range(parse_sheets.MAX_ROWS + 500):
        sheet.append([n, f"Port {n % 97}", n * 1.5])
    buffer = io.BytesIO()
    book.save(buffer)
    document = parse_document(buffer.getvalue(), "shipments.xlsx", max_bytes=LIMIT,
                              limits=ParseLimits(timeout_seconds=300, memory_mb=512))
    assert len(document.blocks) == parse_sheets.MAX_ROWS + 1  # the sheet's heading and the kept rows
    assert document.blocks[-1].text == f"Id: {parse_sheets.MAX_ROWS - 1}; Port: Port {(parse_sheets.MAX_ROWS - 1) % 97}; " \
                                       f"Weight: {(parse_sheets.MAX_ROWS - 1) * 1.5:.15g}"
    assert "Only the first 100,000 rows of shipments.xlsx were read" in document.warnings[0]


# ---------------------------------------------------------------- broken files


@pytest.mark.parametrize("extension", ["xlsx", "ods"])
def test_a_truncated_zip_spreadsheet_says_it_is_damaged(extension):
    data = WRITERS[extension](SHEETS)
    with pytest.raises(UnsupportedFile, match=rf"broken\.{extension} could not be read as an? .*: the file is damaged or "
                                              r"incomplete \(its ZIP container cannot be opened\)"):
        parse_document(data[: len(data) // 2], f"broken.{extension}", max_bytes=LIMIT)


def test_a_truncated_xls_and_a_damaged_sheet_say_so():
    data = xls_bytes(SHEETS)
    with pytest.raises(UnsupportedFile, match=r"broken\.xls could not be read as an Excel 97-2003 workbook \(the file looks damaged\): \w+"):
        parse_document(data[: len(data) // 2], "broken.xls", max_bytes=LIMIT)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook><unclosed>")
    with pytest.raises(UnsupportedFile, match=r"broken\.xlsx could not be read as an Excel workbook \(the file looks damaged\): \w+"):
        parse_document(buffer.getvalue(), "broken.xlsx", max_bytes=LIMIT)


def test_wrong_extensions_name_what_the_file_really_is(make_docx):
    xlsx = xlsx_bytes(SHEETS)
    with pytest.raises(UnsupportedFile, match=r"^budget\.ods is not an OpenDocument spreadsheet \(\.ods\): its content looks "
                                              r"like an Excel workbook \(\.xlsx\)\. Rename it to budget\.xlsx"):
        parse_document(xlsx, "budget.ods", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^budget\.xlsx is not an Excel workbook \(\.xlsx\): its content looks like an "
                                              r"old-style Excel 97-2003 workbook\. Rename it to budget\.xls"):
        parse_document(xls_bytes(SHEETS), "budget.xlsx", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^report\.xlsx is not an Excel workbook \(\.xlsx\): its content looks like a "
                                              r"Word document \(\.docx\)\. Rename it to report\.docx"):
        parse_document(make_docx(lambda d: d.add_paragraph("Hello")), "report.xlsx", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^export\.xls is not an Excel 97-2003 workbook \(\.xls\): its content looks like "
                                              r"text\. Many systems export an HTML or text table with an \.xls extension"):
        parse_document(b"<table><tr><td>1</td></tr></table>", "export.xls", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^budget\.xlsx is not an OpenDocument spreadsheet|^budget\.xlsx is not an Excel workbook"):
        parse_document(ods_bytes(SHEETS), "budget.xlsx", max_bytes=LIMIT)


def test_a_password_protected_workbook_and_a_zip_bomb_are_refused():
    # What Office writes for an encrypted .xlsx: an OLE2 container with an EncryptedPackage stream.
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512
    with pytest.raises(EncryptedFile, match=r"secret\.xlsx is password-protected"):
        parse_document(encrypted, "secret.xlsx", max_bytes=LIMIT)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (20 * 1024 * 1024))
    with pytest.raises(ArchiveTooLarge, match=r"bomb\.xlsx was refused: its part 'xl/worksheets/sheet1\.xml' unpacks"):
        parse_document(buffer.getvalue(), "bomb.xlsx", max_bytes=LIMIT)


# ---------------------------------------------------------------- through the pipeline


@pytest.mark.parametrize("extension", sorted(WRITERS))
def test_an_uploaded_spreadsheet_is_found_by_search_and_cited_with_its_sheet(workbench, extension):
    sheets = {
        "Carriers": [["Carrier", "Lane", "On time"], ["Blue Heron Freight", "Rotterdam-Hamburg", "97%"], ["Kestrel Lines", "Genoa-Lyon", "88%"]],
        "Fuel": [["Month", "Diesel litres"], ["March", 48210]],
    }
    ws = workbench.workspace()
    [result] = ws.ingest([Upload(f"carriers.{extension}", WRITERS[extension](sheets))])
    assert result.status == "ingested", result.error
    [document] = ws.documents()
    assert document.doc_type == extension
    hits = ws.search("Which carrier runs the Genoa-Lyon lane?", k=3)
    assert hits and "Kestrel Lines" in hits[0].chunk.text
    assert hits[0].chunk.heading_path == ("Carriers",) and hits[0].citation == "carriers, Carriers"
    fuel = ws.search("diesel litres in March", k=3, mode="keyword")
    assert fuel[0].chunk.heading_path == ("Fuel",) and "Diesel litres: 48210" in fuel[0].chunk.text
