"""The main flows, clicked through in a real browser."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

PAGES = {"": "Analyst Workbench", "documents": "Documents", "knowledge_graph": "Knowledge Graph",
         "ask_database": "Ask the Database", "chat": "Chat", "settings": "Settings"}


def open_page(page, app_url, path):
    page.goto(f"{app_url}/{path}")
    page.wait_for_selector('[data-testid="stAppViewContainer"]')
    page.wait_for_selector('h1')
    wait_idle(page)


def wait_idle(page):
    # Streamlit shows a "running" status widget while the script runs.
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"] [data-testid=\"stStatusWidgetRunningIcon\"]')")
    page.wait_for_timeout(300)


def shot(page, folder, name):
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "home" for p in PAGES])
def test_every_page_renders_without_an_exception(page, app_url, screenshot_dir, path):
    open_page(page, app_url, path)
    page.get_by_role("heading", name=PAGES[path]).first.wait_for()
    no_exception(page)
    shot(page, screenshot_dir, f"page-{path or 'home'}")


def test_upload_a_file_and_see_its_result_row(page, app_url, screenshot_dir, tmp_path):
    upload = tmp_path / "warehouse-note.md"
    upload.write_text("# Warehouse note\n\nThe Chennai warehouse moves to Sriperumbudur in March.\n")
    open_page(page, app_url, "documents")
    page.get_by_role("tab", name="Upload").click()
    page.locator('input[type="file"]').set_input_files(str(upload))
    page.get_by_role("button", name="Upload and index").click()
    page.get_by_text("1 ingested", exact=False).first.wait_for(timeout=180_000)
    no_exception(page)
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    shot(page, screenshot_dir, "documents-upload-result")


def test_search_shows_cited_results(page, app_url, screenshot_dir):
    open_page(page, app_url, "documents")
    box = page.get_by_role("textbox", name="Search")
    box.fill("What compensation do customers get for a late delivery?")
    box.press("Enter")
    page.get_by_text(re.compile(r"\[1\] .*Delivery Policy", re.IGNORECASE)).first.wait_for()
    no_exception(page)
    shot(page, screenshot_dir, "documents-search")


def test_graph_page_draws_a_network_with_nodes(page, app_url, screenshot_dir):
    open_page(page, app_url, "knowledge_graph")
    frame = page.frame_locator('iframe[title="st.iframe"], iframe').first
    frame.locator("canvas").first.wait_for()
    count = 0
    for _ in range(60):
        for f in page.frames:
            try:
                count = f.evaluate("() => (typeof network !== 'undefined') ? network.body.data.nodes.length : 0")
            except Exception:
                continue
            if count:
                break
        if count:
            break
        page.wait_for_timeout(500)
    assert count > 0, "the pyvis network has nodes"
    no_exception(page)
    shot(page, screenshot_dir, "knowledge-graph")


def test_ask_the_database_shows_a_table_and_a_chart(page, app_url, screenshot_dir):
    open_page(page, app_url, "ask_database")
    box = page.get_by_label(re.compile("question", re.IGNORECASE)).first
    box.fill("orders by city in the last 30 days")
    box.press("Enter")
    page.wait_for_timeout(500)
    ask = page.get_by_role("button", name=re.compile("^Ask", re.IGNORECASE))
    if ask.count():
        ask.first.click()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    page.locator('[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"], .vega-embed').first.wait_for()
    no_exception(page)
    shot(page, screenshot_dir, "ask-database")


def test_chat_in_evidence_mode_shows_sources(page, app_url, screenshot_dir):
    open_page(page, app_url, "chat")
    page.get_by_text("Evidence mode", exact=False).first.wait_for()
    box = page.locator('[data-testid="stChatInput"] textarea')
    box.fill("How many orders came from Chennai this week?")
    box.press("Enter")
    page.get_by_text(re.compile(r"Sources \(\d+\)")).first.wait_for()
    page.get_by_text("From the database", exact=False).first.wait_for()
    no_exception(page)
    shot(page, screenshot_dir, "chat-evidence")


def test_workspace_can_be_created_from_the_sidebar(page, app_url, screenshot_dir):
    open_page(page, app_url, "")
    page.get_by_text("New workspace").click()
    page.get_by_label("Name").fill("e2e-team")
    page.get_by_role("button", name="Create").click()
    wait_idle(page)
    page.get_by_text("Workspace: e2e-team", exact=False).first.wait_for()
    no_exception(page)
    shot(page, screenshot_dir, "workspace-created")
