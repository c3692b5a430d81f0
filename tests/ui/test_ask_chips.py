"""The Ask page's interpretation chips and "Did you mean" buttons in AppTest, on Chinook (a database
nobody here designed), read in place: the runner opens it read-only."""

from __future__ import annotations

import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.core.sql.conftest import CHINOOK_SQLITE

PAGE = "pages/ask_database.py"
GERMANY_2023 = "How many invoices were billed to Germany in 2023?"


@pytest.fixture
def chinook_app(app_env, monkeypatch, embedder):
    """A fresh workbench with Chinook connected (no training: the planner reads the schema), as the page's
    cached workbench, sharing the session's embedding model."""
    from core.settings import Settings
    from core.workbench import build_workbench
    import ui.state

    workbench = build_workbench(Settings.from_env(), embedder=embedder)
    workbench.workspace().sql.add_connection("chinook", f"sqlite:///{CHINOOK_SQLITE}")
    monkeypatch.setattr(ui.state, "get_workbench", lambda: workbench)
    yield workbench
    workbench.close()


def plain(sql: str):
    with sqlite3.connect(f"file:{CHINOOK_SQLITE}?mode=ro", uri=True) as db:
        return db.execute(sql).fetchall()


def run(target) -> AppTest:
    """Run the page (an AppTest, or a widget just changed: its run() runs its page)."""
    at = target.run()
    assert not at.exception, at.exception
    return at


def ask(question: str) -> AppTest:
    at = run(AppTest.from_file(str(ROOT / PAGE), default_timeout=60))
    at.text_input(key="sql_question").input(question)
    return run(at.button(key="sql_ask").click())


# at.tabs[0] is the Ask tab: the Schema tab holds a table per database table too.


def chip(at: AppTest, key_part: str):
    return next(b for b in at.button if b.key and b.key.startswith("sql_chip_") and b.key.endswith(key_part))


def chip_labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button if b.key and b.key.startswith("sql_chip_")]


def test_a_planned_answer_shows_each_part_as_a_chip(chinook_app):
    at = ask(GERMANY_2023)
    assert any("Read from the question" in i.value for i in at.info)
    assert any("number of Invoice" in m.value for m in at.markdown), "the measure is shown as a fixed chip"
    labels = chip_labels(at)
    assert len(labels) == 2 and "Germany" in labels[0] and "2023" in labels[1]
    period_inputs = [t for t in at.text_input if t.label == "Another period"]
    assert len(period_inputs) == 1, "a period chip can be read over another period"
    assert not [n for n in at.number_input if n.label == "Top N"], "not a top N: no N to change"
    assert at.tabs[0].metric[0].value == str(plain(
        "SELECT COUNT(*) FROM Invoice WHERE BillingCountry = 'Germany' AND InvoiceDate LIKE '2023%'")[0][0])


def test_removing_a_chip_runs_the_plan_without_it_and_a_rerun_keeps_it(chinook_app):
    at = ask(GERMANY_2023)
    run(chip(at, "filter:0").click())
    every_country = plain("SELECT COUNT(*) FROM Invoice WHERE InvoiceDate LIKE '2023%'")[0][0]
    germany = plain("SELECT COUNT(*) FROM Invoice WHERE BillingCountry = 'Germany' AND InvoiceDate LIKE '2023%'")[0][0]
    assert every_country != germany, "the check below could not fail otherwise"
    assert at.tabs[0].metric[0].value == str(every_country)
    assert not any("Germany" in label for label in chip_labels(at))
    assert "Germany" not in at.text_area(key="sql_editor").value, "the SQL editor shows what ran"
    run(at)  # an unrelated rerun (any widget) keeps the changed answer
    assert at.tabs[0].metric[0].value == str(every_country)
    assert chinook_app.sql.history("default")[0].source == "planned"


def test_another_period_and_another_n(chinook_app):
    at = ask("Who are the top 5 artists by revenue in 2024?")
    assert len(at.tabs[0].dataframe[0].value) == 5
    run(next(n for n in at.number_input if n.label == "Top N").set_value(2))
    assert len(at.tabs[0].dataframe[0].value) == 2 and any(label == "top 2" for label in chip_labels(at))
    run(next(t for t in at.text_input if t.label == "Another period").input("2022"))
    expected = plain("""
        SELECT ar.Name FROM InvoiceLine il JOIN Invoice i ON i.InvoiceId = il.InvoiceId
        JOIN Track t ON t.TrackId = il.TrackId JOIN Album al ON al.AlbumId = t.AlbumId
        JOIN Artist ar ON ar.ArtistId = al.ArtistId WHERE i.InvoiceDate LIKE '2022%'
        GROUP BY ar.ArtistId ORDER BY SUM(il.UnitPrice * il.Quantity) DESC LIMIT 2""")
    assert list(at.tabs[0].dataframe[0].value.iloc[:, 0]) == [name for (name,) in expected]
    assert any("2022" in label for label in chip_labels(at)) and any(label == "top 2" for label in chip_labels(at))
    run(next(t for t in at.text_input if t.label == "Another period").input("whenever it rained"))
    assert any("'whenever it rained' is not a period" in e.value for e in at.error), "the parser's own reason"


def test_a_refused_change_replaces_the_result_with_its_reason(chinook_app):
    at = ask("Which genre has the most tracks?")
    assert at.tabs[0].dataframe
    run(chip(at, "group:0").click())
    assert any("something to rank" in e.value for e in at.error)
    assert not at.tabs[0].dataframe and not at.tabs[0].metric, "no stale result under the refusal"
    assert chip_labels(at), "the chips stay, so another part can be changed"
    run(next(t for t in at.text_input if t.label == "Question").input("How many tracks are there?"))
    run(at.button(key="sql_ask").click())
    assert not at.error and at.tabs[0].metric[0].value == str(plain("SELECT COUNT(*) FROM Track")[0][0])


def test_an_abstention_offers_did_you_mean_buttons_that_ask_their_question(chinook_app):
    at = ask("How many tracks are in the catalog of happiness?")
    assert any("happiness" in w.value for w in at.warning)
    assert any("Did you mean" in m.value for m in at.markdown)
    suggestion = at.button(key="sql_suggestion_0")
    assert suggestion.label == "How many tracks are in the catalog?"
    assert "number of Track" in suggestion.help
    run(suggestion.click())
    assert at.text_input(key="sql_question").value == "How many tracks are in the catalog?"
    assert at.tabs[0].metric[0].value == str(plain("SELECT COUNT(*) FROM Track")[0][0])


def test_save_as_correct_on_a_planned_answer_keeps_its_value_a_parameter(chinook_app):
    at = ask(GERMANY_2023)
    at = run(at.button(key="sql_save").click())
    assert not at.error, [e.value for e in at.error]
    notices = [s.value for s in at.success] + [s.value for s in at.info] + [s.value for s in at.toast]
    assert any("Saved as correct" in text for text in notices), notices
    pair = chinook_app.workspace().sql.training_items(kind="question_sql")[0]
    assert [p.column for p in pair.parameters] == ["Invoice.BillingCountry"]
    france = chinook_app.workspace().sql.ask("How many invoices were billed to France in 2023?")
    assert france.source == "certified"
    assert france.result.rows[0][0] == plain("SELECT COUNT(*) FROM Invoice WHERE BillingCountry = 'France' "
                                             "AND InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01'")[0][0]
