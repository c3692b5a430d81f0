"""Hostile documents rendered in real Chromium: the Streamlit search and chat pages and the Gradio
chat show them, and not one request leaves for a host other than 127.0.0.1.

The documents hide remote images every way the attack review found (reference-style, nested
brackets, in a title shown in Sources, HTML img/srcset/picture/style url()). Each points at its
own made-up host, so a failure names the bypass that got through.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from core.ingest.pipeline import Upload
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env
from tests.e2e.conftest import free_port, streamlit_app

pytestmark = pytest.mark.e2e

HOSTILE_MD = b"""# Parcel refunds

Damaged parcels are refunded within five days ![x][r] and ![a [b] c](http://nested-brackets.example/n.png)
with <img src="http://html-img.example/i.png"> and <img srcset="http://srcset.example/s.png 2x">
<picture><source srcset="http://picture.example/p.webp"></picture>
<span style="background:url(http://style-url.example/s.png)">styled</span>
and ![proto](//protocol-relative.example/p.png) and ![d](data:image/svg+xml;base64,PHN2Zy8+).

[r]: http://reference-style.example/r.png
"""
HOSTILE_HTML = b"""<html><head><title>Parcel refund rules ![s](http://title-in-sources.example/t.png)</title></head>
<body><p>Damaged parcels refunded: the courier pays for parcel refunds within five days.</p></body></html>"""
QUESTION = "How are damaged parcels refunded?"


def loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return urlsplit(url).scheme in ("data", "blob", "about") or host in ("127.0.0.1", "localhost", "::1")


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory, embedder):
    data = tmp_path_factory.mktemp("hostile") / "data"
    env = clean_env() | {"AW_DATA_DIR": str(data)}
    workbench = build_workbench(Settings.from_env(env), embedder=embedder)
    results = workbench.workspace().ingest([Upload("refunds.md", HOSTILE_MD), Upload("rules.html", HOSTILE_HTML)])
    assert all(r.status == "ingested" for r in results), results
    workbench.close()
    return env


@pytest.fixture(scope="module")
def streamlit_url(hostile_data, tmp_path_factory):
    with streamlit_app(hostile_data, tmp_path_factory.mktemp("hostile-app") / "streamlit.log") as url:
        yield url


@pytest.fixture
def watched_page(browser):
    """A page that records every request the browser makes (images, CSS, fonts, fetches...)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    yield page, requests
    context.close()


def settle(page):
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"] [data-testid=\"stStatusWidgetRunningIcon\"]')")
    page.wait_for_timeout(1500)  # let any image the page holds start loading


def assert_nothing_left(requests: list[str]) -> None:
    remote = sorted({url for url in requests if not loopback(url)})
    assert remote == [], f"requests to other hosts: {remote}"
    assert any(url.startswith("http://127.0.0.1") for url in requests)  # the recorder did record


def assert_no_remote_images(page) -> None:
    """No element in the page points at another host (img, source, srcset, inline style url())."""
    urls = page.evaluate("""() => {
        const found = [];
        for (const el of document.querySelectorAll('img, source, picture, video, iframe, [style]')) {
            for (const name of ['src', 'srcset', 'poster', 'style']) {
                const value = el.getAttribute(name);
                if (value) found.push(value);
            }
        }
        return found;
    }""")
    remote = [u for u in urls if any(h in u for h in (".example", "//"))
              and "127.0.0.1" not in u and not u.startswith(("data:", "/"))]
    assert remote == [], remote


def test_search_results_of_a_hostile_document_fetch_nothing_remote(watched_page, streamlit_url):
    page, requests = watched_page
    page.goto(f"{streamlit_url}/documents")
    page.wait_for_selector("h1")
    box = page.get_by_role("textbox", name="Search")
    box.fill("damaged parcels refunded")
    box.press("Enter")
    page.get_by_text("refunded within five days", exact=False).first.wait_for()  # the hostile passage
    page.get_by_text("Parcel refund rules", exact=False).first.wait_for()  # and the hostile title
    settle(page)
    assert_no_remote_images(page)
    assert_nothing_left(requests)
    assert page.get_by_text("[image: x]").count() >= 1  # images are shown as labels


def test_chat_answer_and_sources_from_a_hostile_document_fetch_nothing_remote(watched_page, streamlit_url):
    page, requests = watched_page
    page.goto(f"{streamlit_url}/chat")
    page.wait_for_selector("h1")
    page.get_by_role("textbox").last.fill(QUESTION)
    page.keyboard.press("Enter")
    page.get_by_text("Sources (").first.wait_for()
    settle(page)
    page.get_by_text("Sources (").first.click()  # open the expander: passages and titles render
    # The answer quotes the passages and Sources shows the hostile title and passage.
    page.get_by_text("refunded within five days", exact=False).first.wait_for()
    page.get_by_text("[1] Parcel refund rules", exact=False).first.wait_for()
    settle(page)
    assert_no_remote_images(page)
    assert_nothing_left(requests)
    assert page.get_by_text("[image: a [b] c]", exact=False).count() >= 1


def test_gradio_chat_answer_from_a_hostile_document_fetches_nothing_remote(watched_page, hostile_data, embedder):
    from connectors.gradio_endpoint import launch
    from connectors.settings import EndpointSettings

    port = free_port()
    environ = hostile_data | {"AW_ENDPOINT_PORT": str(port)}
    settings = Settings.from_env(environ)
    workbench = build_workbench(settings, embedder=embedder)
    app = launch(settings, workbench, endpoint=EndpointSettings.from_env(environ), prevent_thread_lock=True)
    page, requests = watched_page
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        box = page.get_by_role("textbox").first
        box.fill(QUESTION)
        box.press("Enter")
        page.get_by_text("refunded within five days", exact=False).first.wait_for()
        page.get_by_text("[1] Parcel refund rules", exact=False).first.wait_for()  # the title under Sources
        page.wait_for_timeout(1500)
        assert_no_remote_images(page)
        assert_nothing_left(requests)
        assert page.get_by_text("[image: a [b] c]", exact=False).count() >= 1
    finally:
        app.close()
        workbench.close()
