"""The endpoint's JSON answer (`/answer`) carries the plan a database question was read as, the same
``plan`` as `sql ask --json`; the Markdown chat says it too. Launched on 127.0.0.1, called with gradio_client."""

from __future__ import annotations

import shutil

import pytest

from core.workbench import build_workbench
from tests.connectors.test_gradio_endpoint import client, endpoint_settings
from tests.core.sql.conftest import CHINOOK_SQLITE

QUESTION = "How many tracks are in the Jazz genre?"


@pytest.fixture(scope="module")
def music_endpoint(tmp_path_factory, embedder):
    from connectors.gradio_endpoint import launch

    tmp = tmp_path_factory.mktemp("endpoint-plan")
    copy = tmp / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    settings, endpoint = endpoint_settings(tmp, AW_ENDPOINT_TOKENS="plan-token", AW_ENDPOINT_RATE_LIMIT="100")
    workbench = build_workbench(settings, embedder=embedder)
    workbench.workspace().sql.add_connection("chinook", f"sqlite:///{copy}")
    app = launch(settings, workbench, endpoint=endpoint, prevent_thread_lock=True)
    yield f"http://127.0.0.1:{endpoint.port}/", workbench
    app.close()
    workbench.close()


def test_the_json_answer_carries_the_same_plan_as_sql_ask(music_endpoint):
    url, workbench = music_endpoint
    expected = workbench.workspace().sql.ask(QUESTION).plan
    reply = client(url, token="plan-token").predict(QUESTION, "json-1", "", api_name="/answer")
    assert isinstance(reply, dict) and reply["mode"] == "evidence"
    assert reply["plan"] == expected and "Jazz" in reply["plan"]["interpretation"]
    sql = next(s for s in reply["sources"] if s["kind"] == "sql")
    assert sql["reference"]["plan"] == expected and sql["reference"]["rows"] == [[130]]
    assert "130" in reply["answer"]


def test_the_json_answer_has_no_plan_when_the_database_was_not_asked(music_endpoint):
    url, _ = music_endpoint
    reply = client(url, token="plan-token").predict("What is our refund policy?", "json-2", "", api_name="/answer")
    assert reply["plan"] is None and not [s for s in reply["sources"] if s["kind"] == "sql"]


def test_the_markdown_chat_says_how_the_question_was_read(music_endpoint):
    url, _ = music_endpoint
    reply = client(url, token="plan-token").predict(QUESTION, "md-1", "", api_name="/chat")
    assert "Database query (planned, chinook): read as number of Track" in reply and "Jazz" in reply


def test_the_json_answer_keeps_the_access_rules(music_endpoint):
    url, _ = music_endpoint
    with pytest.raises(Exception, match="Not authorised"):
        client(url).predict(QUESTION, "json-x", "", api_name="/answer")
    with pytest.raises(Exception, match="not open to the API"):
        client(url, token="plan-token").predict(QUESTION, "json-x", "other", api_name="/answer")
