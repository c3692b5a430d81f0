"""The graph follows the documents: ingest, delete, re-ingest, re-chunk, fail, rebuild, and workspaces."""

from __future__ import annotations

import pytest

from core.errors import WorkbenchError
from core.graph.normalize import entity_key
from core.graph.rebuild import rebuild_graph
from tests.support.graph_demo import demo_doc

COMPLAINTS = ("complaint-email-0001", "complaint-email-0002", "call-transcript-0007")


def ingest(workbench, prefixes=COMPLAINTS, workspace="default"):
    results = workbench.workspace(workspace).ingest_paths([demo_doc(workbench, p) for p in prefixes])
    assert [r.status for r in results] == ["ingested"] * len(prefixes)
    return [r.document_id for r in results]


def graph_contents(workbench, workspace="default"):
    """Every entity and relation the workspace's documents support, read document by document."""
    entities, relations = set(), {}
    for document in workbench.workspace(workspace).documents():
        sub = workbench.graph.document_subgraph(workspace, document.id, limit_nodes=1000)
        entities |= {n.key for n in sub.nodes}
        for edge in sub.edges:
            relations[(edge.source, edge.target, edge.type)] = edge.weight
    return entities, relations


def assert_no_orphans(workbench, workspace="default"):
    stats = workbench.graph.stats(workspace)
    entities, relations = graph_contents(workbench, workspace)
    chunks = sum(d.chunk_count for d in workbench.workspace(workspace).documents())
    assert (stats.documents, stats.chunks) == (len(workbench.workspace(workspace).documents()), chunks)
    # nothing in the graph that no remaining document supports
    assert (stats.entities, stats.relations) == (len(entities), len(relations))


def test_delete_and_reingest_leave_no_orphans_and_no_inflated_weights(small_workbench):
    wb = small_workbench
    first, second, third = ingest(wb)
    assert_no_orphans(wb)
    before = wb.graph.stats("default")
    _, weights_before = graph_contents(wb)
    only_in_first = {n.key for n in wb.graph.document_subgraph("default", first).nodes} - {
        n.key for d in (second, third) for n in wb.graph.document_subgraph("default", d).nodes}
    assert only_in_first
    wb.workspace().delete_document(first)
    assert_no_orphans(wb)
    for key in only_in_first:
        with pytest.raises(WorkbenchError):
            wb.graph.entity("default", key)
    ingest(wb, COMPLAINTS[:1])
    after = wb.graph.stats("default")
    assert (after.entities, after.relations, after.mentions) == (before.entities, before.relations, before.mentions)
    assert graph_contents(wb)[1] == weights_before
    for document in wb.workspace().documents():
        wb.workspace().delete_document(document.id)
    empty = wb.graph.stats("default")
    assert (empty.documents, empty.chunks, empty.entities, empty.relations, empty.mentions) == (0, 0, 0, 0, 0)


def test_rechunking_moves_the_evidence_to_the_new_chunks(small_workbench):
    wb = small_workbench
    (document_id,) = ingest(wb, COMPLAINTS[2:])
    wb.workspace().reindex_document(document_id, chunk_tokens=60, chunk_overlap=0)
    current = {c.id for c in wb.workspace().chunks(document_id)}
    sub = wb.graph.document_subgraph("default", document_id)
    assert sub.edges and all(set(e.evidence) <= current for e in sub.edges)
    assert wb.graph.stats("default").chunks == len(current)
    assert_no_orphans(wb)


class FailingIndexer:
    """An index after the graph that fails, as a full disk or a down server would."""

    def add(self, workspace, document, chunks):
        raise WorkbenchError("the search index is full")

    def remove(self, workspace, document_id):
        pass


def test_a_failed_ingestion_leaves_nothing_in_the_graph(small_workbench):
    wb = small_workbench
    graph_indexer = wb.graph_indexer
    wb.document_indexers = lambda: [graph_indexer, FailingIndexer()]
    results = wb.workspace().ingest_paths([demo_doc(wb, COMPLAINTS[0])])
    assert results[0].status == "error" and "full" in results[0].error
    stats = wb.graph.stats("default")
    assert (stats.documents, stats.chunks, stats.entities) == (0, 0, 0)


def test_workspaces_are_isolated_and_only_the_linked_one_gets_database_links(small_workbench):
    wb = small_workbench
    (in_default,) = ingest(wb, COMPLAINTS[:1])
    (in_other,) = ingest(wb, COMPLAINTS[:1], workspace="other")
    customer = entity_key(demo_doc(wb, COMPLAINTS[0]).name.split("-", 3)[3].removesuffix(".md").replace("-", " "))
    assert wb.graph.entity("default", customer).properties["db_links"]
    assert wb.graph.entity("other", customer).properties["db_links"] == []  # no database for "other"
    wb.workspace("other").delete_document(in_other)
    assert wb.graph.stats("other").entities == 0
    assert wb.graph.entity("default", customer).properties["mentions"] > 0
    assert wb.graph.find_entities("other", customer) == [] and wb.graph.find_entities("default", customer)
    assert wb.graph.document_subgraph("default", in_default).nodes


def test_rebuild_restores_the_graph_with_progress(small_workbench):
    wb = small_workbench
    ingest(wb)
    before = wb.graph.stats("default")
    contents = graph_contents(wb)
    wb.graph.clear_workspace("default")
    assert wb.graph.stats("default").entities == 0
    events = []
    report = rebuild_graph(wb.metadata, wb.graph_indexer, "default", progress=events.append)
    assert graph_contents(wb) == contents
    after = wb.graph.stats("default")
    assert (after.documents, after.chunks, after.entities, after.relations) == (
        before.documents, before.chunks, before.entities, before.relations)
    assert (report.documents, report.chunks, report.entities, report.relations, report.failed) == (
        3, before.chunks, before.entities, before.relations, ())
    assert [e.done for e in events] == [0, 1, 2, 3] and {e.total for e in events} == {3}
    assert all(e.title for e in events[:-1])


def test_rebuild_removes_what_deleted_documents_left_behind(small_workbench):
    wb = small_workbench
    first, *_ = ingest(wb)
    # the document goes from the metadata store while the graph was not told (a crash, an old version)
    from sqlalchemy import delete

    from core.metadata import chunks, documents

    with wb.metadata.begin() as conn:
        conn.execute(delete(chunks).where(chunks.c.document_id == first))
        conn.execute(delete(documents).where(documents.c.id == first))
    assert wb.graph.stats("default").documents == 3
    rebuild_graph(wb.metadata, wb.graph_indexer, "default")
    assert wb.graph.stats("default").documents == 2
    assert_no_orphans(wb)


def test_a_workspace_links_to_its_own_saved_connection(small_workbench, tmp_path):
    import sqlite3

    from core.ingest.pipeline import Upload

    wb = small_workbench
    crm = tmp_path / "crm.db"
    with sqlite3.connect(crm) as conn:
        conn.execute("CREATE TABLE clients (client_id INTEGER PRIMARY KEY, full_name TEXT, town TEXT)")
        conn.execute("INSERT INTO clients VALUES (41, 'Meera Krishnaswamy', 'Coimbatore'), (42, 'Tom Ellison', 'Leeds')")
    wb.sql.add_connection("finance", "crm", f"sqlite:///{crm}", make_default=True)
    note = b"Meera Krishnaswamy called from Coimbatore about the invoice. Tom Ellison was copied."
    (result,) = wb.workspace("finance").ingest([Upload("call-note.txt", note)])
    assert result.status == "ingested"
    links = {key: wb.graph.entity("finance", key).properties["db_links"]
             for key in ("meera krishnaswamy", "coimbatore", "tom ellison")}
    assert links["meera krishnaswamy"] == [{"table": "clients", "column": "full_name", "key_column": "client_id", "key_value": "41"}]
    assert links["tom ellison"] == [{"table": "clients", "column": "full_name", "key_column": "client_id", "key_value": "42"}]
    assert links["coimbatore"] == [{"table": "clients", "column": "town", "key_column": "client_id", "key_value": "41"}]


def test_graph_ranking_leaves_out_documents_that_are_not_indexed(small_workbench):
    from sqlalchemy import update

    from core.metadata import documents
    from core.retrieval import SearchFilters

    wb = small_workbench
    first, *_ = ingest(wb, prefixes=COMPLAINTS[:1])
    name = next(n.name for n in wb.graph.document_subgraph("default", first).nodes)
    retriever = wb.retriever
    assert any(i.startswith(first) for i, _ in retriever._graph("default", name, 20, SearchFilters()))
    with wb.metadata.begin() as conn:  # as while it is being re-indexed or deleted
        conn.execute(update(documents).where(documents.c.id == first).values(status="indexing"))
    try:
        assert not any(i.startswith(first) for i, _ in retriever._graph("default", name, 20, SearchFilters()))
    finally:
        with wb.metadata.begin() as conn:
            conn.execute(update(documents).where(documents.c.id == first).values(status="indexed"))
