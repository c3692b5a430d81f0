"""Messages that outlive a rerun: a page that saves and then calls ``st.rerun`` would lose an
``st.success`` drawn just before it, so the message is kept in the session and drawn by the next run."""

from __future__ import annotations

import streamlit as st

_KEY = "flash::messages"
_ICONS = {"success": ":material/check_circle:", "warning": ":material/warning:", "info": ":material/info:",
          "error": ":material/error:"}


def flash(kind: str, text: str) -> None:
    """Keep ``text`` to be shown as ``st.<kind>`` (success, warning, info or error) on the next run."""
    if kind not in _ICONS:
        raise ValueError(f"unknown message kind {kind!r}")
    st.session_state.setdefault(_KEY, []).append((kind, text))


def show_flashes() -> None:
    """Draw the kept messages once, oldest first."""
    for kind, text in st.session_state.pop(_KEY, []):
        getattr(st, kind)(text, icon=_ICONS[kind])
