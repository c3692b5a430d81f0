"""A .docx is a ZIP: every member's unpacked size and compression ratio is checked before reading."""

from __future__ import annotations

import pytest

from core.errors import ArchiveTooLarge
from core.ingest.parsers import ParseLimits, parse_document
from tests.support.hostile_files import docx_bomb, docx_with_member

MAX_BYTES = 50 * 1024 * 1024
MB = 1024 * 1024


def simple_docx(make_docx) -> bytes:
    return make_docx(lambda document: document.add_paragraph("The shipment reached Lisbon on Monday."))


def test_a_2mb_docx_that_unpacks_to_487_mib_is_refused_before_reading():
    data = docx_bomb(487 * MB)  # the review's file: 1.7 MB that reached 4.1 GB of memory
    assert len(data) < 3 * MB

    with pytest.raises(ArchiveTooLarge) as caught:
        parse_document(data, "bomb.docx", max_bytes=MAX_BYTES)

    message = str(caught.value)
    assert message.startswith("bomb.docx was refused: its part 'word/document.xml' unpacks to 487.0 MB")
    assert "100.0 MB limit" in message and "AW_ARCHIVE_MAX_MB" in message
    assert caught.value.kind == "archive_too_large"


def test_a_member_with_a_compression_ratio_over_the_limit_is_refused(make_docx):
    # 20 MB of one byte is under the size limit but packs about 1,000 times smaller.
    data = docx_with_member(simple_docx(make_docx), "word/media/blank.bmp", 20 * MB)

    with pytest.raises(ArchiveTooLarge) as caught:
        parse_document(data, "ratio.docx", max_bytes=MAX_BYTES)

    message = str(caught.value)
    assert "its part 'word/media/blank.bmp' unpacks" in message and "times larger than it is stored" in message
    assert "limit of 100 times" in message and "AW_ARCHIVE_MAX_RATIO" in message


def test_the_limits_are_configurable(make_docx):
    data = docx_with_member(simple_docx(make_docx), "word/media/blank.bmp", 20 * MB)
    generous = ParseLimits(archive_max_ratio=100_000)

    document = parse_document(data, "ratio.docx", max_bytes=MAX_BYTES, limits=generous)
    assert document.blocks[0].text == "The shipment reached Lisbon on Monday."

    with pytest.raises(ArchiveTooLarge, match=r"unpacks to 20\.0 MB, more than the 10\.0 MB limit"):
        parse_document(data, "ratio.docx", max_bytes=MAX_BYTES, limits=ParseLimits(archive_max_bytes=10 * MB, archive_max_ratio=100_000))


def test_members_that_are_each_small_are_refused_when_they_add_up(make_docx):
    data = simple_docx(make_docx)
    for number in range(6):
        data = docx_with_member(data, f"word/media/part{number}.bin", 2 * MB)
    limits = ParseLimits(archive_max_bytes=10 * MB, archive_max_ratio=100_000)

    with pytest.raises(ArchiveTooLarge, match=r"parts unpack to 12\.\d MB together, more than the 10\.0 MB limit"):
        parse_document(data, "many.docx", max_bytes=MAX_BYTES, limits=limits)


def test_small_members_that_compress_well_are_not_a_ratio_problem(make_docx):
    # Under 1 MB unpacked a high ratio is harmless (a blank image, repetitive XML): accepted.
    data = docx_with_member(simple_docx(make_docx), "word/media/blank.bmp", 512 * 1024)
    assert parse_document(data, "small.docx", max_bytes=MAX_BYTES).blocks[0].text.startswith("The shipment")
