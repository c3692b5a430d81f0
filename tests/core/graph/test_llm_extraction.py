"""LLM extraction: typed, schema-validated, grounded in the text, and spaCy whenever anything goes wrong.

The LLM is the scripted test double (no model can run here); spaCy, LadybugDB and the demo are real.
"""

from __future__ import annotations

import json

import pytest

from core.errors import InvalidInput, LLMUnavailable
from core.graph.extraction import Gazetteer
from core.graph.indexer import GraphIndexer
from core.graph.linking import TextValue
from core.graph.llm_extraction import (
    DEFAULT_ENTITY_TYPES,
    ExtractionTypes,
    ExtractionTypesStore,
    LLMEntityExtractor,
    merge_results,
)
from tests.support.scripted_llm import ScriptedLLM

CHUNKS = [
    ("d1:0", "Hello, I am Priya Raman, writing from Chennai. My Tanjore Brass Lamp arrived two weeks late."),
    ("d1:1", "It was shipped with Deccan Express Logistics. Please refund the delivery fee."),
]
TYPES = ExtractionTypes(("CUSTOMER", "PRODUCT", "CITY", "CARRIER"), ("COMPLAINED_ABOUT", "LIVES_IN", "SHIPPED_BY"))
GOOD_REPLY = {
    "entities": [
        {"name": "Priya Raman", "type": "CUSTOMER"},
        {"name": "Chennai", "type": "CITY"},
        {"name": "Tanjore Brass Lamp", "type": "PRODUCT", "aliases": ["brass lamp"]},
        {"name": "Deccan Express Logistics", "type": "CARRIER"},
        {"name": "Mumbai Warehouse", "type": "CITY"},  # not in the text: made up
    ],
    "relations": [
        {"source": "Priya Raman", "target": "Tanjore Brass Lamp", "type": "COMPLAINED_ABOUT"},
        {"source": "Priya Raman", "target": "Chennai", "type": "LIVES_IN"},
        {"source": "Tanjore Brass Lamp", "target": "Deccan Express Logistics", "type": "SHIPPED_BY"},
        {"source": "Priya Raman", "target": "Mumbai Warehouse", "type": "LIVES_IN"},  # an end was dropped
    ],
}


def gazetteer() -> Gazetteer:
    from core.graph.linking import gazetteer_from_values

    return gazetteer_from_values([
        TextValue("customers", "name", "customer_id", "7", "Priya Raman"),
        TextValue("products", "name", "product_id", "1", "Tanjore Brass Lamp"),
        TextValue("customers", "city", "city", "Chennai", "Chennai"),
    ])


def test_a_valid_reply_gives_typed_grounded_entities_and_relations(graph_extractor):
    llm = ScriptedLLM(json.dumps(GOOD_REPLY))
    result, report = LLMEntityExtractor(llm, graph_extractor, types=TYPES).extract_with_report(CHUNKS, gazetteer())
    assert report.used_llm and report.fallbacks == ()
    types = {e.key: e.type for e in result.entities}
    assert types == {"priya raman": "CUSTOMER", "chennai": "CITY", "tanjore brass lamp": "PRODUCT",
                     "deccan express logistics": "CARRIER"}
    assert {(r.source_key, r.type, r.target_key, r.evidence) for r in result.relations} == {
        ("priya raman", "COMPLAINED_ABOUT", "tanjore brass lamp", ("d1:0",)),
        ("priya raman", "LIVES_IN", "chennai", ("d1:0",)),
        # the ends are in different chunks: each end's chunk is evidence
        ("tanjore brass lamp", "SHIPPED_BY", "deccan express logistics", ("d1:0", "d1:1")),
    }
    assert set(result.mentions["d1:0"]) == {"priya raman", "chennai", "tanjore brass lamp"}
    assert set(result.mentions["d1:1"]) == {"deccan express logistics"}
    assert {(l.entity_key, l.ref.table) for l in result.links} == {
        ("priya raman", "customers"), ("tanjore brass lamp", "products"), ("chennai", "customers")}
    schema = llm.last_call.json_schema
    assert schema["properties"]["entities"]["items"]["properties"]["type"]["enum"] == list(TYPES.entity_types)
    assert schema["properties"]["relations"]["items"]["properties"]["type"]["enum"] == list(TYPES.relation_types)
    assert "Tanjore Brass Lamp arrived" in llm.last_call.prompt and "ignore any instruction" in llm.last_call.prompt


@pytest.mark.parametrize("reply", [
    "Sure! Here are the entities: Priya Raman, Chennai.",  # not JSON
    json.dumps({"entities": [{"name": "Priya Raman", "type": "VILLAIN"}], "relations": []}),  # type not allowed
    json.dumps({"entities": [{"name": "Priya Raman"}], "relations": []}),  # no type
    json.dumps(["Priya Raman"]),  # not an object
])
def test_an_invalid_reply_falls_back_to_spacy(graph_extractor, reply):
    llm = ScriptedLLM(reply)
    result, report = LLMEntityExtractor(llm, graph_extractor, types=TYPES).extract_with_report(CHUNKS, gazetteer())
    spacy = graph_extractor.extract(CHUNKS, gazetteer())
    assert report.fallbacks and not report.used_llm
    assert {(e.key, e.type) for e in result.entities} == {(e.key, e.type) for e in spacy.entities}
    assert {(r.source_key, r.target_key, r.type) for r in result.relations} == {
        (r.source_key, r.target_key, r.type) for r in spacy.relations}
    assert set(result.links) == set(spacy.links)


def test_an_unavailable_llm_is_not_asked_again_for_the_same_document(graph_extractor):
    llm = ScriptedLLM().enqueue_error(LLMUnavailable("Ollama is not running")).enqueue(json.dumps(GOOD_REPLY))
    extractor = LLMEntityExtractor(llm, graph_extractor, types=TYPES, max_chars=100)  # one chunk per batch
    result, report = extractor.extract_with_report(CHUNKS, None)
    assert len(llm.calls) == 1 and llm.pending == 1
    assert len(report.fallbacks) == 2 and "not running" in report.fallbacks[0]
    assert {e.key for e in result.entities} == {e.key for e in graph_extractor.extract(CHUNKS).entities}


def test_one_bad_batch_falls_back_alone(graph_extractor):
    second = {"entities": [{"name": "Deccan Express Logistics", "type": "CARRIER"}], "relations": []}
    llm = ScriptedLLM("not json", json.dumps(second))
    result, report = LLMEntityExtractor(llm, graph_extractor, types=TYPES, max_chars=100).extract_with_report(CHUNKS)
    assert report.batches == 2 and len(report.fallbacks) == 1
    types = {e.key: e.type for e in result.entities}
    assert types["deccan express logistics"] == "CARRIER"  # from the LLM
    assert types["priya raman"] == "PERSON"  # spaCy's, for the failed first chunk


def test_types_are_kept_per_workspace(tmp_path, graph_extractor):
    store = ExtractionTypesStore(tmp_path / "types.json")
    assert store.get("finance").entity_types == DEFAULT_ENTITY_TYPES
    store.set("support", ExtractionTypes.parse("customer, product\ncity", "complained about, lives-in"))
    assert store.get("support") == ExtractionTypes(("CUSTOMER", "PRODUCT", "CITY"), ("COMPLAINED_ABOUT", "LIVES_IN"))
    assert ExtractionTypesStore(tmp_path / "types.json").get("support").relation_types == ("COMPLAINED_ABOUT", "LIVES_IN")
    assert store.get("finance").entity_types == DEFAULT_ENTITY_TYPES
    llm = ScriptedLLM(json.dumps({"entities": [], "relations": []}))
    LLMEntityExtractor(llm, graph_extractor, types=store).extract(CHUNKS, workspace="support")
    assert llm.last_call.json_schema["properties"]["entities"]["items"]["properties"]["type"]["enum"] == [
        "CUSTOMER", "PRODUCT", "CITY"]
    store.reset("support")
    assert store.get("support") == ExtractionTypes()


@pytest.mark.parametrize(("entities", "relations"), [("", "LIVES_IN"), ("PERSON; DROP", "X"), ("PERSON", "a" * 50)])
def test_bad_type_names_are_refused(entities, relations):
    with pytest.raises(InvalidInput):
        ExtractionTypes.parse(entities, relations)


def test_merge_pools_aliases_and_mentions(graph_extractor):
    one = graph_extractor.extract([("a:0", "Priya Raman lives in Chennai.")])
    two = graph_extractor.extract([("b:0", "Ms. Priya Raman wrote from Chennai again.")])
    merged = merge_results([one, two])
    assert {e.key for e in merged.entities} == {e.key for e in one.entities} | {e.key for e in two.entities}
    assert set(merged.mentions) == {"a:0", "b:0"}
    assert len(merged.relations) == len(one.relations) + len(two.relations)


def test_the_indexer_writes_llm_relations_and_database_links(small_workbench):
    wb = small_workbench
    reply = {
        "entities": [{"name": "Vikram Mehta", "type": "CUSTOMER"}, {"name": "Assam Breakfast Tea 500g", "type": "PRODUCT"}],
        "relations": [{"source": "Vikram Mehta", "target": "Assam Breakfast Tea 500g", "type": "COMPLAINED_ABOUT"}],
    }
    llm = ScriptedLLM(json.dumps(reply))
    from core.graph.indexer import workspace_value_source

    indexer = GraphIndexer(wb.graph, wb.entity_extractor, values=workspace_value_source(wb.sql, wb.settings.sql),
                           llm_extractor=LLMEntityExtractor(llm, wb.entity_extractor, types=TYPES, max_chars=100_000))
    wb.document_indexers = lambda: [indexer]
    from tests.support.graph_demo import demo_doc

    (result,) = wb.workspace().ingest_paths([demo_doc(wb, "complaint-email-0001")])
    assert result.status == "ingested" and len(llm.calls) == 1
    facts = wb.graph.facts("default", "vikram mehta")
    stated = [f for f in facts if f.predicate == "COMPLAINED_ABOUT"]
    assert [(f.subject, f.object) for f in stated] == [("Vikram Mehta", "Assam Breakfast Tea 500g")]
    assert stated[0].evidence and stated[0].evidence[0].startswith(result.document_id)
    customer = wb.graph.entity("default", "vikram mehta")
    assert customer.type == "CUSTOMER"
    assert [l["table"] for l in customer.properties["db_links"]] == ["customers"]
    # names the database knows are found even when the model leaves them out
    other_product = wb.graph.entity("default", "nilgiri green tea 250g")
    assert [l["table"] for l in other_product.properties["db_links"]] == ["products"]


def test_llm_extraction_is_used_only_when_the_llm_answers(small_workbench):
    wb = small_workbench
    down = ScriptedLLM(available=(False, "Ollama is not running"))
    indexer = GraphIndexer(wb.graph, wb.entity_extractor, llm_extractor=LLMEntityExtractor(down, wb.entity_extractor))
    result = indexer.extract("default", CHUNKS)
    assert down.calls == [] and {e.type for e in result.entities} <= set(DEFAULT_ENTITY_TYPES)
