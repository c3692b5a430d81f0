"""The Gradio endpoint's web page in Chromium, started as the README starts it (issue 17.1).

With API tokens only, a browser cannot send a token: the page says the web chat is off and how to
turn it on, instead of a chat box whose every message fails. With web logins as well, a browser
logs in and chats, and the API still wants its token.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from core.ingest.pipeline import Upload
from core.workbench import build_workbench
from tests.connectors.test_gradio_endpoint import RETURNS, client, endpoint_settings

pytestmark = pytest.mark.e2e

TOKEN = "change-me"


@contextmanager
def running_endpoint(tmp_path, embedder, **env):
    """The endpoint on 127.0.0.1 over a workspace holding the returns policy; yields its URL."""
    from connectors.gradio_endpoint import launch

    settings, endpoint = endpoint_settings(tmp_path, **env)
    workbench = build_workbench(settings, embedder=embedder)
    workbench.workspace().ingest([Upload("returns.md", RETURNS)])
    app = launch(settings, workbench, endpoint=endpoint, prevent_thread_lock=True)
    try:
        yield f"http://127.0.0.1:{endpoint.port}/"
    finally:
        app.close()
        workbench.close()


@pytest.fixture
def web(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def test_with_tokens_only_the_page_says_the_web_chat_is_off_and_the_api_answers(web, screenshot_dir, tmp_path,
                                                                                 embedder):
    with running_endpoint(tmp_path, embedder, AW_ENDPOINT_TOKENS=TOKEN) as url:
        web.goto(url)
        web.get_by_text("The web chat is off on this server").wait_for()
        assert web.get_by_text("AW_ENDPOINT_USERS").count() >= 1, "the page says how to turn the web chat on"
        assert web.locator("textarea").count() == 0, "no chat box whose every message would fail"
        web.screenshot(path=str(screenshot_dir / "gradio-tokens-only.png"), full_page=True)
        reply = client(url, token=TOKEN).predict("refund for damaged items", "bridge-1", "", api_name="/chat")
        assert "refunded in full" in reply and "**Sources**" in reply
        assert client(url, token=TOKEN).predict("refund", "bridge-1", "", api_name="/answer")["sources"]
        for api in ("/chat", "/answer"):
            with pytest.raises(Exception, match="Not authorised"):
                client(url).predict("refund", "anon", "", api_name=api)


def test_with_web_logins_a_browser_chats_and_the_api_still_needs_a_token(web, screenshot_dir, tmp_path, embedder):
    with running_endpoint(tmp_path, embedder, AW_ENDPOINT_TOKENS=TOKEN,
                          AW_ENDPOINT_USERS="analyst:a-long-password") as url:
        web.goto(url)
        web.get_by_label("username").fill("analyst")
        web.get_by_label("password").fill("a-long-password")
        web.get_by_role("button", name="Login").click()
        box = web.locator("textarea").first
        box.fill("refund for damaged items")
        box.press("Enter")
        web.get_by_text("refunded in full", exact=False).first.wait_for()
        web.get_by_text("Sources", exact=True).first.wait_for()
        assert web.get_by_text("Not authorised").count() == 0
        web.screenshot(path=str(screenshot_dir / "gradio-web-chat.png"), full_page=True)
        assert "refunded in full" in client(url, token=TOKEN).predict("refund for damaged items", "b", "",
                                                                      api_name="/chat")
        with pytest.raises(Exception):  # a wrong token meets the login gate, as no token does
            client(url, token="wrong").predict("refund", "b", "", api_name="/chat")
