"""PowerPoint decks written by python-pptx, parsed in the sandbox, ingested and found by search
with their slide cited."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.errors import NoExtractableText, UnsupportedFile
from core.ingest.parse_slides import NOTES_HEADING
from core.ingest.parsers import Block, parse_document
from core.ingest.pipeline import Upload

LIMIT = 50 * 1024 * 1024


def deck_bytes(*, title: str = "") -> bytes:
    import pptx
    from pptx.util import Inches, Pt

    deck = pptx.Presentation()
    if title:
        deck.core_properties.title = title
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "Freight review Q3"
    cover.placeholders[1].text = "Logistics team"

    bullets = deck.slides.add_slide(deck.slide_layouts[1])
    bullets.shapes.title.text = "Pricing"
    frame = bullets.placeholders[1].text_frame
    frame.text = "Rates on the Genoa-Lyon lane rise 4% in October"
    frame.add_paragraph().text = "Fuel surcharge stays at 11%"
    bullets.notes_slide.notes_text_frame.text = "Kestrel Lines asked for the increase; Blue Heron did not."

    table_slide = deck.slides.add_slide(deck.slide_layouts[5])
    table_slide.shapes.title.text = "Carriers"
    # Added first but placed lower: reading order follows the page, not the order of adding.
    low = table_slide.shapes.add_textbox(Inches(1), Inches(6), Inches(6), Inches(1))
    low.text_frame.text = "Source: carrier scorecards"
    table = table_slide.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, row in enumerate([["Carrier", "On time"], ["Blue Heron Freight", "97%"], ["Kestrel Lines", "88%"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    group = table_slide.shapes.add_group_shape()
    box = group.shapes.add_textbox(Inches(1), Inches(4.5), Inches(3), Inches(1))
    box.text_frame.text = "Grouped note: scorecards are monthly"
    box.text_frame.paragraphs[0].runs[0].font.size = Pt(12)

    deck.slides.add_slide(deck.slide_layouts[6])  # blank: nothing to find, left out
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def test_each_slide_is_a_section_with_its_text_tables_and_notes():
    document = parse_document(deck_bytes(), "review.pptx", max_bytes=LIMIT)
    assert document.doc_type == "pptx" and document.title == "Freight review Q3"
    assert list(document.blocks) == [
        Block("Slide 1: Freight review Q3", "heading", level=1),
        Block("Logistics team", "paragraph"),
        Block("Slide 2: Pricing", "heading", level=1),
        Block("Rates on the Genoa-Lyon lane rise 4% in October\nFuel surcharge stays at 11%", "paragraph"),
        Block(NOTES_HEADING, "heading", level=2),
        Block("Kestrel Lines asked for the increase; Blue Heron did not.", "paragraph"),
        Block("Slide 3: Carriers", "heading", level=1),
        Block("Carrier: Blue Heron Freight; On time: 97%\nCarrier: Kestrel Lines; On time: 88%", "table"),
        Block("Grouped note: scorecards are monthly", "paragraph"),
        Block("Source: carrier scorecards", "paragraph"),
    ]
    assert parse_document(deck_bytes(title="Board deck"), "review.pptx", max_bytes=LIMIT).title == "Board deck"


def test_a_deck_of_pictures_only_has_no_text():
    import pptx

    deck = pptx.Presentation()
    deck.slides.add_slide(deck.slide_layouts[6])
    buffer = io.BytesIO()
    deck.save(buffer)
    with pytest.raises(NoExtractableText, match=r"blank\.pptx has no extractable text: its slides hold no text"):
        parse_document(buffer.getvalue(), "blank.pptx", max_bytes=LIMIT)


def test_broken_and_misnamed_decks_get_specific_errors(make_docx):
    data = deck_bytes()
    with pytest.raises(UnsupportedFile, match=r"broken\.pptx could not be read as a PowerPoint presentation \(\.pptx\): the file "
                                              r"is damaged or incomplete"):
        parse_document(data[: len(data) // 2], "broken.pptx", max_bytes=LIMIT)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("ppt/presentation.xml", "<p:presentation><unclosed>")
    with pytest.raises(UnsupportedFile, match=r"broken\.pptx could not be read as a PowerPoint presentation \(the file looks damaged\): \w+"):
        parse_document(buffer.getvalue(), "broken.pptx", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^review\.docx is not a Word document: its content looks like a PowerPoint "
                                              r"presentation \(\.pptx\)\. Rename it to review\.pptx"):
        parse_document(data, "review.docx", max_bytes=LIMIT)
    with pytest.raises(UnsupportedFile, match=r"^memo\.pptx is not a PowerPoint presentation \(\.pptx\): its content looks like a "
                                              r"Word document \(\.docx\)\. Rename it to memo\.docx"):
        parse_document(make_docx(lambda d: d.add_paragraph("Hello")), "memo.pptx", max_bytes=LIMIT)
    old_style = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024
    with pytest.raises(UnsupportedFile, match=r"^old\.pptx is not a PowerPoint presentation \(\.pptx\): it is an old-style "
                                              r"PowerPoint 97-2003 file\. Open it in PowerPoint and save it as \.pptx"):
        parse_document(old_style, "old.pptx", max_bytes=LIMIT)


def test_an_uploaded_deck_is_found_by_search_and_cited_with_its_slide(workbench):
    ws = workbench.workspace()
    [result] = ws.ingest([Upload("review.pptx", deck_bytes())])
    assert result.status == "ingested", result.error
    hits = ws.search("Which carrier asked for the rate increase?", k=3)
    notes = next(hit for hit in hits if "Kestrel Lines asked" in hit.chunk.text)
    assert notes.chunk.heading_path == ("Slide 2: Pricing", NOTES_HEADING)
    assert notes.citation == "Freight review Q3, Slide 2: Pricing > Speaker notes"
    table = ws.search("Blue Heron on time percentage", k=3, mode="keyword")
    assert table[0].chunk.heading_path == ("Slide 3: Carriers",) and "Blue Heron Freight; On time: 97%" in table[0].chunk.text
