"""The one cached workbench, the session's current workspace, and the hand-offs between pages."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.errors import WorkbenchError
from core.settings import Settings
from core.warm_up import start_warm_up
from core.workbench import Workbench, build_workbench

WORKSPACE_KEY = "workspace"


@st.cache_resource(show_spinner="Starting the workbench...")
def get_workbench() -> Workbench:
    return build_workbench(Settings.from_env())


@st.cache_resource(show_spinner=False)
def warm_in_background() -> bool:
    """Start warming the workbench once per process (AW_WARM_UP), after the first page is drawn, so the
    first chat answer is not the one that loads the model, and the first page is not slowed by it."""
    workbench = get_workbench()
    if workbench.settings.warm_up:
        start_warm_up(workbench)
    return workbench.settings.warm_up


def current_workspace_name() -> str:
    workbench = get_workbench()
    return st.session_state.get(WORKSPACE_KEY) or workbench.settings.default_workspace


def current_workspace():
    return get_workbench().workspace(current_workspace_name())


def show_error(exc: WorkbenchError) -> None:
    """Translate a workbench error into a message the analyst can act on."""
    st.error(str(exc), icon=":material/error:")


# --- Hand-offs: a button on one page opens another with something shown ------------------------------
# The sending page writes a hand-off and switches page; the receiving page takes it (once) before it
# draws its widgets, so a widget's state can still be set. Every hand-off key is here and nowhere else.

_SQL_HANDOFF = "handoff::sql"
_DOCUMENT_HANDOFF = "handoff::document"
GRAPH_HANDOFF = "graph_entity_key"  # read by the Knowledge Graph page (its HANDOFF_KEY); use the functions
LIBRARY_DOCUMENT_KEY = "library_document"  # the Documents page's Library selectbox
DOCUMENTS_TAB_KEY = "documents_tab"  # the Documents page's tabs, when they track state
DOCUMENTS_TABS = ("Search", "Upload", "Library")


@dataclass(frozen=True)
class SqlHandoff:
    """A query to open on Ask the Database: its SQL, the saved connection it ran on and the question asked."""

    sql: str
    connection: str
    question: str = ""


def hand_off_sql(sql: str, connection: str, question: str = "") -> None:
    st.session_state[_SQL_HANDOFF] = SqlHandoff(sql or "", connection or "", (question or "").strip())


def take_sql_handoff() -> SqlHandoff | None:
    return st.session_state.pop(_SQL_HANDOFF, None)


def hand_off_document(document_id: str) -> None:
    st.session_state[_DOCUMENT_HANDOFF] = document_id
    st.session_state[LIBRARY_DOCUMENT_KEY] = document_id  # selected in the Library even where its tab is not opened


def take_document_handoff() -> str | None:
    return st.session_state.pop(_DOCUMENT_HANDOFF, None)


def hand_off_graph_entity(entity_key: str) -> None:
    st.session_state[GRAPH_HANDOFF] = entity_key


def take_graph_entity() -> str | None:
    return st.session_state.pop(GRAPH_HANDOFF, None)


def document_tabs():
    """The Documents page's Search, Upload and Library tabs; a handed-off document opens on the Library tab,
    selected. The tabs keep their state (``DOCUMENTS_TAB_KEY``) so that a rerun does not jump back to Search."""
    handed = take_document_handoff()
    if handed:
        st.session_state[LIBRARY_DOCUMENT_KEY] = handed
        st.session_state[DOCUMENTS_TAB_KEY] = DOCUMENTS_TABS[2]
    return st.tabs(list(DOCUMENTS_TABS), key=DOCUMENTS_TAB_KEY, on_change="rerun")
