"""The 31 real-world PDFs through the whole pipeline in one batch."""

import json

import pytest

ENCRYPTED = "005-libreoffice-writer-password_libreoffice-writer-password.pdf"


@pytest.fixture(scope="module")
def pdf_dir(shared_data):
    return shared_data / "pdf-samples"


def expected_pages(pdf_dir):
    data = json.loads((pdf_dir / "files.json").read_text())["data"]
    # files.json names "folder/file.pdf"; the files on disk are "folder_file.pdf".
    return {entry["path"].replace("/", "_"): entry["pages"] for entry in data}


def test_every_pdf_ingests_with_text_or_fails_with_a_specific_reason(workbench, pdf_dir):
    ws = workbench.workspace()
    paths = sorted(pdf_dir.glob("*.pdf"))
    assert len(paths) == 31
    results = ws.ingest_paths(paths)
    pages = expected_pages(pdf_dir)
    by_name = {r.file: r for r in results}
    assert by_name[ENCRYPTED].status == "error" and by_name[ENCRYPTED].error_kind == "encrypted_file"
    assert "password" in by_name[ENCRYPTED].error
    ingested = 0
    for result in results:
        if result.status == "ingested":
            ingested += 1
            assert result.chunks > 0
            chunk_pages = {c.page for c in ws.chunks(result.document_id)}
            assert chunk_pages and all(1 <= p <= pages[result.file] for p in chunk_pages), result.file
        else:
            assert result.error_kind in {"encrypted_file", "no_text", "unsupported_file"}, result
            assert result.file.split(".")[0][:10] in result.error or "PDF" in result.error, result.error
    assert ingested >= 20, "most real PDFs have a text layer"
    assert {r.error_kind for r in results if r.status == "error"} >= {"no_text"}, "image-only PDFs say so"


def test_encrypted_pdf_ingests_with_its_password(workbench, pdf_dir):
    from core.ingest.pipeline import Upload

    data = (pdf_dir / ENCRYPTED).read_bytes()
    ws = workbench.workspace()
    wrong = ws.ingest([Upload(ENCRYPTED, data, "not-it")])[0]
    assert wrong.status == "error" and "wrong" in wrong.error.lower()
    right = ws.ingest([Upload(ENCRYPTED, data, "openpassword")])[0]
    assert right.status == "ingested" and right.chunks > 0
