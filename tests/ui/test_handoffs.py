"""Hand-offs between pages in AppTest (issue 17.2): the Chat page's "Open in Ask the Database" opens
its query on the database it ran on, with the result; a handed-off document opens the Library tab."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.core.sql.conftest import CHINOOK_SQLITE
from tests.ui.test_ask_database_page import demo_app  # noqa: F401  (the fixture)
from ui.state import SqlHandoff

CERTIFIED = "How many orders came from Chennai this week?"


@pytest.fixture
def two_databases(demo_app, tmp_path):  # noqa: F811
    """The trained demo ("demo", the default) and a Chinook copy ("music")."""
    shutil.copyfile(CHINOOK_SQLITE, tmp_path / "music.sqlite")
    demo_app.sql.add_connection("default", "music", f"sqlite:///{tmp_path / 'music.sqlite'}")
    return demo_app


def app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_open_in_ask_the_database_shows_the_chats_query_on_its_database(two_databases):
    at = app()
    at.switch_page("pages/chat.py").run()
    at.chat_input[0].set_value(CERTIFIED).run()
    assert not at.exception, at.exception
    two_databases.sql.set_default_connection("default", "music")  # the chat ran on demo: that is what must open
    button(at, "Open in Ask the Database").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Ask the Database"
    assert at.selectbox(key="sql_connection").value == "demo"
    assert at.text_input(key="sql_question").value == CERTIFIED
    assert ":city" in at.text_area(key="sql_editor").value
    assert any("Certified answer" in s.value for s in at.success)
    assert at.metric, "the result is shown, as the chat had it"


def test_a_follow_up_that_reads_otherwise_alone_opens_with_its_sql_and_says_why(two_databases):
    at = AppTest.from_file(str(ROOT / "pages/ask_database.py"), default_timeout=60)
    sql = "SELECT COUNT(*) FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE c.city = :city"
    at.session_state["handoff::sql"] = SqlHandoff(sql, "demo", "and in Mumbai?")
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="sql_connection").value == "demo"
    assert at.text_area(key="sql_editor").value == sql
    assert any("Opened from the chat" in i.value and ":placeholders" in i.value for i in at.info)
    assert not at.metric, "no result: the question alone does not read as the chat had it"
    at.run()  # taken once: a rerun does not open it again
    assert not any("Opened from the chat" in i.value for i in at.info)


def test_a_handed_off_document_opens_the_library_tab_with_it_selected():
    def script():
        import streamlit as st

        from ui.state import document_tabs

        search, upload, library = document_tabs()
        with library:
            st.selectbox("Document", ["doc-1", "doc-2"], key="library_document")
        st.caption(f"library open: {library.open}")

    at = AppTest.from_function(script)
    at.run()
    assert at.caption[0].value == "library open: False"
    at.session_state["handoff::document"] = "doc-2"
    at.run()
    assert at.caption[0].value == "library open: True"
    assert at.selectbox(key="library_document").value == "doc-2"
    at.run()
    assert at.caption[0].value == "library open: True", "a rerun stays on the tab the analyst is on"
