"""The Ask the Database page in AppTest: ask, abstain, edit and re-run, save as correct, training,
schema, history and connections, on the trained demo database."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.core.sql.conftest import CHINOOK_SQLITE

PAGE = "pages/ask_database.py"


@pytest.fixture
def demo_app(app_env, monkeypatch, embedder):
    """The demo generated for today (the page reads 'this week' from the clock), trained, and the
    page's cached workbench replaced by one that shares the session's embedding model."""
    from core.demo import generate_demo
    from core.demo.load import load_demo_database
    from core.settings import Settings
    from core.workbench import build_workbench
    import ui.state

    settings = Settings.from_env()
    generate_demo(settings.sql.demo_db_path.parent, today=dt.date.today())
    workbench = build_workbench(settings, embedder=embedder)
    load_demo_database(workbench.workspace(), settings.sql.demo_db_path.parent)
    monkeypatch.setattr(ui.state, "get_workbench", lambda: workbench)
    yield workbench
    workbench.close()


def plain(workbench, sql: str):
    connection = sqlite3.connect(f"{workbench.settings.sql.demo_db_path.as_uri()}?mode=ro", uri=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def page() -> AppTest:
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key="sql_question").input(question)
    at.button(key="sql_ask").click().run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_a_certified_answer_shows_number_sql_table_and_feedback(demo_app):
    at = page()
    assert at.title[0].value == "Ask the Database"
    assert at.selectbox(key="sql_connection").options == ["demo"]
    ask(at, "How many orders came from Chennai this week?")
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    expected = plain(demo_app, "SELECT COUNT(*) FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
                               f"WHERE c.city = 'Chennai' AND o.order_date BETWEEN '{monday}' AND '{dt.date.today()}'")[0][0]
    assert any("Certified answer" in s.value for s in at.success)
    assert at.metric[0].value == str(expected) and at.metric[0].label == "orders"
    assert ":city" in at.text_area(key="sql_editor").value
    assert any("city: Chennai" in c.value for c in at.caption)
    assert at.dataframe and at.get("download_button") and at.get("feedback")
    history = demo_app.sql.history("default")
    assert history[0].source == "certified"


def test_abstaining_offers_questions_that_work(demo_app):
    at = ask(page(), "How many orders came from Atlantis this week?")
    assert any("customers.city" in w.value for w in at.warning)
    closest = at.button(key="sql_closest_0")
    assert closest.label == "How many orders came from Chennai this week?"
    closest.click().run()
    assert not at.exception
    assert any("Certified answer" in s.value for s in at.success)
    assert at.text_input(key="sql_question").value == "How many orders came from Chennai this week?"


def test_edited_sql_runs_through_the_runner_and_refusals_are_clear_errors(demo_app):
    at = ask(page(), "How many orders came from Chennai this week?")
    at.text_area(key="sql_editor").input("SELECT COUNT(*) AS customers FROM customers")
    at.button(key="sql_run").click().run()
    assert not at.exception
    assert at.metric[0].value == str(plain(demo_app, "SELECT COUNT(*) FROM customers")[0][0])
    assert demo_app.sql.history("default")[0].source == "edited"
    at.text_area(key="sql_editor").input("DELETE FROM customers")
    at.button(key="sql_run").click().run()
    assert any("DELETE is not allowed" in e.value for e in at.error)
    assert plain(demo_app, "SELECT COUNT(*) FROM customers")[0][0] > 0


def test_typed_sql_can_be_saved_as_correct(demo_app):
    question = "How many customers does each segment have?"
    at = ask(page(), question)
    assert any("Read from the question" in i.value and "customers.segment" in i.value for i in at.info), \
        "no pair is trained yet: the planner answers from the schema and says how it read the question"
    at.text_area(key="sql_editor").input("SELECT segment, COUNT(*) AS customers FROM customers GROUP BY segment")
    at.button(key="sql_run").click().run()
    at.button(key="sql_save").click().run()
    assert not at.exception
    assert any("Saved as correct" in s.value for s in at.success)
    ask(at, question)
    assert any("Certified answer" in s.value for s in at.success)
    assert at.get("vega_lite_chart"), "a category and a number make a bar chart"


def test_training_tab_adds_and_lists_notes_and_pairs(demo_app):
    at = page()
    at.text_area(key="sql_doc_note").input("A VIP customer has spent more than 100000 INR.")
    button(at, "Add note").click().run()
    assert not at.exception and any("Note added" in s.value for s in at.success)
    at.text_input(key="sql_pair_question").input("How many customers live in a given city?")
    at.text_area(key="sql_pair_sql").input("SELECT COUNT(*) AS customers FROM customers WHERE city = :city")
    at.text_area(key="sql_pair_params").input("town: customers.city")
    button(at, "Add question/SQL pair").click().run()
    assert any(":city but no parameter" in e.value for e in at.error), "mistakes are explained"
    at.text_area(key="sql_pair_params").input("city: customers.city")
    button(at, "Add question/SQL pair").click().run()
    assert any("pair added" in s.value for s in at.success)
    contents = {i.content for i in demo_app.sql.training_items("default")}
    assert "A VIP customer has spent more than 100000 INR." in contents
    labels = [e.label for e in at.expander]
    assert any(label.startswith("Note: A VIP customer") for label in labels)
    assert any(label == "Question: How many customers live in a given city?" for label in labels)
    assert any(label.startswith("customers · 120 rows") for label in labels), "the schema browser lists tables"


def test_connections_tab_uses_a_password_field_and_adds_connections(demo_app, tmp_path):
    at = page()
    assert at.text_input(key="sql_conn_password").proto.type == 1  # TextInput.PASSWORD
    copy = tmp_path / "music.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    at.text_input(key="sql_conn_name").input("music")
    at.text_input(key="sql_conn_url").input(f"sqlite:///{copy}")
    button(at, "Test and save").click().run()
    assert not at.exception
    assert at.selectbox(key="sql_connection").options == ["demo", "music"]
    assert any("Connected and saved music" in s.value for s in at.success)
    at.text_input(key="sql_conn_name").input("broken")
    at.text_input(key="sql_conn_url").input(f"sqlite:///{tmp_path / 'missing.sqlite'}")
    button(at, "Test and save").click().run()
    assert any("not found" in e.value for e in at.error)
    assert [c.name for c in demo_app.sql.connections("default")] == ["demo", "music"]


def test_the_page_is_registered_in_the_app(demo_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Ask the Database"


def test_add_connection_refuses_driver_options_and_the_workbench_own_store(demo_app):
    at = page()
    at.text_input(key="sql_conn_name").input("sneaky")
    at.text_input(key="sql_conn_url").input("mysql+pymysql://root@127.0.0.1/x?init_command=DELETE%20FROM%20t")
    button(at, "Test and save").click().run()
    assert any("init_command" in e.value for e in at.error)
    at.text_input(key="sql_conn_url").input(f"sqlite:///{demo_app.settings.data_dir / 'workbench.db'}")
    button(at, "Test and save").click().run()
    assert any("own data folder" in e.value for e in at.error)
    assert [c.name for c in demo_app.sql.connections("default")] == ["demo"]


def test_privileged_connections_allowed_shows_a_permanent_warning(demo_app, monkeypatch):
    import dataclasses

    privileged = dataclasses.replace(demo_app.sql.settings, allow_privileged=True)
    monkeypatch.setattr(demo_app.sql, "settings", privileged)
    at = page()
    assert any("AW_SQL_ALLOW_PRIVILEGED is on" in w.value for w in at.warning)


def test_long_cells_are_shortened_on_screen(demo_app):
    at = page()
    at.text_area(key="sql_editor").input("SELECT printf('%.*c', 5000, 'x') AS wide")
    button(at, "Run SQL").click().run()
    assert not at.exception, at.exception
    shown = at.dataframe[0].value.iloc[0, 0]
    assert shown.endswith("(5,000 characters)") and len(shown) < 2100
