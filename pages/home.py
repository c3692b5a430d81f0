"""Home: what the workbench is, the current workspace, and backend health with next steps."""

from __future__ import annotations

import streamlit as st

from core.errors import WorkbenchError
from core.reindex import reindex_everything
from ui.health import HEALTH_SECONDS, health_report, refresh_health
from ui.state import current_workspace_name, get_workbench

workbench = get_workbench()

st.title("Analyst Workbench")
st.markdown(
    "Upload documents and search them with citations, explore the knowledge graph built from them, "
    "ask your SQL databases questions in plain language (always read-only), and chat with one "
    "assistant that answers from all three with sources."
)
st.caption(f"Workspace: **{current_workspace_name()}** · data folder: `{workbench.settings.data_dir}`")

if st.session_state.get("home_reindex"):  # the button below was clicked: re-embed before checking again
    with st.status("Re-embedding every workspace's documents and training data...") as status:
        try:
            done = reindex_everything(workbench, status.write)
        except WorkbenchError as exc:
            status.update(label=f"Re-embedding stopped: {exc}", state="error")
        else:
            status.update(label=f"Re-embedded {done.documents} documents and {done.training_items} training items "
                                f"with {done.model}.", state="complete")
try:
    changes = workbench.data_state.changes()
except WorkbenchError as exc:
    st.error(str(exc), icon=":material/error:")
    changes = []
for change in changes:
    # A model change blocks search and uploads until everything is re-embedded; the rest are offers.
    if change.needs == "reindex":
        st.error(change.message, icon=":material/sync_problem:")
        st.button("Re-embed everything now", key="home_reindex", icon=":material/sync:")
    else:
        st.info(change.message, icon=":material/info:")

st.subheader("Backends")
if st.session_state.get("home_reindex"):
    refresh_health()  # re-embedding changes what the stores report
report = health_report()  # the one the sidebar summarises
col_when, col_again = st.columns([4, 1])
col_when.caption(f"{report.summary(on_home=True)} The backends were {report.checked()}; a check is kept "
                 f"{HEALTH_SECONDS} s.")
if col_again.button("Check again", icon=":material/refresh:"):
    refresh_health()
    st.rerun()
rows = [
    {
        "backend": item.backend,
        "implementation": item.implementation,
        "mode": item.mode,
        "state": "ready" if item.ok else "down",
        "detail": item.detail,
    }
    for item in report.items
]
st.dataframe(rows, hide_index=True, width="stretch")
for item in report.items:
    if not item.ok:
        st.error(f"**{item.backend}** is not available: {item.detail}. {item.next_step}", icon=":material/error:")
    elif item.mode == "off" and item.next_step:
        st.info(f"**{item.backend}**: {item.detail} {item.next_step}", icon=":material/info:")
