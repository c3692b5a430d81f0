"""When a source cannot be consulted (a database whose file is gone), the answer still comes from
what works, and says in its own text what it could not use: never a silent gap."""

from __future__ import annotations

import shutil

from core.ingest.pipeline import Upload
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env
from tests.core.sql.conftest import CHINOOK_SQLITE


def test_a_database_that_is_gone_is_named_in_the_answer(tmp_path, embedder):
    copy = tmp_path / "music.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    workbench = build_workbench(Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data")), embedder=embedder)
    try:
        workspace = workbench.workspace()
        workspace.ingest([Upload("genres.md", b"# Genres\n\nThe catalogue's largest genre is Rock, then Latin.\n")])
        sql = workbench.sql
        sql.add_connection("default", "music", f"sqlite:///{copy}")
        sql.add_question_sql("default", "How many genres are there?", "SELECT COUNT(*) FROM Genre")
        copy.unlink()  # the database goes away after it was connected and trained
        sql.close()  # no pooled connection may still hold the deleted file open
        answer = workbench.assistant.ask("default", "How many genres are there?")
        documents = workbench.assistant.ask("default", "Which genre is the largest in the catalogue?")
    finally:
        workbench.close()
    assert "The database could not be consulted" in answer.text
    assert "music.sqlite" in answer.text, "the message says which database and why"
    assert "The database could not be consulted" in answer.notice
    assert any(source.kind == "passage" for source in documents.sources), "the documents still answer"
    assert "The database could not be consulted" in documents.text
