"""Untrusted text (documents, titles, model output) made safe to render as Markdown.

A Markdown image (or an HTML ``<img>``, ``<picture>``, ``srcset``, ``style="url(...)"``) in a
document or an answer would make the reader's browser fetch any URL, which can carry data out.
Streamlit's ``st.markdown`` and Gradio's Chatbot both render Markdown, so this module is the one
place that turns untrusted Markdown into Markdown that cannot load anything:

- ``safe_markdown(text)`` parses the text with markdown-it (CommonMark plus tables and
  strikethrough) and writes it back from an allow-list of node types: paragraphs, headings, lists,
  quotes, code, tables, rules, emphasis, strike, code spans and links to absolute ``http(s)`` or
  ``mailto`` URLs. Every piece of text is written with the characters that can start Markdown
  syntax escaped (and block markers at the start of a line), so no text can turn into syntax. Images (inline, reference-style, nested brackets) become a plain
  ``[image: alt]`` label; raw HTML is shown as literal text; link reference definitions vanish;
  links to anything else (``data:``, ``javascript:``, protocol-relative ``//host``, relative
  paths) keep their text and lose their target. Anything else markdown-it produces is written as
  escaped text. The result is checked by parsing it again; if it would still produce an image or
  HTML (a bug), the whole input is escaped instead.
- ``escape_markdown(text)``: one line of literal text (a title, a label) for inside Markdown.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
# Characters that can start Markdown syntax anywhere in a line (images, links, emphasis, code,
# HTML, entities, tables, strike, LaTeX in Streamlit and Gradio): always escaped in text.
_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]<>!&|~$])")
# Characters that start a block only at the beginning of a line: headings, list items, setext
# underlines, ordered list numbers ("1." / "1)").
_LINE_START = re.compile(r"^([#+\-=])|^(\d{1,9})([.)])", re.MULTILINE)
_SAFE_SCHEMES = {"http", "https", "mailto"}
# Characters left as they are in a link destination; everything else is percent-encoded, so a
# destination never holds spaces, brackets, parentheses, quotes, backslashes or angle brackets.
_URL_SAFE = "/:?#@!$&*+,;=%-._~"
_BLOCKS_WITH_INLINE = {"paragraph", "heading", "th", "td"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=True so raw HTML is recognised as HTML (and then shown as text), never passed through.
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def escape_markdown(text: str) -> str:
    """``text`` on one line with its Markdown syntax escaped: it renders literally, wherever it is put."""
    return _guard_line_starts(_escape(" ".join(str(text).split())))


def code_span(text: str) -> str:
    """``text`` as one inline code span: Markdown inside a code span is never interpreted, so only a
    backtick (which would end it) or a line break needs replacing."""
    return "`" + " ".join(str(text).replace("`", "'").split()) + "`"


def safe_markdown(text: str) -> str:
    """Untrusted Markdown rewritten so that it renders with no image, no raw HTML and no remote fetch."""
    text = str(text or "")
    if not text.strip():
        return ""
    try:
        rendered = _render_blocks(SyntaxTreeNode(_parser().parse(text)).children, tight=False)
    except RecursionError:
        rendered = None  # absurdly deep nesting: fall back to escaped text
    if rendered is None or not _is_inert(rendered):
        return _escape_lines(text)
    return rendered


def without_remote_images(text: str) -> str:
    """The name earlier callers use; see ``safe_markdown``."""
    return safe_markdown(text)


# --- Writing Markdown back from the tree ------------------------------------------------------


def _escape(text: str) -> str:
    return _INLINE_SYNTAX.sub(r"\\\1", text)


def _guard_line_starts(text: str) -> str:
    return _LINE_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", text)


def _escape_lines(text: str) -> str:
    """The fallback: every line as literal text, every ASCII punctuation character escaped."""
    lines = (" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n\n".join(_PUNCTUATION.sub(r"\\\1", line) for line in lines if line)


def _render_blocks(nodes, *, tight: bool) -> str:
    parts = [part for part in (_render_block(node, tight) for node in nodes) if part]
    return ("\n" if tight else "\n\n").join(parts)


def _render_block(node: SyntaxTreeNode, tight: bool) -> str:
    kind = node.type
    if kind == "paragraph":
        return _render_inline_container(node)
    if kind == "heading":
        level = int(node.tag[1]) if node.tag[1:].isdigit() else 1
        return ("#" * max(1, min(level, 6)) + " " + _render_inline_container(node)).rstrip()
    if kind == "blockquote":
        inner = _render_blocks(node.children, tight=False)
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if kind in ("bullet_list", "ordered_list"):
        return _render_list(node)
    if kind in ("code_block", "fence"):
        return _fence(node.content)
    if kind == "hr":
        return "***"
    if kind == "table":
        return _render_table(node)
    if kind == "html_block":
        return _escape_lines(node.content)
    # Anything else: its text, escaped.
    return _escape_lines(_plain(node))


def _render_list(node: SyntaxTreeNode) -> str:
    ordered = node.type == "ordered_list"
    start = int(node.attrs.get("start", 1)) if ordered else 1
    tight = any(child.hidden for item in node.children for child in item.children if child.type == "paragraph")
    items = []
    for n, item in enumerate(node.children):
        marker = f"{start + n}." if ordered else "-"
        body = _render_blocks(item.children, tight=tight) or ""
        pad = " " * (len(marker) + 1)
        lines = body.split("\n")
        first = f"{marker} {lines[0]}".rstrip()
        rest = [f"{pad}{line}" if line else "" for line in lines[1:]]
        items.append("\n".join([first, *rest]))
    return ("\n" if tight else "\n\n").join(items)


def _fence(content: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}\n{content.rstrip(chr(10))}\n{ticks}"


def _render_table(node: SyntaxTreeNode) -> str:
    rows = []
    for section in node.children:
        for row in section.children:
            rows.append([_render_inline_container(cell, in_table=True) for cell in row.children])
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "|".join(" --- " for _ in range(width)) + "|")
    return "\n".join(lines)


def _render_inline_container(node: SyntaxTreeNode, *, in_table: bool = False) -> str:
    inline = next((child for child in node.children if child.type == "inline"), None)
    return _guard_line_starts(_render_inline(inline.children, in_table)) if inline is not None else ""


def _render_inline(nodes, in_table: bool) -> str:
    return "".join(_render_span(node, in_table) for node in nodes)


def _render_span(node: SyntaxTreeNode, in_table: bool) -> str:
    kind = node.type
    if kind in ("text", "text_special"):
        return _escape(node.content)
    if kind == "softbreak":
        return " " if in_table else "\n"
    if kind == "hardbreak":
        return " " if in_table else "\\\n"
    if kind == "code_inline":
        if in_table:  # a table splits cells on | even inside code spans: write it as text
            return _escape(node.content)
        longest = max((len(run) for run in re.findall(r"`+", node.content)), default=0)
        ticks = "`" * (longest + 1)
        return f"{ticks} {node.content} {ticks}"
    if kind in ("em", "strong", "s"):
        inner = _render_inline(node.children, in_table)
        mark = {"em": "*", "strong": "**", "s": "~~"}[kind]
        return f"{mark}{inner}{mark}" if inner.strip() else inner
    if kind == "link":
        inner = _render_inline(node.children, in_table)
        url = _safe_url(str(node.attrs.get("href", "")))
        if url is None or not inner.strip():
            return inner
        return f"[{inner}]({url})"
    if kind == "image":
        alt = " ".join(_plain(node).split())
        return _escape(f"[image: {alt or 'untitled'}]")
    if kind == "html_inline":
        return _escape(node.content)
    return _escape(_plain(node))


def _plain(node: SyntaxTreeNode) -> str:
    """The text inside ``node`` (alt text, unknown nodes), without any markup."""
    if node.type in ("text", "text_special", "code_inline", "html_inline", "code_block", "fence", "html_block"):
        return node.content
    if node.type in ("softbreak", "hardbreak"):
        return " "
    return "".join(_plain(child) for child in node.children)


def _safe_url(href: str) -> str | None:
    """``href`` percent-encoded for a link destination, if it is an absolute http(s)/mailto URL."""
    href = href.strip()
    if any(ord(c) < 32 or c == "\\" for c in href):
        return None
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _SAFE_SCHEMES:
        return None  # relative, protocol-relative (//host), data:, javascript:, file:, ...
    if scheme in ("http", "https") and not parts.netloc:
        return None
    return quote(href, safe=_URL_SAFE)


def _is_inert(markdown: str) -> bool:
    """True when ``markdown`` parses to no image and no HTML (the writer's own check)."""
    def walk(tokens) -> bool:
        for token in tokens:
            if token.type in ("image", "html_inline", "html_block"):
                return False
            if token.children and not walk(token.children):
                return False
        return True

    return walk(_parser().parse(markdown))
