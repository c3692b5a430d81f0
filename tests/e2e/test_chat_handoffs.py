"""The Chat page's source buttons open their target with the content shown (issue 17.2), in Chromium.

A workspace with two databases: "shop" (the demo's tables, the default when the chat answers) and
"music" (Chinook), and one document. The default is switched to "music" after the chat answered, so
"Open in Ask the Database" must open the database the chat ran on, not whichever is the default.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest

from core.ingest.pipeline import Upload
from tests.conftest import ROOT, clean_env
from tests.core.sql.conftest import CHINOOK_SQLITE
from tests.e2e.conftest import streamlit_app
from tests.e2e.test_flows import no_exception, shot, wait_idle

pytestmark = pytest.mark.e2e

NOTE = b"# Warehouse move\n\nThe Chennai warehouse moves to Sriperumbudur in March, says the logistics team.\n"
SQL_QUESTION = "How many customers does each segment have?"


@pytest.fixture(scope="module")
def handoff_app(tmp_path_factory, embedder, browser):
    from core.demo import generate_demo
    from core.settings import Settings
    from core.workbench import build_workbench

    root = tmp_path_factory.mktemp("handoffs")
    generate_demo(root / "shop", today=dt.date.today())
    shutil.copyfile(CHINOOK_SQLITE, root / "music.sqlite")
    env = clean_env() | {"AW_DATA_DIR": str(root / "data")}
    settings = Settings.from_env(env)
    workbench = build_workbench(settings, embedder=embedder)
    try:
        workbench.workspace().ingest([Upload("warehouse-move.md", NOTE)])
        workbench.sql.add_connection("default", "shop", f"sqlite:///{root / 'shop' / 'retail.db'}", make_default=True)
        workbench.sql.add_connection("default", "music", f"sqlite:///{root / 'music.sqlite'}")
    finally:
        workbench.close()
    with streamlit_app(env, root / "streamlit.log") as url:
        first_look(browser, url)
        yield url, settings


def first_look(browser, url: str) -> None:
    # Until a server has run app.py once, Streamlit serves /chat as the bare pages/chat.py (its old
    # pages-folder mode: no sidebar); open the app's root first, as an analyst's first visit does.
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("h1", timeout=90_000)
    finally:
        context.close()


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def ask_chat(page, url: str, question: str) -> None:
    page.goto(f"{url}/chat")
    page.wait_for_selector("h1")
    wait_idle(page)
    box = page.locator('[data-testid="stChatInput"] textarea')
    box.fill(question)
    box.press("Enter")
    page.get_by_text(re.compile(r"Sources \(\d+\)")).last.wait_for()
    wait_idle(page)
    page.get_by_text(re.compile(r"Sources \(\d+\)")).last.click()


def set_default(settings, name: str) -> None:
    from core.workbench import build_workbench

    workbench = build_workbench(settings)  # only the metadata store is opened
    try:
        workbench.sql.set_default_connection("default", name)
    finally:
        workbench.close()


def test_open_in_ask_the_database_shows_the_chats_query_on_its_database(tab, handoff_app, screenshot_dir):
    url, settings = handoff_app
    ask_chat(tab, url, SQL_QUESTION)
    tab.get_by_text("Database query (planned, shop)", exact=False).first.wait_for()
    set_default(settings, "music")
    try:
        tab.get_by_role("button", name="Open in Ask the Database").first.click()
        tab.get_by_role("heading", name="Ask the Database").wait_for()
        wait_idle(tab)
        assert tab.get_by_role("combobox", name="Database").input_value() == "shop"
        editor = tab.get_by_label("SQL", exact=True).first
        assert "segment" in editor.input_value().lower()
        assert tab.get_by_label("Question", exact=True).first.input_value() == SQL_QUESTION
        tab.locator('[data-testid="stDataFrame"]').first.wait_for()  # the result, as the chat had it
        assert tab.get_by_text("customers.segment", exact=False).count() >= 1
        no_exception(tab)
        shot(tab, screenshot_dir, "handoff-ask-database")
    finally:
        set_default(settings, "shop")


@pytest.mark.skipif("document_tabs()" not in (ROOT / "pages" / "documents.py").read_text(),
                    reason="pages/documents.py does not draw its tabs with ui.state.document_tabs() yet")
def test_open_document_opens_the_library_on_that_document(tab, handoff_app, screenshot_dir):
    url, _ = handoff_app
    ask_chat(tab, url, "Where does the Chennai warehouse move to?")
    tab.get_by_role("button", name="Open document").first.click()
    tab.get_by_role("heading", name="Documents").wait_for()
    wait_idle(tab)
    assert tab.get_by_role("tab", name="Library").get_attribute("aria-selected") == "true"
    library = tab.get_by_role("tabpanel").filter(has=tab.get_by_text("chunks", exact=False)).first
    library.wait_for()
    assert tab.get_by_role("combobox", name="Document").input_value().startswith("Warehouse move")
    library.get_by_text(re.compile(r"^#0")).first.wait_for()  # the document's chunks are on screen
    no_exception(tab)
    shot(tab, screenshot_dir, "handoff-open-document")
