"""The sidebar's health summary and the Home page agree, and follow a Settings change at once
(issue 17.6), in Chromium. On an app of its own (it saves settings), with the demo database made."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.conftest import clean_env
from tests.e2e.conftest import streamlit_app
from tests.e2e.test_flows import no_exception, shot, wait_idle

pytestmark = pytest.mark.e2e

UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def health_app(tmp_path_factory):
    from core.demo import generate_demo

    data = tmp_path_factory.mktemp("health-e2e") / "data"
    generate_demo(data / "demo", today=dt.date.today())  # every backend is ready to start with
    env = clean_env() | {"AW_DATA_DIR": str(data), "AW_WARM_UP": "false"}
    with streamlit_app(env, data.parent / "streamlit.log") as url:
        yield url


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def go(page, title: str) -> None:
    sidebar(page).get_by_role("link", name=title).click()
    page.get_by_role("heading", name="Analyst Workbench" if title == "Home" else title).first.wait_for()
    wait_idle(page)


def save_provider(page, provider: str, host: str = "") -> None:
    go(page, "Settings")
    page.get_by_text(provider, exact=True).click()
    wait_idle(page)
    if host:
        box = page.get_by_role("textbox", name="Ollama server URL")
        box.fill(host)
        box.press("Enter")
        wait_idle(page)
    page.get_by_role("button", name="Save and restart the workbench").click()
    page.locator('[data-testid="stAlert"]').filter(has_text="Saved to").first.wait_for()
    wait_idle(page)


def test_sidebar_and_home_agree_and_follow_a_settings_change(tab, health_app, screenshot_dir):
    tab.goto(health_app)
    tab.get_by_role("heading", name="Analyst Workbench").wait_for()
    wait_idle(tab)
    expect(sidebar(tab).get_by_text("All backends ready.")).to_be_visible()
    assert tab.get_by_role("main").get_by_text("is not available").count() == 0

    save_provider(tab, "ollama", UNREACHABLE)  # the LLM server is down from now on
    expect(sidebar(tab).get_by_text("1 backend(s) need attention (llm)")).to_be_visible()
    go(tab, "Home")
    main = tab.get_by_role("main")
    main.locator('[data-testid="stAlert"]').filter(has_text="llm").filter(has_text="is not available").wait_for()
    expect(sidebar(tab).get_by_text("1 backend(s) need attention (llm)")).to_be_visible()
    expect(main.get_by_text("1 backend(s) need attention (llm)", exact=False)).to_be_visible()
    shot(tab, screenshot_dir, "health-llm-down")

    save_provider(tab, "none")
    expect(sidebar(tab).get_by_text("All backends ready.")).to_be_visible()
    go(tab, "Home")
    expect(tab.get_by_role("main").get_by_text("is not available")).to_have_count(0)
    no_exception(tab)
    shot(tab, screenshot_dir, "health-ready-again")
