"""core/keyword.py: BM25 keyword search over a workspace's chunks, on the real pipeline.

Documents go in through the workspace handle (real parsing, chunking, embedding model, embedded
Chroma and the SQLite metadata store), and the workbench's keyword index is asked directly, so
what is tested is the ranking and the lifecycle of the index itself rather than hybrid fusion.
"""

from __future__ import annotations

from core.ingest.pipeline import Upload
from core.records import document_id_of

VOUCHERS = b"A late delivery earns a voucher. The voucher is 10% of the order. Vouchers never expire: use the voucher any time."
MENTION = b"Customers asked whether a voucher can be combined with a sale price. It cannot."
GRIDDLE = b"The pre-seasoned cast iron griddle is made for dosa and heats evenly on gas."


def ingest(ws, name: str, data: bytes) -> str:
    (result,) = ws.ingest([Upload(name, data)])
    assert result.status == "ingested", result
    return result.document_id


def documents_found(keyword, workspace: str, query: str, k: int = 10) -> list[str]:
    return [document_id_of(hit.chunk_id) for hit in keyword.search(workspace, query, k)]


def test_the_chunk_that_uses_the_word_most_ranks_first_and_only_matches_come_back(workbench):
    ws = workbench.workspace()
    vouchers, mention = ingest(ws, "vouchers.txt", VOUCHERS), ingest(ws, "questions.txt", MENTION)
    ingest(ws, "griddle.txt", GRIDDLE)
    hits = workbench.keyword.search(ws.name, "voucher", 10)
    assert [document_id_of(h.chunk_id) for h in hits] == [vouchers, mention]
    assert hits[0].score > hits[1].score > 0.0


def test_the_document_title_is_searched_with_the_text(workbench):
    ws = workbench.workspace()
    warranty = ingest(ws, "warranty-terms.txt", b"Repairs are free for the first year after purchase.")
    ingest(ws, "griddle.txt", GRIDDLE)
    assert documents_found(workbench.keyword, ws.name, "warranty") == [warranty]


def test_k_limits_the_hits_and_queries_with_nothing_to_match_find_nothing(workbench):
    ws = workbench.workspace()
    for i in range(4):
        ingest(ws, f"note-{i}.txt", f"Note {i}: the Chennai warehouse ships at {6 + i} am.".encode())
    keyword = workbench.keyword
    assert len(keyword.search(ws.name, "chennai warehouse", 2)) == 2
    assert len(keyword.search(ws.name, "chennai warehouse", 50)) == 4
    assert keyword.search(ws.name, "chennai", 0) == []
    assert keyword.search(ws.name, "zeppelin", 5) == []  # in no chunk
    assert keyword.search(ws.name, "the and of", 5) == []  # stop words only
    assert keyword.search(ws.name, "", 5) == []


def test_an_empty_workspace_finds_nothing(workbench):
    ws = workbench.workspace("empty")
    assert workbench.keyword.search(ws.name, "voucher", 5) == []


def test_a_deleted_document_is_never_found_and_the_others_still_are(workbench):
    ws = workbench.workspace()
    vouchers, mention = ingest(ws, "vouchers.txt", VOUCHERS), ingest(ws, "questions.txt", MENTION)
    assert documents_found(workbench.keyword, ws.name, "voucher") == [vouchers, mention]
    ws.delete_document(vouchers)
    assert documents_found(workbench.keyword, ws.name, "voucher") == [mention]
    ws.delete_document(mention)
    assert workbench.keyword.search(ws.name, "voucher", 5) == []


def test_rechunking_replaces_the_chunks_the_index_returns(workbench):
    ws = workbench.workspace()
    text = "\n\n".join(f"Section {i}. " + "Orders ship from the Chennai warehouse every morning. " * 8 for i in range(6))
    document = ingest(ws, "ops.txt", text.encode())
    before = {h.chunk_id for h in workbench.keyword.search(ws.name, "chennai", 100)}
    ws.reindex_document(document, chunk_tokens=60, chunk_overlap=10)
    after = {h.chunk_id for h in workbench.keyword.search(ws.name, "chennai", 100)}
    assert after == {c.id for c in ws.chunks(document)} and len(after) > len(before)


def test_each_workspace_has_its_own_index(workbench):
    a, b = workbench.workspace("team-a"), workbench.workspace("team-b")
    in_a = ingest(a, "vouchers.txt", VOUCHERS)
    in_b = ingest(b, "questions.txt", MENTION)
    assert documents_found(workbench.keyword, "team-a", "voucher") == [in_a]
    assert documents_found(workbench.keyword, "team-b", "voucher") == [in_b]
    a.delete_document(in_a)
    assert documents_found(workbench.keyword, "team-b", "voucher") == [in_b]


def test_a_dropped_index_is_rebuilt_from_the_chunks_on_the_next_search(workbench):
    ws = workbench.workspace()
    vouchers = ingest(ws, "vouchers.txt", VOUCHERS)
    before = workbench.keyword.search(ws.name, "voucher", 5)
    workbench.keyword.drop(ws.name)
    assert workbench.keyword.search(ws.name, "voucher", 5) == before
    assert [document_id_of(h.chunk_id) for h in before] == [vouchers]
