"""parse_document on real sample PDFs, PEPs, and files built here; every failure is a core.errors type."""

from __future__ import annotations

import io
import json
import logging
import random
import re
import zipfile
from pathlib import Path

import pytest

from core.errors import EncryptedFile, NoExtractableText, UnsupportedFile
from core.ingest.parsers import Block, parse_document

LIMIT = 50 * 1024 * 1024
ENCRYPTED_SAMPLE = "005-libreoffice-writer-password_libreoffice-writer-password.pdf"
SAMPLES_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "external" / "pdf-samples"


def _sample_names() -> list[str]:
    manifest = SAMPLES_DIR / "files.json"
    if not manifest.exists():
        return ["(samples missing)"]
    names = [entry["path"].replace("/", "_") for entry in json.loads(manifest.read_text())["data"]]
    return [name for name in names if (SAMPLES_DIR / name).exists()]


def _shows_text(data: bytes) -> bool:
    """Independent oracle: does any page's content stream contain a text-showing operator?"""
    from pypdf import PdfReader

    streams = (page.get_contents() for page in PdfReader(io.BytesIO(data)).pages)
    return any(stream is not None and re.search(rb"(Tj|TJ|'|\")\s", stream.get_data()) for stream in streams)


# ---------------------------------------------------------------- the sample PDFs


@pytest.mark.parametrize("name", _sample_names())
def test_every_sample_pdf_parses_with_text_or_raises_a_specific_error(name, pdf_samples, pdf_manifest, parsed_samples):
    entry = pdf_manifest[name]
    document = parsed_samples[name]
    if isinstance(document, EncryptedFile):
        assert entry["encrypted"], f"{name} is not encrypted but raised {document}"
        assert str(document).startswith(name)
        return
    if isinstance(document, NoExtractableText):
        assert not _shows_text((pdf_samples / name).read_bytes()), f"{name} draws text but parsing found none"
        assert "no text even after OCR" in str(document)
        return
    if isinstance(document, UnsupportedFile):
        assert str(document).startswith(f"{name} could not be read as a PDF")
        return
    assert not entry["encrypted"]
    assert document.doc_type == "pdf"
    assert document.page_count == entry["pages"]
    assert document.title.strip()
    text_blocks = [block for block in document.blocks if block.text.strip()]
    assert text_blocks
    assert all(1 <= block.page <= entry["pages"] for block in document.blocks)
    pages = [block.page for block in document.blocks]
    assert pages == sorted(pages), "blocks must come in page order"


def test_samples_include_every_outcome(parsed_samples, pdf_manifest):
    outcomes = {name: type(result).__name__ for name, result in parsed_samples.items()}
    assert outcomes[ENCRYPTED_SAMPLE] == "EncryptedFile"
    image_only = [name for name, outcome in outcomes.items() if outcome == "NoExtractableText"]
    assert len(image_only) >= 3
    assert all(pdf_manifest[name]["pages"] >= 1 for name in image_only)
    assert sum(outcome == "ParsedDocument" for outcome in outcomes.values()) >= 20


def test_encrypted_sample_needs_its_password(pdf_samples):
    data = (pdf_samples / ENCRYPTED_SAMPLE).read_bytes()
    with pytest.raises(EncryptedFile, match="password-protected: enter its password"):
        parse_document(data, ENCRYPTED_SAMPLE, max_bytes=LIMIT)
    with pytest.raises(EncryptedFile, match="password is wrong"):
        parse_document(data, ENCRYPTED_SAMPLE, password="not-the-password", max_bytes=LIMIT)
    document = parse_document(data, ENCRYPTED_SAMPLE, password="openpassword", max_bytes=LIMIT)
    assert document.page_count == 1
    assert "Lorem ipsum" in " ".join(block.text for block in document.blocks)


def _encrypted_copy(pdf_samples, **encrypt_options) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(pdf_samples / "001-trivial_minimal-document.pdf"))
    writer.encrypt(**encrypt_options)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_aes_encrypted_pdfs_open_with_their_password_or_none_when_only_restricted(pdf_samples):
    data = _encrypted_copy(pdf_samples, user_password="s3cret", owner_password="owner", algorithm="AES-256")
    with pytest.raises(EncryptedFile):
        parse_document(data, "aes.pdf", max_bytes=LIMIT)
    assert "Lorem ipsum" in parse_document(data, "aes.pdf", password="s3cret", max_bytes=LIMIT).blocks[0].text
    # Only an owner password (printing/copying restrictions): opens without asking, as in a viewer.
    restricted = _encrypted_copy(pdf_samples, user_password="", owner_password="owner-only", algorithm="AES-128")
    assert "Lorem ipsum" in parse_document(restricted, "restricted.pdf", max_bytes=LIMIT).blocks[0].text


def test_pdf_bookmarks_become_nested_headings_on_their_pages(pdf_samples, parsed_samples):
    from pypdf import PdfReader

    name = "009-pdflatex-geotopo_GeoTopo-komprimiert.pdf"
    reader = PdfReader(pdf_samples / name)

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield item.title, depth, reader.get_destination_page_number(item) + 1

    outline = list(walk(reader.outline, 1))
    document = parsed_samples[name]
    headings = [block for block in document.blocks if block.kind == "heading"]
    assert document.title == "Geometrie und Topologie"  # from the PDF's metadata
    assert len(headings) >= len(outline) // 2
    for heading in headings:
        assert any(
            heading.page == page and heading.level == depth and heading.text.casefold().endswith(title.casefold())
            for title, depth, page in outline
        ), heading
    assert {heading.level for heading in headings} >= {1, 2, 3}


def test_pdf_paragraphs_rejoin_lines_and_hyphenated_words(pdf_samples):
    name = "026-latex-multicolumn_multicolumn.pdf"
    document = parse_document((pdf_samples / name).read_bytes(), name, max_bytes=LIMIT)
    text = "\n".join(block.text for block in document.blocks)
    assert "adipiscing" in text and "adip-" not in text
    assert "filled" in text  # the "ﬁ" ligature is normalised to plain letters
    assert len(document.blocks) > document.page_count  # split into paragraphs, not one block per page


def test_pypdf_warnings_stay_out_of_the_log(pdf_samples, caplog):
    name = "017-unreadable-meta-data_unreadablemetadata.pdf"
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(UnsupportedFile, match="could not be read as a PDF"):
            parse_document((pdf_samples / name).read_bytes(), name, max_bytes=LIMIT)
    assert not [record for record in caplog.records if record.name.startswith("pypdf") and record.levelno == logging.WARNING]


def test_corrupt_pdfs_raise_unsupported_file(pdf_samples):
    original = (pdf_samples / "004-pdflatex-4-pages_pdflatex-4-pages.pdf").read_bytes()
    for damaged in (b"%PDF-1.7\n" + bytes(range(256)) * 8, original[: len(original) // 2], b"%PDF-1.4\n"):
        with pytest.raises(UnsupportedFile, match=r"broken\.pdf could not be read as a PDF .*: \w+"):
            parse_document(damaged, "broken.pdf", max_bytes=LIMIT)


def test_randomly_damaged_files_never_leak_library_exceptions(pdf_samples, make_docx):
    pdf = (pdf_samples / "004-pdflatex-4-pages_pdflatex-4-pages.pdf").read_bytes()
    docx_bytes = make_docx(lambda d: [d.add_heading("Title", 1), d.add_paragraph("Some text " * 50)])
    rng = random.Random(20240611)
    parsed = 0
    for original, name in ((pdf, "damaged.pdf"), (docx_bytes, "damaged.docx")):
        for _ in range(15):
            damaged = bytearray(original)
            for _ in range(20):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            try:
                document = parse_document(bytes(damaged), name, max_bytes=LIMIT)
            except UnsupportedFile as exc:
                assert str(exc).startswith(name)
            else:
                parsed += 1
                assert any(block.text.strip() for block in document.blocks)
    assert parsed < 30  # the damage is real: not every copy can be read


# ---------------------------------------------------------------- checks before parsing


def test_empty_file_is_refused():
    with pytest.raises(UnsupportedFile, match=r"^notes\.txt is empty \(0 bytes\)\.$"):
        parse_document(b"", "notes.txt", max_bytes=LIMIT)


def test_file_over_the_limit_names_size_and_limit():
    with pytest.raises(UnsupportedFile, match=r"big\.txt is 2\.0 MB, over the upload limit of 1\.0 MB"):
        parse_document(b"a" * (2 * 1024 * 1024), "big.txt", max_bytes=1024 * 1024)
    assert parse_document(b"a" * 1024, "small.txt", max_bytes=1024).blocks[0].text == "a" * 1024


def test_unknown_extension_lists_supported_types():
    for name in ("slides.key", "README"):
        with pytest.raises(UnsupportedFile, match=r"Supported types: .*\.docx.*\.pdf") as caught:
            parse_document(b"hello", name, max_bytes=LIMIT)
        assert caught.value.args[0].startswith(name)


def test_folders_in_the_filename_are_not_shown():
    with pytest.raises(UnsupportedFile, match=r"^secret\.txt is empty"):
        parse_document(b"", "C:\\Users\\me\\secret.txt", max_bytes=LIMIT)


def test_spoofed_extensions_say_what_the_content_looks_like(pdf_samples, make_docx):
    pdf = (pdf_samples / "001-trivial_minimal-document.pdf").read_bytes()
    docx_bytes = make_docx(lambda document: document.add_paragraph("hi"))
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("data.txt", "hello")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    rng = random.Random(3)
    noise = bytes(rng.randrange(256) for _ in range(4000))
    cases = [
        (pdf, "report.docx", "report.docx is not a Word document: its content looks like a PDF document. Rename it to report.pdf"),
        (plain_zip.getvalue(), "report.pdf", "report.pdf is not a PDF: its content looks like a ZIP archive."),
        (docx_bytes, "report.pdf", "report.pdf is not a PDF: its content looks like a Word document (.docx). Rename it to report.docx"),
        (plain_zip.getvalue(), "report.docx", "report.docx is not a Word document: its content looks like a ZIP archive."),
        (png, "notes.txt", "notes.txt is not a text file: its content looks like a PNG image."),
        (png, "data.csv", "data.csv is not a CSV file: its content looks like a PNG image."),
        (pdf, "page.html", "page.html is not an HTML page: its content looks like a PDF document."),
        (noise, "notes.md", "notes.md is not a Markdown file: its content looks like binary data."),
        ("plain words".encode("utf-16-le"), "notes.txt", "notes.txt is not a text file: its content looks like binary data."),
        (b"just some text", "report.pdf", "report.pdf is not a PDF: its content looks like text."),
    ]
    for data, name, message in cases:
        with pytest.raises(UnsupportedFile) as caught:
            parse_document(data, name, max_bytes=LIMIT)
        assert str(caught.value).startswith(message), (name, str(caught.value))


def test_password_protected_word_file_is_recognised():
    ole_header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    encrypted = ole_header + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512
    with pytest.raises(EncryptedFile, match="password-protected Word document"):
        parse_document(encrypted, "locked.docx", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match="97-2003.*save it as .docx"):
        parse_document(ole_header + b"\x01" * 512, "old.docx", max_bytes=LIMIT)


def test_text_encodings():
    # Windows "ANSI" text (cp1252) is accepted: it decodes without control characters.
    for text, encoding in (("café naïve", "utf-8"), ("with bom", "utf-8-sig"), ("utf sixteen", "utf-16"), ("Ça coûte 5 €", "cp1252")):
        assert parse_document(text.encode(encoding), "a.txt", max_bytes=LIMIT).blocks[0].text == text
    for data in (b"abc \x81\x8d def", "日本語のテキストです".encode("shift_jis"), b"ok \xe9\x01 " + b"plain words " * 20):
        with pytest.raises(UnsupportedFile, match=r"is not valid UTF-8 text .*save it with UTF-8 encoding"):
            parse_document(data, "bad.txt", max_bytes=LIMIT)


def test_blank_documents_have_no_extractable_text(make_docx):
    with pytest.raises(NoExtractableText, match=r"blank\.txt has no extractable text"):
        parse_document(b" \n\n\t \n", "blank.txt", max_bytes=LIMIT)
    with pytest.raises(NoExtractableText, match=r"empty\.html has no extractable text"):
        parse_document(b"<html><script>var x = 1</script><nav>menu</nav></html>", "empty.html", max_bytes=LIMIT)
    with pytest.raises(NoExtractableText, match=r"empty\.docx has no extractable text"):
        parse_document(make_docx(lambda document: document.add_paragraph("   ")), "empty.docx", max_bytes=LIMIT)


def test_block_kinds_are_checked():
    with pytest.raises(ValueError, match="Block kind"):
        Block("text", "caption")


# ---------------------------------------------------------------- formats


def _kinds(document):
    return [(block.kind, block.level, block.text) for block in document.blocks]


def test_docx_headings_paragraphs_and_tables_in_order(make_docx):
    def fill(document):
        document.add_heading("Quarterly Report", 0)
        document.add_heading("Revenue", 1)
        document.add_paragraph("Revenue grew by 12% in Q3.")
        table = document.add_table(rows=3, cols=3)
        for r, row in enumerate([["Region", "Q2", "Q3"], ["North", "10", "12"], ["South", "8", ""]]):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
        document.add_heading("Costs", 2)
        # A localised heading style is recognised by its outline level (0 = top level).
        style = document.styles.add_style("Überschrift Eins", 1)
        style.element.get_or_add_pPr().get_or_add_outlineLvl().val = 0
        document.add_paragraph("Ausblick", style="Überschrift Eins")
        document.add_paragraph("Costs fell.")

    document = parse_document(make_docx(fill), "q3.docx", max_bytes=LIMIT)
    assert document.doc_type == "docx"
    assert document.title == "Quarterly Report"  # no core-properties title: the Title-styled paragraph
    assert _kinds(document) == [
        ("heading", 0, "Quarterly Report"),
        ("heading", 1, "Revenue"),
        ("paragraph", 0, "Revenue grew by 12% in Q3."),
        ("table", 0, "Region: North; Q2: 10; Q3: 12\nRegion: South; Q2: 8"),
        ("heading", 2, "Costs"),
        ("heading", 1, "Ausblick"),
        ("paragraph", 0, "Costs fell."),
    ]


def test_docx_title_prefers_core_properties_and_merged_cells_appear_once(make_docx):
    def fill(document):
        document.core_properties.title = "Board Minutes"
        document.add_heading("Attendees", 1)
        table = document.add_table(rows=2, cols=3)
        table.cell(0, 0).merge(table.cell(0, 2)).text = "Everyone present"
        for c, value in enumerate(["Ann", "Bob", "Cy"]):
            table.cell(1, c).text = value

    document = parse_document(make_docx(fill), "minutes.docx", max_bytes=LIMIT)
    assert document.title == "Board Minutes"
    assert document.blocks[-1] == Block("Everyone present\nAnn | Bob | Cy", "table")


def test_damaged_docx_says_it_could_not_be_read():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("word/document.xml", "<w:document><unclosed>")
    with pytest.raises(UnsupportedFile, match=r"broken\.docx could not be read as a Word document .*: \w+"):
        parse_document(buffer.getvalue(), "broken.docx", max_bytes=LIMIT)


def test_html_drops_scripts_styles_and_navigation():
    html = b"""<!doctype html><html><head><title>Team Page</title><style>.x{color:red}</style></head>
    <body><nav>Home | About</nav><script>var token = "abc";</script><noscript>enable js</noscript>
    <h1>Our  Team</h1><p>We build <b>tools</b>,<br>every day.</p><!-- hidden comment -->
    <ul><li>Alice</li><li>Bob <a href="/bob">profile</a></li></ul>
    <table><caption>Ages</caption><tr><th>Name</th><th>Age</th></tr><tr><td>Alice</td><td>30</td></tr>
    <tr><td>Bob</td><td></td></tr></table><h3>Contact</h3><pre>mail  us
      here</pre><div>loose <span>text</span></div></body></html>"""
    document = parse_document(html, "team.html", max_bytes=LIMIT)
    assert document.title == "Team Page"
    assert _kinds(document) == [
        ("heading", 1, "Our Team"),
        ("paragraph", 0, "We build tools,\nevery day."),
        ("paragraph", 0, "- Alice"),
        ("paragraph", 0, "- Bob profile"),
        ("paragraph", 0, "Ages"),
        ("row", 0, "Name: Alice; Age: 30"),
        ("row", 0, "Name: Bob"),
        ("heading", 3, "Contact"),
        ("paragraph", 0, "mail  us\n      here"),
        ("paragraph", 0, "loose text"),
    ]
    everything = " ".join(block.text for block in document.blocks)
    for hidden in ("token", "color", "Home", "enable js", "hidden comment"):
        assert hidden not in everything


def test_deeply_nested_html_is_read():
    page = ("<html><body>" + "<div><font>level " * 3000 + "bottom</body></html>").encode()
    document = parse_document(page, "deep.html", max_bytes=LIMIT)
    assert len(document.blocks) == 3000 and document.blocks[-1].text == "level bottom"


def test_html_declared_charset_is_honoured():
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Ýmir is ôld</p></body></html>'.encode("latin-1")
    assert parse_document(page, "old.htm", max_bytes=LIMIT).blocks[0].text == "Ýmir is ôld"


def test_markdown_structure():
    text = """---
title: Release Notes
---
Overview
========

The release is *big*
and has a [changelog](https://example.com/log).

- item one
  continued here
- item two

```python
# a comment, not a heading
x = 1
```

## Details ##

| name | value |
|------|:-----:|
| a    | 1     |

> quoted
> words

Setext two
----------
***
"""
    document = parse_document(text.encode(), "notes.md", max_bytes=LIMIT)
    assert document.title == "Release Notes"
    assert _kinds(document) == [
        ("heading", 1, "Overview"),
        ("paragraph", 0, "The release is *big* and has a changelog."),
        ("paragraph", 0, "- item one continued here\n- item two"),
        ("paragraph", 0, "# a comment, not a heading\nx = 1"),
        ("heading", 2, "Details"),
        ("row", 0, "name: a; value: 1"),
        ("paragraph", 0, "quoted words"),
        ("heading", 2, "Setext two"),
    ]
    assert parse_document(b"no headings here", "My_Notes.markdown", max_bytes=LIMIT).title == "My Notes"


def test_rst_section_titles_by_adornment_style():
    text = """=========
 Manual
=========

Intro text
wrapped here.

Install
=======

Run it::

    pip install thing
    thing --help

Linux
-----
Use apt.

Short
--
not a title because its underline is too short.

Usage
=====
Done.
"""
    document = parse_document(text.encode(), "manual.rst", max_bytes=LIMIT)
    assert document.title == "Manual"
    headings = [(block.level, block.text) for block in document.blocks if block.kind == "heading"]
    assert headings == [(1, "Manual"), (2, "Install"), (3, "Linux"), (2, "Usage")]
    paragraphs = [block.text for block in document.blocks if block.kind == "paragraph"]
    assert "Intro text wrapped here." in paragraphs
    assert "pip install thing\nthing --help" in paragraphs  # literal block keeps its lines
    assert "Short -- not a title because its underline is too short." in paragraphs


def test_peps_parse_with_their_title_and_sections(peps):
    for name in ("pep-0008.rst", "pep-0001.rst", "pep-0020.rst", "pep-0484.rst"):
        raw = (peps / name).read_bytes()
        document = parse_document(raw, name, max_bytes=LIMIT)
        header_title = re.search(rb"^Title: (.+)$", raw, re.MULTILINE).group(1).decode().strip()
        assert document.doc_type == "rst" and document.title == header_title
        # A stricter oracle than the parser: a title line, then an underline exactly as long.
        lines = raw.decode().splitlines()
        strict = {
            line.strip() for line, under in zip(lines, lines[1:])
            if line.strip() and not line[0].isspace() and re.fullmatch(r"([=\-~^*+#])\1+", under) and len(under) == len(line)
        }
        headings = {block.text for block in document.blocks if block.kind == "heading"}
        assert strict <= headings, strict - headings
    pep8 = parse_document((peps / "pep-0008.rst").read_bytes(), "pep-0008.rst", max_bytes=LIMIT)
    levels = {block.text: block.level for block in pep8.blocks if block.kind == "heading"}
    assert levels["Code Lay-out"] == 1 and levels["Indentation"] == 2


def test_csv_rows_carry_their_headers():
    data = 'name;city;note\nAnn;Paris;"likes; semicolons"\n;;\nBob;;tall\n'.encode()
    document = parse_document(data, "people.csv", max_bytes=LIMIT)
    assert _kinds(document) == [
        ("row", 0, "name: Ann; city: Paris; note: likes; semicolons"),
        ("row", 0, "name: Bob; note: tall"),
    ]
    assert document.title == "people" and document.doc_type == "csv"
    tsv = parse_document(b"id\tlabel\n1\tfirst\n2\tsecond\textra\n", "items.tsv", max_bytes=LIMIT)
    assert [block.text for block in tsv.blocks] == ["id: 1; label: first", "id: 2; label: second; column 3: extra"]
    header_only = parse_document(b"a,b,c\n", "empty.csv", max_bytes=LIMIT)
    assert header_only.blocks == (Block("Columns: a, b, c", "paragraph"),)


def test_csv_with_a_field_too_large_for_the_reader_is_refused():
    data = b'a,b\n"' + b"x" * 200_000 + b'",1\n'
    with pytest.raises(UnsupportedFile, match=r"huge\.csv could not be read as CSV \(line \d+"):
        parse_document(data, "huge.csv", max_bytes=LIMIT)


def test_plain_text_paragraphs_rejoin_wrapped_lines_and_keep_lists():
    text = "First paragraph is\nwrapped over lines.\n\n- apples\n- pears\n\n  term\n      its definition\n"
    document = parse_document(text.encode(), "fruit_list.txt", max_bytes=LIMIT)
    assert document.title == "fruit list" and document.doc_type == "text"
    assert [block.text for block in document.blocks] == [
        "First paragraph is wrapped over lines.",
        "- apples\n- pears",
        "term\nits definition",
    ]
