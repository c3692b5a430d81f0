"""Backend health as every page shows it: one report, so the sidebar and the Home page never disagree.

Probes take up to 2 s per unreachable server, so a report is kept for ``HEALTH_SECONDS``; it belongs
to one workbench and its settings, so the workbench a Settings save builds is checked anew at once
(``refresh_health`` also forgets every kept report, for the Home page's "Check again").
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import streamlit as st

from core.health import BackendHealth
from ui import state

HEALTH_SECONDS = 30


@dataclass(frozen=True)
class HealthReport:
    items: tuple[BackendHealth, ...]
    checked_at: float  # time.time() of the check

    @property
    def down(self) -> tuple[BackendHealth, ...]:
        return tuple(item for item in self.items if not item.ok)

    def summary(self, *, on_home: bool = False) -> str:
        """One line for the sidebar (or the Home page itself), from the same items the Home page lists."""
        if not self.down:
            return "All backends ready."
        names = ", ".join(item.backend for item in self.down)
        return f"{len(self.down)} backend(s) need attention ({names})" + ("." if on_home else ": see Home.")

    def checked(self) -> str:
        return "checked at " + time.strftime("%H:%M:%S", time.localtime(self.checked_at))


@st.cache_data(ttl=HEALTH_SECONDS, show_spinner=False, max_entries=8)
def _check(workbench_key: str) -> HealthReport:  # noqa: ARG001 (the key tells workbenches apart)
    return HealthReport(tuple(state.get_workbench().health()), time.time())


def health_report() -> HealthReport:
    """The current workbench's report, checked at most every ``HEALTH_SECONDS``."""
    workbench = state.get_workbench()
    settings = hashlib.sha256(repr(workbench.settings).encode()).hexdigest()[:16]
    return _check(f"{id(workbench)}:{settings}")


def refresh_health() -> None:
    """Forget kept reports: the next ``health_report`` checks every backend again."""
    _check.clear()
