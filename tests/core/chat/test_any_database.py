"""The assistant asks a connected database nobody here designed (Chinook): a question the planner
reads in full goes to the database, whatever the tables are called, with the interpretation as the reason."""

from __future__ import annotations


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
