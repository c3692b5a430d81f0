"""Streamlit entry point: navigation over pages/, the workspace selector and backend health."""

from __future__ import annotations

import streamlit as st

from core.errors import WorkbenchError
from ui.jobs_panel import run_jobs_in_background
from ui.health import health_report
from ui.page_guard import run_guarded
from ui.state import WORKSPACE_KEY, get_workbench, show_error, warm_in_background

st.set_page_config(page_title="Analyst Workbench", page_icon=":material/analytics:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/documents.py", title="Documents", icon=":material/description:"),
    st.Page("pages/knowledge_graph.py", title="Knowledge Graph", icon=":material/hub:"),
    st.Page("pages/ask_database.py", title="Ask the Database", icon=":material/database:"),
    st.Page("pages/chat.py", title="Chat", icon=":material/chat:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
]


def workspace_selector() -> None:
    workbench = get_workbench()
    # A workspace created on the previous run becomes current before the selectbox exists:
    # Streamlit forbids changing a widget's value after the widget is drawn.
    if "created_workspace" in st.session_state:
        st.session_state[WORKSPACE_KEY] = st.session_state.pop("created_workspace")
    names = workbench.workspaces()
    current = st.session_state.get(WORKSPACE_KEY) or workbench.settings.default_workspace
    if current not in names:
        names.append(current)
    st.sidebar.selectbox("Workspace", names, index=names.index(current), key=WORKSPACE_KEY)
    with st.sidebar.expander("New workspace"):
        with st.form("new_workspace", clear_on_submit=True, border=False):
            name = st.text_input("Name", placeholder="e.g. finance-q3", key="new_workspace_name")
            if st.form_submit_button("Create"):
                try:
                    workbench.workspace(name)
                except WorkbenchError as exc:
                    show_error(exc)
                else:
                    st.session_state["created_workspace"] = name.strip()
                    st.rerun()


def health_summary() -> None:
    # The same report the Home page lists (ui.health): the two never disagree.
    report = health_report()
    if report.down:
        st.sidebar.warning(report.summary(), icon=":material/warning:")
    else:
        st.sidebar.caption(report.summary())


try:
    workspace_selector()
    health_summary()
except WorkbenchError as exc:
    # A bad setting or an unreachable store: say what to fix instead of failing on every page.
    show_error(exc)
    st.stop()

run_guarded(st.navigation(PAGES).run)
warm_in_background()  # after the page: warming must not hold up the first thing an analyst sees
run_jobs_in_background()  # queued and interrupted jobs run without anyone opening Documents
