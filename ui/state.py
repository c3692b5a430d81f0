"""The one cached workbench and the session's current workspace."""

from __future__ import annotations

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
