"""The document repository on real metadata databases (SQLite, PostgreSQL, MariaDB): only indexed
documents are visible, writes that belong together land together, and every change to chunks
bumps the workspace's index generation."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
import sqlalchemy

from core.document_repository import DocumentRepository, is_visible
from core.errors import NotFound
from core.metadata import MetadataStore
from core.records import Chunk, Document, DocumentStatus, chunk_id

SERVERS = {
    "postgres": "postgresql+psycopg://postgres@127.0.0.1:5432/",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/",
}


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def store(request, tmp_path):
    """A migrated metadata store on each engine (a throwaway database on the servers), with two workspaces."""
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'workbench.db'}", None
    else:
        server = SERVERS[request.param]
        admin = sqlalchemy.create_engine(server + ("postgres" if request.param == "postgres" else ""),
                                         isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        name = f"aw_docs_{uuid.uuid4().hex[:10]}"
        quoted = f'"{name}"' if request.param == "postgres" else f"`{name}`"
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
        except sqlalchemy.exc.OperationalError as error:
            pytest.skip(f"{request.param} is not reachable: {error.orig}")
        url = server + name
        drop = (admin, f"DROP DATABASE IF EXISTS {quoted}" + (" WITH (FORCE)" if request.param == "postgres" else ""))
    metadata = MetadataStore(url)
    metadata.ensure_workspace("alpha")
    metadata.ensure_workspace("beta")
    yield metadata
    metadata.close()
    if drop is not None:
        admin, statement = drop
        with admin.connect() as connection:
            connection.exec_driver_sql(statement)
        admin.dispose()


def document(title: str, *, workspace: str = "alpha", created_at: str = "2026-01-01T00:00:00+00:00",
             content_hash: str | None = None, status: DocumentStatus = DocumentStatus.INDEXING) -> Document:
    return Document(id=str(uuid.uuid4()), workspace=workspace, title=title, filename=f"{title}.txt", doc_type="note",
                    tags=("a", "b"), content_hash=content_hash or uuid.uuid4().hex, size_bytes=10, chunk_count=0,
                    created_at=created_at, status=status)


def chunks_for(doc: Document, count: int) -> list[Chunk]:
    return [Chunk(id=chunk_id(doc.id, n), document_id=doc.id, workspace=doc.workspace, text=f"{doc.title} part {n}",
                  position=n, page=n + 1 if n else None, heading_path=("Intro", "Scope") if n else (), token_count=3)
            for n in range(count)]


def indexed(repository: DocumentRepository, doc: Document, count: int = 2) -> Document:
    repository.insert(doc, chunk_settings="256/32")
    repository.mark_indexed(doc.workspace, doc.id, chunks_for(doc, count), chunk_settings="256/32")
    return replace(doc, chunk_count=count, status=DocumentStatus.INDEXED)


def test_only_indexed_documents_are_visible(store):
    repository = DocumentRepository(store)
    shown = indexed(repository, document("shown"))
    half = document("half")
    repository.insert(half, chunk_settings="256/32")
    going = indexed(repository, document("going"))
    repository.set_status("alpha", going.id, DocumentStatus.DELETING)
    indexed(repository, document("elsewhere", workspace="beta"))

    assert repository.visible("alpha") == [shown]
    assert repository.visible_document("alpha", shown.id) == shown
    for hidden in (half.id, going.id):
        with pytest.raises(NotFound, match=f"No document {hidden} in workspace alpha"):
            repository.visible_document("alpha", hidden)
    assert repository.visible_titles("alpha") == {shown.id: "shown"}
    assert repository.count_visible("alpha") == 1 and repository.count_visible() == 2
    assert sorted(repository.unfinished_ids("alpha")) == sorted([half.id, going.id])
    assert repository.workspaces_with_unfinished() == ["alpha"]
    assert {d.id for d in repository.all_documents("alpha")} == {shown.id, half.id, going.id}
    assert is_visible(DocumentStatus.INDEXED) and not is_visible(DocumentStatus.INDEXING) and not is_visible("deleting")


def test_visible_chunks_leave_out_documents_not_indexed(store):
    repository = DocumentRepository(store)
    kept = indexed(repository, document("kept"), 3)
    going = indexed(repository, document("going"), 2)
    repository.set_status("alpha", going.id, DocumentStatus.DELETING)
    wanted = [chunk_id(kept.id, 2), chunk_id(going.id, 0), chunk_id(kept.id, 0), "no-such:1"]

    found = repository.visible_chunks("alpha", wanted)
    assert set(found) == {chunk_id(kept.id, 0), chunk_id(kept.id, 2)}
    chunk, title = found[chunk_id(kept.id, 2)]
    assert title == "kept" and chunk == chunks_for(kept, 3)[2]
    assert repository.visible_chunks("beta", wanted) == {} and repository.visible_chunks("alpha", []) == {}
    # The graph's evidence passages and titles are read by id, whatever the document's state.
    assert repository.passages("alpha", [chunk_id(going.id, 0)]) == {chunk_id(going.id, 0): ("going part 0", going.id)}
    assert repository.titles("alpha", [going.id, kept.id, going.id]) == {going.id: "going", kept.id: "kept"}


def test_listing_order_and_chunks_in_position_order(store):
    repository = DocumentRepository(store)
    old = indexed(repository, document("b-old", created_at="2026-01-01T00:00:00+00:00"))
    new_b = indexed(repository, document("b-new", created_at="2026-02-01T00:00:00+00:00"))
    new_a = indexed(repository, document("a-new", created_at="2026-02-01T00:00:00+00:00"), 4)

    assert [d.title for d in repository.visible("alpha")] == ["a-new", "b-new", "b-old"]
    assert [d.id for d in repository.visible("alpha", oldest_first=True)] == [old.id] + sorted([new_a.id, new_b.id])
    assert repository.chunks_of("alpha", new_a.id) == chunks_for(new_a, 4)
    assert repository.chunks_of("beta", new_a.id) == []
    corpus = repository.keyword_corpus("alpha")
    assert [row.id for row in corpus] == sorted(row.id for row in corpus) and len(corpus) == 8
    assert {(row.title, row.heading) for row in corpus if row.id == chunk_id(new_a.id, 1)} == {("a-new", "Intro > Scope")}
    assert repository.count_chunks() == 8


def test_pipeline_rows_hash_lookup_and_relabel(store):
    repository = DocumentRepository(store)
    earlier = document("earlier", content_hash="same")
    repository.insert(earlier, chunk_settings="128/16")
    assert repository.find_by_hash("alpha", "same").id == earlier.id
    assert repository.find_by_hash("beta", "same") is None
    row = repository.row("alpha", earlier.id)
    assert (row.status, row.chunk_settings, row.updated_at) == (DocumentStatus.INDEXING, "128/16", earlier.created_at)
    assert repository.unfinished("alpha")[0].id == earlier.id

    repository.relabel(earlier.id, filename="renamed.txt", tags=["x"])
    repository.touch(earlier.id)
    row = repository.row("alpha", earlier.id)
    assert (row.filename, row.tags, row.doc_type) == ("renamed.txt", '["x"]', "note") and row.updated_at > earlier.created_at
    repository.relabel(earlier.id, filename="renamed.txt", tags=[], doc_type="memo")
    assert repository.row("alpha", earlier.id).doc_type == "memo"
    assert repository.row("beta", earlier.id) is None


def test_the_visible_document_wins_a_hash_lookup(store):
    repository = DocumentRepository(store)
    repository.insert(document("leftover", content_hash="h1", workspace="beta"), chunk_settings="")
    done = indexed(repository, document("done", content_hash="h1"))
    assert repository.find_by_hash("alpha", "h1").id == done.id


def test_every_change_to_chunks_bumps_the_generation(store):
    repository = DocumentRepository(store)
    assert repository.generation("alpha") == 0
    doc = document("doc")
    repository.insert(doc, chunk_settings="")
    repository.set_status("alpha", doc.id, DocumentStatus.INDEXING)
    repository.touch(doc.id)
    assert repository.generation("alpha") == 0  # no chunk changed
    repository.mark_indexed("alpha", doc.id, chunks_for(doc, 2), chunk_settings="256/32")
    assert repository.generation("alpha") == 1
    repository.clear_chunks("alpha", doc.id)
    assert repository.generation("alpha") == 2 and repository.chunks_of("alpha", doc.id) == []
    assert repository.row("alpha", doc.id).chunk_count == 0
    repository.remove("alpha", doc.id)
    assert repository.generation("alpha") == 3 and repository.row("alpha", doc.id) is None
    assert repository.generation("beta") == 0


def test_writes_given_a_transaction_land_with_it_or_not_at_all(store):
    repository = DocumentRepository(store)
    doc = document("atomic")
    with pytest.raises(RuntimeError):
        with store.begin() as conn:
            repository.insert(doc, chunk_settings="", conn=conn)
            repository.mark_indexed("alpha", doc.id, chunks_for(doc, 2), chunk_settings="", conn=conn)
            raise RuntimeError("a store failed")
    assert repository.row("alpha", doc.id) is None and repository.generation("alpha") == 0
    with store.begin() as conn:
        repository.insert(doc, chunk_settings="", conn=conn)
        repository.mark_indexed("alpha", doc.id, chunks_for(doc, 2), chunk_settings="", conn=conn)
    assert repository.visible_document("alpha", doc.id).chunk_count == 2


def test_a_bare_engine_is_enough_for_a_copy_that_must_not_be_migrated(store):
    # A backup counts the documents of its copy without migrating it (core/backup/snapshot.py).
    indexed(DocumentRepository(store), document("one"))
    engine = sqlalchemy.create_engine(store.url)
    try:
        assert DocumentRepository(engine).count_visible() == 1
    finally:
        engine.dispose()
