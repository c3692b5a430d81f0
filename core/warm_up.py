"""Warming a new workbench in the background, so the first analyst's answer is not the one that
loads the embedding model, spaCy, the stores and the database's value index.

Every step is read-only: nothing is recorded (no chat, no query history), and only what a first
question would open anyway is opened. A step that fails is logged and skipped: the backend's own
error reaches the analyst, in words, when they actually use it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

logger = logging.getLogger(__name__)

# A question that touches every step an answer takes (embedding, search, entity matching, planning)
# without naming anything in particular.
_PROBE = "How many records were there last month?"


def warm_up(workbench, workspace: str | None = None) -> list[str]:
    """Load what a first answer in ``workspace`` needs; returns the steps that were warmed."""
    name = workspace or workbench.settings.default_workspace
    steps: list[tuple[str, Callable[[], object]]] = [
        ("embedding model", lambda: workbench.embedder.embed_query(_PROBE)),
        ("document search", lambda: workbench.retriever.search(name, _PROBE, k=1)),
        ("knowledge graph", lambda: workbench.graph_retriever.evidence(name, _PROBE)),
        ("database questions", lambda: _warm_sql(workbench, name)),
    ]
    warmed = []
    for label, step in steps:
        started = time.perf_counter()
        try:
            step()
        except Exception as exc:  # the first real use reports it properly; a warm-up never fails a start
            logger.info("warm-up skipped %s: %s", label, type(exc).__name__)
            continue
        warmed.append(label)
        logger.debug("warm-up: %s in %.2f s", label, time.perf_counter() - started)
    return warmed


def _warm_sql(workbench, workspace: str) -> None:
    sql = workbench.sql
    if not sql.connections(workspace):
        return  # nothing connected: nothing a question could plan against
    sql.match_certified(workspace, _PROBE)  # the question embedding and the trained pairs
    sql.plan(workspace, _PROBE)  # the semantic model and the value index (read-only queries)


def start_warm_up(workbench, workspace: str | None = None) -> threading.Thread:
    """``warm_up`` on a daemon thread: a process that stops does not wait for it."""
    thread = threading.Thread(target=warm_up, args=(workbench, workspace), name="workbench-warm-up", daemon=True)
    thread.start()
    return thread
