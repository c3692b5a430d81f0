"""The workspace handle's views (ws.sql, ws.graph, ws.chat) on the real demo database and stores:
they bind the workspace once, and the editor's provenance rules live in core, not in a page."""

from __future__ import annotations

import pytest

from core.errors import NotFound
from tests.core.sql.test_service import TODAY, make_demo_workbench

CERTIFIED_QUESTION = "How many orders came from Chennai this week?"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, embedder):
    from core.ingest.pipeline import Upload

    workbench = make_demo_workbench(tmp_path_factory.mktemp("views"), embedder)
    workbench.workspace().ingest([Upload("visit.md", b"# Visit\n\nPriya Raman from Chennai met Acme Corp in Mumbai "
                                                    b"about the Tanjore Brass Lamp order.")])
    yield workbench
    workbench.close()


def test_an_unchanged_certified_query_stays_certified_with_its_parameters(demo):
    sql = demo.workspace().sql
    answer = sql.ask(CERTIFIED_QUESTION, today=TODAY)
    assert answer.source == "certified" and answer.params
    again = sql.run_editor("  " + answer.sql + "\n", previous=answer)
    assert again.source == "certified"
    assert again.params == answer.params and again.question == CERTIFIED_QUESTION
    assert again.result.rows == answer.result.rows


def test_an_edited_query_keeps_its_question_and_only_the_parameters_it_still_uses(demo):
    sql = demo.workspace().sql
    answer = sql.ask(CERTIFIED_QUESTION, today=TODAY)
    assert ":city" in answer.sql and "city" in answer.params
    edited_sql = answer.sql.replace(":city", "'Pune'")
    edited = sql.run_editor(edited_sql, previous=answer)
    assert edited.source == "edited" and edited.question == CERTIFIED_QUESTION
    assert "city" not in edited.params
    assert set(edited.params) == set(answer.params) - {"city"}
    assert [entry.source for entry in sql.history(limit=1)] == ["edited"]


def test_sql_typed_with_no_answer_or_after_an_abstention_is_typed(demo):
    sql = demo.workspace().sql
    typed = sql.run_editor("SELECT COUNT(*) AS n FROM customers")
    assert typed.source == "typed" and typed.question == ""
    abstained = sql.ask("What is the colour of the sky over the warehouse?", today=TODAY)
    assert abstained.abstained and not abstained.sql
    answered = sql.run_editor("SELECT COUNT(*) AS n FROM customers", previous=abstained)
    # the question stays with it, so "Save as correct" can train the pair
    assert answered.source == "typed" and answered.question == abstained.question


def test_an_answer_from_another_connection_does_not_lend_its_provenance(demo, tmp_path):
    import sqlite3

    other_db = tmp_path / "other.db"
    with sqlite3.connect(other_db) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
        connection.execute("INSERT INTO t VALUES (1)")
    sql = demo.workspace().sql
    answer = sql.ask(CERTIFIED_QUESTION, today=TODAY)
    sql.add_connection("other", f"sqlite:///{other_db}")
    try:
        ran = sql.run_editor("SELECT x FROM t", "other", previous=answer)
        assert ran.source == "typed" and ran.question == "" and ran.params == {}
        assert ran.result.rows == ((1,),)
    finally:
        sql.remove_connection("other")


def test_views_bind_their_workspace(demo):
    default, other = demo.workspace(), demo.workspace("views-other")
    assert [c.name for c in default.sql.connections()] == ["demo"]
    assert other.sql.connections() == []
    with pytest.raises(NotFound):
        other.sql.connection()
    assert other.graph.stats().entities == 0
    assert default.graph.stats().entities > 0
    assert other.chat.conversations() == []


def test_graph_view_resolves_a_loosely_typed_name_and_says_when_nothing_matches(demo):
    graph = demo.workspace().graph
    top = graph.stats(top=1).top_entities[0][0]
    assert graph.resolve(top.name.upper()).key == top.key
    assert graph.resolve(f"  {top.name.lower()} ").key == top.key
    with pytest.raises(NotFound):
        graph.resolve("zzzz no such entity qqqq")
