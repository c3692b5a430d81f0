"""The GraphStore contract: every backend (LadybugDB always, Neo4j when NEO4J_URI is set) passes it."""

from __future__ import annotations

import pytest

from core.errors import BackendUnavailable, InvalidInput, NotFound
from core.graph.store import AMOUNT, DATED, MENTIONED_WITH, EntityRecord, GraphStore, RelationRecord

PRIYA = EntityRecord("priya raman", "Priya Raman", "PERSON", ("Raman",))
CHENNAI = EntityRecord("chennai", "Chennai", "PLACE")
LAMP = EntityRecord("tanjore brass lamp", "Tanjore Brass Lamp", "PRODUCT")
ACME = EntityRecord("acme", "Acme Corp", "ORG", ("ACME Corp.",))
MARCH = EntityRecord("march 3 2024", "March 3, 2024", "DATE")


def load_complaints(store: GraphStore, ws: str) -> None:
    """Two documents: d1 (c1, c2) and d2 (c3). Priya and the lamp appear in both."""
    store.upsert_document(ws, "d1", "Complaint from Priya")
    store.upsert_chunks(ws, "d1", [("c1", "Priya Raman from Chennai: lamp late.", 0), ("c2", "Acme Corp shipped on March 3.", 1)])
    store.upsert_document(ws, "d2", "Follow-up")
    store.upsert_chunks(ws, "d2", [("c3", "Priya Raman got a new Tanjore Brass Lamp.", 0)])
    store.upsert_entities(ws, [PRIYA, CHENNAI, LAMP, ACME, MARCH])
    store.add_mentions(ws, "c1", ["priya raman", "chennai", "tanjore brass lamp"])
    store.add_mentions(ws, "c2", ["acme", "march 3 2024"])
    store.add_mentions(ws, "c3", ["priya raman", "tanjore brass lamp"])
    store.add_relations(ws, [
        RelationRecord("chennai", "priya raman", MENTIONED_WITH, ("c1",)),
        RelationRecord("priya raman", "tanjore brass lamp", MENTIONED_WITH, ("c1", "c3"), (2.0, 1.0)),
        RelationRecord("acme", "march 3 2024", DATED, ("c2",)),
    ])


def keys(subgraph) -> set[str]:
    return {node.key for node in subgraph.nodes}


def test_every_backend_satisfies_the_protocol(store):
    assert isinstance(store, GraphStore)
    ok, detail = store.health()
    assert ok, detail


def test_upserts_are_idempotent(store, ws):
    load_complaints(store, ws)
    first = store.stats(ws)
    first_facts = store.facts(ws, "priya raman")
    load_complaints(store, ws)
    again = store.stats(ws)
    assert (again.documents, again.chunks, again.entities, again.relations, again.mentions) == (
        first.documents, first.chunks, first.entities, first.relations, first.mentions) == (2, 3, 5, 3, 7)
    assert store.facts(ws, "priya raman") == first_facts
    assert store.entity(ws, "acme").aliases == ("ACME Corp.",)


def test_entity_upsert_keeps_first_name_and_pools_aliases(store, ws):
    store.upsert_entities(ws, [ACME])
    store.upsert_entities(ws, [EntityRecord("acme", "Acme Corporation", "PRODUCT", ("ACME Corp.", "Acme Co"))])
    acme = store.entity(ws, "acme")
    assert (acme.name, acme.type) == ("Acme Corp", "ORG")
    assert acme.aliases == ("ACME Corp.", "Acme Corporation", "Acme Co")


def test_relation_evidence_adds_new_chunks_and_replaces_a_repeated_one(store, ws):
    load_complaints(store, ws)
    (lamp_fact,) = [f for f in store.facts(ws, "tanjore brass lamp") if f.subject_key == "priya raman"]
    assert lamp_fact.weight == 3.0 and set(lamp_fact.evidence) == {"c1", "c3"}
    store.add_relations(ws, [RelationRecord("priya raman", "tanjore brass lamp", MENTIONED_WITH, ("c3",), (4.0,))])
    (lamp_fact,) = [f for f in store.facts(ws, "tanjore brass lamp") if f.subject_key == "priya raman"]
    assert lamp_fact.weight == 6.0  # c1 keeps 2, c3 is replaced by 4


def test_neighbors_depth_one_and_two(store, ws):
    load_complaints(store, ws)
    one = store.neighbors(ws, "chennai", 1, limit_nodes=50)
    assert keys(one) == {"chennai", "priya raman"}
    assert {(e.source, e.target) for e in one.edges} == {("chennai", "priya raman")}
    assert not one.truncated
    two = store.neighbors(ws, "chennai", 2, limit_nodes=50)
    assert keys(two) == {"chennai", "priya raman", "tanjore brass lamp"}
    assert {node.key: node.properties["hops"] for node in two.nodes} == {
        "chennai": 0, "priya raman": 1, "tanjore brass lamp": 2}
    assert {(e.source, e.target) for e in two.edges} == {("chennai", "priya raman"), ("priya raman", "tanjore brass lamp")}
    lamp_edge = next(e for e in two.edges if e.target == "tanjore brass lamp")
    assert lamp_edge.weight == 3.0 and set(lamp_edge.evidence) == {"c1", "c3"}


def test_neighbors_type_filter_applies_to_every_hop(store, ws):
    load_complaints(store, ws)
    assert keys(store.neighbors(ws, "chennai", 2, limit_nodes=50, types=["PRODUCT"])) == {"chennai"}
    assert keys(store.neighbors(ws, "priya raman", 1, limit_nodes=50, types=["PRODUCT"])) == {
        "priya raman", "tanjore brass lamp"}


def test_neighbors_truncates_to_the_strongest_and_says_so(store, ws):
    store.upsert_document(ws, "d", "hub")
    store.upsert_chunks(ws, "d", [(f"c{i}", f"text {i}", i) for i in range(6)])
    leaves = [EntityRecord(f"leaf {i}", f"Leaf {i}", "ORG") for i in range(6)]
    store.upsert_entities(ws, [EntityRecord("hub", "Hub", "ORG"), *leaves])
    store.add_relations(ws, [
        RelationRecord("hub", leaf.key, MENTIONED_WITH, (f"c{i}",), (float(i + 1),)) for i, leaf in enumerate(leaves)
    ])
    capped = store.neighbors(ws, "hub", 1, limit_nodes=3)
    assert capped.truncated
    assert keys(capped) == {"hub", "leaf 5", "leaf 4"}  # the two heaviest relations
    whole = store.neighbors(ws, "hub", 1, limit_nodes=7)
    assert not whole.truncated and len(whole.nodes) == 7
    # depth 2 with the cap already reached by hop 1: still truncated, never over the cap
    assert store.neighbors(ws, "leaf 0", 2, limit_nodes=2).truncated
    assert len(store.neighbors(ws, "leaf 0", 2, limit_nodes=2).nodes) == 2


def test_neighbors_rejects_unknown_entities_and_bad_depth(store, ws):
    load_complaints(store, ws)
    with pytest.raises(NotFound):
        store.neighbors(ws, "nobody", 1, limit_nodes=10)
    with pytest.raises(InvalidInput):
        store.neighbors(ws, "chennai", 3, limit_nodes=10)
    with pytest.raises(InvalidInput):
        store.neighbors(ws, "chennai", 1, limit_nodes=0)


def test_delete_document_leaves_no_orphans_but_keeps_what_other_documents_support(store, ws):
    load_complaints(store, ws)
    store.link_entity_to_row(ws, "acme", "suppliers", "name", "supplier_id", 3)
    assert store.delete_document(ws, "d1") is True

    stats = store.stats(ws)
    assert (stats.documents, stats.chunks, stats.mentions) == (1, 1, 2)
    assert stats.entities == 2 and stats.entities_by_type == {"PERSON": 1, "PRODUCT": 1}
    for gone in ("chennai", "acme", "march 3 2024"):  # only d1 mentioned them
        with pytest.raises(NotFound):
            store.entity(ws, gone)
    assert stats.relations == 1  # Priya-lamp survives on c3's evidence, the others had only d1's
    (fact,) = store.facts(ws, "priya raman")
    assert (fact.object_key, fact.weight, fact.evidence) == ("tanjore brass lamp", 1.0, ("c3",))
    assert [c.chunk_id for c in store.chunks_for_entities(ws, ["priya raman", "chennai"])] == ["c3"]
    assert store.delete_document(ws, "d1") is False

    store.delete_document(ws, "d2")
    empty = store.stats(ws)
    assert (empty.documents, empty.chunks, empty.entities, empty.relations, empty.mentions) == (0, 0, 0, 0, 0)


def test_reingesting_a_deleted_document_rebuilds_the_same_graph(store, ws):
    load_complaints(store, ws)
    before = store.stats(ws)
    store.delete_document(ws, "d1")
    store.delete_document(ws, "d2")
    load_complaints(store, ws)
    after = store.stats(ws)
    assert (after.documents, after.chunks, after.entities, after.relations, after.mentions) == (
        before.documents, before.chunks, before.entities, before.relations, before.mentions)


def test_workspaces_are_isolated(store, ws, other_ws):
    load_complaints(store, ws)
    store.upsert_document(other_ws, "d1", "Same id, other workspace")
    store.upsert_chunks(other_ws, "d1", [("c1", "Acme Corp only.", 0)])
    store.upsert_entities(other_ws, [EntityRecord("acme", "Acme Corp", "ORG")])
    store.add_mentions(other_ws, "c1", ["acme"])
    assert store.stats(other_ws).entities == 1
    assert [n.key for n in store.find_entities(other_ws, "priya")] == []
    with pytest.raises(NotFound):
        store.neighbors(other_ws, "priya raman", 1, limit_nodes=10)

    store.delete_document(other_ws, "d1")
    assert store.stats(other_ws).entities == 0
    assert store.stats(ws).entities == 5 and store.entity(ws, "acme").properties["mentions"] == 1

    store.clear_workspace(ws)
    assert store.stats(ws).documents == 0


def test_stats_count_types_and_rank_entities_by_degree(store, ws):
    load_complaints(store, ws)
    stats = store.stats(ws, top=2)
    assert stats.entities_by_type == {"DATE": 1, "ORG": 1, "PERSON": 1, "PLACE": 1, "PRODUCT": 1}
    assert [(node.key, degree) for node, degree in stats.top_entities] == [("priya raman", 2), ("acme", 1)]


def test_facts_are_readable_triples_with_evidence(store, ws):
    load_complaints(store, ws)
    store.upsert_entities(ws, [EntityRecord("inr 1200", "INR 1,200", "MONEY")])
    store.add_relations(ws, [RelationRecord("tanjore brass lamp", "inr 1200", AMOUNT, ("c3",))])
    facts = store.facts(ws, "tanjore brass lamp")
    assert [f.text for f in facts] == [
        "Priya Raman is mentioned with Tanjore Brass Lamp",
        "Tanjore Brass Lamp is mentioned with the amount INR 1,200",
    ]
    assert facts[0].evidence and set(facts[0].evidence) <= {"c1", "c3"}
    assert len(store.facts(ws, "tanjore brass lamp", limit=1)) == 1
    assert store.facts(ws, "acme")[0].text == "Acme Corp is mentioned on March 3, 2024"


def test_find_entities_matches_names_and_aliases_prefix_first(store, ws):
    load_complaints(store, ws)
    store.upsert_entities(ws, [EntityRecord("kaman", "Kaman Raman", "PERSON")])
    # Priya Raman has an alias starting with "ram"; Kaman Raman only has a word starting with it
    assert [n.key for n in store.find_entities(ws, "RAM")] == ["priya raman", "kaman"]
    assert [n.key for n in store.find_entities(ws, "kam")] == ["kaman"]
    assert [n.key for n in store.find_entities(ws, "acme corp.")] == ["acme"]
    assert [n.key for n in store.find_entities(ws, "  lamp ")] == ["tanjore brass lamp"]
    assert store.find_entities(ws, "zzz") == [] and store.find_entities(ws, "") == []
    assert len(store.find_entities(ws, "a", limit=2)) == 2


def test_chunks_for_entities_rank_chunks_mentioning_more_of_them(store, ws):
    load_complaints(store, ws)
    chunks = store.chunks_for_entities(ws, ["priya raman", "chennai", "tanjore brass lamp"], limit=5)
    assert [c.chunk_id for c in chunks] == ["c1", "c3"]
    assert chunks[0].entity_keys == ("chennai", "priya raman", "tanjore brass lamp")
    assert (chunks[0].document_id, chunks[0].position, chunks[0].text) == ("d1", 0, "Priya Raman from Chennai: lamp late.")
    assert len(store.chunks_for_entities(ws, ["priya raman"], limit=1)) == 1


def test_document_subgraph_shows_what_the_document_supports(store, ws):
    load_complaints(store, ws)
    d2 = store.document_subgraph(ws, "d2", limit_nodes=10)
    assert keys(d2) == {"priya raman", "tanjore brass lamp"}
    (edge,) = d2.edges
    assert edge.evidence == ("c3",)
    d1 = store.document_subgraph(ws, "d1", limit_nodes=2)
    assert d1.truncated and len(d1.nodes) == 2
    with pytest.raises(NotFound):
        store.document_subgraph(ws, "missing", limit_nodes=10)


def test_document_subgraph_type_filter_is_applied_before_the_cap(store, ws):
    load_complaints(store, ws)
    # Five entities of equal weight in d1; the cap of 2 counts only the chosen types, as neighbors does.
    filtered = store.document_subgraph(ws, "d1", limit_nodes=2, types=["ORG", "DATE"])
    assert keys(filtered) == {"acme", "march 3 2024"} and not filtered.truncated
    (edge,) = filtered.edges
    assert (edge.source, edge.target) == ("acme", "march 3 2024")
    assert keys(store.document_subgraph(ws, "d1", limit_nodes=10, types=["MONEY"])) == set()


def test_entities_link_to_database_rows(store, ws):
    load_complaints(store, ws)
    store.link_entity_to_row(ws, "tanjore brass lamp", "products", "name", "product_id", 7)
    store.link_entity_to_row(ws, "tanjore brass lamp", "products", "name", "product_id", 7)
    store.link_entity_to_row(ws, "chennai", "customers", "city", "customer_id", "C-1")
    lamp = store.entity(ws, "tanjore brass lamp")
    assert lamp.properties["db_links"] == [
        {"table": "products", "column": "name", "key_column": "product_id", "key_value": "7"}]
    assert (lamp.properties["mentions"], lamp.properties["degree"]) == (2, 1)
    with pytest.raises(NotFound):
        store.link_entity_to_row(ws, "nobody", "products", "name", "product_id", 1)


def test_writes_that_name_missing_nodes_fail_and_write_nothing(store, ws):
    load_complaints(store, ws)
    with pytest.raises(NotFound, match="missing"):
        store.add_mentions(ws, "c1", ["chennai", "missing"])
    with pytest.raises(NotFound, match="Chunk"):
        store.add_mentions(ws, "no-such-chunk", ["chennai"])
    with pytest.raises(NotFound):
        store.add_relations(ws, [
            RelationRecord("chennai", "tanjore brass lamp", MENTIONED_WITH, ("c1",)),
            RelationRecord("chennai", "missing", MENTIONED_WITH, ("c1",)),
        ])
    with pytest.raises(NotFound):
        store.upsert_chunks(ws, "no-such-doc", [("c9", "text", 0)])
    stats = store.stats(ws)
    assert (stats.chunks, stats.relations, stats.mentions) == (3, 3, 7)
    with pytest.raises(InvalidInput):
        store.stats("")


def test_health_turns_false_after_close(store):
    store.close()
    ok, detail = store.health()
    assert not ok and detail


# -- what only the embedded store does: files on disk ---------------------------------------


def test_ladybug_graph_persists_across_reopening(tmp_path):
    from core.graph.ladybug_store import LadybugGraphStore
    from core.settings import GraphSettings

    settings = GraphSettings(backend="ladybug", path=tmp_path / "graph", neo4j_uri="", neo4j_user="", neo4j_password="")
    first = LadybugGraphStore.from_settings(settings)
    load_complaints(first, "w")
    first.close()
    reopened = LadybugGraphStore.from_settings(settings)
    assert reopened.stats("w").entities == 5
    assert (tmp_path / "graph").is_dir()
    reopened.close()


def test_ladybug_reports_an_unusable_path_as_backend_unavailable(tmp_path):
    from core.graph.ladybug_store import LadybugGraphStore

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the graph folder should be")
    with pytest.raises(BackendUnavailable, match="not-a-folder"):
        LadybugGraphStore(blocker)


def test_neo4j_unreachable_is_backend_unavailable_without_the_password():
    from core.graph.neo4j_store import Neo4jGraphStore

    with pytest.raises(BackendUnavailable) as caught:
        Neo4jGraphStore("bolt://127.0.0.1:9", "neo4j", "pa55-word-never-shown")
    message = str(caught.value)
    assert "127.0.0.1:9" in message and "pa55-word-never-shown" not in message


def test_neo4j_uri_with_credentials_is_never_echoed():
    from core.graph.neo4j_store import Neo4jGraphStore

    with pytest.raises(BackendUnavailable) as caught:
        Neo4jGraphStore("neo4j://admin:uri-secret@127.0.0.1:9", "neo4j", "other-secret")
    assert "uri-secret" not in str(caught.value) and "other-secret" not in str(caught.value)


def test_ladybug_graph_is_shared_by_two_processes(tmp_path):
    # The app, the Gradio endpoint and the CLI are separate processes on one data dir.
    import subprocess
    import sys

    from core.graph.ladybug_store import LadybugGraphStore
    from core.graph.store import EntityRecord

    store = LadybugGraphStore(tmp_path)
    store.upsert_entities("ws", [EntityRecord("priya raman", "Priya Raman", "PERSON")])
    script = (
        "from core.graph.ladybug_store import LadybugGraphStore\n"
        "from core.graph.store import EntityRecord\n"
        f"s = LadybugGraphStore({str(tmp_path)!r})\n"
        "s.upsert_entities('ws', [EntityRecord('arjun mehta', 'Arjun Mehta', 'PERSON')])\n"
        "print(sorted(n.name for n in s.find_entities('ws', 'a', limit=10)))\n"
    )
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    assert "Arjun Mehta" in child.stdout and "Priya Raman" in child.stdout
    assert {n.name for n in store.find_entities("ws", "a", limit=10)} == {"Priya Raman", "Arjun Mehta"}
    store.close()
