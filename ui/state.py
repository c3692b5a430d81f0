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
    workbench = build_workbench(Settings.from_env())
    if workbench.settings.warm_up:  # the first chat answer should not be the one that loads the model
        start_warm_up(workbench)
    return workbench


def current_workspace_name() -> str:
    workbench = get_workbench()
    return st.session_state.get(WORKSPACE_KEY) or workbench.settings.default_workspace


def current_workspace():
    return get_workbench().workspace(current_workspace_name())


def show_error(exc: WorkbenchError) -> None:
    """Translate a workbench error into a message the analyst can act on."""
    st.error(str(exc), icon=":material/error:")
