"""PowerPoint presentations (.pptx) with python-pptx.

Each slide is a section headed "Slide N: its title" (so a citation names the slide), holding
its text boxes and tables in reading order (top to bottom, then left to right; grouped shapes
are opened) and, under a "Speaker notes" subheading, the notes: what a presenter says is often
the only place a slide's numbers are explained.
"""

from __future__ import annotations

import io
import re

from core.errors import UnsupportedFile
from core.ingest.parsers import Block, ParsedDocument, clean_title, filename_stem, format_table_row, short_reason

NOTES_HEADING = "Speaker notes"


def parse_pptx(data: bytes, name: str) -> ParsedDocument:
    import pptx

    try:
        presentation = pptx.Presentation(io.BytesIO(data))
    except MemoryError:
        raise  # the sandbox reports it: the file is too big to read, not damaged
    except Exception as exc:  # python-pptx and lxml raise many types for damaged files
        raise UnsupportedFile(
            f"{name} could not be read as a PowerPoint presentation (the file looks damaged): {short_reason(exc)}."
        ) from exc
    blocks: list[Block] = []
    first_title = ""
    for number, slide in enumerate(presentation.slides, start=1):
        title_shape = slide.shapes.title
        slide_title = _one_line(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
        first_title = first_title or slide_title
        # python-pptx makes a new proxy object on every access: the title is known by its id.
        title_id = title_shape.shape_id if title_shape is not None else None
        body = [block for shape in _reading_order(slide.shapes) if shape.shape_id != title_id for block in _shape_blocks(shape)]
        notes = _notes(slide)
        if not (slide_title or body or notes):
            continue  # a blank slide (a picture only): nothing to find
        blocks.append(Block(f"Slide {number}: {slide_title}" if slide_title else f"Slide {number}", "heading", level=1))
        blocks.extend(body)
        if notes:
            blocks.append(Block(NOTES_HEADING, "heading", level=2))
            blocks.append(Block(notes, "paragraph"))
    title = clean_title(presentation.core_properties.title) or clean_title(first_title) or filename_stem(name)
    return ParsedDocument(title=title, doc_type="pptx", blocks=tuple(blocks))


def _reading_order(shapes) -> list:
    # python-pptx yields shapes in z-order (the order they were added), not where they sit.
    # Shapes without a position (some placeholders inherit it from the layout) keep their place.
    positioned = [(shape.top if shape.top is not None else -1, shape.left if shape.left is not None else -1, index, shape)
                  for index, shape in enumerate(shapes)]
    return [shape for *_, shape in sorted(positioned, key=lambda item: item[:3])]


def _shape_blocks(shape) -> list[Block]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        return [block for inner in _reading_order(shape.shapes) for block in _shape_blocks(inner)]
    if getattr(shape, "has_table", False) and shape.has_table:
        text = _table_text(shape.table)
        return [Block(text, "table")] if text else []
    if getattr(shape, "has_chart", False) and shape.has_chart:
        chart = shape.chart
        title = chart.chart_title.text_frame.text if chart.has_title and chart.chart_title.has_text_frame else ""
        return [Block(f"Chart: {_one_line(title)}", "paragraph")] if title.strip() else []
    if shape.has_text_frame:
        text = _frame_text(shape.text_frame)
        return [Block(text, "paragraph")] if text else []
    return []


def _frame_text(frame) -> str:
    """A text frame's paragraphs, one per line; bullets keep their own lines."""
    lines = [re.sub(r"[ \t\u00a0]+", " ", paragraph.text).strip() for paragraph in frame.paragraphs]
    return "\n".join(line for line in lines if line)


def _table_text(table) -> str:
    """A table as text, one line per row; with a header row, each cell is labelled by its column."""
    rows = []
    for row in table.rows:
        cells = [_frame_text(cell.text_frame) if not cell.is_spanned else "" for cell in row.cells]
        if any(cells):
            rows.append(cells)
    if not rows:
        return ""
    header = [cell.strip() for cell in rows[0]]
    has_header = len(rows) > 1 and all(header) and len(set(header)) == len(header)
    if has_header:
        return "\n".join(format_table_row(header, cells) for cells in rows[1:])
    return "\n".join(format_table_row(None, cells) for cells in rows)


def _notes(slide) -> str:
    if not slide.has_notes_slide:
        return ""
    frame = slide.notes_slide.notes_text_frame
    return _frame_text(frame) if frame is not None else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())
