"""What the Ask the Database page keeps between reruns, and how each action changes it.

The page shows one result area: the answer, or the error of the last action, never both (an old
chart and certified badge under a refusal read as if the refused query had produced them). The
answer an editor run started from stays remembered behind an error, hidden, because the next run
of the mended SQL still needs its question and bound values.

A query opened from the Chat page (``ui.state.hand_off_sql``) arrives on its own database with the
chat's question asked again here, so its SQL, values, chart and table are shown as the chat had them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, MutableMapping

from core.errors import WorkbenchError

CONNECTION, QUESTION, EDITOR = "sql_connection", "sql_question", "sql_editor"
ANSWER, ANSWER_WORKSPACE = "sql_answer", "sql_answer_workspace"
ERROR, CHIP_ERROR, EXTRAS, NOTICE = "sql_error", "sql_chip_error", "sql_extras", "sql_notice"
NOTE = "sql_note"  # an explanation shown once (st.info), e.g. how a hand-off was opened

State = MutableMapping[str, Any]
_PLACEHOLDER = re.compile(r"(?<!:):[A-Za-z_]\w*")


@dataclass(frozen=True)
class ResultArea:
    """What the result area shows: an error, an answer, or nothing."""

    error: WorkbenchError | None = None
    answer: Any = None


def result_area(state: State, workspace: str, connection: str) -> ResultArea:
    """The error of the last action if it failed, else the answer when it belongs to this workspace and database."""
    if state.get(ERROR) is not None:
        return ResultArea(error=state[ERROR])
    answer = state.get(ANSWER)
    if answer is None or (state.get(ANSWER_WORKSPACE), answer.connection) != (workspace, connection):
        return ResultArea()  # it belongs to another workspace or database
    return ResultArea(answer=answer)


def base_answer(state: State, workspace: str):
    """The answer the editor's SQL started from (shown or hidden behind an error), for the next run."""
    return state.get(ANSWER) if state.get(ANSWER_WORKSPACE) == workspace else None


def show_answer(state: State, answer, workspace: str) -> None:
    for key in (ERROR, CHIP_ERROR, EXTRAS):
        state.pop(key, None)
    state[ANSWER], state[ANSWER_WORKSPACE] = answer, workspace
    state[EDITOR] = answer.sql


def show_error(state: State, exc: WorkbenchError, *, keep_base: bool = False) -> None:
    """The error replaces the result; ``keep_base`` keeps the answer the editor started from (hidden)."""
    for key in (CHIP_ERROR, EXTRAS) if keep_base else (ANSWER, ANSWER_WORKSPACE, CHIP_ERROR, EXTRAS):
        state.pop(key, None)
    state[ERROR] = exc
    if exc.sql:
        state[EDITOR] = exc.sql


def ask(database, state: State, workspace: str, question: str | None = None) -> None:
    """Ask the question box's question (or ``question``, which then fills the box) on the chosen database."""
    if question is not None:
        state[QUESTION] = question
    try:
        answer = database.ask(state.get(QUESTION, ""), connection=state.get(CONNECTION))
    except WorkbenchError as exc:
        show_error(state, exc)
        return
    show_answer(state, answer, workspace)


def run_editor(database, state: State, workspace: str) -> None:
    try:
        answer = database.run_editor(state.get(EDITOR, ""), state.get(CONNECTION), previous=base_answer(state, workspace))
    except WorkbenchError as exc:
        show_error(state, exc, keep_base=True)
        return
    for key in (ERROR, CHIP_ERROR, EXTRAS):
        state.pop(key, None)
    state[ANSWER], state[ANSWER_WORKSPACE] = answer, workspace  # the editor keeps what the analyst typed


def change_plan(database, state: State, workspace: str, change: Callable, *args) -> None:
    """A chip changed: run the edited plan; on a refusal keep the answer's chips and show why instead of its result."""
    state.pop(ERROR, None)
    state.pop(EXTRAS, None)
    try:
        answer = change(database, state.get(ANSWER), *args)
    except WorkbenchError as exc:
        state[CHIP_ERROR] = exc
        return
    show_answer(state, answer, workspace)


def selected_index(state: State, names: list[str], default_index: int) -> int | None:
    """The Database selectbox's index: None once the session (or a hand-off) has chosen, so Streamlit
    takes the chosen one without warning that a default was given as well."""
    return None if state.get(CONNECTION) in names else default_index


def open_handoff(database, state: State, workspace: str, handoff, names: list[str]) -> None:
    """Arrive from the chat: its database, its question asked again here, and its SQL in the editor.

    Asked on its own the question may read otherwise than in the conversation (a follow-up such as
    "and in Mumbai?"): then only the chat's SQL is put in the editor, with a note that says so.
    """
    for key in (ERROR, CHIP_ERROR, EXTRAS, ANSWER, ANSWER_WORKSPACE):
        state.pop(key, None)
    if handoff.connection in names:
        state[CONNECTION] = handoff.connection
    state[QUESTION] = handoff.question
    state[EDITOR] = handoff.sql
    if not handoff.question:
        state[NOTE] = "Opened from the chat: its SQL is in the editor."
        return
    try:
        answer = database.ask(handoff.question, connection=state.get(CONNECTION))
    except WorkbenchError:
        answer = None
    if answer is not None and not answer.abstained and _same_sql(answer.sql, handoff.sql):
        show_answer(state, answer, workspace)
        return
    state[EDITOR] = handoff.sql
    state[NOTE] = ("Opened from the chat: its SQL is in the editor. Asked here on its own, the question does not "
                   "read as it did in the conversation" + (", so give its :placeholders values before running it."
                                                          if _PLACEHOLDER.search(handoff.sql) else "."))


def certified_label(answer) -> str:
    """The badge of a certified answer; a certified query run again unchanged from the editor has no match score."""
    if answer.matched_question and answer.similarity is not None:
        return f"Certified answer: matched “{answer.matched_question}” (similarity {answer.similarity:.2f})."
    return "Certified answer: the certified query, run again unchanged from the editor."


def _same_sql(first: str, second: str) -> bool:
    return " ".join((first or "").split()) == " ".join((second or "").split())
