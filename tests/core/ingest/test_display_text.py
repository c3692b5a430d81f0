"""Titles and file names reach listings (the CLI's `docs`, pages) as one printable line."""

from __future__ import annotations

import pytest

from core.ingest.parsers import display_name, display_text, parse_document

MAX_BYTES = 50 * 1024 * 1024
FORGED = "report\nd0c1d 999 chunks  Forged row"


def test_a_newline_in_the_file_name_cannot_forge_a_row_in_the_title():
    document = parse_document(b"Quarterly numbers are up.", FORGED + ".txt", max_bytes=MAX_BYTES)
    assert document.title == "report d0c1d 999 chunks Forged row"


@pytest.mark.parametrize("heading", ["# Title\x1b[2J\r", "# Ti\x07tle\u2028x\x85", "Title\u202e\n====="])
def test_control_characters_in_a_heading_title_are_removed(heading):
    document = parse_document(f"{heading}\n\n{'Body text. ' * 20}".encode(), "notes.md", max_bytes=MAX_BYTES)
    assert document.title.isprintable()
    assert document.title.startswith("Ti")


def test_a_title_from_pdf_metadata_or_filename_fallback_is_one_line(pdf_samples):
    sample = next(pdf_samples.glob("002-trivial-libre-office-writer*.pdf"))
    document = parse_document(sample.read_bytes(), "trivial\r\n[DONE].pdf", max_bytes=MAX_BYTES)
    assert "\n" not in document.title and "\r" not in document.title


def test_error_messages_name_the_file_on_one_line():
    with pytest.raises(Exception) as caught:
        parse_document(b"", "evil\nname.txt", max_bytes=MAX_BYTES)
    assert str(caught.value) == "evil name.txt is empty (0 bytes)."


def test_display_name_keeps_the_file_name_and_drops_folders_and_controls():
    assert display_name("C:\\Users\\ana\\Q3 report.pdf") == "Q3 report.pdf"
    assert display_name("a\tb\x07c.docx") == "a b c.docx"
    assert display_name("txt.\u202eexe") == "txt.exe"
    assert display_name("\n") == "The file"


def test_a_very_long_title_is_shortened_at_a_limit():
    document = parse_document(b"# " + b"word " * 10_000 + b"\n\nbody", "long.md", max_bytes=MAX_BYTES)
    assert len(document.title) <= 200 and document.title.endswith("…")
    assert display_text("x" * 300, limit=10) == "xxxxxxxxx…"


def test_cli_docs_lists_a_file_with_a_newline_in_its_name_on_one_row(tmp_path):
    """The review's forged row: `docs` printed the title taken from such a name with its newline."""
    import subprocess
    import sys

    from tests.conftest import ROOT, clean_env

    path = tmp_path / (FORGED + ".txt")
    path.write_text("Quarterly numbers are up.\n")

    def cli(*args):
        result = subprocess.run([sys.executable, "-m", "core.cli", "--data-dir", str(tmp_path / "data"), *args],
                                cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    cli("ingest", str(path))
    rows = cli("docs").strip().splitlines()

    assert len(rows) == 1
    assert rows[0].endswith("report d0c1d 999 chunks Forged row")


def test_uploaded_file_names_become_one_printable_line_without_folders():
    from core.ingest.pipeline import Upload

    assert Upload("reports/q3\nforged | row.txt", b"x").filename == "q3 forged | row.txt"
    assert Upload.deferred("a\u202etxt.exe", 1, lambda: b"x").filename == "atxt.exe"
