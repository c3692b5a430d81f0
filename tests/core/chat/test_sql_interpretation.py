"""A database source in the chat carries the plan it was read as: in its reference (for the doors that
return JSON), at the head of its text (for a prompt) and in the evidence-mode answer, and a stored
conversation keeps it."""

from __future__ import annotations

import shutil

import pytest

from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env
from tests.core.sql.conftest import CHINOOK_SQLITE


@pytest.fixture(scope="module")
def music(tmp_path_factory, embedder):
    tmp = tmp_path_factory.mktemp("chat-plan")
    copy = tmp / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    workbench = build_workbench(Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp / "data")), embedder=embedder)
    workspace = workbench.workspace("music")
    workspace.sql.add_connection("chinook", f"sqlite:///{copy}")
    yield workspace
    workbench.close()


def test_a_planned_database_source_carries_its_plan_and_interpretation(music):
    question = "How many tracks are in the Jazz genre?"
    expected = music.sql.ask(question)
    answer = music.chat.ask(question, conversation_id="plan-1")
    source = next(s for s in answer.sources if s.kind == "sql")
    assert source.reference["plan"] == expected.plan and "Jazz" in expected.interpretation
    assert source.text.startswith(f"Read as: {expected.interpretation}\n")
    assert "(read as: number of Track" in answer.text and "Jazz" in answer.text
    stored = next(m for m in music.chat.messages("plan-1") if m.role == "assistant")
    assert next(s for s in stored.sources if s.kind == "sql").reference["plan"] == expected.plan
