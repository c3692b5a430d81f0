"""The hostile inputs of the attack review that took minutes: each is read in linear time now.

Each file is parsed under the sandbox with a 10 s limit (the old code took 70 s, 78 s and
337 s on them): a regression fails with ParseTimeout instead of stalling the suite.
"""

from __future__ import annotations

import pytest

from core.ingest.chunking import chunk_blocks, split_sentences
from core.ingest.parsers import Block, ParseLimits, parse_document
from core.ingest.sandbox import run_limited
from tests.support.hostile_files import pdf_with_text

GUARD = ParseLimits(timeout_seconds=10)
MAX_BYTES = 50 * 1024 * 1024


def test_markdown_heading_with_40000_spaces_is_read_quickly():
    data = b"# Quarterly" + b" " * 40_000 + b"report ##\n\nBody text.\n"  # the 40 KB heading of the review

    document = parse_document(data, "spaces.md", max_bytes=MAX_BYTES, limits=GUARD)

    assert document.blocks[0].kind == "heading" and document.blocks[0].text == "Quarterly report"
    assert document.title == "Quarterly report"


@pytest.mark.parametrize(("line", "heading"), [
    ("# Title", "Title"), ("## Title ##", "Title"), ("### Title #####   ", "Title"), ("# C#", "C#"),
    ("#    spaced   out   ", "spaced out"), ("# #", ""), ("#", ""), ("   ## indented", "indented"),
])
def test_atx_headings_keep_their_commonmark_meaning(line, heading):
    document = parse_document(f"{line}\n\ntext\n".encode(), "h.md", max_bytes=MAX_BYTES)
    headings = [block.text for block in document.blocks if block.kind == "heading"]
    assert headings == ([heading] if heading else [])


@pytest.mark.parametrize("line", ["#NoSpace", "####### seven", "    # code"])
def test_lines_that_are_not_atx_headings_stay_text(line):
    document = parse_document(f"{line}\n".encode(), "h.md", max_bytes=MAX_BYTES)
    assert all(block.kind != "heading" for block in document.blocks)


def test_pdf_of_681_bytes_with_60000_spaces_is_read_quickly():
    data = pdf_with_text(b"Intro" + b" " * 60_000 + b"x")
    assert len(data) < 1024  # the review's file was 681 bytes

    document = parse_document(data, "spaces.pdf", max_bytes=MAX_BYTES, limits=GUARD)

    assert " ".join(block.text for block in document.blocks).split() == ["Intro", "x"]


def test_pdf_dot_leaders_are_still_removed():
    document = parse_document(pdf_with_text(b"Introduction . . . . . . . . 3"), "toc.pdf", max_bytes=MAX_BYTES)
    assert document.blocks[0].text == "Introduction 3"


@pytest.mark.parametrize(("name", "data"), [
    ("brackets.md", b"[" * 200_000),  # a link's text scanned to the end of the file from every "["
    ("links.md", b"[a](" * 50_000),
    ("table.md", b"| a |\n" + b" " * 200_000 + b"x\n"),  # a delimiter row with adjacent optional spaces
    ("lines.md", b"a\n" * 1_500_000),  # a paragraph of 1.5 million short lines, re-joined
    ("lines.txt", b"a\n" * 1_500_000),
])
def test_other_markdown_and_text_paths_are_linear(name, data):
    document = parse_document(data, name, max_bytes=MAX_BYTES, limits=GUARD)
    assert document.blocks


def test_markdown_tables_and_links_keep_their_meaning():
    text = b"| a | b |\n| --- | :-: |\n| 1 | 2 |\n\nSee [the docs](https://example.org \"t\") and [x] [y](z).\n"
    document = parse_document(text, "t.md", max_bytes=MAX_BYTES)
    assert [block.text for block in document.blocks] == ["a: 1; b: 2", "See the docs and [x] y."]


def test_a_run_of_200000_dots_splits_into_sentences_quickly():
    # Dots with no space after them: every dot used to start a scan over the rest of the run.
    text = "Intro " + "." * 200_000 + "x. Next one"
    pieces = run_limited(split_sentences, text, name="dots", timeout_seconds=10, memory_mb=1024)
    assert [piece for piece, _ in pieces] == ["Intro " + "." * 200_000 + "x.", "Next one"]


class TallyingCounter:
    """The real tokenizer, counting how many characters it is asked to tokenize; stops the test
    as soon as that is far beyond linear, instead of letting a quadratic path run for minutes."""

    def __init__(self, counter, budget: int) -> None:
        self.counter = counter
        self.budget = budget
        self.characters = 0

    def __call__(self, text: str) -> int:
        self.characters += len(text)
        if self.characters > self.budget:
            raise AssertionError(f"tokenized {self.characters:,} characters, over the linear budget of {self.budget:,}")
        return self.counter(text)


def test_200kb_of_angle_brackets_chunk_in_linear_work(token_counter):
    text = ">" * 200_000  # one "word" of 200,000 one-character tokens
    counter = TallyingCounter(token_counter, budget=20 * len(text))

    chunks = chunk_blocks([Block(text, "paragraph")], count_tokens=counter, target_tokens=200, overlap_tokens=30)

    assert "".join(chunk.text for chunk in chunks) == text
    assert all(chunk.token_count <= 200 for chunk in chunks)
    assert len(chunks) == 1000  # every cut at the longest piece that fits
