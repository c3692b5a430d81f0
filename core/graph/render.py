"""Render a Subgraph as a self-contained interactive HTML page (pyvis / vis-network).

The page works with no internet: vis-network is inlined (``cdn_resources="in_line"``) and the
Bootstrap links pyvis's template always adds are removed (nothing here uses Bootstrap). The
layout runs barnesHut physics until it stabilises, then switches physics off so the picture
stops moving. The result is meant for ``streamlit.components.v1.html``.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter

from core.graph import normalize as norm
from core.graph.store import readable_relation
from core.records import GraphNode, Subgraph

TYPE_COLOURS = {
    norm.PERSON: "#4e79a7",
    norm.ORG: "#f28e2b",
    norm.PLACE: "#59a14f",
    norm.PRODUCT: "#e15759",
    norm.DATE: "#76b7b2",
    norm.MONEY: "#edc948",
}
_OTHER_COLOURS = ("#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#8cd17d", "#d4a6c8")
_DIRECTED = frozenset({"DATED", "AMOUNT"})  # co-occurrence has no direction; these point at the attribute

_EXTERNAL_TAG = re.compile(
    r"<link\b[^>]*\bhref=\"https?://[^\"]*\"[^>]*>|<script\b[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.IGNORECASE
)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>")
_DEAD_COMMENT = re.compile(r"<!--\s*<link[^>]*node_modules.*?-->", re.DOTALL)  # template leftovers
_NETWORK_CREATED = "network = new vis.Network(container, data, options);"
_FREEZE_AFTER_LAYOUT = (
    _NETWORK_CREATED
    + '\n                  network.once("stabilizationIterationsDone", function () {'
    + " network.setOptions({physics: {enabled: false}}); });"
)
_LEGEND_STYLE = (
    "<style>.aw-legend{font-family:sans-serif;font-size:13px;margin:4px 0 6px 0;display:flex;flex-wrap:wrap;"
    "gap:12px;align-items:center}.aw-legend .aw-dot{display:inline-block;width:11px;height:11px;border-radius:50%;"
    "margin-right:4px;vertical-align:middle}.aw-legend .aw-note{color:#666}</style>"
)


def type_colour(entity_type: str) -> str:
    """The colour of an entity type: fixed for the known types, stable for any other."""
    if entity_type in TYPE_COLOURS:
        return TYPE_COLOURS[entity_type]
    return _OTHER_COLOURS[sum(map(ord, entity_type)) % len(_OTHER_COLOURS)]


def node_size(degree: int) -> float:
    """Grows with the square root of the degree, so hubs stand out without swallowing the view."""
    return min(60.0, 12.0 + 6.0 * math.sqrt(max(degree, 0)))


def _tooltip(node: GraphNode, degree: int) -> str:
    # vis-network shows a string title as plain text (never as HTML), so names cannot inject markup
    lines = [node.name, f"Type: {node.type}"]
    if node.aliases:
        lines.append("Also: " + ", ".join(node.aliases[:8]) + (" ..." if len(node.aliases) > 8 else ""))
    lines.append(f"Relations shown: {degree}")
    return "\n".join(lines)


def _options(node_count: int) -> dict:
    large = node_count > 500
    return {
        "physics": {
            "enabled": True,
            "solver": "barnesHut",
            "barnesHut": {
                "gravitationalConstant": -6000 if large else -9000, "centralGravity": 0.25, "springLength": 140,
                "springConstant": 0.04, "damping": 0.35, "avoidOverlap": 0.2,
            },
            "stabilization": {"enabled": True, "iterations": 300 if large else 600, "updateInterval": 25, "fit": True},
            "minVelocity": 1.0,
        },
        "nodes": {"shape": "dot", "font": {"size": 14, "face": "sans-serif"}, "borderWidth": 1},
        "edges": {
            "smooth": False if large else {"enabled": True, "type": "continuous", "roundness": 0.2},
            "font": {"size": 10, "align": "middle", "color": "#555555", "strokeWidth": 3},
            "color": {"color": "#a0a6ad", "highlight": "#333333", "inherit": False},
        },
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": large},
    }


def _legend(subgraph: Subgraph) -> str:
    counts = Counter(node.type for node in subgraph.nodes)
    items = [
        f'<span><span class="aw-dot" style="background:{type_colour(t)}"></span>{html.escape(t)} ({n})</span>'
        for t, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    note = f"{len(subgraph.nodes)} entities, {len(subgraph.edges)} relations"
    if subgraph.truncated:
        note += " (truncated: more are connected than shown)"
    if not subgraph.nodes:
        note = "No entities to show."
    items.append(f'<span class="aw-note">{html.escape(note)}</span>')
    return _LEGEND_STYLE + '<div class="aw-legend" id="aw-legend">' + "".join(items) + "</div>"


def render_subgraph_html(subgraph: Subgraph, *, height: str = "650px", highlight_key: str | None = None) -> str:
    """A full HTML page drawing ``subgraph``: colour by type, size by degree, labelled edges, a legend."""
    from pyvis.network import Network  # imported here: only pages that draw a graph need it

    degree: Counter = Counter()
    for edge in subgraph.edges:
        degree[edge.source] += 1
        degree[edge.target] += 1
    # directed=True only skips pyvis's quadratic duplicate-edge scan; arrows are set per edge
    network = Network(height=height, width="100%", directed=True, cdn_resources="in_line", bgcolor="#ffffff")
    network.options = _options(len(subgraph.nodes))
    keys = set()
    for node in subgraph.nodes:
        colour = type_colour(node.type)
        options = {"title": _tooltip(node, degree[node.key]), "size": node_size(degree[node.key]), "color": colour}
        if node.key == highlight_key:
            options.update(borderWidth=4, color={"background": colour, "border": "#111111"}, font={"size": 18, "bold": True})
        network.add_node(node.key, label=node.name, **options)
        keys.add(node.key)
    for edge in subgraph.edges:
        if edge.source not in keys or edge.target not in keys:
            continue  # an edge to a node that was capped away
        label = readable_relation(edge.type).removeprefix("is ")
        network.add_edge(
            edge.source, edge.target, label=label,
            title=f"{label} (weight {edge.weight:g}, {len(edge.evidence)} passages)",
            width=1.0 + math.log1p(max(edge.weight, 0.0)),
            arrows="to" if edge.type in _DIRECTED else {"to": {"enabled": False}},
        )
    page = network.generate_html()
    if _NETWORK_CREATED not in page:
        raise RuntimeError("pyvis's page template changed: cannot switch physics off after layout; pin pyvis==0.3.2.")
    page = page.replace(_NETWORK_CREATED, _FREEZE_AFTER_LAYOUT, 1)
    page = _DEAD_COMMENT.sub("", _EMPTY_HEADING.sub("", _EXTERNAL_TAG.sub("", page)))
    return page.replace("<body>", "<body>" + _legend(subgraph), 1)
