"""OllamaLLM against a server that speaks Ollama's API with the real model behind it (SmolLM2 through xllamacpp).

The server (tests/support/ollama_over_llamacpp.py) translates /api/chat to xllamacpp's OpenAI-compatible
server, the session's ``openai_server``: one loaded model serves both providers' tests. Contracts, not
quality: replies stop at the per-task cap, JSON under ``format`` is valid against its schema, a closed
stream stops generation on the server, and a chat answer over Chinook cites only real sources, runs only
guarded SQL and leaves the database file as it was.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time

import httpx
import ollama
import pytest

from core.errors import LLMUnavailable, WorkbenchError
from core.llm import LLM, Message, parse_json_reply
from core.llm.ollama_llm import OllamaLLM
from core.registry import build_chosen, chosen_name
from core.settings import Settings
from tests.conftest import clean_env
from tests.core.sql.conftest import CHINOOK_SQLITE
from tests.support.ollama_over_llamacpp import OllamaOverLlamaCpp
from tests.support.real_llm import generating, token_count

ANSWER = {
    "type": "object",
    "properties": {"answer": {"type": "string", "maxLength": 40}, "confident": {"type": "boolean"}},
    "required": ["answer", "confident"],
    "additionalProperties": False,
}
STORY = [Message.user("Tell me a very long story about a dragon who learns to count.")]
# The planner abstains on this wording, so the question reaches the model (as in tests/core/sql/test_llm_plan.py).
QUESTION = "Which of our loyal patrons are in Brazil?"


@pytest.fixture(scope="module")
def server(openai_server):
    url, key = openai_server
    with OllamaOverLlamaCpp(url, key) as running:
        yield running


def settings_for(server: OllamaOverLlamaCpp, data_dir: str = "/nonexistent-aw-test", **env: str) -> Settings:
    env = {"AW_OLLAMA_MODEL": server.model, "AW_LLM_TEMPERATURE": "0", "AW_LLM_NUM_CTX": "2048", **env}
    return Settings.from_env(clean_env(), AW_DATA_DIR=data_dir, AW_OLLAMA_HOST=server.url, **env)


@pytest.fixture
def make_llm(server, request):
    def make(**env: str) -> OllamaLLM:
        provider = build_chosen("llm", settings_for(server, **env))
        request.addfinalizer(provider.close)
        return provider

    return make


@pytest.fixture
def llm(make_llm):
    return make_llm()


def settle(openai_server, seconds: float = 3.0) -> bool:
    """Wait until the model server is idle; False if it is still generating after ``seconds``."""
    deadline = time.monotonic() + seconds
    while generating(openai_server) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not generating(openai_server)


def test_the_server_answers_the_official_client_and_the_probe_is_asked_once(server, make_llm):
    client = ollama.Client(host=server.url)
    listed = client.list().models
    assert [entry.model for entry in listed] == [server.model] and listed[0].size > 1_000_000
    shown = client.show(server.model)
    assert shown.modelinfo["llama.context_length"] == server.context_length and shown.details.format == "gguf"
    assert httpx.get(server.url + "/api/version").json()["version"]

    provider = make_llm(AW_LLM_AVAILABILITY_TTL="30")
    assert isinstance(provider, LLM) and chosen_name("llm", settings_for(server)) == "ollama"
    before = server.requests.count(("GET", "/api/tags"))
    answers = [provider.available() for _ in range(5)]  # one chat answer asks up to five times
    assert all(ok for ok, _ in answers), answers[0][1]
    assert server.requests.count(("GET", "/api/tags")) - before == 1 and provider._availability.probes == 1
    assert provider.models() == [server.model]
    assert OllamaLLM.check_health(settings_for(server).llm).ok

    ok, reason = make_llm(AW_OLLAMA_MODEL="llama3.1").available()
    assert not ok and "does not have model 'llama3.1'" in reason and server.model in reason


def test_whole_and_streamed_replies_stop_at_their_token_cap(llm, server, openai_server):
    reply = llm.complete(STORY, options={"max_tokens": 16})
    sent = server.last.wait()
    assert sent.request["options"]["num_predict"] == 16 and sent.request["options"]["temperature"] == 0
    assert sent.upstream["max_tokens"] == 16 and sent.ended == "length" and sent.eval_count <= 16
    assert reply.strip() and reply == "".join(sent.pieces) and token_count(openai_server, reply) <= 16

    pieces = list(llm.complete(STORY, stream=True, options={"max_tokens": 16}))
    streamed = server.last.wait()
    assert streamed.request.get("stream", True) is not False
    assert pieces == streamed.pieces and 1 <= len(pieces) <= 16 and streamed.ended == "length"
    assert token_count(openai_server, "".join(pieces)) <= 16


@pytest.mark.parametrize("stream", [False, True])
def test_a_json_reply_is_constrained_by_the_format_schema_and_validates(llm, server, stream):
    question = [Message.user("Is Paris the capital of France? Answer in JSON.")]
    reply = llm.complete(question, stream=stream, json_schema=ANSWER, options={"max_tokens": 64})
    text = reply if isinstance(reply, str) else "".join(reply)
    sent = server.last.wait()
    assert sent.request["format"] == ANSWER  # Ollama's constrained decoding ...
    assert sent.upstream["response_format"]["json_schema"]["schema"] == ANSWER  # ... is llama.cpp's grammar
    assert sent.ended == "stop" and sent.eval_count <= 64
    assert isinstance(parse_json_reply(text, ANSWER)["confident"], bool)


def test_closing_a_stream_early_stops_generation_on_the_server(llm, server, openai_server):
    stream = llm.complete(STORY, stream=True, options={"max_tokens": 2000})
    assert next(stream) and next(stream)
    stream.close()

    closed = server.last.wait(5)
    assert closed.ended == "client_closed" and len(closed.pieces) < 40  # 2,000 tokens would take a minute
    assert settle(openai_server), "llama.cpp kept generating after the reader left"


def test_a_whole_reply_over_its_time_limit_is_unavailable_and_frees_the_server(llm, server, openai_server):
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"timed out after 0\.5 s.*AW_LLM_TIMEOUT"):
        llm.complete(STORY, options={"max_tokens": 2000, "timeout_seconds": 0.5})
    assert time.monotonic() - started < 2

    abandoned = server.last.wait(5)  # the server notices the client hung up while it waited for the whole reply
    assert abandoned.ended == "client_closed" and len(abandoned.pieces) < 60
    assert settle(openai_server)


# ---- a product path: the chat assistant and the SQL service on Chinook, through the Ollama API --------------

def file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def chinook_workbench(server, tmp_path_factory, embedder):
    """Workspace "music" with a temporary copy of Chinook, the ollama provider pointed at the real-model server.

    Small caps keep the tiny model quick; its plans rarely fit the schema, which proves the fallback too.
    """
    from core.workbench import build_workbench

    tmp = tmp_path_factory.mktemp("ollama-chinook")
    copy = tmp / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    # A 1,024-token context keeps the prompts short: the tiny model reads only about 100 tokens a second.
    settings = settings_for(server, str(tmp / "data"), AW_LLM_NUM_CTX="1024", AW_LLM_MAX_TOKENS_ANSWER="32",
                            AW_LLM_MAX_TOKENS_SQL="64", AW_LLM_MAX_TOKENS_ROUTE="48", AW_LLM_AVAILABILITY_TTL="60")
    llm = build_chosen("llm", settings)
    assert isinstance(llm, OllamaLLM)
    workbench = build_workbench(settings, embedder=embedder, llm=llm)
    workspace = workbench.workspace("music")
    workspace.sql.add_connection("chinook", f"sqlite:///{copy}")
    before = file_digest(copy)
    yield workspace, llm, settings.llm, lambda: file_digest(copy) == before
    workbench.close()


def every_reply_was_bounded(server, first: int, caps) -> list:
    """Every chat since ``first`` asked for a task's cap, stayed within it, and any ``format`` was a grammar."""
    exchanges = server.exchanges[first:]
    assert exchanges, "the model was never asked"
    for exchange in exchanges:
        exchange.wait()
        cap = exchange.request["options"]["num_predict"]
        assert cap in caps and exchange.eval_count is not None and exchange.eval_count <= cap
        if "format" in exchange.request:
            assert exchange.upstream["response_format"]["type"] == "json_schema"
    return exchanges


def test_the_sql_service_through_ollama_runs_only_guarded_sql_or_refuses(chinook_workbench, server):
    workspace, llm, caps, unchanged = chinook_workbench
    first = len(server.exchanges)
    try:
        answer = workspace.sql.ask(QUESTION)
    except WorkbenchError as refused:  # the model's SQL refused by the guard or the parser: a clear error
        assert str(refused)
    else:
        assert answer.source in {"llm_planned", "generated"} and answer.result is not None
        assert answer.sql.lstrip().upper().startswith(("SELECT", "WITH"))
        if answer.source == "generated":
            assert "not verified" in answer.message
    exchanges = every_reply_was_bounded(server, first, {caps.max_tokens("sql")})
    assert "format" in exchanges[0].request  # the plan is asked for as schema-constrained JSON
    assert unchanged(), "the database file changed"


def test_a_chat_answer_through_ollama_is_bounded_and_cites_only_real_sources(chinook_workbench, server):
    workspace, llm, caps, unchanged = chinook_workbench
    first = len(server.exchanges)
    probes = llm._availability.probes

    answer = workspace.chat.ask("How many customers are in Brazil?")

    assert answer.mode in {"generated", "evidence"} and answer.text.strip()
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert cited <= {source.index for source in answer.sources}
    for source in answer.sources:
        if source.kind == "sql":  # the database answered through the guarded runner
            assert source.reference["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    every_reply_was_bounded(server, first, {caps.max_tokens(task) for task in ("answer", "sql", "route", "rewrite")})
    assert llm._availability.probes - probes <= 1  # one answer, at most one probe of the server
    assert unchanged(), "the database file changed"
