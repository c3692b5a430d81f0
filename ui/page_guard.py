"""One guard around every page: an unexpected exception is logged with an id and shown as a short
message, never as a traceback (which can hold paths, SQL or data the analyst should not see).

Streamlit's own control flow (``st.stop``, ``st.rerun``) derives from BaseException and passes
through untouched; ``WorkbenchError`` keeps its own message, which is written for users.
"""

from __future__ import annotations

import logging
import uuid
from typing import Callable

import streamlit as st

from core.errors import WorkbenchError
from ui.state import show_error

logger = logging.getLogger("analyst_workbench.pages")


def run_guarded(page: Callable[[], object]) -> None:
    """Run ``page``; turn what it lets escape into a message the analyst can act on."""
    try:
        page()
    except WorkbenchError as exc:
        show_error(exc)
    except Exception:
        error_id = uuid.uuid4().hex[:8]
        logger.exception("A page failed (error id %s)", error_id)
        st.error(f"Something went wrong on this page (error id {error_id}). It has been logged; try again, "
                 "or give the id to an administrator.", icon=":material/error:")
