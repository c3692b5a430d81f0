"""Parsers for formats that arrive as decoded text: plain text, Markdown, reStructuredText, HTML, CSV."""

from __future__ import annotations

import csv
import io
import re
import textwrap

from core.errors import UnsupportedFile
from core.ingest.parsers import Block, ParsedDocument, clean_title, filename_stem, format_table_row

_LIST_ITEM = re.compile(r"^(\s*)((?:[-*+•‣◦]|\d{1,9}[.)]|#\.|\(?[a-zA-Z0-9]\))[ \t]+)")
_TABLE_LINE = re.compile(r"^\s*(?:[+|]|=+\s+=)")
# The opening of an ATX heading only; its closing "#"s are removed by ``_atx_text`` in Python.
# One regex for both made a lazy ".*?" and two "[ \t]+" runs compete for the same spaces:
# a heading with 40,000 spaces took 70 s to match.
_MD_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t](.*))?$")
_MD_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_MD_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MD_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_MD_TABLE_CELL_RULE = re.compile(r":?-+:?")
# No part may run past a bracket, so each scan ends where the next one can start and the
# substitution stays linear; "[[[[..." with no "]" used to rescan the rest of the text per "[".
# (Link text with nested brackets keeps its target, a rare and harmless miss.)
_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^)\s\[\]]*(?:\s+\"[^\"\[\]]*\")?\)")
_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")
_RFC822_FIELD = re.compile(r"^([A-Za-z][\w-]*):\s?(.*)$")


def parse_plain(text: str, name: str) -> ParsedDocument:
    """Plain text: paragraphs separated by blank lines; wrapped lines re-joined."""
    blocks = [Block(body, "paragraph") for body in (_unwrap(lines) for lines in _paragraphs(text.split("\n"))) if body]
    return ParsedDocument(title=filename_stem(name), doc_type="text", blocks=tuple(blocks))


# ---------------------------------------------------------------- shared line handling

def _paragraphs(lines: list[str]) -> list[list[str]]:
    """Groups of consecutive non-blank lines."""
    groups: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.rstrip())
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _unwrap(lines: list[str]) -> str:
    """Re-join hard-wrapped lines of one paragraph while keeping list items and table lines apart.

    A line continues the previous one when it starts at the previous line's text column (its
    indentation, or where the text after a list marker starts) and is not itself an item or a
    table line; anything else (an item, a definition under a term, a table) starts a new line.
    """
    # Each logical line is a list of pieces joined once at the end: appending to a growing
    # string copies it every time, which is quadratic in a paragraph of many short lines.
    logical: list[list[str]] = []
    text_column = -1
    previous_is_table = False
    for line in lines:
        item = _LIST_ITEM.match(line)
        is_table = bool(_TABLE_LINE.match(line))
        if logical and not item and not is_table and not previous_is_table and _indent(line) == text_column:
            logical[-1].append(line.strip())
        else:
            logical.append([line.strip()])
        text_column = len(item.group(0)) if item else _indent(line)
        previous_is_table = is_table
    return "\n".join(" ".join(pieces) for pieces in logical).strip()


def _verbatim(lines: list[str]) -> str:
    return textwrap.dedent("\n".join(lines)).strip("\n")


# ---------------------------------------------------------------- Markdown

def parse_markdown(text: str, name: str) -> ParsedDocument:
    """Markdown: ATX and setext headings, paragraphs, lists, pipe tables; code fences kept as paragraphs."""
    lines = text.split("\n")
    front_title, index = _front_matter(lines)
    blocks: list[Block] = []
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            blocks.extend(_markdown_buffer_blocks(buffer))
            buffer.clear()

    while index < len(lines):
        line = lines[index]
        fence = _MD_FENCE.match(line)
        if fence:
            flush()
            marker, code = fence.group(1), []
            index += 1
            while index < len(lines) and not (lines[index].strip().startswith(marker) and not lines[index].strip().strip(marker[0])):
                code.append(lines[index])
                index += 1
            index += 1  # the closing fence (or the end of the file for an unclosed one)
            if any(code_line.strip() for code_line in code):
                blocks.append(Block(_verbatim(code), "paragraph"))
            continue
        atx = _MD_ATX.match(line)
        if atx:
            flush()
            heading = " ".join(_md_inline(_atx_text(atx.group(2) or "")).split())
            if heading:
                blocks.append(Block(heading, "heading", level=len(atx.group(1))))
        elif not line.strip():
            flush()
        elif buffer and _MD_SETEXT.match(line) and not _LIST_ITEM.match(buffer[0]):
            heading = " ".join(_md_inline(" ".join(buffer)).split())
            buffer.clear()
            blocks.append(Block(heading, "heading", level=1 if "=" in line else 2))
        elif _MD_RULE.match(line):
            flush()
        else:
            # A list item may interrupt a paragraph without a blank line before it.
            if buffer and _LIST_ITEM.match(line) and not _LIST_ITEM.match(buffer[0]):
                flush()
            buffer.append(line.rstrip())
        index += 1
    flush()
    title = front_title or _first_heading(blocks, prefer_level=1) or filename_stem(name)
    return ParsedDocument(title=title, doc_type="markdown", blocks=tuple(blocks))


def _front_matter(lines: list[str]) -> tuple[str, int]:
    """The YAML front matter's title (or "") and the index of the first line after it."""
    if not lines or lines[0].strip() != "---":
        return "", 0
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in {"---", "..."}:
            title = ""
            for field_line in lines[1:end]:
                match = re.match(r"^title:\s*(.+)$", field_line.strip(), re.IGNORECASE)
                if match:
                    title = clean_title(match.group(1).strip().strip("'\""))
            return title, end + 1
    return "", 0


def _markdown_buffer_blocks(lines: list[str]) -> list[Block]:
    if len(lines) >= 2 and "|" in lines[0] and _is_table_separator(lines[1]):
        header = _pipe_cells(lines[0])
        return [Block(text, "row") for text in (format_table_row(header, _pipe_cells(row)) for row in lines[2:]) if text]
    if all(line.startswith(("    ", "\t")) for line in lines):
        return [Block(_verbatim(lines), "paragraph")]  # an indented code block
    if all(line.lstrip().startswith(">") for line in lines):
        lines = [re.sub(r"^\s*>\s?", "", line) for line in lines]
    text = _md_inline(_unwrap(lines))
    return [Block(text, "paragraph")] if text else []


def _atx_text(rest: str) -> str:
    """An ATX heading's text without its optional closing sequence ("## Title ##" -> "Title")."""
    text = rest.strip(" \t")
    without_closing = text.rstrip("#")
    # The closing "#"s count only after a space (or as the whole text): "C#" keeps its "#".
    if without_closing != text and (not without_closing or without_closing[-1] in " \t"):
        return without_closing.rstrip(" \t")
    return text


def _is_table_separator(line: str) -> bool:
    """A pipe table's delimiter row ("| --- | :-: |"), checked cell by cell: a single regex
    for the whole row had adjacent optional-space runs and was quadratic on long blank lines."""
    row = line.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") else row
    return all(_MD_TABLE_CELL_RULE.fullmatch(cell.strip()) for cell in row.split("|"))


def _pipe_cells(line: str) -> list[str]:
    return [_md_inline(cell) for cell in line.strip().strip("|").split("|")]


def _md_inline(text: str) -> str:
    # Link targets and image paths are noise for search; the visible text is what matters.
    return _MD_LINK.sub(lambda match: match.group(1), text).strip()


def _first_heading(blocks: list[Block], prefer_level: int | None = None) -> str:
    headings = [block for block in blocks if block.kind == "heading"]
    preferred = [block for block in headings if block.level == prefer_level]
    return (preferred or headings)[0].text if headings else ""


# ---------------------------------------------------------------- reStructuredText

def parse_rst(text: str, name: str) -> ParsedDocument:
    """reStructuredText read as text, with its underlined (and overlined) section titles as headings.

    Levels follow docutils: each new adornment style (character, with or without overline)
    gets the next level in order of first appearance. A leading RFC 822 header (as in PEPs)
    is kept as a paragraph and its ``Title:`` field names the document.
    """
    lines = text.split("\n")
    header_title, index, blocks = _rfc822_header(lines)
    styles: list[tuple[str, bool]] = []
    body: list[str] = []
    verbatim_mode = False

    def flush() -> None:
        nonlocal verbatim_mode
        for group in _paragraphs(body):
            indented = _indent(group[0]) > 0
            if indented and verbatim_mode:
                blocks.append(Block(_verbatim(group), "paragraph"))
                continue
            blocks.append(Block(_unwrap(group), "paragraph"))
            # What follows "::" or a directive, indented, is a literal block or directive body.
            stripped = group[-1].strip()
            verbatim_mode = (not indented) and (stripped.endswith("::") or group[0].lstrip().startswith(".. "))
        body.clear()

    def level_for(style: tuple[str, bool]) -> int:
        if style not in styles:
            styles.append(style)
        return styles.index(style) + 1

    while index < len(lines):
        line = lines[index]
        after_blank = index == 0 or not lines[index - 1].strip()
        nxt = lines[index + 1] if index + 1 < len(lines) else ""
        third = lines[index + 2] if index + 2 < len(lines) else ""
        if after_blank and _RST_ADORNMENT.match(line) and nxt.strip() and _RST_ADORNMENT.match(third) \
                and third.strip()[0] == line.strip()[0] and not _RST_ADORNMENT.match(nxt):
            flush()
            blocks.append(Block(" ".join(nxt.split()), "heading", level=level_for((line.strip()[0], True))))
            index += 3
            continue
        if after_blank and line.strip() and not line[0].isspace() and not _RST_ADORNMENT.match(line) \
                and _RST_ADORNMENT.match(nxt) and not nxt[0].isspace() and _underline_long_enough(line, nxt):
            flush()
            blocks.append(Block(" ".join(line.split()), "heading", level=level_for((nxt.strip()[0], False))))
            index += 2
            continue
        if after_blank and _RST_ADORNMENT.match(line) and not nxt.strip():
            index += 1  # a transition (horizontal rule)
            continue
        body.append(line)
        index += 1
    flush()
    title = header_title or _first_heading(blocks) or filename_stem(name)
    return ParsedDocument(title=title, doc_type="rst", blocks=tuple(block for block in blocks if block.text))


def _underline_long_enough(title: str, underline: str) -> bool:
    # docutils accepts a short underline of 4+ characters (with a warning); shorter ones
    # are ordinary text unless they cover the whole title.
    length = len(underline.strip())
    return length >= len(title.strip()) or length >= 4


def _rfc822_header(lines: list[str]) -> tuple[str, int, list[Block]]:
    """A PEP-style "Field: value" header at the very top: its Title, where it ends, and its block."""
    end = 0
    while end < len(lines) and lines[end].strip() and (_RFC822_FIELD.match(lines[end]) or (end and lines[end][:1].isspace())):
        end += 1
    header = lines[:end]
    fields = {match.group(1).lower(): match.group(2).strip() for match in map(_RFC822_FIELD.match, header) if match}
    if end < 2 or "title" not in fields or (end < len(lines) and lines[end].strip()):
        return "", 0, []
    return clean_title(fields["title"]), end, [Block("\n".join(line.strip() for line in header), "paragraph")]


# ---------------------------------------------------------------- HTML

_HTML_DROP = {"script", "style", "nav", "noscript", "template", "head", "svg", "iframe", "object", "select", "button"}
_HTML_BLOCK = {
    "p", "div", "section", "article", "main", "aside", "header", "footer", "ul", "ol", "li", "dl", "dt", "dd",
    "blockquote", "figure", "figcaption", "address", "details", "summary", "form", "fieldset", "hr", "body", "html", "caption",
}
_HTML_HEADINGS = {f"h{n}": n for n in range(1, 7)}


def declared_html_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag near its start, if any."""
    match = re.search(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", data[:4096], re.IGNORECASE)
    return match.group(1).decode("ascii") if match else None


def parse_html(text: str, name: str) -> ParsedDocument:
    """HTML via BeautifulSoup's stdlib parser: scripts, styles and navigation dropped; h1-h6 headings; table rows."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    page_title = clean_title(soup.title.get_text(" ")) if soup.title else ""
    walker = _HtmlWalker()
    walker.walk(soup)
    walker.flush()
    title = page_title or _first_heading(walker.blocks, prefer_level=1) or filename_stem(name)
    return ParsedDocument(title=title, doc_type="html", blocks=tuple(walker.blocks))


class _HtmlWalker:
    """Collects blocks in document order; inline text accumulates until a block boundary."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buffer: list[str] = []

    def flush(self) -> None:
        lines = (re.sub(r"[ \t]+", " ", line).strip() for line in "".join(self.buffer).split("\n"))
        text = "\n".join(line for line in lines if line)
        if text and text != "-":
            self.blocks.append(Block(text, "paragraph"))
        self.buffer.clear()

    def walk(self, root) -> None:
        """Visit the tree in document order with an explicit stack: real pages nest deeper than
        Python's recursion limit allows (thousands of unclosed <font> or <div> tags)."""
        from bs4.element import NavigableString, PreformattedString, Tag

        frames = [(iter(root.children), False)]  # (children still to visit, flush when done)
        while frames:
            child = next(frames[-1][0], None)
            if child is None:
                _, is_block = frames.pop()
                if is_block:
                    self.flush()
                continue
            if isinstance(child, PreformattedString):  # comments, doctype, CDATA, processing instructions
                continue
            if isinstance(child, NavigableString):
                self.buffer.append(re.sub(r"\s+", " ", str(child)))
                continue
            if not isinstance(child, Tag) or child.name in _HTML_DROP:
                continue
            if child.name in _HTML_HEADINGS:
                self.flush()
                heading = re.sub(r"\s+", " ", child.get_text(" ")).strip()
                if heading:
                    self.blocks.append(Block(heading, "heading", level=_HTML_HEADINGS[child.name]))
            elif child.name == "table":
                self.flush()
                self.blocks.extend(_html_table_rows(child))
            elif child.name == "pre":
                self.flush()
                code = child.get_text().strip("\n")
                if code.strip():
                    self.blocks.append(Block(code, "paragraph"))
            elif child.name == "br":
                self.buffer.append("\n")
            elif child.name in _HTML_BLOCK:
                self.flush()
                if child.name == "li":
                    self.buffer.append("- ")
                frames.append((iter(child.children), True))
            else:
                frames.append((iter(child.children), False))


def _html_table_rows(table) -> list[Block]:
    blocks: list[Block] = []
    caption = table.find("caption")
    if caption is not None and caption.find_parent("table") is table and caption.get_text(strip=True):
        blocks.append(Block(re.sub(r"\s+", " ", caption.get_text(" ")).strip(), "paragraph"))
    header: list[str] | None = None
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue  # a row of a nested table: its text is already part of the outer cell
        cells = row.find_all(["td", "th"], recursive=False)
        texts = [re.sub(r"\s+", " ", cell.get_text(" ")).strip() for cell in cells]
        if header is None and cells and all(cell.name == "th" for cell in cells):
            header = texts
            continue
        text = format_table_row(header, texts)
        if text:
            blocks.append(Block(text, "row"))
    return blocks


# ---------------------------------------------------------------- CSV

def parse_csv(text: str, name: str, *, tab_separated: bool = False) -> ParsedDocument:
    """CSV (delimiter sniffed): the first row is the header; each row becomes "header: value; ..."."""
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters="\t" if tab_separated else ",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if tab_separated else csv.excel  # one column, or too irregular to sniff
    reader = csv.reader(io.StringIO(text), dialect)
    header: list[str] | None = None
    blocks: list[Block] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                continue
            blocks.append(Block(format_table_row(header, row), "row"))
    except csv.Error as exc:
        raise UnsupportedFile(f"{name} could not be read as CSV (line {reader.line_num}: {exc}); check its quoting.") from exc
    if header is not None and not blocks:
        blocks.append(Block("Columns: " + ", ".join(cell for cell in header if cell), "paragraph"))
    return ParsedDocument(title=filename_stem(name), doc_type="csv", blocks=tuple(block for block in blocks if block.text))
