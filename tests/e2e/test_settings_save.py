"""Settings "Save and restart" in Chromium (issue 17.5): the confirmation survives the restart, and
saving values whose connection test just failed asks first. On an app of its own: it saves settings."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.settings import SAVED_FILE
from tests.conftest import clean_env
from tests.e2e.conftest import streamlit_app
from tests.e2e.test_flows import no_exception, shot, wait_idle

pytestmark = pytest.mark.e2e

UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def settings_app(tmp_path_factory):
    data = tmp_path_factory.mktemp("settings-e2e") / "data"
    env = clean_env() | {"AW_DATA_DIR": str(data), "AW_WARM_UP": "false"}
    with streamlit_app(env, data.parent / "streamlit.log") as url:
        yield url, data


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def open_settings(page, url: str) -> None:
    page.goto(url)  # the app's root first: it registers the pages (see test_chat_handoffs.first_look)
    page.wait_for_selector("h1")
    page.goto(f"{url}/settings")
    page.get_by_role("heading", name="Settings").wait_for()
    wait_idle(page)


def click(page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    wait_idle(page)


def test_saving_after_a_failed_test_asks_first_and_every_save_says_it_saved(tab, settings_app, screenshot_dir):
    url, data = settings_app
    open_settings(tab, url)
    tab.get_by_text("ollama", exact=True).click()
    wait_idle(tab)
    host = tab.get_by_role("textbox", name="Ollama server URL")
    host.fill(UNREACHABLE)
    host.press("Enter")
    wait_idle(tab)
    click(tab, "Test connection")
    tab.locator('[data-testid="stAlert"]').filter(has_text="Ollama").first.wait_for()

    click(tab, "Save and restart the workbench")
    warning = tab.locator('[data-testid="stAlert"]').filter(has_text="The last connection test of these settings failed")
    warning.wait_for()
    assert not (data / SAVED_FILE).exists(), "nothing is saved before the analyst confirms"
    shot(tab, screenshot_dir, "settings-save-after-failed-test")

    click(tab, "Save anyway")
    tab.locator('[data-testid="stAlert"]').filter(has_text="Saved to").first.wait_for()
    tab.locator('[data-testid="stAlert"]').filter(has_text="Saved although the last connection test failed").wait_for()
    assert f"AW_OLLAMA_HOST={UNREACHABLE}" in (data / SAVED_FILE).read_text()
    wait_idle(tab)
    expect(tab.get_by_role("button", name="Save anyway")).to_have_count(0)
    shot(tab, screenshot_dir, "settings-saved-anyway")

    tab.get_by_text("none", exact=True).click()
    wait_idle(tab)
    click(tab, "Save and restart the workbench")
    saved = tab.locator('[data-testid="stAlert"]').filter(has_text="Saved to")
    saved.first.wait_for()
    wait_idle(tab)
    expect(tab.get_by_text("The last connection test of these settings failed")).to_have_count(0)
    assert "AW_LLM_PROVIDER=none" in (data / SAVED_FILE).read_text()
    no_exception(tab)
    shot(tab, screenshot_dir, "settings-saved")
