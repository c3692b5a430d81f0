"""core/vectors.py: ChromaVectorStore on its own, embedded and against a real `chroma run` server on
127.0.0.1 (every test of the store runs on both), and the whole pipeline through such a server."""

import uuid

import pytest

from core.ingest.pipeline import Upload
from core.settings import ChromaSettings, Settings
from core.vectors import ChromaVectorStore
from core.workbench import build_workbench
from tests.conftest import clean_env


def test_ingest_search_delete_through_a_chroma_server(tmp_path, embedder, chroma_server):
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), AW_CHROMA_HOST="127.0.0.1", AW_CHROMA_PORT=str(chroma_server))
    wb = build_workbench(settings, embedder=embedder)
    assert wb.vectors.mode == "server"
    health = {h.backend: h for h in wb.health()}["vectors"]
    assert health.ok and health.mode == "server"
    ws = wb.workspace("server-test")
    result = ws.ingest([Upload("returns.md", b"# Returns\n\nDamaged items can be returned within 30 days for a full refund.")])[0]
    assert result.status == "ingested"
    hits = ws.search("refund for a damaged item", mode="vector")
    assert hits and hits[0].chunk.document_id == result.document_id
    assert not (tmp_path / "chroma").exists(), "server mode must not create an embedded store"
    ws.delete_document(result.document_id)
    assert wb.vectors.count("server-test", "chunks") == 0
    wb.close()


def test_unreachable_chroma_server_gives_a_clear_error(tmp_path, embedder):
    from tests.core.conftest import free_port
    import pytest
    from core.errors import BackendUnavailable

    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), AW_CHROMA_HOST="127.0.0.1", AW_CHROMA_PORT=str(free_port()))
    wb = build_workbench(settings, embedder=embedder)
    with pytest.raises(BackendUnavailable, match="Cannot reach the Chroma server"):
        wb.workspace().ingest([Upload("a.md", b"# A\n\nText.")])


# ---- the store on its own ---------------------------------------------------------------

TEXTS = {
    "refunds": "Damaged items can be returned within 30 days for a full refund to the original card.",
    "delivery": "Metro cities get delivery within two days; a late delivery earns a 10% voucher.",
    "griddle": "The pre-seasoned cast iron griddle is made for dosa and heats evenly on gas.",
}


@pytest.fixture(params=["embedded", "server"])
def store(request, tmp_path):
    """A ChromaVectorStore: embedded in a fresh folder, or on the session's Chroma server."""
    if request.param == "embedded":
        settings = ChromaSettings(host="", port=8000, ssl=False, path=tmp_path / "chroma")
    else:
        port = request.getfixturevalue("chroma_server")
        settings = ChromaSettings(host="127.0.0.1", port=port, ssl=False, path=tmp_path / "unused")
    store = ChromaVectorStore(settings)
    assert store.mode == request.param
    return store


@pytest.fixture
def names():
    """Workspace names no other test uses: the server outlives a test."""
    return f"va{uuid.uuid4().hex[:8]}", f"vb{uuid.uuid4().hex[:8]}"


def add(store, embedder, workspace, items: dict[str, str], **metadata):
    ids = list(items)
    store.upsert(workspace, "chunks", ids, embedder.embed([items[i] for i in ids]), [items[i] for i in ids],
                 [{"document_id": i, **metadata} for i in ids])


def test_a_query_finds_the_nearest_text_first_with_its_text_and_metadata(store, embedder, names):
    ws, _ = names
    add(store, embedder, ws, TEXTS, doc_type="policy", page=None, tags=[])
    hits = store.query(ws, "chunks", embedder.embed_query("can I get my money back for a broken item"), k=3)
    assert [h.id for h in hits][0] == "refunds"
    assert len(hits) == 3 and [h.distance for h in hits] == sorted(h.distance for h in hits)
    assert hits[0].text == TEXTS["refunds"]
    # None and empty values are left out (Chroma refuses them); the others come back as given.
    assert hits[0].metadata == {"document_id": "refunds", "doc_type": "policy"}


def test_k_larger_than_the_collection_returns_what_there_is_and_k_zero_nothing(store, embedder, names):
    ws, _ = names
    add(store, embedder, ws, TEXTS)
    query = embedder.embed_query("delivery")
    assert len(store.query(ws, "chunks", query, k=50)) == 3
    assert store.query(ws, "chunks", query, k=0) == []


def test_a_where_filter_restricts_the_query(store, embedder, names):
    ws, _ = names
    add(store, embedder, ws, {"refunds": TEXTS["refunds"]}, doc_type="policy")
    add(store, embedder, ws, {"griddle": TEXTS["griddle"]}, doc_type="product")
    hits = store.query(ws, "chunks", embedder.embed_query("refund for a damaged item"), k=5, where={"doc_type": "product"})
    assert [h.id for h in hits] == ["griddle"]


def test_upserting_an_id_again_replaces_it(store, embedder, names):
    ws, _ = names
    add(store, embedder, ws, {"a": TEXTS["refunds"]})
    add(store, embedder, ws, {"a": TEXTS["griddle"]})
    assert store.count(ws, "chunks") == 1
    assert [r.text for r in store.get(ws, "chunks", ids=["a"])] == [TEXTS["griddle"]]


def test_workspaces_never_see_each_others_vectors(store, embedder, names):
    a, b = names
    add(store, embedder, a, {"same-id": TEXTS["refunds"]})
    add(store, embedder, b, {"same-id": TEXTS["griddle"], "other": TEXTS["delivery"]})
    query = embedder.embed_query("refund for a damaged item")
    assert [(h.id, h.text) for h in store.query(a, "chunks", query, k=10)] == [("same-id", TEXTS["refunds"])]
    assert {h.text for h in store.query(b, "chunks", query, k=10)} == {TEXTS["griddle"], TEXTS["delivery"]}
    assert (store.count(a, "chunks"), store.count(b, "chunks")) == (1, 2)
    store.delete(a, "chunks", ids=["same-id"])
    assert store.count(a, "chunks") == 0
    assert [r.text for r in store.get(b, "chunks", ids=["same-id"])] == [TEXTS["griddle"]]
    store.drop(b, "chunks")
    assert store.count(b, "chunks") == 0


def test_purposes_are_separate_collections(store, embedder, names):
    ws, _ = names
    add(store, embedder, ws, {"refunds": TEXTS["refunds"]})
    assert store.count(ws, "questions") == 0
    assert store.query(ws, "questions", embedder.embed_query("refund"), k=5) == []


def test_delete_by_ids_and_by_where_removes_only_those(store, embedder, names):
    ws, _ = names
    add(store, embedder, ws, {"refunds": TEXTS["refunds"]}, doc_type="policy")
    add(store, embedder, ws, {"delivery": TEXTS["delivery"]}, doc_type="policy")
    add(store, embedder, ws, {"griddle": TEXTS["griddle"]}, doc_type="product")
    store.delete(ws, "chunks", ids=["refunds"])
    assert sorted(r.id for r in store.get(ws, "chunks")) == ["delivery", "griddle"]
    store.delete(ws, "chunks", where={"doc_type": "policy"})
    assert [r.id for r in store.get(ws, "chunks")] == ["griddle"]
    store.delete(ws, "chunks", ids=[])  # nothing named: nothing removed
    assert store.count(ws, "chunks") == 1


def test_a_workspace_with_no_vectors_answers_empty_and_creates_nothing(store, embedder, names):
    ws, other = names
    query = embedder.embed_query("anything")
    assert store.query(ws, "chunks", query, k=5) == []
    assert store.get(ws, "chunks") == [] and store.count(ws, "chunks") == 0
    store.delete(ws, "chunks", ids=["missing"])  # deleting from nothing is not an error
    store.drop(ws, "chunks")
    store.upsert(ws, "chunks", [], [], [], [])  # an empty batch writes nothing
    assert store.count(ws, "chunks") == 0
    collections = {getattr(c, "name", c) for c in store.client.list_collections()}
    assert not any(ws in name for name in collections), "reads and empty writes must not create a collection"
    # A collection emptied by deletes answers empty too (a query for more than zero results would fail in Chroma).
    add(store, embedder, other, {"refunds": TEXTS["refunds"]})
    store.delete(other, "chunks", ids=["refunds"])
    assert store.query(other, "chunks", query, k=5) == []


def test_embedded_vectors_are_on_disk_for_the_next_process(tmp_path, embedder):
    import subprocess
    import sys

    from tests.conftest import ROOT

    add(ChromaVectorStore(ChromaSettings(host="", port=8000, ssl=False, path=tmp_path / "chroma")), embedder, "default", TEXTS)
    code = ("import sys; from pathlib import Path; from core.settings import ChromaSettings; "
            "from core.vectors import ChromaVectorStore; "
            "store = ChromaVectorStore(ChromaSettings(host='', port=8000, ssl=False, path=Path(sys.argv[1]))); "
            "print(sorted(r.id for r in store.get('default', 'chunks')))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "chroma")], cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(sorted(TEXTS))
