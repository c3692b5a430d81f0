"""The Semantic model tab of the Ask the Database page: what the page shows and what its buttons do.

The page draws; this module decides, without Streamlit, so it is tested on its own terms. The
analyst's additions are YAML saved per workspace and connection as numbered versions
(``SqlView.save_semantic_yaml``); every check and save goes through the core, which refuses an
invalid text with the first problem it found, so nothing invalid is ever saved. The text being
edited lives in the session under a key per connection: a refused save leaves it as typed, and
switching to another database and back finds it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, MutableMapping

from core.errors import WorkbenchError

EXPLANATION = (
    "Questions are read over this database's **semantic model**: its tables, columns and metrics "
    "named in words, derived from the schema. Add what the schema cannot say, as YAML: **synonyms** "
    "(`staff: Employee`), other spellings of a column's **values**, named **metrics** with their "
    "definition, and **notes**. Every save is a new version for this workspace and database; "
    "questions use the newest one. See docs/semantic-model.md for the format."
)


def editor_key(connection_id: str) -> str:
    """The text area's key: one per connection, so two databases' drafts never mix."""
    return f"sql_model_editor_{connection_id}"


def draft_key(connection_id: str) -> str:
    # Streamlit forgets a widget's value on a run that does not draw it (another database selected);
    # the draft is kept apart so coming back finds the text as it was left.
    return f"sql_model_draft_{connection_id}"


def outcome_key(connection_id: str) -> str:
    return f"sql_model_outcome_{connection_id}"


@dataclass(frozen=True)
class Outcome:
    """What the last Check, Save or Load did, shown under the buttons."""

    ok: bool
    message: str


def prepare_editor(state: MutableMapping[str, Any], connection_id: str, saved_text: str) -> None:
    """Before the text area is drawn: give it the draft left earlier, else the saved (or starting) YAML."""
    key = editor_key(connection_id)
    if key not in state:
        state[key] = state.get(draft_key(connection_id), saved_text)


def remember_draft(state: MutableMapping[str, Any], connection_id: str) -> None:
    """The text changed: keep it as the draft, and drop a result that spoke of the previous text."""
    state[draft_key(connection_id)] = state.get(editor_key(connection_id), "")
    state.pop(outcome_key(connection_id), None)


def check(view, state: MutableMapping[str, Any], connection_id: str) -> Outcome:
    text = state.get(editor_key(connection_id), "")
    try:
        overrides = view.check_semantic_yaml(text, connection=connection_id)
    except WorkbenchError as exc:
        outcome = Outcome(False, str(exc))
    else:
        outcome = Outcome(True, "The semantic model is valid: " + _counts(overrides) + ". Not saved yet.")
    state[outcome_key(connection_id)] = outcome
    return outcome


def save(view, state: MutableMapping[str, Any], connection_id: str) -> Outcome:
    """Check and save the editor's text as a new version; on a refusal the text stays as typed, unsaved."""
    text = state.get(editor_key(connection_id), "")
    try:
        saved = view.save_semantic_yaml(text, connection=connection_id)
    except WorkbenchError as exc:
        outcome = Outcome(False, f"Not saved: {exc}")
    else:
        state[draft_key(connection_id)] = text
        outcome = Outcome(True, f"Saved as version {saved.version}: questions on this database use it from now on.")
    state[outcome_key(connection_id)] = outcome
    return outcome


def load_version(view, state: MutableMapping[str, Any], connection_id: str, number: int) -> Outcome:
    """Put an earlier version's text in the editor (saving it then makes it the newest version)."""
    try:
        found = view.semantic_version(number, connection=connection_id)
    except WorkbenchError as exc:
        outcome = Outcome(False, str(exc))
    else:
        state[editor_key(connection_id)] = state[draft_key(connection_id)] = found.content
        outcome = Outcome(True, f"Loaded version {number} into the editor. Save it to make it the newest version.")
    state[outcome_key(connection_id)] = outcome
    return outcome


def saved_problem(view, connection_id: str, versions) -> str:
    """Why the newest saved version is not in use ("" when it is, or nothing is saved).

    A version saved against an older schema (a column since dropped) no longer checks; questions are
    then read over the derived model alone, and the analyst should know why their additions vanished."""
    if not versions:
        return ""
    try:
        view.check_semantic_yaml(versions[0].content, connection=connection_id)
    except WorkbenchError as exc:
        return f"Version {versions[0].version} no longer fits this database, so questions ignore it: {exc}"
    return ""


def _counts(overrides) -> str:
    parts = [(len(overrides.synonyms), "synonym"), (sum(len(v) for v in overrides.values.values()), "value spelling"),
             (len(overrides.metrics), "metric"), (len(overrides.notes), "note")]
    return ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in parts)


def table_rows(model) -> list[dict[str, str]]:
    """One row per table: the words it is asked about by and the columns that name its rows."""
    return [{"table": entity.name, "called": " ".join(entity.words),
             "rows named by": ", ".join(column.name for column in entity.labels),
             "columns": ", ".join(column.name for column in entity.columns)} for entity in model.entities]


def metric_rows(model) -> list[dict[str, str]]:
    """One row per metric with its definition(s); two formulas are two ways known to give the same totals."""
    return [{"metric": metric.name, "from": "yours" if metric.origin == "analyst" else "derived",
             "definition": " = ".join(formula.describe() for formula in metric.formulas),
             "unit": metric.unit,
             "also called": ", ".join(" ".join(words) for words in metric.phrases if " ".join(words) != metric.name)}
            for metric in model.metrics]


def synonym_rows(model) -> list[dict[str, str]]:
    return [{"words": " ".join(words), "mean": target} for words, target in model.synonyms.items()]


def download_name(workspace: str, connection_name: str) -> str:
    """A file name that says whose model it is, with only safe characters."""
    safe = re.sub(r"[^A-Za-z0-9_]+", "-", f"{workspace}-{connection_name}").strip("-") or "database"
    return f"{safe}-semantic-model.yaml"
