"""A moved data dir reads its own demo database (issue 17.7), in Chromium: the Home page's health and
Ask the Database both name and read the moved folder's file, not the one the data dir was loaded in."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import pytest

from tests.conftest import clean_env
from tests.e2e.conftest import streamlit_app
from tests.e2e.test_flows import no_exception, shot, wait_idle

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def moved_app(tmp_path_factory, embedder):
    from core.demo import generate_demo
    from core.demo.load import load_demo_database
    from core.settings import Settings
    from core.workbench import build_workbench

    root = tmp_path_factory.mktemp("moved")
    first = root / "first" / "data"
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(first))
    generate_demo(settings.sql.demo_db_path.parent, today=dt.date.today())
    workbench = build_workbench(settings, embedder=embedder)
    load_demo_database(workbench.workspace(), settings.sql.demo_db_path.parent)
    workbench.close()
    moved = root / "moved" / "data"
    shutil.copytree(first, moved)  # copied: the first folder stays, with more customers than the copy
    with sqlite3.connect(moved / "demo" / "retail.db") as copy:
        copy.execute("DELETE FROM customers WHERE customer_id IN (SELECT customer_id FROM customers LIMIT 7)")
        customers = copy.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    env = clean_env() | {"AW_DATA_DIR": str(moved)}
    with streamlit_app(env, root / "streamlit.log") as url:
        yield url, moved.resolve() / "demo" / "retail.db", customers


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def test_health_and_ask_read_the_moved_folders_demo_database(tab, moved_app, screenshot_dir):
    url, database, customers = moved_app
    tab.goto(url)
    tab.get_by_role("heading", name="Analyst Workbench").wait_for()
    wait_idle(tab)
    main = tab.get_by_role("main")
    # The health table's demo_database row (a data grid's cells are in the page but drawn on a canvas).
    main.locator('[role="gridcell"]').filter(has_text=str(database)).first.wait_for(state="attached")
    assert main.get_by_text("demo_database** is not available").count() == 0

    tab.locator('[data-testid="stSidebar"]').get_by_role("link", name="Ask the Database").click()
    tab.get_by_role("heading", name="Ask the Database").wait_for()
    wait_idle(tab)
    tab.get_by_text(f"sqlite:///{database}").first.wait_for()  # the connection the page queries
    editor = tab.get_by_role("tabpanel").first.get_by_label("SQL", exact=True)
    editor.fill("SELECT COUNT(*) AS customers FROM customers")
    editor.press("Control+Enter")
    wait_idle(tab)
    tab.get_by_role("button", name="Run SQL").click()
    wait_idle(tab)
    result = tab.get_by_role("tabpanel").first.locator('[data-testid="stDataFrame"]').first
    result.wait_for()
    cells = result.locator('[role="gridcell"]')
    cells.first.wait_for(state="attached")
    assert [cell.text_content() for cell in cells.all()] == [str(customers)]
    no_exception(tab)
    shot(tab, screenshot_dir, "moved-data-dir-ask")
