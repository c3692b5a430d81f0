"""OllamaLLM (and OllamaEmbedder) against a real HTTP server that speaks the Ollama API."""

from __future__ import annotations

import json
import socket
import time

import httpx
import numpy as np
import pytest

from core.errors import ConfigError, InvalidInput, LLMUnavailable, WorkbenchError
from core.llm import LLM, Message, parse_json_reply
from core.llm.ollama_embedder import OllamaEmbedder
from core.llm.ollama_llm import OllamaLLM, display_host, keep_alive_value, same_model
from core.registry import build_chosen
from core.settings import LLMSettings, Settings
from tests.support.fake_ollama import FakeOllama

ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number", "minimum": 0, "maximum": 1}},
    "required": ["answer", "confidence"],
    "additionalProperties": False,
}


def llm_settings(host: str, **env: str) -> LLMSettings:
    """The llm section exactly as the real settings loader builds it from environment variables."""
    return Settings.from_env({}, AW_OLLAMA_HOST=host, **env).llm


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def server():
    with FakeOllama(models=["llama3.1", "nomic-embed-text:latest", "qwen2.5:7b"]) as fake:
        yield fake


@pytest.fixture
def make_llm():
    """Build OllamaLLMs from env-style settings and close their connections after the test."""
    built: list[OllamaLLM] = []

    def make(host: str, **env: str) -> OllamaLLM:
        built.append(OllamaLLM(llm_settings(host, **env)))
        return built[-1]

    yield make
    for provider in built:
        provider.close()


@pytest.fixture
def llm(server, make_llm):
    return make_llm(server.url)


QUESTION = [Message.system("You answer from the evidence."), Message.user("How many stores are in Leeds?")]


def test_ollama_llm_implements_the_protocol(llm):
    assert isinstance(llm, LLM)
    assert llm.name == "ollama/llama3.1"


def test_non_streamed_chat_returns_the_reply_and_sends_settings_on_the_wire(server, llm):
    server.enqueue("There are 3 stores in Leeds.")

    reply = llm.complete(QUESTION)

    assert reply == "There are 3 stores in Leeds."
    (sent,) = server.chat_requests
    assert sent["model"] == "llama3.1"
    assert sent["stream"] is False
    assert sent["messages"] == [
        {"role": "system", "content": "You answer from the evidence."},
        {"role": "user", "content": "How many stores are in Leeds?"},
    ]
    # A call that names no task still has a reply cap: the answer cap.
    assert sent["options"] == {"temperature": 0.1, "num_ctx": 8192, "num_predict": 1024}
    assert sent["keep_alive"] == "5m"
    assert "format" not in sent


def test_settings_and_per_call_options_are_merged_on_the_wire(server, make_llm):
    provider = make_llm(server.url, AW_LLM_TEMPERATURE="0.6", AW_LLM_NUM_CTX="2048", AW_LLM_KEEP_ALIVE="-1")
    server.enqueue("ok")

    provider.complete(QUESTION, options={"temperature": 0.0, "seed": 7, "max_tokens": 64, "timeout_seconds": 5})

    sent = server.chat_requests[0]
    # The cap goes as Ollama's num_predict; the wall-clock limit is the provider's, not a model option.
    assert sent["options"] == {"temperature": 0.0, "num_ctx": 2048, "seed": 7, "num_predict": 64}
    assert sent["keep_alive"] == -1  # a number of seconds goes as a number, as Ollama expects


def test_streamed_chat_yields_pieces_that_join_to_the_reply(server, llm):
    server.enqueue("Leeds has three stores and one warehouse.")

    pieces = list(llm.complete(QUESTION, stream=True))

    assert len(pieces) > 1
    assert "".join(pieces) == "Leeds has three stores and one warehouse."
    assert server.chat_requests[0]["stream"] is True


def test_json_schema_is_sent_as_format_and_the_reply_validates(server, llm):
    server.enqueue(json.dumps({"answer": "3 stores", "confidence": 0.8}))

    reply = llm.complete(QUESTION, json_schema=ANSWER_SCHEMA)

    assert server.chat_requests[0]["format"] == ANSWER_SCHEMA
    assert parse_json_reply(reply, ANSWER_SCHEMA) == {"answer": "3 stores", "confidence": 0.8}


def test_a_reply_that_breaks_the_schema_is_refused_with_a_clear_error(make_llm):
    with FakeOllama(strict_format=False) as fake:
        provider = make_llm(fake.url)
        fake.enqueue(json.dumps({"answer": "3 stores", "confidence": 7}))
        reply = provider.complete(QUESTION, json_schema=ANSWER_SCHEMA)

    with pytest.raises(WorkbenchError, match=r"expected shape: at confidence, 7 is greater than the maximum of 1"):
        parse_json_reply(reply, ANSWER_SCHEMA)


def test_available_and_models_read_the_tag_list(server, llm):
    ok, reason = llm.available()

    assert ok, reason
    assert server.url in reason and "llama3.1" in reason
    assert llm.models() == ["llama3.1:latest", "nomic-embed-text:latest", "qwen2.5:7b"]
    assert server.requests_to("/api/tags")  # it really asked the server


def test_availability_is_asked_once_per_ttl_and_a_failed_call_is_remembered(server, make_llm):
    provider = make_llm(server.url, AW_LLM_AVAILABILITY_TTL="30")

    answers = [provider.available() for _ in range(5)]  # a chat answer asks up to five times

    assert len(server.requests_to("/api/tags")) == 1
    assert all(ok for ok, _ in answers)
    server.enqueue_error(500, "out of memory")
    with pytest.raises(LLMUnavailable, match="out of memory"):
        provider.complete(QUESTION)
    ok, reason = provider.available()  # the failure is what the rest of the answer sees, without a new probe
    assert not ok and "out of memory" in reason
    assert len(server.requests_to("/api/tags")) == 1


@pytest.mark.parametrize(("configured", "found"), [("llama3.1:latest", True), ("qwen2.5:7b", True), ("qwen2.5", False)])
def test_available_treats_a_missing_tag_as_latest(server, make_llm, configured, found):
    ok, _ = make_llm(server.url, AW_OLLAMA_MODEL=configured).available()
    assert ok is found


def test_a_missing_model_is_unavailable_and_names_ollama_pull(server, make_llm):
    provider = make_llm(server.url, AW_OLLAMA_MODEL="mistral")

    ok, reason = provider.available()
    assert not ok
    assert "`ollama pull mistral`" in reason and "llama3.1:latest" in reason

    with pytest.raises(LLMUnavailable, match=r"`ollama pull mistral`"):
        provider.complete(QUESTION)
    with pytest.raises(LLMUnavailable, match=r"`ollama pull mistral`"):
        provider.complete(QUESTION, stream=True)  # raised at the call, before any iteration


def test_a_server_that_is_down_names_the_host_and_how_to_start_it(request):
    url = closed_port_url()
    provider = build_chosen("llm", Settings.from_env({}, AW_OLLAMA_HOST=url))  # building never contacts the server
    request.addfinalizer(provider.close)

    ok, reason = provider.available()
    assert not ok
    assert reason.startswith(f"Cannot reach Ollama at {url}: ")
    assert "ollama serve" in reason and "AW_OLLAMA_HOST" in reason
    calls = (lambda: provider.complete(QUESTION), lambda: provider.complete(QUESTION, stream=True), provider.models)
    for call in calls:
        with pytest.raises(LLMUnavailable, match=rf"Cannot reach Ollama at {url}: .*refused"):
            call()


def test_credentials_in_the_host_never_appear_in_messages(make_llm):
    url = closed_port_url().replace("http://", "http://analyst:s3cret-token@")
    provider = make_llm(url)

    with pytest.raises(LLMUnavailable) as caught:
        provider.complete(QUESTION)

    assert "s3cret-token" not in str(caught.value)
    assert "s3cret-token" not in provider.available()[1]
    assert "s3cret-token" not in repr(provider.name) + provider.host


def test_a_slow_server_times_out_after_the_configured_seconds(make_llm):
    with FakeOllama(delay_seconds=5) as fake:
        provider = make_llm(fake.url, AW_LLM_TIMEOUT="0.3")
        fake.enqueue("too late")
        started = time.monotonic()
        with pytest.raises(LLMUnavailable, match=r"timed out after 0\.3 s.*AW_LLM_TIMEOUT"):
            provider.complete(QUESTION)
        elapsed = time.monotonic() - started

    assert elapsed < 3


def test_a_per_call_time_limit_below_the_setting_is_kept(make_llm):
    # A call may ask for less time than AW_LLM_TIMEOUT (a router that must not hold up an answer); the
    # client built for the setting's 120 s must not be the one that waits.
    with FakeOllama(delay_seconds=5) as fake:
        provider = make_llm(fake.url, AW_LLM_TIMEOUT="120")
        fake.enqueue("too late")
        started = time.monotonic()
        with pytest.raises(LLMUnavailable, match=r"timed out after 0\.3 s"):
            provider.complete(QUESTION, options={"timeout_seconds": 0.3})
        elapsed = time.monotonic() - started

    assert elapsed < 3


def test_a_server_error_is_reported_with_its_reason(server, llm):
    server.enqueue_error(500, "model requires more system memory (9.1 GiB) than is available (4.0 GiB)")

    with pytest.raises(LLMUnavailable, match=r"refused the request \(HTTP 500\): model requires more system memory"):
        llm.complete(QUESTION)


def test_something_that_is_not_ollama_is_not_mistaken_for_a_missing_model(server, make_llm):
    provider = make_llm(server.url + "/not-ollama")

    with pytest.raises(LLMUnavailable) as caught:
        provider.complete(QUESTION)

    assert "ollama pull" not in str(caught.value)
    assert "HTTP 404" in str(caught.value)


def test_an_empty_conversation_is_refused_before_any_request(server, llm):
    with pytest.raises(InvalidInput):
        llm.complete([])
    assert server.chat_requests == []


def test_the_registry_builds_ollama_and_an_empty_host_is_refused():
    provider = build_chosen("llm", Settings.from_env({}, AW_OLLAMA_HOST="http://127.0.0.1:11434"))
    assert isinstance(provider, OllamaLLM)
    provider.close()
    empty = LLMSettings("ollama", "", "llama3.1", 0.1, 8192, "5m", 120.0)
    with pytest.raises(ConfigError, match="AW_OLLAMA_HOST"):
        OllamaLLM(empty)


@pytest.mark.parametrize(
    ("wanted", "listed", "same"),
    [
        ("llama3.1", "llama3.1:latest", True),
        ("llama3.1:latest", "llama3.1", True),
        ("llama3.1:8b", "llama3.1:latest", False),
        ("hf.co/org/model", "hf.co/org/model:latest", True),
        ("llama3", "llama3.1:latest", False),
    ],
)
def test_same_model(wanted, listed, same):
    assert same_model(wanted, listed) is same


@pytest.mark.parametrize(("raw", "value"), [("5m", "5m"), ("-1", -1), ("300", 300), ("1.5", 1.5), ("", None)])
def test_keep_alive_value(raw, value):
    assert keep_alive_value(raw) == value


def test_display_host_drops_credentials():
    assert display_host("https://me:pw@gpu-box:11434/") == "https://gpu-box:11434"
    assert display_host("gpu-box:11434") == "http://gpu-box:11434"


# -- parse_json_reply ------------------------------------------------------------------------


def test_parse_json_reply_accepts_a_fenced_reply():
    text = '```json\n{"answer": "yes", "confidence": 0.5}\n```'
    assert parse_json_reply(text, ANSWER_SCHEMA) == {"answer": "yes", "confidence": 0.5}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("The answer is 3.", r"not valid JSON .*The answer is 3"),
        ('{"answer": "3"}', r"at the top level, 'confidence' is a required property"),
        ('{"answer": 3, "confidence": 0.1}', r"at answer, 3 is not of type 'string'"),
    ],
)
def test_parse_json_reply_says_what_is_wrong(text, message):
    with pytest.raises(WorkbenchError, match=message):
        parse_json_reply(text, ANSWER_SCHEMA)


def test_parse_json_reply_wants_an_object():
    with pytest.raises(WorkbenchError, match="should be a JSON object but is a list"):
        parse_json_reply("[1, 2]", {"type": "array"})


# -- the fake speaks Ollama's wire format ------------------------------------------------------


def test_the_fake_streams_ndjson_like_ollama(server):
    server.enqueue("one two")
    with httpx.stream("POST", server.url + "/api/chat", json={"model": "llama3.1", "messages": []}) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in response.iter_lines()]

    assert [line["message"]["content"] for line in lines] == ["one ", "two", ""]
    assert [line["done"] for line in lines] == [False, False, True]
    assert lines[-1]["done_reason"] == "stop" and lines[-1]["eval_count"] == 2


# -- OllamaEmbedder ---------------------------------------------------------------------------


def test_embedder_returns_one_deterministic_vector_per_text_in_batches(server, request):
    embedder = OllamaEmbedder(server.url, "nomic-embed-text", batch_size=2)
    request.addfinalizer(embedder.close)
    texts = ["alpha", "beta", "gamma", "alpha", "delta"]

    vectors = embedder.embed(texts)

    assert vectors.shape == (5, 8) and vectors.dtype == np.float32 and embedder.dimension == 8
    assert np.array_equal(vectors[0], vectors[3]) and not np.array_equal(vectors[0], vectors[1])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)  # unit vectors, as the Embedder protocol promises
    batches = [body["input"] for body in server.requests_to("/api/embed")]
    assert batches == [["alpha", "beta"], ["gamma", "alpha"], ["delta"]]


def test_embedder_dimension_asks_the_server_once(server, request):
    embedder = OllamaEmbedder(server.url, "nomic-embed-text")
    request.addfinalizer(embedder.close)
    assert embedder.dimension == 8
    assert embedder.dimension == 8
    assert len(server.requests_to("/api/embed")) == 1


def test_embedder_reports_a_missing_model_and_a_down_server(server, request):
    missing = OllamaEmbedder(server.url, "all-minilm")
    down = OllamaEmbedder(closed_port_url())
    request.addfinalizer(missing.close)
    request.addfinalizer(down.close)

    with pytest.raises(LLMUnavailable, match="`ollama pull all-minilm`"):
        missing.embed(["x"])
    with pytest.raises(LLMUnavailable, match="Cannot reach Ollama"):
        down.embed(["x"])


def test_the_strict_fake_refuses_a_scripted_reply_that_breaks_the_schema(server, llm):
    # Mirrors Ollama's constrained decoding: with a format, a real server never sends such JSON.
    server.enqueue('{"answer": "3"}')

    with pytest.raises(LLMUnavailable, match="does not match the requested schema"):
        llm.complete(QUESTION, json_schema=ANSWER_SCHEMA)


def test_the_ollama_embedder_is_chosen_by_setting_and_is_a_full_embedder(server, request):
    settings = Settings.from_env({}, AW_EMBEDDING_PROVIDER="ollama", AW_OLLAMA_HOST=server.url, AW_LLM_PROVIDER="none")
    embedder = build_chosen("embedder", settings)
    request.addfinalizer(embedder.close)

    assert isinstance(embedder, OllamaEmbedder)
    assert embedder.model == "nomic-embed-text" and embedder.model_id == "ollama/nomic-embed-text"
    query = embedder.embed_query("alpha")
    assert query.shape == (8,) and np.array_equal(query, embedder.embed(["alpha"])[0])
    assert embedder.embed([]).shape == (0, 8)
    # Chunking counts tokens with the packaged WordPiece tokenizer: no server round trip.
    before = len(server.requests_to("/api/embed"))
    assert embedder.count_tokens("Leeds has three stores.") == 5
    assert embedder.count_tokens_many(["Leeds has three stores.", "one"]) == [5, 1]
    assert len(server.requests_to("/api/embed")) == before


def test_the_ollama_embedder_needs_a_host():
    settings = Settings.from_env({}, AW_EMBEDDING_PROVIDER="ollama")
    with pytest.raises(ConfigError, match="AW_OLLAMA_HOST"):
        build_chosen("embedder", settings)


def test_the_workbench_ingests_and_searches_with_the_ollama_embedder(server, tmp_path):
    from core.ingest.pipeline import Upload
    from core.workbench import build_workbench
    from tests.conftest import clean_env

    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"), AW_EMBEDDING_PROVIDER="ollama",
                                 AW_OLLAMA_HOST=server.url, AW_LLM_PROVIDER="none")
    workbench = build_workbench(settings, embedder=build_chosen("embedder", settings))
    try:
        ws = workbench.workspace()
        text = b"# Leeds\n\nLeeds has three stores and one warehouse.\n\n# York\n\nYork has one store."
        result = ws.ingest([Upload("stores.md", text)])[0]
        assert result.status == "ingested", result
        # The fake's vectors are hashes, not meanings: this proves the wiring, not the ranking.
        hits = ws.search("Leeds stores", mode="vector", k=1)
        assert hits and hits[0].chunk.document_id == result.document_id
        assert server.requests_to("/api/embed")
    finally:
        workbench.close()
