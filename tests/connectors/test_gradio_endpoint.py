"""The Gradio endpoint launched on 127.0.0.1 and called with gradio_client, as bridges do."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from connectors.settings import EndpointSettings
from core.errors import ConfigError
from core.ingest.pipeline import Upload
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env

RETURNS = b"# Returns policy\n\n## Damaged items\n\nDamaged items are refunded in full within 7 days of delivery.\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def endpoint_settings(tmp_path, **env) -> tuple[Settings, EndpointSettings]:
    """The workbench's settings and the endpoint's, from one environment (as a deployment has)."""
    environ = clean_env() | {"AW_DATA_DIR": str(tmp_path / "data"), "AW_ENDPOINT_PORT": str(free_port())} | env
    return Settings.from_env(environ), EndpointSettings.from_env(environ)


@pytest.fixture(scope="module")
def running(tmp_path_factory, embedder):
    from connectors.gradio_endpoint import launch

    tmp = tmp_path_factory.mktemp("endpoint")
    settings, endpoint = endpoint_settings(tmp, AW_ENDPOINT_TOKENS="bridge-token-123", AW_ENDPOINT_RATE_LIMIT="100",
                                 AW_ENDPOINT_CONCURRENCY="4")
    workbench = build_workbench(settings, embedder=embedder)
    workbench.workspace().ingest([Upload("returns.md", RETURNS)])
    app = launch(settings, workbench, endpoint=endpoint, prevent_thread_lock=True)
    yield f"http://127.0.0.1:{endpoint.port}/", workbench
    app.close()
    workbench.close()


def client(url, *, token=None, auth=None):
    from gradio_client import Client

    headers = {"Authorization": f"Bearer {token}"} if token else None
    return Client(url, auth=auth, headers=headers, verbose=False)


def test_api_answers_with_sources_for_a_token_holder(running):
    url, _ = running
    reply = client(url, token="bridge-token-123").predict("refund for damaged items", "conv-a", "", api_name="/chat")
    assert "Damaged items are refunded in full" in reply
    assert "**Sources**" in reply and "[1] Returns policy" in reply
    assert "Generation is off" in reply


def test_requests_without_a_valid_token_are_refused(running):
    url, _ = running
    with pytest.raises(Exception, match="Not authorised"):
        client(url).predict("refund", "conv-x", "", api_name="/chat")
    with pytest.raises(Exception, match="Not authorised"):
        client(url, token="wrong").predict("refund", "conv-x", "", api_name="/chat")


def test_web_logins_are_required_when_users_are_configured(tmp_path, embedder):
    from connectors.gradio_endpoint import launch

    settings, endpoint = endpoint_settings(tmp_path, AW_ENDPOINT_USERS="analyst:pw-1")
    workbench = build_workbench(settings, embedder=embedder)
    workbench.workspace().ingest([Upload("returns.md", RETURNS)])
    app = launch(settings, workbench, endpoint=endpoint, prevent_thread_lock=True)
    url = f"http://127.0.0.1:{endpoint.port}/"
    try:
        with pytest.raises(Exception):
            client(url).predict("refund", "conv-x", "", api_name="/chat")
        with pytest.raises(Exception):
            client(url, auth=("analyst", "wrong")).predict("refund", "conv-x", "", api_name="/chat")
        reply = client(url, auth=("analyst", "pw-1")).predict("refund for damaged items", "conv-y", "", api_name="/chat")
        assert "refunded in full" in reply
    finally:
        app.close()
        workbench.close()


def test_twenty_concurrent_calls_all_succeed(running):
    url, _ = running

    def ask(i):
        return client(url, token="bridge-token-123").predict("refund for damaged items", f"load-{i}", "", api_name="/chat")

    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(ask, range(20)))
    assert len(replies) == 20 and all("refunded in full" in r for r in replies)


def test_memory_is_kept_per_conversation_and_not_shared(running):
    url, workbench = running
    c = client(url, token="bridge-token-123")
    c.predict("refund for damaged items", "alice", "", api_name="/chat")
    c.predict("and within how many days?", "alice", "", api_name="/chat")
    c.predict("returns policy", "bob", "", api_name="/chat")
    store = workbench.assistant.conversations
    alice = [m.content for m in store.messages("default", "alice") if m.role == "user"]
    bob = [m.content for m in store.messages("default", "bob") if m.role == "user"]
    assert alice == ["refund for damaged items", "and within how many days?"]
    assert bob == ["returns policy"]


def test_other_workspaces_need_to_be_opened_to_the_api(running):
    url, _ = running
    with pytest.raises(Exception, match="not open to the API"):
        client(url, token="bridge-token-123").predict("refund", "conv-w", "secret-team", api_name="/chat")


def test_overlong_messages_get_a_clear_reply(running):
    url, _ = running
    with pytest.raises(Exception, match="the limit is 2000"):
        client(url, token="bridge-token-123").predict("x" * 2500, "conv-long", "", api_name="/chat")


@pytest.mark.parametrize("env", [{"AW_ENDPOINT_SHARE": "true"}, {"AW_ENDPOINT_HOST": "0.0.0.0"}])
def test_refuses_to_start_exposed_without_auth(tmp_path, env):
    from connectors.gradio_endpoint import launch

    settings, endpoint = endpoint_settings(tmp_path, **env)
    with pytest.raises(ConfigError, match="Refusing"):
        launch(settings, workbench=object(), endpoint=endpoint, prevent_thread_lock=True)


def test_rate_limit_per_conversation(tmp_path, embedder):
    from connectors.gradio_endpoint import ChatEndpoint

    settings, endpoint = endpoint_settings(tmp_path, AW_ENDPOINT_RATE_LIMIT="2")
    workbench = build_workbench(settings, embedder=embedder)
    workbench.workspace().ingest([Upload("returns.md", RETURNS)])
    handler = ChatEndpoint(workbench, endpoint)
    for _ in range(2):
        assert list(handler.respond("refund", [], "same-sender"))
    import gradio as gr

    with pytest.raises(gr.Error, match="Too many messages"):
        list(handler.respond("refund", [], "same-sender"))
    assert list(handler.respond("refund", [], "other-sender"))
    workbench.close()


# --- Routes and request bodies, anonymously (item: Gradio endpoint with tokens only) ------------


def raw_request(url: str, head: str, body_chunks=(), *, timeout: float = 5.0) -> tuple[str, int, float]:
    """Send ``head`` then ``body_chunks`` on a raw socket until the server answers or hangs up.

    Returns (the response's first line, body bytes sent, seconds until the answer came). The body
    is never finished on purpose: an answer proves the server did not wait to read all of it.
    """
    import time
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode())
        sent = 0
        sock.setblocking(False)
        for chunk in body_chunks:
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                pass  # the server stopped reading: look for its answer
            except (BrokenPipeError, ConnectionResetError):
                break
            if _readable(sock):
                break
        sock.setblocking(True)
        sock.settimeout(timeout)
        try:
            answer = sock.recv(4096).decode("latin-1")
        except ConnectionResetError:
            answer = ""
    return answer.split("\r\n", 1)[0], sent, time.monotonic() - started


def _readable(sock) -> bool:
    import select

    poller = select.poll()  # not select(): a long test process may hold more than 1,024 descriptors
    poller.register(sock, select.POLLIN | select.POLLHUP | select.POLLERR)
    return bool(poller.poll(0))


def head_for(url: str, path: str, extra: str) -> str:
    from urllib.parse import urlsplit

    host = urlsplit(url).netloc
    return f"POST {path} HTTP/1.1\nHost: {host}\nContent-Type: application/json\n{extra}\n"


def rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_upload_and_file_routes_are_absent_for_anonymous_callers(running, tmp_path):
    import httpx

    url, _ = running
    with httpx.Client(base_url=url, timeout=10) as http:
        upload = http.post("/gradio_api/upload", files={"files": ("a.txt", b"x" * 1000, "text/plain")})
        assert upload.status_code == 404, upload.text
        for path in ("/gradio_api/upload_progress?upload_id=x", "/gradio_api/file=/etc/hostname",
                     "/gradio_api/file/etc/hostname", "/gradio_api/proxy=https://example.com/x", "/monitoring",
                     "/gradio_api/run-history/buckets", "/gradio_api/openapi.json", "/openapi.json",
                     "/gradio_api/vibe-code", "/gradio_api/dev/reload", "/gradio_api/deep_link"):
            assert http.get(path).status_code == 404, path
        for path in ("/gradio_api/component_server", "/gradio_api/process_recording", "/gradio_api/stream/x",
                     "/gradio_api/vibe-edit", "/gradio_api/run-history/connect"):
            assert http.post(path, json={}).status_code == 404, path
        # What the chat needs is still there.
        assert http.get("/").status_code == 200
        assert http.get("/config").status_code == 200
        assert http.get("/gradio_api/info").status_code == 200


def test_an_oversized_body_is_refused_with_413_before_it_is_read(running):
    url, _ = running
    before = rss_mb()
    for _ in range(10):
        # Headers announce 100 MB and no byte of it is sent: only an answer without reading can come back.
        line, _, seconds = raw_request(url, head_for(url, "/gradio_api/queue/join", "Content-Length: 100000000\n"))
        assert line.startswith("HTTP/1.1 413"), line
        assert seconds < 3, seconds
    assert rss_mb() - before < 100


def test_a_chunked_body_past_the_cap_is_refused_while_it_streams(running):
    from connectors.gradio_endpoint import MAX_REQUEST_BYTES

    url, _ = running
    chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"  # 64 KiB chunks, never a final 0-chunk
    total = 100_000_000
    before = rss_mb()
    for _ in range(3):
        line, sent, _ = raw_request(url, head_for(url, "/gradio_api/queue/join", "Transfer-Encoding: chunked\n"),
                                    (chunk for _ in range(total // len(chunk))))
        assert line.startswith("HTTP/1.1 413"), line
        assert sent < total // 4, f"the server read {sent} bytes before refusing"
    assert rss_mb() - before < 100
    assert MAX_REQUEST_BYTES <= 1_000_000


def test_a_body_within_the_cap_still_reaches_the_chat(tmp_path, embedder):
    """The cap is on bytes, not on the API: a small cap refuses a long question with 413, a short one passes."""
    import httpx

    from connectors.gradio_endpoint import launch

    settings, endpoint = endpoint_settings(tmp_path, AW_ENDPOINT_TOKENS="t-1")
    workbench = build_workbench(settings, embedder=embedder)
    workbench.workspace().ingest([Upload("returns.md", RETURNS)])
    app = launch(settings, workbench, endpoint=endpoint, prevent_thread_lock=True, max_body_bytes=2000)
    url = f"http://127.0.0.1:{endpoint.port}/"
    try:
        assert "refunded in full" in client(url, token="t-1").predict("refund for damaged items", "c", "", api_name="/chat")
        big = httpx.post(url + "gradio_api/call/chat", json={"data": ["x" * 3000, "c", ""]}, timeout=10)
        assert big.status_code == 413
    finally:
        app.close()
        workbench.close()
