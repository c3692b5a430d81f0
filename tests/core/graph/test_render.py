"""The pyvis page: expected nodes and legend, nothing fetched from the internet, physics that stops."""

from __future__ import annotations

import json
import re

import pytest

from core.graph.render import TYPE_COLOURS, node_size, render_subgraph_html, type_colour
from core.records import GraphEdge, GraphNode, Subgraph

COMPLAINT_GRAPH = Subgraph(
    nodes=(
        GraphNode("priya raman", "Priya Raman", "PERSON", ("Raman", "Ms. Raman")),
        GraphNode("chennai", "Chennai", "PLACE"),
        GraphNode("tanjore brass lamp", "Tanjore Brass Lamp", "PRODUCT"),
        GraphNode("march 3 2024", "March 3, 2024", "DATE"),
    ),
    edges=(
        GraphEdge("chennai", "priya raman", "MENTIONED_WITH", 2.0, ("c1", "c2")),
        GraphEdge("priya raman", "tanjore brass lamp", "MENTIONED_WITH", 1.0, ("c1",)),
        GraphEdge("priya raman", "march 3 2024", "DATED", 1.0, ("c1",)),
    ),
)


def vis_data(page: str, name: str) -> list[dict]:
    """The nodes or edges array pyvis wrote into the page."""
    match = re.search(name + r" = new vis\.DataSet\((\[.*?\])\);", page, re.DOTALL)
    assert match, f"no {name} DataSet in the page"
    return json.loads(match.group(1))


def test_page_contains_the_nodes_coloured_by_type_and_sized_by_degree():
    page = render_subgraph_html(COMPLAINT_GRAPH)
    nodes = {node["id"]: node for node in vis_data(page, "nodes")}
    assert {n["label"] for n in nodes.values()} == {"Priya Raman", "Chennai", "Tanjore Brass Lamp", "March 3, 2024"}
    assert nodes["priya raman"]["color"] == TYPE_COLOURS["PERSON"]
    assert nodes["chennai"]["color"] == TYPE_COLOURS["PLACE"]
    assert nodes["priya raman"]["size"] == node_size(3) > nodes["chennai"]["size"] == node_size(1)
    assert nodes["priya raman"]["title"].splitlines() == [
        "Priya Raman", "Type: PERSON", "Also: Raman, Ms. Raman", "Relations shown: 3"]


def test_edges_carry_readable_labels_and_only_attributes_point():
    edges = vis_data(render_subgraph_html(COMPLAINT_GRAPH), "edges")
    by_pair = {(e["from"], e["to"]): e for e in edges}
    assert by_pair[("chennai", "priya raman")]["label"] == "mentioned with"
    assert by_pair[("priya raman", "march 3 2024")]["label"] == "mentioned on"
    assert by_pair[("priya raman", "march 3 2024")]["arrows"] == "to"
    assert by_pair[("chennai", "priya raman")]["arrows"] == {"to": {"enabled": False}}
    assert by_pair[("chennai", "priya raman")]["width"] > by_pair[("priya raman", "tanjore brass lamp")]["width"]


def legend(page: str) -> str:
    start = page.index('<div class="aw-legend"')
    return page[start:page.index("</div>", start)]


def test_legend_lists_type_colours_and_the_truncation_notice():
    truncated = legend(render_subgraph_html(Subgraph(COMPLAINT_GRAPH.nodes, COMPLAINT_GRAPH.edges, truncated=True)))
    for entity_type in ("PERSON", "PLACE", "PRODUCT", "DATE"):
        assert f"background:{type_colour(entity_type)}" in truncated and f"{entity_type} (1)" in truncated
    assert "truncated" in truncated and "4 entities, 3 relations" in truncated
    assert "truncated" not in legend(render_subgraph_html(COMPLAINT_GRAPH))


def test_page_is_self_contained():
    page = render_subgraph_html(COMPLAINT_GRAPH)
    assert not re.search(r"<script[^>]+src=", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]+href=\"https?:", page, re.IGNORECASE)
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page
    assert "vis.Network" in page and len(page) > 100_000  # vis-network itself is inlined


def test_layout_physics_settles_then_switches_off():
    page = render_subgraph_html(COMPLAINT_GRAPH)
    options = json.loads(re.search(r"var options = (\{.*?\});\n", page, re.DOTALL).group(1))
    assert options["physics"]["solver"] == "barnesHut"
    assert options["physics"]["stabilization"]["enabled"] is True
    assert 'network.once("stabilizationIterationsDone"' in page and "physics: {enabled: false}" in page


def test_highlighted_entity_stands_out():
    nodes = {n["id"]: n for n in vis_data(render_subgraph_html(COMPLAINT_GRAPH, highlight_key="chennai"), "nodes")}
    assert nodes["chennai"]["borderWidth"] == 4 and nodes["chennai"]["color"]["border"] == "#111111"
    assert "borderWidth" not in nodes["priya raman"]


def test_names_cannot_inject_markup():
    hostile = Subgraph((GraphNode("x", "</script><script>alert(1)</script>", "<b>ORG</b>"),), ())
    page = render_subgraph_html(hostile)
    assert "<script>alert(1)" not in page
    assert "&lt;b&gt;ORG&lt;/b&gt;" in page  # the type is escaped in the legend


def test_empty_and_capped_subgraphs_render():
    assert "No entities to show." in render_subgraph_html(Subgraph((), ()))
    dangling = Subgraph(COMPLAINT_GRAPH.nodes[:2], COMPLAINT_GRAPH.edges)  # edges to nodes capped away
    assert len(vis_data(render_subgraph_html(dangling), "edges")) == 1


def test_unknown_types_get_a_stable_colour():
    assert type_colour("CUSTOMER") == type_colour("CUSTOMER") and type_colour("CUSTOMER").startswith("#")
    assert type_colour("CUSTOMER") not in TYPE_COLOURS.values()


@pytest.mark.e2e
def test_page_draws_offline_in_chromium_and_stops_moving(tmp_path, browser):
    page_file = tmp_path / "graph.html"
    page_file.write_text(render_subgraph_html(COMPLAINT_GRAPH, height="500px"), encoding="utf-8")
    outside, errors = [], []
    context = browser.new_context()  # the session's Chromium (tests/conftest.py), a fresh profile
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                   else (outside.append(route.request.url), route.abort()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(page_file.as_uri())
        page.wait_for_function("network && network.physics.options.enabled === false", timeout=20_000)
        assert page.evaluate("network.body.data.nodes.length") == 4
        page.screenshot(path=str(tmp_path / "graph.png"))
    finally:
        context.close()
    assert outside == [] and errors == []
