"""The Ask page's Semantic model tab in AppTest, on Chinook read in place: what is derived, checking
and saving the analyst's YAML as versions that later questions use, a refused text kept unsaved,
and an earlier version loaded back into the editor."""

from __future__ import annotations

import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.core.sql.conftest import CHINOOK_SQLITE
from ui import semantic_tab

PAGE = "pages/ask_database.py"
STAFF = "synonyms:\n  staff: Employee\n"
MODEL_TAB = 2  # Ask, Schema, Semantic model, ...


@pytest.fixture
def chinook_app(app_env, monkeypatch, embedder):
    """A fresh workbench with Chinook connected as the page's cached workbench, sharing the session's
    embedding model."""
    from core.settings import Settings
    from core.workbench import build_workbench
    import ui.state

    workbench = build_workbench(Settings.from_env(), embedder=embedder)
    workbench.workspace().sql.add_connection("chinook", f"sqlite:///{CHINOOK_SQLITE}")
    monkeypatch.setattr(ui.state, "get_workbench", lambda: workbench)
    yield workbench
    workbench.close()


def run(target) -> AppTest:
    at = target.run()
    assert not at.exception, at.exception
    return at


def open_page() -> AppTest:
    return run(AppTest.from_file(str(ROOT / PAGE), default_timeout=60))


def connection_id(workbench) -> str:
    return workbench.workspace().sql.connection("chinook").id


def editor(at: AppTest, workbench):
    return at.text_area(key=semantic_tab.editor_key(connection_id(workbench)))


def click(at: AppTest, workbench, action: str) -> AppTest:
    return run(at.button(key=f"sql_model_{action}_{connection_id(workbench)}").click())


def edit_and(at: AppTest, workbench, text: str, action: str) -> AppTest:
    editor(at, workbench).input(text)
    return click(at, workbench, action)


def employees() -> int:
    with sqlite3.connect(f"file:{CHINOOK_SQLITE}?mode=ro", uri=True) as db:
        return db.execute("SELECT COUNT(*) FROM Employee").fetchone()[0]


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key="sql_question").input(question)
    return run(at.button(key="sql_ask").click())


def test_the_tab_shows_what_is_derived_and_a_starting_file(chinook_app):
    at = open_page()
    assert [t.label for t in at.tabs][MODEL_TAB] == "Semantic model"
    tab = at.tabs[MODEL_TAB]
    assert any("semantic model" in m.value for m in tab.markdown), "the tab says what it is for"
    metrics = tab.dataframe[0].value
    revenue = metrics[metrics["metric"] == "revenue"].iloc[0]
    assert revenue["from"] == "derived" and "SUM of Invoice.Total" in revenue["definition"]
    assert "units sold" in set(metrics["metric"])
    tables = tab.dataframe[1].value
    assert "Employee" in set(tables["table"]) and len(tables) == 11
    start = editor(at, chinook_app).value
    assert "revenue: SUM of Invoice.Total" in start and "synonyms: {}" in start
    assert [b.label for b in at.get("download_button") if b.key.startswith("sql_model_")] == ["Download YAML"]
    assert any("Nothing saved yet" in c.value for c in tab.caption)


def test_a_saved_synonym_is_version_1_and_the_ask_tab_uses_it(chinook_app):
    at = open_page()
    before = ask(at, "How many staff are there?")
    assert not before.tabs[0].metric and any("staff" in w.value for w in before.warning), "unknown word before"
    at = edit_and(at, chinook_app, STAFF, "check")
    assert any("valid: 1 synonym" in s.value for s in at.success)
    assert chinook_app.workspace().sql.semantic_versions() == [], "Check saves nothing"
    at = click(at, chinook_app, "save")
    assert any("Saved as version 1" in s.value for s in at.success)
    [saved] = chinook_app.workspace().sql.semantic_versions()
    assert (saved.version, saved.content) == (1, STAFF)
    assert any("Version 1" in e.label and "in use" in e.label for e in at.tabs[MODEL_TAB].expander)
    synonyms = at.tabs[MODEL_TAB].dataframe[1].value
    assert list(synonyms.itertuples(index=False)) == [("staff", "Employee")]
    at = ask(at, "How many staff are there?")
    assert at.tabs[0].metric[0].value == str(employees()) == "8"


@pytest.mark.parametrize("text, reason", [
    ("synonyms:\n  staff: Employe\n", "'Employe', which is no table of this database"),
    ("synonyms:\n  staff: [Employee\n", "not valid YAML at line 3"),
])
def test_an_invalid_text_shows_its_reason_saves_nothing_and_stays(chinook_app, text, reason):
    at = edit_and(open_page(), chinook_app, text, "check")
    assert any(reason in e.value for e in at.error), [e.value for e in at.error]
    at = click(at, chinook_app, "save")
    errors = [e.value for e in at.error]
    assert any(e.startswith("Not saved:") and reason in e for e in errors), errors
    assert chinook_app.workspace().sql.semantic_versions() == []
    assert editor(at, chinook_app).value == text, "the text stays to be fixed"
    at = run(at)  # any later run keeps it too
    assert editor(at, chinook_app).value == text


def test_an_earlier_version_loads_into_the_editor_and_saves_as_the_newest(chinook_app):
    at = edit_and(open_page(), chinook_app, STAFF, "save")
    second = STAFF + "  job title: Employee.Title\n"
    at = edit_and(at, chinook_app, second, "save")
    assert [v.version for v in chinook_app.workspace().sql.semantic_versions()] == [2, 1]
    at = run(at.button(key=f"sql_model_load_{connection_id(chinook_app)}_1").click())
    assert editor(at, chinook_app).value == STAFF
    assert any("Loaded version 1" in s.value for s in at.success)
    at = click(at, chinook_app, "save")
    assert any("Saved as version 3" in s.value for s in at.success)
    newest = chinook_app.workspace().sql.semantic_versions()[0]
    assert (newest.version, newest.content) == (3, STAFF)
    assert not any(words == ("job", "title") for words in chinook_app.workspace().sql.semantic_model().synonyms)


def test_a_download_name_says_whose_model_it_is():
    assert semantic_tab.download_name("default", "chinook") == "default-chinook-semantic-model.yaml"
    assert semantic_tab.download_name("team a", "../sales db") == "team-a-sales-db-semantic-model.yaml"


def test_a_draft_survives_looking_at_another_database(chinook_app):
    chinook_app.workspace().sql.add_connection("chinook copy", f"sqlite:///{CHINOOK_SQLITE}")
    at = open_page()
    draft = STAFF + "# not saved yet\n"
    editor(at, chinook_app).input(draft)
    at = run(at)
    at = run(at.selectbox(key="sql_connection").select("chinook copy"))
    other = at.text_area(key=semantic_tab.editor_key(chinook_app.workspace().sql.connection("chinook copy").id))
    assert "synonyms: {}" in other.value, "the other database has its own editor"
    at = run(at.selectbox(key="sql_connection").select("chinook"))
    assert editor(at, chinook_app).value == draft
    assert chinook_app.workspace().sql.semantic_versions("chinook") == []
