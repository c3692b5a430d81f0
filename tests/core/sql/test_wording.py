"""core.sql.wording: the meaningful words of a question, compared between a question and a certified one."""

from __future__ import annotations

from core.sql.wording import fold, leftover, terms


def keys(text: str, **kwargs) -> list[str]:
    return [term.key for term in terms(text, **kwargs)]


def test_function_words_go_and_phrasings_fold():
    assert keys("How many tracks are there?") == ["count", "track"]
    assert keys("number of tracks") == ["count", "track"]
    assert keys("Show me the best customers by spend") == ["top", "customer", "per", "spend"]
    assert keys("How many customers does each segment have?") == ["count", "customer", "per", "segment"]


def test_a_grouping_with_no_aggregate_is_a_count_and_one_with_an_aggregate_is_not():
    assert keys("orders by city") == ["order", "per", "city", "count"]
    assert keys("average price by genre") == ["average", "price", "per", "genre"]


def test_plurals_and_possessives_fold():
    assert [fold(w) for w in ("categories", "boxes", "invoices", "customer's", "status", "analysis")] == [
        "category", "box", "invoice", "customer", "status", "analysis"]


def test_numbers_and_leftover_words_are_what_a_query_would_ignore():
    asked = terms("How many tracks are priced at $1.99?")
    trained = terms("How many tracks are there per genre?")
    assert leftover(asked, trained) == ["priced", "1.99"]
    assert leftover(trained, asked) == ["per", "genre"]


def test_skipped_spans_are_the_values_a_query_binds():
    question = "How many orders came from Chennai this week?"
    start = question.index("Chennai")
    week = question.index("this week")
    assert keys(question, skip=[(start, start + 7), (week, week + 9)]) == ["count", "order"]
