"""Extraction without an LLM: the real spaCy model, a gazetteer read from a real SQLite database."""

from __future__ import annotations

import sqlite3

import pytest

from core.graph.extraction import ExtractionResult, Gazetteer, GazetteerEntry, write_extraction
from core.graph.normalize import clean_surface, entity_key, is_plausible
from core.graph.store import AMOUNT, DATED, MENTIONED_WITH, DbRef, EntityRecord

COMPLAINT = "Priya Raman from Chennai complained that her Tanjore Brass Lamp from order #1042 arrived late."


@pytest.fixture
def retail_db(tmp_path):
    """A small shop database: the low-cardinality text columns a gazetteer is built from."""
    path = tmp_path / "retail.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name TEXT, city TEXT);
            CREATE TABLE products (product_id INTEGER PRIMARY KEY, name TEXT);
            INSERT INTO customers VALUES (1, 'Priya Raman', 'Chennai'), (2, 'Arjun Nair', 'Kochi'),
                                         (3, 'Meera Iyer', 'Chennai');
            INSERT INTO products VALUES (7, 'Tanjore Brass Lamp'), (8, 'Kerala Teak Elephant'), (9, 'Mug');
            """
        )
    return path


def gazetteer_from(db_path) -> Gazetteer:
    with sqlite3.connect(db_path) as db:
        products = Gazetteer.from_column(
            entity_type="PRODUCT", table="products", column="name", key_column="product_id",
            rows=db.execute("SELECT product_id, name FROM products").fetchall(),
        )
        cities = Gazetteer.from_column(
            entity_type="PLACE", table="customers", column="city", key_column="customer_id",
            rows=db.execute("SELECT customer_id, city FROM customers").fetchall(),
        )
    return products.merged(cities)


def relation_set(result: ExtractionResult) -> set[tuple[str, str, str]]:
    return {(r.source_key, r.target_key, r.type) for r in result.relations}


@pytest.mark.parametrize(
    "variants, key",
    [
        (["Acme Corp", "Acme Corporation", "ACME Corp.", "ACME Corporation's", "the Acme Company"], "acme"),
        (["Ms. Raman", "Raman's", "RAMAN"], "raman"),
        (["Zürich", "Zurich"], "zurich"),
        (["Tata Sons Pvt. Ltd.", "Tata Sons Private Limited"], "tata sons"),
        (["Smith & Co", "Smith and Co."], "smith"),
    ],
)
def test_name_variants_share_one_key(variants, key):
    assert {entity_key(v) for v in variants} == {key}


def test_keys_keep_what_distinguishes_names():
    assert entity_key("$2 million") != entity_key("€2 million")
    assert entity_key("Acme Labs") != entity_key("Acme")
    assert clean_surface("  the “Globex Inc.”'s ") == "Globex Inc."
    assert not is_plausible("Tuesday", "DATE") and is_plausible("3 March 2024", "DATE")
    assert not is_plausible("order #1042", "MONEY") and is_plausible("$2 million", "MONEY")
    assert not is_plausible("python", "ORG") and is_plausible("Python", "ORG")


def test_ner_finds_people_places_organisations_and_dates(extractor):
    result = extractor.extract([("c1", "Rahul Mehta of Mumbai said the parcel from Flipkart arrived on 12 March 2024.")])
    types = {e.key: e.type for e in result.entities}
    assert types == {"rahul mehta": "PERSON", "mumbai": "PLACE", "flipkart": "ORG", "12 march 2024": "DATE"}
    assert result.mentions == {"c1": ("rahul mehta", "mumbai", "flipkart", "12 march 2024")}
    assert ("mumbai", "rahul mehta", MENTIONED_WITH) in relation_set(result)
    assert ("rahul mehta", "12 march 2024", DATED) in relation_set(result)
    assert result.links == ()


def test_gazetteer_finds_products_ner_misses_and_links_them_to_rows(extractor, retail_db):
    without = extractor.extract([("c1", COMPLAINT)])
    assert without.entity("tanjore brass lamp") is None  # NER alone misses the product...
    assert without.entity("chennai").type == "ORG"  # ...and mistypes the city

    result = extractor.extract([("c1", COMPLAINT)], gazetteer=gazetteer_from(retail_db))
    assert result.entity("priya raman").type == "PERSON"
    assert result.entity("tanjore brass lamp") == EntityRecord("tanjore brass lamp", "Tanjore Brass Lamp", "PRODUCT")
    assert result.entity("chennai").type == "PLACE"
    assert {(link.entity_key, link.ref) for link in result.links} == {
        ("tanjore brass lamp", DbRef("products", "name", "product_id", "7")),
        ("chennai", DbRef("customers", "city", "customer_id", "1")),
        ("chennai", DbRef("customers", "city", "customer_id", "3")),
    }
    assert relation_set(result) == {
        ("priya raman", "tanjore brass lamp", MENTIONED_WITH),
        ("chennai", "priya raman", MENTIONED_WITH),
        ("chennai", "tanjore brass lamp", MENTIONED_WITH),
    }


def test_gazetteer_matches_ignore_case_and_win_over_overlapping_ner(extractor):
    gazetteer = Gazetteer((GazetteerEntry("Chettinad Cotton Saree", "PRODUCT", (DbRef("products", "name", "id", "4"),)),))
    result = extractor.extract(
        [("c1", "On Tuesday, Rahul Mehta of Mumbai said the chettinad cotton saree was lovely.")], gazetteer=gazetteer
    )
    saree = result.entity("chettinad cotton saree")
    assert (saree.name, saree.type) == ("Chettinad Cotton Saree", "PRODUCT")
    assert not any(e.type == "ORG" and "saree" in e.key for e in result.entities)
    assert ("chettinad cotton saree", "rahul mehta", MENTIONED_WITH) in relation_set(result)


def test_written_variants_merge_into_one_entity_with_aliases(extractor):
    result = extractor.extract([(
        "c1",
        "Acme Corp signed a $2 million deal with ACME Corporation's rival Globex Inc. in Berlin on March 3, 2024. "
        "Later, Acme Corporation hired John Smith.",
    )])
    acme = result.entity("acme")
    assert acme.type == "ORG" and acme.name == "Acme Corp"
    assert set(acme.aliases) == {"ACME Corporation", "Acme Corporation"}
    assert [e.key for e in result.entities].count("acme") == 1
    assert ("acme", "dollar 2 million", AMOUNT) in relation_set(result)
    assert ("acme", "john smith", MENTIONED_WITH) in relation_set(result)


def test_a_surname_alone_joins_the_only_full_name_it_ends(extractor):
    result = extractor.extract([("c1", COMPLAINT), ("c2", "Ms. Raman asked Flipkart for a refund.")])
    priya = result.entity("priya raman")
    assert "Raman" in priya.aliases and result.entity("raman") is None
    assert result.mentions["c2"] == ("priya raman", "flipkart")
    assert ("flipkart", "priya raman", MENTIONED_WITH) in relation_set(result)


def test_dates_and_money_attach_only_to_named_things_in_their_sentence(extractor):
    result = extractor.extract([(
        "c1", "Priya Raman paid on 3 March 2024. The courier lost it on 5 March 2024 and refunded $40 later.",
    )])
    types = {e.key: e.type for e in result.entities}
    assert types["3 march 2024"] == "DATE" and types["5 march 2024"] == "DATE"
    assert relation_set(result) == {("priya raman", "3 march 2024", DATED)}
    for relation in result.relations:
        assert types[relation.source_key] in {"PERSON", "ORG", "PLACE", "PRODUCT"}


def test_cooccurrence_weight_counts_sentences_per_chunk(extractor, retail_db):
    gazetteer = gazetteer_from(retail_db)
    result = extractor.extract(
        [
            ("c1", "The Kerala Teak Elephant was shipped from Kochi. Kochi customers love the Kerala Teak Elephant."),
            ("c2", "A Kerala Teak Elephant reached Kochi again."),
        ],
        gazetteer=gazetteer,
    )
    (relation,) = [r for r in result.relations if r.type == MENTIONED_WITH]
    assert (relation.source_key, relation.target_key) == ("kerala teak elephant", "kochi")
    assert dict(zip(relation.evidence, relation.weights)) == {"c1": 2.0, "c2": 1.0}
    assert relation.weight == 3.0


def test_crowded_sentences_do_not_relate_everything(extractor):
    names = [f"Widget {word}" for word in (
        "Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Juliet", "Kilo", "Lima",
        "Mike", "November", "Oscar")]
    gazetteer = Gazetteer(tuple(GazetteerEntry(name, "PRODUCT") for name in names))
    result = extractor.extract([("c1", "The catalogue lists " + ", ".join(names) + ".")], gazetteer=gazetteer)
    assert len(result.entities) == len(names)
    assert result.relations == ()


def test_gazetteer_from_column_merges_rows_and_skips_unusable_names():
    gazetteer = Gazetteer.from_column(
        entity_type="PLACE", table="customers", column="city", key_column="id",
        rows=[(1, "Chennai"), (2, "chennai "), (3, "NY"), (4, None), (5, "1042"), (6, "Kochi")],
    )
    assert [(e.name, len(e.refs)) for e in gazetteer.entries] == [("Chennai", 2), ("Kochi", 1)]
    assert len(gazetteer.merged(gazetteer)) == 4


def test_empty_input_gives_an_empty_result(extractor):
    assert extractor.extract([]) == ExtractionResult()
    assert extractor.extract([("c1", "")]).entities == ()


def test_extraction_written_to_the_graph_supports_traversal_and_clean_deletion(extractor, retail_db, ladybug_store):
    chunks = [("c1", COMPLAINT), ("c2", "Ms. Raman said the courier from Kochi was polite.")]
    result = extractor.extract(chunks, gazetteer=gazetteer_from(retail_db))
    ladybug_store.upsert_document("w", "complaint-1", "Complaint")
    ladybug_store.upsert_chunks("w", "complaint-1", [(cid, text, i) for i, (cid, text) in enumerate(chunks)])
    write_extraction(ladybug_store, "w", result)
    write_extraction(ladybug_store, "w", result)  # rebuilding is idempotent

    around = ladybug_store.neighbors("w", "chennai", 2, limit_nodes=20)
    assert {"priya raman", "tanjore brass lamp", "kochi"} <= {n.key for n in around.nodes}
    lamp = ladybug_store.entity("w", "tanjore brass lamp")
    assert lamp.properties["db_links"] == [
        {"table": "products", "column": "name", "key_column": "product_id", "key_value": "7"}]
    (fact,) = [f for f in ladybug_store.facts("w", "kochi") if "priya raman" in (f.subject_key, f.object_key)]
    assert fact.evidence == ("c2",) and fact.weight == 1.0

    assert ladybug_store.delete_document("w", "complaint-1")
    stats = ladybug_store.stats("w")
    assert (stats.entities, stats.relations, stats.chunks, stats.mentions) == (0, 0, 0, 0)


def test_mentions_stop_at_line_breaks_and_amounts_are_money():
    from core.graph import normalize as norm

    assert norm.first_line("Farhan\nComplaint reference") == "Farhan"
    assert norm.corrected_type("INR 540.00", norm.ORG) == norm.MONEY
    assert norm.corrected_type("Kaveri Retail", norm.ORG) == norm.ORG
    assert not norm.is_plausible("Subject", norm.ORG)


def test_text_longer_than_spacy_accepts_is_read_in_pieces(extractor):
    # spaCy refuses a text over nlp.max_length with a ValueError that used to fail the whole
    # file; a lower limit on the real pipeline shows the same with a short text.
    nlp = extractor.nlp
    saved = nlp.max_length
    text = "Priya Raman visited Chennai in March. " + "The parcel was late. " * 200 + "Arjun Nair flew to Kochi."
    nlp.max_length = 1000
    try:
        result = extractor.extract([("c1", text)])
    finally:
        nlp.max_length = saved

    assert len(text) > 4 * 1000
    assert {"priya raman", "arjun nair"} <= {entity.key for entity in result.entities}
    assert {"priya raman", "arjun nair"} <= set(result.mentions["c1"])
