"""The assistant asks a connected database nobody here designed (Chinook): a question the planner
reads in full goes to the database, whatever the tables are called, with the interpretation as the reason."""

from __future__ import annotations

import shutil

import pytest

from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env

CHINOOK = "/work/shared/data/external/chinook/Chinook_Sqlite.sqlite"


@pytest.fixture(scope="module")
def chinook_chat(tmp_path_factory, embedder):
    tmp = tmp_path_factory.mktemp("chat-chinook")
    copy = tmp / "chinook.sqlite"
    shutil.copyfile(CHINOOK, copy)  # a temporary copy, read-only to the workbench
    workbench = build_workbench(Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp / "data")), embedder=embedder)
    workspace = workbench.workspace("music")
    workspace.sql.add_connection("chinook", f"sqlite:///{copy}")
    yield workspace
    workbench.close()


def test_a_planned_question_is_answered_from_the_database(chinook_chat):
    answer = chinook_chat.chat.ask("How many tracks are in the Jazz genre?")
    sql_sources = [s for s in answer.sources if s.kind == "sql"]
    assert len(sql_sources) == 1 and sql_sources[0].reference["origin"] == "planned"
    assert sql_sources[0].reference["rows"] == [[130]]
    assert "130" in answer.text


def test_the_route_says_how_the_question_was_read(chinook_chat):
    assistant = chinook_chat.workbench.assistant
    evidence = assistant.gather("music", "Which genre has the most tracks?")
    assert evidence.route.database
    assert any("reads as a database question: number of Track · by Genre" in r for r in evidence.route.reasons)
    assert not assistant.gather("music", "Who wrote the returns policy?").route.database
