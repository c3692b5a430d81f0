"""core/workspace.py: the handle whose every operation is scoped to one workspace.

On the real components (parsing, the embedding model, embedded Chroma, BM25, SQLite metadata):
nothing one workspace holds is ever listed, searched, read, re-chunked or deleted through
another's handle, and ingest_paths reports paths it cannot ingest instead of failing the batch.
"""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, NotFound, UnsupportedFile
from core.ingest.pipeline import Upload

LAMP_CHENNAI = b"# Alpha\n\nThe Tanjore Brass Lamp ships from the Chennai warehouse on Mondays."
GRIDDLE_MUMBAI = b"# Beta\n\nThe cast iron dosa griddle ships from the Mumbai warehouse on Fridays."
MODES = ("vector", "keyword", "hybrid")


@pytest.fixture
def two(workbench):
    """Workspaces team-a and team-b with one document each; returns (a, b, a's id, b's id)."""
    a, b = workbench.workspace("team-a"), workbench.workspace("team-b")
    (in_a,) = a.ingest([Upload("lamp.md", LAMP_CHENNAI)])
    (in_b,) = b.ingest([Upload("griddle.md", GRIDDLE_MUMBAI)])
    assert in_a.status == in_b.status == "ingested"
    return a, b, in_a.document_id, in_b.document_id


def test_the_handle_carries_its_workspace_name(workbench):
    assert workbench.workspace("team-a").name == "team-a"
    assert workbench.workspace().name == workbench.settings.default_workspace
    assert "team-a" in workbench.workspaces()


def test_an_invalid_workspace_name_is_refused(workbench):
    for name in ("", "has space", "../escape", "-leading-dash", "x" * 41):
        with pytest.raises(InvalidInput):
            workbench.workspace(name)


def test_documents_and_chunks_are_listed_only_in_their_own_workspace(two):
    a, b, in_a, in_b = two
    assert [d.id for d in a.documents()] == [in_a]
    assert [d.id for d in b.documents()] == [in_b]
    assert all(d.workspace == "team-a" for d in a.documents())
    chunks = a.chunks(in_a)
    assert chunks and {c.workspace for c in chunks} == {"team-a"} and {c.document_id for c in chunks} == {in_a}


def test_a_search_never_returns_another_workspaces_chunks(two):
    a, b, in_a, in_b = two
    for mode in MODES:
        # b's search for words only a's document has: nothing of a's, whatever the mode.
        hits = b.search("Tanjore Brass Lamp Chennai", mode=mode, k=10)
        assert all(h.chunk.workspace == "team-b" and h.chunk.document_id == in_b for h in hits), mode
        found = a.search("Tanjore Brass Lamp Chennai", mode=mode, k=10)
        assert found and {h.chunk.document_id for h in found} == {in_a}, mode
    assert b.search("Tanjore Brass Lamp", mode="keyword", k=10) == []


def test_another_workspaces_document_id_is_not_found(two):
    a, b, in_a, in_b = two
    with pytest.raises(NotFound):
        b.document(in_a)
    with pytest.raises(NotFound):
        b.chunks(in_a)
    with pytest.raises(NotFound):
        b.original_file(in_a)
    with pytest.raises(NotFound):
        b.reindex_document(in_a, chunk_tokens=60, chunk_overlap=10)
    with pytest.raises(NotFound):
        b.delete_document(in_a)
    # ...and none of those touched it.
    assert a.document(in_a).id == in_a and a.chunks(in_a)
    assert a.search("Tanjore Brass Lamp", mode="keyword", k=5)


def test_an_unknown_document_id_is_not_found(workbench):
    ws = workbench.workspace()
    with pytest.raises(NotFound):
        ws.document("no-such-document")
    with pytest.raises(NotFound):
        ws.chunks("no-such-document")


def test_the_same_file_is_a_duplicate_only_within_one_workspace(two, workbench):
    a, b, in_a, _ = two
    (again_in_a,) = a.ingest([Upload("lamp-copy.md", LAMP_CHENNAI)])
    assert again_in_a.status == "duplicate" and again_in_a.document_id == in_a
    (same_in_b,) = b.ingest([Upload("lamp.md", LAMP_CHENNAI)])
    assert same_in_b.status == "ingested" and same_in_b.document_id != in_a
    b.delete_document(same_in_b.document_id)
    assert a.document(in_a).filename == "lamp.md" and a.search("Tanjore", mode="keyword", k=5)


def test_deleting_in_one_workspace_leaves_the_other_whole(two):
    a, b, in_a, in_b = two
    a.delete_document(in_a)
    assert a.documents() == [] and all(a.search("warehouse", mode=m, k=5) == [] for m in MODES)
    assert [d.id for d in b.documents()] == [in_b]
    assert {h.chunk.document_id for h in b.search("dosa griddle", mode="hybrid", k=5)} == {in_b}


def test_the_original_file_is_kept_byte_for_byte(two):
    a, _, in_a, _ = two
    assert a.original_file(in_a).read_bytes() == LAMP_CHENNAI


def test_ingest_paths_reports_a_missing_path_and_a_directory_and_ingests_the_rest(workbench, tmp_path):
    ws = workbench.workspace()
    good = tmp_path / "lamp.md"
    good.write_bytes(LAMP_CHENNAI)
    missing = tmp_path / "nowhere.md"
    folder = tmp_path / "a-folder"
    folder.mkdir()
    results = {r.file: r for r in ws.ingest_paths([missing, folder, good])}
    assert results[str(missing)].status == "error" and results[str(missing)].error_kind == UnsupportedFile.kind
    assert f"Cannot read {missing}" in results[str(missing)].error
    assert results[str(folder)].status == "error" and results[str(folder)].error_kind == UnsupportedFile.kind
    assert "is not a regular file" in results[str(folder)].error
    assert results["lamp.md"].status == "ingested"
    assert [d.filename for d in ws.documents()] == ["lamp.md"]


def test_ingest_paths_with_nothing_ingestable_stores_nothing(workbench, tmp_path):
    ws = workbench.workspace()
    results = ws.ingest_paths([tmp_path / "missing.txt", tmp_path])
    assert [r.status for r in results] == ["error", "error"]
    assert ws.documents() == []
