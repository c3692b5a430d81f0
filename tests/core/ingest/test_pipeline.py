"""Ingestion on real components: parsing, chunking, the real model, embedded Chroma, BM25."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import select

from core.errors import NotFound
from core.ingest.pipeline import CHUNK_PURPOSE, Upload
from core.metadata import chunks, documents
from core.retrieval import SearchFilters
from tests.conftest import ROOT, clean_env

POLICY = b"""# Delivery policy

## Promised windows

Metro cities get delivery within 2 days. Other cities within 5 days.

## Late deliveries

A delivery is late when it arrives after the promised date. Customers get a 10% voucher.
"""


def store_state(workbench, workspace="default"):
    """Everything the stores hold for a workspace, to compare before/after."""
    with workbench.metadata.connect() as conn:
        docs = sorted(r.id for r in conn.execute(select(documents.c.id).where(documents.c.workspace == workspace)))
        chunk_ids = sorted(r.id for r in conn.execute(select(chunks.c.id).where(chunks.c.workspace == workspace)))
    vector_ids = sorted(workbench.vectors.ids(workspace, CHUNK_PURPOSE))
    return docs, chunk_ids, vector_ids


def test_demo_documents_in_every_format_ingest(workbench, demo_docs):
    ws = workbench.workspace()
    results = ws.ingest_paths(demo_docs)
    assert [r for r in results if r.status != "ingested"] == []
    docs = ws.documents()
    assert {d.doc_type for d in docs} >= {"markdown", "text", "html", "docx", "pdf"}
    assert all(d.chunk_count > 0 for d in docs)
    doc_ids, chunk_ids, vector_ids = store_state(workbench)
    assert chunk_ids == vector_ids and len(doc_ids) == len(demo_docs)
    pdf = next(d for d in docs if d.doc_type == "pdf")
    assert {c.page for c in ws.chunks(pdf.id)} >= {1, 2}, "PDF chunks keep their page numbers"


def test_duplicate_upload_is_reported_and_not_stored_twice(workbench):
    ws = workbench.workspace()
    first = ws.ingest([Upload("policy.md", POLICY)])[0]
    second = ws.ingest([Upload("copy-of-policy.md", POLICY)])[0]
    assert first.status == "ingested" and second.status == "duplicate"
    assert second.document_id == first.document_id
    assert len(ws.documents()) == 1 and len(store_state(workbench)[2]) == first.chunks


def test_one_bad_file_never_stops_the_batch(workbench):
    results = workbench.workspace().ingest([Upload("empty.txt", b""), Upload("policy.md", POLICY), Upload("fake.pdf", b"PK\x03\x04zipzip")])
    assert [r.status for r in results] == ["error", "ingested", "error"]
    assert "empty" in results[0].error and "not a PDF" in results[2].error


def test_delete_removes_the_document_from_every_store(workbench):
    ws = workbench.workspace()
    result = ws.ingest([Upload("policy.md", POLICY)])[0]
    assert ws.search("voucher for late delivery", mode="keyword")
    ws.delete_document(result.document_id)
    assert store_state(workbench) == ([], [], [])
    assert ws.search("voucher for late delivery", mode="keyword") == []
    assert not (workbench.settings.data_dir / "files" / "default" / result.document_id).exists()
    with pytest.raises(NotFound):
        ws.delete_document(result.document_id)


class ExplodingIndexer:
    """A second store that fails after Chroma was written: the document must vanish whole."""

    def __init__(self):
        self.removed = []

    def add(self, workspace, document, chunks):
        raise RuntimeError("graph store went away")

    def remove(self, workspace, document_id):
        self.removed.append(document_id)


def test_failure_after_vectors_were_written_leaves_no_trace(workbench):
    ws = workbench.workspace()
    ws.ingest([Upload("keep.md", b"# Keep\n\nThis document stays indexed.")])
    before = store_state(workbench)
    exploding = ExplodingIndexer()
    workbench.ingestion.indexers.append(exploding)
    failed = ws.ingest([Upload("policy.md", POLICY)])[0]
    workbench.ingestion.indexers.remove(exploding)
    assert failed.status == "error" and "could not be indexed" in failed.error, "a store's own error is one file's error"
    assert store_state(workbench) == before
    assert len(exploding.removed) == 1
    assert ws.ingest([Upload("policy.md", POLICY)])[0].status == "ingested", "a retry works cleanly"


def test_interrupt_during_embedding_leaves_no_trace(workbench):
    ws = workbench.workspace()
    long_text = "\n\n".join(f"Paragraph {i} about delivery windows in Chennai and Mumbai." * 5 for i in range(60)).encode()
    seen = []

    def interrupt_after_first_batch(event):
        if event.stage == "embed" and event.done:
            seen.append(event.done)
            raise KeyboardInterrupt

    workbench.ingestion.batch_size = 4
    with pytest.raises(KeyboardInterrupt):
        ws.ingest([Upload("long.txt", long_text)], progress=interrupt_after_first_batch)
    assert seen == [4]
    assert store_state(workbench) == ([], [], [])


def test_process_killed_mid_ingest_is_repaired_on_next_run(settings, workbench):
    # A real hard kill: a child process exits abruptly after writing its first chunk batch.
    script = textwrap.dedent(f"""
        import os
        from core.settings import Settings
        from core.workbench import build_workbench
        from core.ingest.pipeline import Upload
        wb = build_workbench(Settings.from_env(AW_DATA_DIR={str(settings.data_dir)!r}))
        wb.ingestion.batch_size = 4
        def die(event):
            if event.stage == "embed" and event.done:
                os._exit(9)
        text = "\\n\\n".join("Paragraph %d on returns of damaged items." % i * 6 for i in range(40)).encode()
        wb.workspace().ingest([Upload("killed.txt", text)], progress=die)
    """)
    child = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=300)
    assert child.returncode == 9, child.stderr
    docs, chunk_ids, vector_ids = store_state(workbench)
    assert len(docs) == 1 and chunk_ids == [] and len(vector_ids) == 4, "the kill left an indexing row and 4 vectors"
    ws = workbench.workspace()
    assert ws.documents() == [] and ws.search("returns of damaged items") == [], "half-written data is never visible"
    # Its process is gone (its owner lock is free), so repair resumes it at once from the
    # stored text: nothing the user uploaded is lost. A live one is left alone: see
    # test_kill_recovery.py.
    assert ws.repair() == docs
    assert "killed.txt" in [d.filename for d in ws.documents()]
    _, chunk_ids, vector_ids = store_state(workbench)
    assert chunk_ids == vector_ids and ws.search("returns of damaged items", mode="keyword")


def test_a_failed_rechunk_keeps_the_document_and_repair_restores_it(workbench):
    ws = workbench.workspace()
    result = ws.ingest([Upload("policy.md", POLICY)])[0]
    exploding = ExplodingIndexer()
    workbench.ingestion.indexers.append(exploding)
    with pytest.raises(RuntimeError):
        ws.reindex_document(result.document_id, chunk_tokens=60, chunk_overlap=10)
    workbench.ingestion.indexers.remove(exploding)
    assert (workbench.settings.data_dir / "files" / "default" / result.document_id / "original").exists()
    assert ws.repair() == [result.document_id]
    restored = ws.documents()
    assert [d.id for d in restored] == [result.document_id] and restored[0].chunk_count > 0
    _, chunk_ids, vector_ids = store_state(workbench)
    assert chunk_ids == vector_ids and chunk_ids


def test_a_delete_interrupted_half_way_is_finished_by_repair(workbench):
    ws = workbench.workspace()
    result = ws.ingest([Upload("policy.md", POLICY)])[0]
    failing = ExplodingIndexer()
    failing.remove = lambda workspace, document_id: (_ for _ in ()).throw(RuntimeError("graph store went away"))
    workbench.ingestion.indexers.append(failing)
    with pytest.raises(RuntimeError):
        ws.delete_document(result.document_id)
    workbench.ingestion.indexers.remove(failing)
    assert ws.documents() == [], "a document being deleted is no longer listed"
    assert ws.repair() == [result.document_id]
    assert store_state(workbench) == ([], [], [])


def test_rechunk_replaces_chunks_in_every_store(workbench):
    ws = workbench.workspace()
    text = "\n\n".join(f"Section text {i}. " + "Orders ship from the Chennai warehouse every morning. " * 8 for i in range(12))
    result = ws.ingest([Upload("ops.txt", text.encode())])[0]
    smaller = ws.reindex_document(result.document_id, chunk_tokens=60, chunk_overlap=10)
    assert smaller.chunks > result.chunks
    _, chunk_ids, vector_ids = store_state(workbench)
    assert chunk_ids == vector_ids and len(chunk_ids) == smaller.chunks
    assert all(c.token_count <= 60 for c in ws.chunks(result.document_id))


def test_workspace_isolation_in_every_mode(workbench):
    a, b = workbench.workspace("team-a"), workbench.workspace("team-b")
    a.ingest([Upload("a.md", b"# Alpha\n\nThe Tanjore Brass Lamp ships from Chennai.")])
    b.ingest([Upload("b.md", b"# Beta\n\nThe Tanjore Brass Lamp ships from Mumbai.")])
    for mode in ("vector", "keyword", "hybrid"):
        hits = a.search("Tanjore Brass Lamp", mode=mode, k=10)
        assert hits and all(h.chunk.workspace == "team-a" and "Chennai" in h.chunk.text for h in hits), mode
    assert [d.filename for d in b.documents()] == ["b.md"]


def test_metadata_filters_on_type_and_tags(workbench):
    ws = workbench.workspace()
    policy = ws.ingest([Upload("policy.md", POLICY)], doc_type="policy", tags=["logistics"])[0]
    note = ws.ingest([Upload("note.txt", b"Late delivery complaints rose in Chennai.")], doc_type="note", tags=["q3"])[0]
    for mode in ("vector", "keyword", "hybrid"):
        only_notes = ws.search("late delivery", mode=mode, filters=SearchFilters(doc_types=("note",)))
        assert only_notes and {h.chunk.document_id for h in only_notes} == {note.document_id}, mode
        tagged = ws.search("late delivery", mode=mode, filters=SearchFilters(tags=("logistics",)))
        assert tagged and {h.chunk.document_id for h in tagged} == {policy.document_id}, mode


def test_similarity_threshold_hides_weak_vector_matches(workbench):
    ws = workbench.workspace()
    ws.ingest([Upload("policy.md", POLICY)])
    assert ws.search("quantum chromodynamics lattice", mode="vector") != []
    assert ws.search("quantum chromodynamics lattice", mode="vector", min_similarity=0.5) == []
    assert ws.search("when is a delivery late", mode="vector", min_similarity=0.3) != []


def test_keyword_index_survives_a_restart(settings, embedder):
    from core.workbench import build_workbench

    first = build_workbench(settings, embedder=embedder)
    first.workspace().ingest([Upload("policy.md", POLICY)])
    assert first.workspace().search("voucher", mode="keyword")
    first.close()
    second = build_workbench(settings, embedder=embedder)
    hits = second.workspace().search("voucher", mode="keyword")
    assert hits and "voucher" in hits[0].chunk.text
    assert (settings.data_dir / "keyword" / "default" / "stamp.json").exists()
    second.close()
