"""The demo company's documents in the graph: entities found, linked to the demo database, traversable.

Expected values are computed from the demo database with plain SQL, never written down here.
"""

from __future__ import annotations

import datetime as dt

from core.graph import normalize as norm
from core.graph.normalize import entity_key
from core.graph.retrieval import GraphRetriever
from tests.support.graph_demo import DEMO_TODAY


def retriever(workbench) -> GraphRetriever:
    return GraphRetriever(workbench.graph, workbench.entity_extractor, metadata=workbench.metadata)


def links_of(workbench, key: str) -> set[tuple[str, str, str, str]]:
    node = workbench.graph.entity("default", key)
    return {(l["table"], l["column"], l["key_column"], l["key_value"]) for l in node.properties["db_links"]}




def test_complaining_customers_their_products_and_cities_are_linked_to_their_rows(demo_workbench, demo_db):
    complaints = demo_db.execute(
        "SELECT c.customer_id, cu.name, cu.city, oi.product_id, p.name FROM complaints c "
        "JOIN customers cu ON cu.customer_id = c.customer_id JOIN order_items oi ON oi.order_id = c.order_id "
        "JOIN products p ON p.product_id = oi.product_id").fetchall()
    assert complaints
    expected: dict[tuple[str, str], set] = {}
    for customer_id, customer, city, product_id, product in complaints:
        expected.setdefault((entity_key(customer), norm.PERSON), set()).add(("customers", "name", "customer_id", str(customer_id)))
        expected.setdefault((entity_key(product), norm.PRODUCT), set()).add(("products", "name", "product_id", str(product_id)))
        expected.setdefault((entity_key(city), norm.PLACE), set()).add(("customers", "city", "city", city))
    for (key, etype), links in expected.items():
        node = demo_workbench.graph.entity("default", key)
        assert node.type == etype, node
        assert links <= {(l["table"], l["column"], l["key_column"], l["key_value"]) for l in node.properties["db_links"]}


def test_every_link_points_at_a_row_that_holds_the_name(demo_workbench, demo_db):
    stats = demo_workbench.graph.stats("default", top=60)
    checked = 0
    for node, _degree in stats.top_entities:
        for table, column, key_column, key_value in links_of(demo_workbench, node.key):
            assert {table, column, key_column} <= {"customers", "products", "deliveries", "name", "city", "country",
                                                   "carrier", "customer_id", "product_id"}
            held = demo_db.execute(f"SELECT {column} FROM {table} WHERE {key_column} = ?", (key_value,)).fetchall()
            assert held and all(entity_key(value) == node.key for (value,) in held), (node, table, key_value)
            checked += 1
    assert checked > 20


def late_delivery_complaints_last_month(demo_db) -> dict[int, tuple[int, set[int]]]:
    """complaint id -> (customer id, product ids of the complained order), by plain SQL."""
    first_of_month = DEMO_TODAY.replace(day=1)
    start = (first_of_month - dt.timedelta(days=1)).replace(day=1)
    rows = demo_db.execute(
        "SELECT c.complaint_id, c.customer_id, oi.product_id FROM complaints c "
        "JOIN order_items oi ON oi.order_id = c.order_id "
        "WHERE c.category = 'late delivery' AND c.complaint_date >= ? AND c.complaint_date < ?",
        (start.isoformat(), first_of_month.isoformat())).fetchall()
    answer: dict[int, tuple[int, set[int]]] = {}
    for complaint_id, customer_id, product_id in rows:
        answer.setdefault(complaint_id, (customer_id, set()))[1].add(product_id)
    return answer


def test_customers_who_complained_about_delivery_last_month_and_their_products_by_traversal(demo_workbench, demo_db):
    """complaint document -> customer entity -> customers row; -> product entities -> products rows."""
    expected = late_delivery_complaints_last_month(demo_db)
    assert len(expected) >= 2
    documents = {d.filename: d.id for d in demo_workbench.workspace().documents()}
    graph = retriever(demo_workbench)
    found: dict[int, tuple[set[str], set[str]]] = {}
    for complaint_id in expected:
        # the demo names each complaint's email or call transcript after the complaint reference
        (filename,) = [f for f in documents if f.split("-")[2:3] == [f"{complaint_id:04d}"]]
        rows = graph.linked_rows("default", documents[filename])
        customers = {r.ref.key_value for r in rows if (r.ref.table, r.ref.column) == ("customers", "name")}
        products = {r.ref.key_value for r in rows if (r.ref.table, r.ref.column) == ("products", "name")}
        found[complaint_id] = (customers, products)
    assert found == {cid: ({str(customer)}, {str(p) for p in products}) for cid, (customer, products) in expected.items()}


def test_graph_evidence_for_the_question_covers_every_customer_the_database_names(demo_workbench, demo_db):
    expected = late_delivery_complaints_last_month(demo_db)
    names = [demo_db.execute("SELECT name FROM customers WHERE customer_id = ?", (customer,)).fetchone()[0]
             for customer, _ in expected.values()]
    question = "Which customers complained about delivery last month and what products did they order?"
    evidence = retriever(demo_workbench).evidence("default", question, extra_names=names, limit=len(names) * 2)
    assert {node.key for node in evidence.entities} >= {entity_key(n) for n in names}
    cited = evidence.cited_facts()
    titles = {d.title for d in demo_workbench.workspace().documents()}
    for name in names:
        about = [(fact, text, title) for fact, text, title in cited if entity_key(name) in (fact.subject_key, fact.object_key)]
        assert about, f"no fact about {name}"
        fact, text, title = about[0]
        text = " ".join(text.split())
        assert name in text and fact.subject in text and fact.object in text and title in titles


def test_question_entities_are_found_from_lower_case_and_misspelt_names(demo_workbench, demo_db):
    graph = retriever(demo_workbench)
    customer, city = demo_db.execute(
        "SELECT cu.name, cu.city FROM complaints c JOIN customers cu USING (customer_id) ORDER BY c.complaint_id").fetchone()
    first, last = customer.lower().split()
    misspelt = f"what did {first} {last}{last[-1]} complain about"
    assert entity_key(customer) in [n.key for n in graph.entities_in("default", misspelt)]
    found = [n.key for n in graph.entities_in("default", f"orders from {city.lower()} by {customer}")]
    assert set(found[:2]) == {entity_key(customer), entity_key(city)}
    assert graph.entities_in("default", "what is the meaning of all this?") == []


def test_ranked_chunks_are_the_chunks_that_mention_the_entity(demo_workbench, demo_db):
    graph = retriever(demo_workbench)
    (customer,) = demo_db.execute(
        "SELECT cu.name FROM complaints c JOIN customers cu USING (customer_id) ORDER BY c.complaint_id").fetchone()
    ranked = graph.ranked_chunks("default", f"Tell me about {customer}", 20)
    mentioning = demo_workbench.graph.chunks_for_entities("default", [entity_key(customer)], limit=50)
    assert mentioning and {c.chunk_id for c in mentioning} <= {cid for cid, _ in ranked}
    top = {cid for cid, _ in ranked[:len(mentioning)]}
    assert top == {c.chunk_id for c in mentioning}  # the entity's own chunks outrank its neighbours'
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    # the company is named in nearly every document: a hub cannot rank chunks, so it adds none
    assert graph.ranked_chunks("default", "Kaveri Retail", 20) == []


def test_hybrid_search_fuses_graph_chunks_and_respects_filters(demo_workbench, demo_db):
    from core.retrieval import Retriever, SearchFilters

    wb = demo_workbench
    (customer, filename) = next(
        (name, f) for (name,) in demo_db.execute(
            "SELECT cu.name FROM complaints c JOIN customers cu USING (customer_id) WHERE c.channel = 'call' "
            "ORDER BY c.complaint_id")
        for f in [d.filename for d in wb.workspace().documents()] if entity_key(name).replace(" ", "-") in f)
    with_graph = Retriever(wb.metadata, wb.embedder, wb.vectors, wb.keyword, graph=retriever(wb))
    question = f"{customer.lower()} parcel"
    hits = with_graph.search("default", question, k=3, mode="hybrid")
    assert filename in {wb.workspace().document(h.chunk.document_id).filename for h in hits}
    graph_documents = {cid.split(":")[0] for cid, _ in retriever(wb).ranked_chunks("default", question, 20)}
    assert filename in {wb.workspace().document(d).filename for d in graph_documents}
    # the transcript is text: a filter for emails (markdown) must keep its graph chunks out too
    only_md = with_graph.search("default", question, k=5, mode="hybrid", filters=SearchFilters(doc_types=("markdown",)))
    assert only_md and all(wb.workspace().document(h.chunk.document_id).doc_type == "markdown" for h in only_md)


def test_entity_details_and_rendered_html_show_the_neighbourhood(demo_workbench, demo_db):
    from core.graph.render import render_subgraph_html

    (city,) = demo_db.execute("SELECT city FROM customers GROUP BY city ORDER BY COUNT(*) DESC").fetchone()
    details = retriever(demo_workbench).entity_details("default", entity_key(city), facts=5, passages=3)
    assert details.node.name == city and details.node.properties["mentions"] >= len(details.passages) > 0
    assert all(city.lower() in p.text.lower() for p in details.passages)
    assert details.facts and all(city in (f.fact.subject, f.fact.object) for f in details.facts)
    subgraph = demo_workbench.graph.neighbors("default", entity_key(city), 1, limit_nodes=12)
    page = render_subgraph_html(subgraph, highlight_key=entity_key(city))
    for node in subgraph.nodes:
        assert f'"id": "{node.key}"' in page and f'"label": "{node.name}"' in page
    assert "truncated" in page if subgraph.truncated else "truncated" not in page


def test_without_the_metadata_store_evidence_comes_from_the_graph_itself(demo_workbench, demo_db):
    (customer,) = demo_db.execute(
        "SELECT cu.name FROM complaints c JOIN customers cu USING (customer_id) ORDER BY c.complaint_id").fetchone()
    bare = GraphRetriever(demo_workbench.graph, demo_workbench.entity_extractor)  # as built with two arguments
    cited = bare.evidence("default", f"What happened to {customer}?").facts
    assert cited
    for item in cited:
        text = " ".join(item.evidence_text.split())  # names may span a line break in the passage
        assert text and item.fact.subject in text and item.fact.object in text
        assert item.evidence_title == f"document {item.document_id[:8]}"
