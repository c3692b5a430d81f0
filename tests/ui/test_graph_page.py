"""The Knowledge Graph page in AppTest: empty state, hand-off from Chat, search, documents, cap, rebuild."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.support.graph_demo import demo_doc, generate_demo_into, graph_workbench

PAGE = "pages/knowledge_graph.py"


@pytest.fixture
def ingested_env(app_env, embedder):
    app_env = app_env / "data"
    """Three demo complaints in the default workspace's graph; the workbench closed before the app opens it."""
    generate_demo_into(app_env)
    wb = graph_workbench(app_env, embedder)
    wb.demo_summary = type("Demo", (), {"docs_dir": app_env / "demo" / "docs"})
    paths = [demo_doc(wb, p) for p in ("complaint-email-0001", "complaint-email-0002", "call-transcript-0007")]
    assert all(r.status == "ingested" for r in wb.workspace().ingest_paths(paths))
    neighbourhood = wb.graph.neighbors("default", "vikram mehta", 1)
    documents = {d.filename: d.id for d in wb.workspace().documents()}
    wb.close()
    return neighbourhood, documents


def open_page(**state) -> AppTest:
    """The page through app.py's navigation once the lead registers it there, directly until then."""
    registered = PAGE in (ROOT / "app.py").read_text(encoding="utf-8")
    at = AppTest.from_file(str(ROOT / ("app.py" if registered else PAGE)), default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if registered:
        at.switch_page(PAGE)
        at.run()
    return at


def graph_html(at: AppTest) -> str:
    frames = at.get("iframe")
    assert len(frames) == 1
    return frames[0].proto.srcdoc


def drawn_nodes(at: AppTest) -> list[dict]:
    """The nodes the page hands to vis-network."""
    found = re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", graph_html(at), re.DOTALL)
    assert found, "no vis-network node list in the page"
    return json.loads(found.group(1))


def test_an_empty_graph_says_what_to_do(app_env):
    at = open_page()
    assert not at.exception
    assert at.title[0].value == "Knowledge Graph"
    assert any("graph of this workspace is empty" in i.value for i in at.info)


def test_the_chat_hand_off_shows_the_entity_its_neighbours_facts_and_passages(ingested_env):
    neighbourhood, _ = ingested_env
    at = open_page(graph_entity_key="vikram mehta")
    assert not at.exception
    assert at.selectbox(key="graph_pick").value == "vikram mehta"
    assert {n["label"] for n in drawn_nodes(at)} == {node.name for node in neighbourhood.nodes}
    assert "aw-legend" in graph_html(at)
    assert at.subheader[0].value == "Vikram Mehta"
    labels = [e.label for e in at.expander]
    assert any(label.startswith("Vikram Mehta is mentioned with") or "is mentioned with Vikram Mehta" in label
               for label in labels)
    assert any("Database: `customers.name`" in m.value for m in at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Documents"] == "3" and int(metrics["Entities"]) > len(neighbourhood.nodes)


def test_search_depth_types_and_the_node_cap(ingested_env):
    at = open_page()
    at.text_input(key="graph_search").input("pune").run()
    assert not at.exception
    assert at.selectbox(key="graph_pick").value == "pune"
    at.radio(key="graph_depth").set_value(2).run()
    at.slider(key="graph_cap").set_value(10).run()
    assert not at.exception
    assert any("Showing the 10 strongest entities" in w.value for w in at.warning)
    assert len(drawn_nodes(at)) == 10
    at.slider(key="graph_cap").set_value(300)
    at.multiselect(key="graph_types").set_value(["PLACE"]).run()
    assert not at.exception and not at.warning
    nodes = drawn_nodes(at)
    assert "Pune" in {n["label"] for n in nodes} and "Vikram Mehta" not in {n["label"] for n in nodes}


def test_a_document_can_be_the_starting_point(ingested_env):
    _, documents = ingested_env
    at = open_page()
    at.radio(key="graph_source").set_value("Document").run()
    at.selectbox(key="graph_document").set_value(documents["call-transcript-0007-rachel-teo.txt"]).run()
    assert not at.exception
    labels = {n["label"] for n in drawn_nodes(at)}
    assert "Rachel Teo" in labels and "Vikram Mehta" not in labels


def test_rebuild_reports_progress_and_counts(ingested_env):
    at = open_page()
    at.button(key="graph_rebuild").click().run()
    assert not at.exception
    (done,) = [s.value for s in at.success]
    assert done.startswith("Graph rebuilt from 3 documents")
    entities = next(m.value for m in at.metric if m.label == "Entities")
    assert f"{entities} entities" in done


def test_a_hand_off_to_an_entity_no_longer_there_says_so(ingested_env):
    at = open_page(graph_entity_key="somebody deleted")
    assert not at.exception
    assert any("no longer in the graph" in w.value for w in at.warning)
    assert "graph_entity_key" not in at.session_state
