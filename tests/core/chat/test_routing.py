"""Routing rules without an LLM."""

import pytest

from core.chat.routing import Signals, route_by_rules

DB = Signals(has_database=True, certified_threshold=0.6)


@pytest.mark.parametrize("question, signals, expected", [
    ("How many orders came from Chennai this week?", Signals(True, 0.8, 0.6, ("Chennai",), ("Chennai",)), ("database",)),
    ("What does the returns policy say about damaged items?", DB, ("documents",)),
    ("Which customers complained about delivery last month?", Signals(True, 0.7, 0.6, (), ("Priya Raman",)), ("database", "graph", "documents")),
    ("Tell me about Priya Raman", Signals(True, None, 0.6, (), ("Priya Raman",)), ("graph", "documents")),
    ("How many orders came from Chennai this week?", Signals(has_database=False), ("documents",)),
    ("top 5 products by revenue", DB, ("database", "documents")),
])
def test_rules_pick_the_sources_a_question_needs(question, signals, expected):
    assert route_by_rules(question, signals).names == expected


def test_a_weak_certified_match_alone_does_not_route_to_the_database():
    route = route_by_rules("Explain the company's history", Signals(True, 0.3, 0.6))
    assert not route.database and route.documents


@pytest.mark.parametrize("question, terms, database", [
    ("Which artists have no albums?", frozenset({"artist", "album"}), True),
    ("Show me invoices for each customer", frozenset({"invoice", "customer"}), True),
    ("Tracks by genre", frozenset({"track", "genre"}), True),
    ("Which customers complained about delivery?", frozenset({"artist", "album"}), False),
    ("Written by the committee", frozenset({"artist", "album"}), False),
])
def test_lists_and_groupings_route_to_the_database_only_when_they_name_its_schema(question, terms, database):
    route = route_by_rules(question, Signals(has_database=True, schema_terms=terms))
    assert route.database is database
