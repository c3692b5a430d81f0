"""Parsing runs in a child process with a time and a memory limit; one bad file never stalls a batch."""

from __future__ import annotations

import time

import pytest

from core.errors import ParseMemoryExceeded, ParseTimeout, UnsupportedFile
from core.ingest.parsers import ParseLimits, parse_document
from tests.conftest import clean_env
from tests.support.hostile_files import tiny_pdf

MAX_BYTES = 50 * 1024 * 1024


def slow_pdf() -> bytes:
    """A 10 KB PDF whose one page holds 400,000 text operators: about 10 s of pypdf work."""
    return tiny_pdf(b"BT /F1 12 Tf " + b"(a) Tj 1 0 Td " * 400_000 + b"ET")


def memory_hungry_text() -> bytes:
    """20 MB of one-character lines: each line becomes a Python string, about 30 times the file's size."""
    return b"a\n" * (10 * 1024 * 1024)


def test_a_file_over_the_time_limit_fails_with_a_timeout_naming_the_limit():
    started = time.monotonic()
    with pytest.raises(ParseTimeout) as caught:
        parse_document(slow_pdf(), "slow.pdf", max_bytes=MAX_BYTES, limits=ParseLimits(timeout_seconds=1))
    elapsed = time.monotonic() - started

    assert "slow.pdf took longer than 1 s to read" in str(caught.value)
    assert "AW_PARSE_TIMEOUT" in str(caught.value)
    assert caught.value.kind == "parse_timeout"
    assert elapsed < 5  # stopped at the limit, not after the ~10 s the parse would take


def test_a_file_over_the_memory_limit_fails_with_its_own_message():
    with pytest.raises(ParseMemoryExceeded) as caught:
        parse_document(memory_hungry_text(), "lines.txt", max_bytes=MAX_BYTES, limits=ParseLimits(memory_mb=256))

    assert "lines.txt needs more than 256 MB of memory to read" in str(caught.value)
    assert "AW_PARSE_MEMORY_MB" in str(caught.value)
    assert isinstance(caught.value, UnsupportedFile) and caught.value.kind == "parse_memory"


def test_a_smaller_file_of_the_same_kind_parses_under_that_limit():
    document = parse_document(b"a\n" * 100_000, "lines.txt", max_bytes=MAX_BYTES, limits=ParseLimits(memory_mb=256))
    assert document.blocks[0].text == " ".join(["a"] * 100_000)


def test_parsing_errors_from_the_child_keep_their_type_and_message():
    with pytest.raises(UnsupportedFile, match=r"^fake\.pdf could not be read as a PDF"):
        parse_document(b"%PDF-1.4\n" + b"\x00garbage" * 100, "fake.pdf", max_bytes=MAX_BYTES)


def test_the_next_file_parses_after_one_was_stopped():
    with pytest.raises(ParseTimeout):
        parse_document(slow_pdf(), "slow.pdf", max_bytes=MAX_BYTES, limits=ParseLimits(timeout_seconds=1))
    assert parse_document(b"# Fine\n\ntext\n", "fine.md", max_bytes=MAX_BYTES).title == "Fine"


def test_a_batch_goes_on_past_a_file_that_takes_too_long(tmp_path, embedder):
    """Through the workbench, so AW_PARSE_TIMEOUT is what limits the file."""
    from core.ingest.pipeline import Upload
    from core.settings import Settings
    from core.workbench import build_workbench

    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"), AW_PARSE_TIMEOUT="1")
    workbench = build_workbench(settings, embedder=embedder)
    try:
        results = workbench.workspace("default").ingest([
            Upload("slow.pdf", slow_pdf()),
            Upload("notes.md", b"# Notes\n\nThe shipment reached Lisbon on Monday.\n"),
        ])
    finally:
        workbench.close()

    assert [result.status for result in results] == ["error", "ingested"]
    assert results[0].error_kind == "parse_timeout"
    assert "slow.pdf took longer than 1 s to read" in results[0].error
    assert results[1].chunks == 1


def test_a_dead_parse_server_is_replaced_on_the_next_file():
    from core.ingest import sandbox

    parse_document(b"first file", "one.txt", max_bytes=MAX_BYTES)
    server = sandbox._SERVER._process
    server.kill()  # what an out-of-memory kill or an administrator's kill would do
    server.wait()

    assert parse_document(b"second file", "two.txt", max_bytes=MAX_BYTES).blocks[0].text == "second file"
    assert sandbox._SERVER._process.pid != server.pid
