"""A small Markdown reader shared by the channel formatters, and the splitter for long replies.

It understands what an assistant's answers contain (paragraphs, headings, lists, quotes, fenced
code, pipe tables, rules; bold, italic, strike, code, links, backslash escapes) and nothing more,
so each formatter renders the same structure its own way. ``split_messages`` cuts a reply between
blocks, then lines, sentences, words, and renders every piece on its own, so a piece is always
well-formed markup (a Telegram escape or entity is never cut in half).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, NamedTuple


@dataclass(frozen=True)
class Block:
    """One block of a Markdown document."""

    kind: str  # paragraph | heading | bullet | ordered | quote | code | table | rule
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()  # table rows, header first
    marker: str = ""  # list number or code language
    depth: int = 0  # list nesting
    tight: bool = False  # no blank line before it in the source: joined with a single newline


class Span(NamedTuple):
    """One run of inline text with a single style."""

    kind: str  # text | bold | italic | strike | code | link
    text: str
    url: str = ""


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w-]*)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)[\s#]*$")
_RULE = re.compile(r"^(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_LIST_ITEM = re.compile(r"^(\s*)([-*+•]|\d{1,9}[.)])\s+(.*)$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_INLINE = re.compile(
    r"\\(?P<esc>[!-/:-@\[-`{-~])"
    r"|(?P<tick>`+)(?P<code>.+?)(?P=tick)"
    r"|!?\[(?P<label>[^\]\n]*)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))+)(?:\s+\"[^\"\n]*\")?\)"
    r"|<(?P<auto>(?:https?|mailto):[^>\s]+)>"
    r"|\*\*(?P<b1>\S(?:.*?\S)?)\*\*|__(?P<b2>\S(?:.*?\S)?)__"
    r"|~~(?P<strike>\S(?:.*?\S)?)~~"
    r"|(?<![\w*\\])\*(?P<i1>[^\s*](?:[^*\n]*?[^\s*\\])?)\*(?![\w*])"
    r"|(?<![\w_\\])_(?P<i2>[^\s_](?:[^_\n]*?[^\s_\\])?)_(?![\w_])"
)


def _cells(line: str) -> tuple[str, ...]:
    inner = line.strip().removeprefix("|").removesuffix("|")
    return tuple(cell.strip() for cell in re.split(r"(?<!\\)\|", inner))


def parse_blocks(markdown: str) -> list[Block]:
    """The blocks of ``markdown`` in order."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    paragraph: list[str] = []
    paragraph_tight = False
    blank = True  # was the previous source line blank (or the start)?
    i = 0
    while i < len(lines):
        line, stripped = lines[i], lines[i].strip()
        fence = _FENCE.match(line)
        next_line = lines[i + 1] if i + 1 < len(lines) else ""
        starts_block = bool(fence or not stripped or _HEADING.match(stripped) or _RULE.match(stripped)
                            or _LIST_ITEM.match(line) or stripped.startswith(">")
                            or ("|" in stripped and "|" in next_line and _TABLE_SEPARATOR.match(next_line)))
        if paragraph and starts_block:
            blocks.append(Block("paragraph", "\n".join(paragraph), tight=paragraph_tight))
            paragraph = []
        tight = not blank
        if fence:
            body, i = [], i + 1
            while i < len(lines) and not lines[i].strip().startswith(fence.group(1)):
                body.append(lines[i])
                i += 1
            blocks.append(Block("code", "\n".join(body), marker=fence.group(2), tight=tight))
        elif not stripped:
            blank = True
            i += 1
            continue
        elif "|" in stripped and "|" in next_line and _TABLE_SEPARATOR.match(next_line):
            rows, i = [_cells(stripped)], i + 2
            while i < len(lines) and "|" in lines[i]:
                rows.append(_cells(lines[i]))
                i += 1
            blocks.append(Block("table", rows=tuple(rows), tight=tight))
            blank = False
            continue
        elif heading := _HEADING.match(stripped):
            blocks.append(Block("heading", heading.group(1), tight=tight))
        elif _RULE.match(stripped):
            blocks.append(Block("rule", tight=tight))
        elif item := _LIST_ITEM.match(line):
            number = item.group(2)[:-1] if item.group(2)[0].isdigit() else ""
            depth = len(item.group(1).expandtabs(4)) // 2
            blocks.append(Block("ordered" if number else "bullet", item.group(3), marker=number, depth=depth, tight=tight))
        elif stripped.startswith(">"):
            blocks.append(Block("quote", stripped.lstrip(">").strip(), tight=tight))
        elif not blank and not paragraph and blocks and blocks[-1].kind in ("bullet", "ordered"):
            blocks[-1] = replace(blocks[-1], text=f"{blocks[-1].text} {stripped}")  # lazy continuation
        else:
            if not paragraph:
                paragraph_tight = tight
            paragraph.append(stripped)
        blank = False
        i += 1
    if paragraph:
        blocks.append(Block("paragraph", "\n".join(paragraph), tight=paragraph_tight))
    return blocks


def parse_spans(text: str) -> list[Span]:
    """The inline spans of one block's text; nested emphasis is flattened to its text."""
    spans: list[Span] = []

    def add_text(value: str) -> None:
        if spans and spans[-1].kind == "text":
            spans[-1] = Span("text", spans[-1].text + value)
        elif value:
            spans.append(Span("text", value))

    position = 0
    for m in _INLINE.finditer(text):
        add_text(text[position:m.start()])
        position = m.end()
        if m["esc"] is not None:
            add_text(m["esc"])
        elif m["code"] is not None:
            spans.append(Span("code", m["code"].strip() or m["code"]))
        elif m["url"] is not None:
            url = m["url"].strip("<>")
            spans.append(Span("link", plain_text(parse_spans(m["label"])) or url, url))
        elif m["auto"] is not None:
            spans.append(Span("link", m["auto"], m["auto"]))
        else:
            kind = "bold" if (m["b1"] or m["b2"]) else "strike" if m["strike"] else "italic"
            inner = m["b1"] or m["b2"] or m["strike"] or m["i1"] or m["i2"]
            spans.append(Span(kind, plain_text(parse_spans(inner))))  # nested emphasis is flattened
    add_text(text[position:])
    return spans


def plain_text(spans: list[Span]) -> str:
    """The visible text of ``spans`` (link labels, without URLs)."""
    return "".join(span.text for span in spans)


def is_safe_url(url: str) -> bool:
    """Whether a link may be shown as a link (no javascript: or data: URLs)."""
    return url.lower().startswith(("http://", "https://", "mailto:"))


def escape_markdown(text: str) -> str:
    """``text`` on one line with inline Markdown punctuation escaped, so it reads back literally
    anywhere but at the start of a line."""
    return re.sub(r"([\\`*_\[\]<>|~])", r"\\\1", " ".join(text.split()))


def aligned_table(rows: tuple[tuple[str, ...], ...]) -> str:
    """A table as plain text with aligned columns (for monospace output)."""
    width = max(len(row) for row in rows)
    cells = [[plain_text(parse_spans(cell)) for cell in row] + [""] * (width - len(row)) for row in rows]
    widths = [max(len(row[c]) for row in cells) for c in range(width)]
    lines = [" | ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


# --- Splitting into messages ----------------------------------------------------------------

_SPLIT_LEVELS = (r"(?<=\n)", r"(?<=[.!?:;])(?=\s)", r"(?=\s)")  # lines, sentences, words


def _split_text(text: str, fits: Callable[[str], bool]) -> list[str]:
    """``text`` cut into consecutive pieces that each ``fit``, at the coarsest boundary possible."""
    if len(text) <= 1:
        return [text]
    for level in _SPLIT_LEVELS:
        parts = [part for part in re.split(level, text) if part.strip()]
        if len(parts) > 1:
            break
    else:
        parts = [text[: len(text) // 2], text[len(text) // 2:]]  # one unbroken run: halve it
    pieces, current = [], ""
    for part in parts:
        if current and fits(current + part):
            current += part
            continue
        if current:
            pieces.append(current)
        current = part if fits(part) else ""
        if not current:
            pieces.extend(_split_text(part, fits))
    return pieces + ([current] if current else [])


def _fit_block(block: Block, render: Callable[[Block], str], limit: int, measure: Callable[[str], int]) -> list[str]:
    rendered = render(block)
    if measure(rendered) <= limit:
        return [rendered]
    if block.kind == "table":
        header, pieces, rows = block.rows[0], [], []
        for row in block.rows[1:]:
            if rows and measure(render(replace(block, rows=(header, *rows, row)))) > limit:
                pieces.append(replace(block, rows=(header, *rows)))
                rows = []
            rows.append(row)
        pieces.append(replace(block, rows=(header, *rows)))
        if len(pieces) == 1:  # one row (or the header alone) too wide for any message: say it as text
            text = "\n".join("; ".join(f"{h}: {v}" for h, v in zip(header, row)) for row in rows) or " | ".join(header)
            return _fit_block(Block("paragraph", text, tight=block.tight), render, limit, measure)
        return [text for piece in pieces for text in _fit_block(piece, render, limit, measure)]
    clean = (lambda t: t.strip("\n")) if block.kind == "code" else str.strip
    fits = lambda t: measure(render(replace(block, text=clean(t)))) <= limit  # noqa: E731
    return [render(replace(block, text=clean(piece))) for piece in _split_text(block.text, fits) if clean(piece)]


def split_messages(markdown: str, render: Callable[[Block], str], limit: int,
                    measure: Callable[[str], int] = len) -> list[str]:
    """``markdown`` rendered block by block with ``render``, packed into messages of at most
    ``limit`` (as counted by ``measure``); a block too long for one message is split first."""
    messages, current = [], ""
    for block in parse_blocks(markdown):
        for n, piece in enumerate(_fit_block(block, render, limit, measure)):
            if not piece:
                continue
            separator = "\n" if block.tight or n else "\n\n"
            candidate = f"{current}{separator}{piece}" if current else piece
            if measure(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    return messages + ([current] if current else [])
