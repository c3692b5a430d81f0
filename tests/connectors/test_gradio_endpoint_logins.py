"""Who gets through the Gradio endpoint in each of its modes (issue 17.1), on a real server.

- tokens only: the page has no chat (a browser cannot send a token) and says so; the APIs answer token holders;
- logins and tokens: a browser logs in; a bridge's token still passes Gradio's login gate, as the same caller
  it is without logins; a wrong token or a forged cookie does not;
- the README's command, as a real process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from connectors.token_sessions import fingerprint
from core.ingest.pipeline import Upload
from core.workbench import build_workbench
from tests.conftest import ROOT, clean_env
from tests.connectors.test_gradio_endpoint import RETURNS, client, endpoint_settings, free_port

TOKEN = "bridge-token-123"


@pytest.fixture(scope="module")
def with_logins(tmp_path_factory, embedder):
    from connectors.gradio_endpoint import launch

    tmp = tmp_path_factory.mktemp("endpoint-logins")
    settings, endpoint = endpoint_settings(tmp, AW_ENDPOINT_TOKENS=TOKEN, AW_ENDPOINT_USERS="analyst:pw-123456",
                                           AW_ENDPOINT_RATE_LIMIT="100")
    workbench = build_workbench(settings, embedder=embedder)
    workbench.workspace().ingest([Upload("returns.md", RETURNS)])
    app = launch(settings, workbench, endpoint=endpoint, prevent_thread_lock=True)
    yield f"http://127.0.0.1:{endpoint.port}/", workbench
    app.close()
    workbench.close()


def test_a_token_passes_the_login_gate_as_the_same_caller_as_without_logins(with_logins):
    url, workbench = with_logins
    reply = client(url, token=TOKEN).predict("refund for damaged items", "bridge-conv", "", api_name="/chat")
    assert "refunded in full" in reply
    assert client(url, token=TOKEN).predict("refund", "bridge-conv", "", api_name="/answer")["sources"]
    owners = {c.id: c.user_id for c in workbench.assistant.conversations.list("default")}
    assert owners["bridge-conv"] == "gradio-token:" + fingerprint(TOKEN)


def test_a_login_still_chats(with_logins):
    url, _ = with_logins
    assert "refunded in full" in client(url, auth=("analyst", "pw-123456")).predict(
        "refund for damaged items", "web-conv", "", api_name="/chat")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                                     {"Cookie": "access-token-unsecure-x=anything; access-token-x=anything"}])
def test_no_token_a_wrong_one_or_a_forged_cookie_meets_the_gate(with_logins, headers):
    url, _ = with_logins
    assert httpx.get(url + "config", headers=headers, timeout=10).status_code == 401
    assert httpx.post(url + "gradio_api/call/chat", json={"data": ["refund", "x", ""]}, headers=headers,
                      timeout=10).status_code == 401


def test_with_tokens_only_the_page_offers_no_chat(tmp_path, embedder):
    from connectors.gradio_endpoint import WEB_CHAT_OFF, launch

    settings, endpoint = endpoint_settings(tmp_path, AW_ENDPOINT_TOKENS=TOKEN)
    workbench = build_workbench(settings, embedder=embedder)
    app = launch(settings, workbench, endpoint=endpoint, prevent_thread_lock=True)
    try:
        config = httpx.get(f"http://127.0.0.1:{endpoint.port}/config", timeout=10).json()
        kinds = {component["type"] for component in config["components"]}
        assert "chatbot" not in kinds and "textbox" not in kinds
        assert any(WEB_CHAT_OFF in str(component.get("props", {}).get("value", "")) for component in config["components"])
    finally:
        app.close()
        workbench.close()


def wait_for(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the endpoint exited: {process.stdout.read()}")
        try:
            if httpx.get(url + "gradio_api/info", timeout=1, headers={"Authorization": f"Bearer {TOKEN}"}).status_code:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    pytest.fail("the endpoint did not answer")


@pytest.mark.slow
def test_the_readme_command_serves_the_web_chat_and_the_api(tmp_path):
    """`AW_ENDPOINT_USERS=... AW_ENDPOINT_TOKENS=... python -m connectors.gradio_endpoint`, as the README gives it."""
    port = free_port()
    env = clean_env() | {"AW_DATA_DIR": str(tmp_path / "data"), "AW_ENDPOINT_PORT": str(port), "AW_WARM_UP": "false",
                         "AW_ENDPOINT_USERS": "analyst:change-me-too", "AW_ENDPOINT_TOKENS": TOKEN,
                         "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    process = subprocess.Popen([sys.executable, "-m", "connectors.gradio_endpoint"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for(url, process)
        assert httpx.get(url + "config", timeout=10).status_code == 401, "the page wants a login"
        reply = client(url, token=TOKEN).predict("refund for damaged items", "readme", "", api_name="/chat")
        assert "Generation is off" in reply  # an answer (the data dir is empty), not "Not authorised"
        logged_in = client(url, auth=("analyst", "change-me-too")).predict("refund", "readme-web", "", api_name="/chat")
        assert "Generation is off" in logged_in
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "web chat is off" not in output
