"""Knowledge Graph: explore an entity's or a document's neighbourhood, with facts and source passages."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from core.errors import NotFound, WorkbenchError
from core.graph.render import render_subgraph_html, type_colour
from core.text_safety import code_span, escape_markdown
from ui.state import current_workspace, show_error

HANDOFF_KEY = "graph_entity_key"  # the Chat page's "Open in graph" puts an entity key here

workspace = current_workspace()
graph = workspace.graph
st.title("Knowledge Graph")
st.caption(f"Workspace **{workspace.name}** · entities and relations extracted from the documents, linked to database rows")


def rebuild_progress(bar):
    def report(event) -> None:
        label = f"{event.done}/{event.total} documents" + (f": {event.title}" if event.title else "")
        bar.progress(event.done / max(event.total, 1), text=label)
    return report


col_note, col_rebuild = st.columns([4, 1])
col_note.caption("Documents enter the graph as they are uploaded. Rebuild after changing the database, "
                 "the extraction types or the LLM, or to add documents ingested before the graph existed.")
if col_rebuild.button("Rebuild graph", key="graph_rebuild", help="Re-extract every indexed document of this workspace."):
    bar = st.progress(0.0, text="Starting...")
    try:
        result = graph.rebuild(progress=rebuild_progress(bar))
    except WorkbenchError as exc:
        show_error(exc)
    else:
        bar.progress(1.0, text="Done.")
        st.session_state["graph_rebuild_result"] = result.to_dict()
rebuilt = st.session_state.get("graph_rebuild_result")
if rebuilt and rebuilt["workspace"] == workspace.name:
    st.success(f"Graph rebuilt from {rebuilt['documents']} documents: {rebuilt['entities']} entities, "
               f"{rebuilt['relations']} relations.")
    for failure in rebuilt["failed"]:
        st.warning(f"{failure['document']}: {failure['error']}")

try:
    stats = graph.stats(top=10)
except WorkbenchError as exc:
    show_error(exc)
    st.stop()

if stats.entities == 0:
    st.info("The graph of this workspace is empty. Upload documents on the Documents page (they are added to the "
            "graph as they are indexed), or press Rebuild graph to add documents indexed earlier.")
    st.stop()

# An entity handed over by another page wins once, then the widgets are the user's again.
handoff, handed = st.session_state.pop(HANDOFF_KEY, None), None
if handoff:
    try:
        handed = graph.entity(handoff)
    except NotFound:
        st.warning("That entity is no longer in the graph (its documents may have been deleted).")
    else:
        st.session_state.update(graph_source="Entity", graph_search=handed.name, graph_pick=handed.key)

explore_tab, stats_tab = st.tabs(["Explore", "Statistics"])

with explore_tab:
    col_source, col_depth, col_cap = st.columns([2, 1, 2])
    source = col_source.radio("Start from", ["Entity", "Document"], horizontal=True, key="graph_source")
    depth = col_depth.radio("Depth", [1, 2], horizontal=True, key="graph_depth", help="Relations away from the entity.")
    cap = col_cap.slider("Most entities shown", 10, 300, 80, step=10, key="graph_cap")
    types = st.multiselect("Entity types", list(stats.entities_by_type), key="graph_types",
                           help="Show only these types (none chosen: all).")
    subgraph, center = None, None
    try:
        if source == "Entity":
            query = st.text_input("Find an entity", key="graph_search", placeholder="Type part of a name, e.g. Priya or Chennai")
            suggestions = (graph.find_entities(query, limit=25) if query.strip()
                           else [node for node, _ in stats.top_entities])
            if handed is not None and handed.key not in {n.key for n in suggestions}:
                suggestions.insert(0, handed)
            elif st.session_state.get("graph_pick") not in {n.key for n in suggestions}:
                st.session_state.pop("graph_pick", None)  # a new search: start from its best suggestion
            if not suggestions:
                st.info(f"No entity matches {query!r}. Try part of the name, or another spelling.")
            else:
                labels = {node.key: f"{node.name} · {node.type}" for node in suggestions}
                center = st.selectbox("Entity", list(labels), format_func=labels.get, key="graph_pick")
                subgraph = graph.neighbors(center, int(depth), limit_nodes=cap, types=types or None)
        else:
            docs = workspace.documents()
            if not docs:
                st.info("No documents in this workspace yet.")
            else:
                titles = {d.id: f"{d.title} ({d.filename})" for d in docs}
                document_id = st.selectbox("Document", list(titles), format_func=titles.get, key="graph_document")
                subgraph = graph.document_subgraph(document_id, limit_nodes=cap, types=types or None)
    except WorkbenchError as exc:
        show_error(exc)

    if subgraph is not None:
        view, panel = st.columns([3, 2])
        with view:
            if subgraph.truncated:
                st.warning(f"Showing the {len(subgraph.nodes)} strongest entities: more are connected. Raise the cap, "
                           "choose depth 1 or filter by type to see the rest.", icon=":material/filter_alt:")
            if not subgraph.nodes:
                st.info("No entities of the chosen types here.")
            else:
                # the page escapes every name (pyvis writes them as JSON with "<" escaped; tooltips are plain text)
                st.iframe(render_subgraph_html(subgraph, height="600px", highlight_key=center), height=640)
                shown = sorted({n.type for n in subgraph.nodes})
                st.markdown(" ".join(
                    f'<span style="color:{type_colour(t)}">&#9679;</span> {html.escape(t)}' for t in shown
                ), unsafe_allow_html=True)
                st.caption(f"{len(subgraph.nodes)} entities, {len(subgraph.edges)} relations. Colour is the type, size "
                           "the number of relations shown; hover for details, drag to rearrange.")
        with panel:
            if subgraph.nodes:
                names = {n.key: f"{n.name} · {n.type}" for n in subgraph.nodes}
                keys = list(names)
                default = keys.index(center) if center in names else 0
                chosen = st.selectbox("Details for", keys, index=default, format_func=names.get, key="graph_detail")
                try:
                    details = graph.entity_details(chosen)
                except WorkbenchError as exc:
                    show_error(exc)
                else:
                    node = details.node
                    # Names, titles and values come from documents: escaped wherever Markdown renders.
                    st.subheader(escape_markdown(node.name))
                    st.markdown(f"**{escape_markdown(node.type)}** · mentioned in {node.properties.get('mentions', 0)} "
                                f"passages · {node.properties.get('degree', 0)} relations")
                    if node.aliases:
                        st.caption("Also written: " + escape_markdown(", ".join(node.aliases)))
                    for link in node.properties.get("db_links", ()):
                        st.markdown(f"Database: {code_span(link['table'] + '.' + link['column'])} row where "
                                    f"{code_span(link['key_column'])} = {code_span(link['key_value'])}")
                    st.markdown("**Facts**")
                    if not details.facts:
                        st.caption("No relations recorded.")
                    for item in details.facts:
                        with st.expander(escape_markdown(f"{item.fact.text} (weight {item.fact.weight:g})")):
                            st.caption(escape_markdown(item.evidence_title))
                            st.text(item.evidence_text)
                    st.markdown("**Source passages**")
                    for passage in details.passages:
                        with st.expander(escape_markdown(f"{passage.title} · #{passage.position}")):
                            st.text(passage.text)

with stats_tab:
    cols = st.columns(5)
    for col, (label, value) in zip(cols, (("Documents", stats.documents), ("Passages", stats.chunks),
                                          ("Entities", stats.entities), ("Relations", stats.relations),
                                          ("Mentions", stats.mentions))):
        col.metric(label, value)
    st.markdown("**Entities by type**")
    st.bar_chart(pd.DataFrame({"entities": stats.entities_by_type}))
    st.markdown("**Most connected entities**")
    st.dataframe([{"entity": node.name, "type": node.type, "relations": degree} for node, degree in stats.top_entities],
                 hide_index=True, width="stretch")
    with st.expander("LLM extraction types"):
        current = graph.extraction_types()
        st.caption("Used when an LLM is configured: the types the model may give entities and relations in this "
                   "workspace. Without an LLM, spaCy finds people, organisations, places, products, dates and money.")
        with st.form("graph_types_form", border=False):
            entity_text = st.text_input("Entity types", ", ".join(current.entity_types), key="graph_entity_types")
            relation_text = st.text_input("Relation types", ", ".join(current.relation_types), key="graph_relation_types")
            if st.form_submit_button("Save types"):
                try:
                    graph.set_extraction_types(entity_text, relation_text)
                except WorkbenchError as exc:
                    show_error(exc)
                else:
                    st.success("Saved. Rebuild the graph to apply them to documents already indexed.")
