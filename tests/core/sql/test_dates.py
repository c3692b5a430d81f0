"""Relative dates in questions, table-driven, with an injected today."""

import datetime as dt

import pytest

from core.errors import InvalidInput
from core.sql.dates import EARLIEST, find_date_range, resolve_date_phrase

WEDNESDAY = dt.date(2025, 3, 12)
NEW_YEAR_MONDAY = dt.date(2024, 1, 1)  # this week is one day; last month is in the previous year
LEAP_DAY = dt.date(2024, 2, 29)
D = dt.date

CASES = [
    # (today, text, start, end, phrase)
    (WEDNESDAY, "How many orders came from Chennai today?", D(2025, 3, 12), D(2025, 3, 12), "today"),
    (WEDNESDAY, "orders yesterday", D(2025, 3, 11), D(2025, 3, 11), "yesterday"),
    (WEDNESDAY, "How many orders came from Chennai this week?", D(2025, 3, 10), D(2025, 3, 12), "this week"),
    (WEDNESDAY, "number of orders from Chennai in the current week", D(2025, 3, 10), D(2025, 3, 12), "the current week"),
    (WEDNESDAY, "late deliveries last week", D(2025, 3, 3), D(2025, 3, 9), "last week"),
    (WEDNESDAY, "revenue this month", D(2025, 3, 1), D(2025, 3, 12), "this month"),
    (WEDNESDAY, "Which customers complained about delivery last month?", D(2025, 2, 1), D(2025, 2, 28), "last month"),
    (WEDNESDAY, "orders in the last 30 days", D(2025, 2, 11), D(2025, 3, 12), "in the last 30 days"),
    (WEDNESDAY, "orders over the past 7 days", D(2025, 3, 6), D(2025, 3, 12), "past 7 days"),
    (WEDNESDAY, "past 1 day", D(2025, 3, 12), D(2025, 3, 12), "past 1 day"),
    (WEDNESDAY, "last 2 weeks", D(2025, 2, 27), D(2025, 3, 12), "last 2 weeks"),
    (WEDNESDAY, "last 3 months", D(2024, 12, 13), D(2025, 3, 12), "last 3 months"),
    (WEDNESDAY, "revenue in 2024", D(2024, 1, 1), D(2024, 12, 31), "in 2024"),
    (WEDNESDAY, "complaints this year", D(2025, 1, 1), D(2025, 3, 12), "this year"),
    (WEDNESDAY, "complaints last year", D(2024, 1, 1), D(2024, 12, 31), "last year"),
    (WEDNESDAY, "orders since 2025-01-15", D(2025, 1, 15), D(2025, 3, 12), "since 2025-01-15"),
    (WEDNESDAY, "orders between 2025-01-01 and 2025-01-31", D(2025, 1, 1), D(2025, 1, 31), "between 2025-01-01 and 2025-01-31"),
    (WEDNESDAY, "revenue this quarter", D(2025, 1, 1), D(2025, 3, 12), "this quarter"),
    (WEDNESDAY, "revenue last quarter", D(2024, 10, 1), D(2024, 12, 31), "last quarter"),
    (WEDNESDAY, "orders in February", D(2025, 2, 1), D(2025, 2, 28), "in February"),
    (WEDNESDAY, "orders in December", D(2024, 12, 1), D(2024, 12, 31), "in December"),  # still to come: last year's
    (WEDNESDAY, "orders in feb 2024", D(2024, 2, 1), D(2024, 2, 29), "in feb 2024"),
    (WEDNESDAY, "revenue in the first half of 2024", D(2024, 1, 1), D(2024, 6, 30), "in the first half of 2024"),
    (WEDNESDAY, "orders in the second half of 2023", D(2023, 7, 1), D(2023, 12, 31), "in the second half of 2023"),
    (WEDNESDAY, "invoices since July 2024", D(2024, 7, 1), D(2025, 3, 12), "since July 2024"),
    (WEDNESDAY, "orders since 2024", D(2024, 1, 1), D(2025, 3, 12), "since 2024"),
    (WEDNESDAY, "revenue between 2022 and 2023", D(2022, 1, 1), D(2023, 12, 31), "between 2022 and 2023"),
    (WEDNESDAY, "total revenue to date", EARLIEST, D(2025, 3, 12), "to date"),
    (WEDNESDAY, "H2 2024 revenue", D(2024, 7, 1), D(2024, 12, 31), "H2 2024"),
    (WEDNESDAY, "top customers of all time", EARLIEST, D(2025, 3, 12), "all time"),
    (NEW_YEAR_MONDAY, "orders this week", D(2024, 1, 1), D(2024, 1, 1), "this week"),
    (NEW_YEAR_MONDAY, "orders last week", D(2023, 12, 25), D(2023, 12, 31), "last week"),
    (NEW_YEAR_MONDAY, "orders last month", D(2023, 12, 1), D(2023, 12, 31), "last month"),
    (NEW_YEAR_MONDAY, "orders this month", D(2024, 1, 1), D(2024, 1, 1), "this month"),
    (NEW_YEAR_MONDAY, "orders yesterday", D(2023, 12, 31), D(2023, 12, 31), "yesterday"),
    (NEW_YEAR_MONDAY, "revenue last quarter", D(2023, 10, 1), D(2023, 12, 31), "last quarter"),
    (LEAP_DAY, "orders last month", D(2024, 1, 1), D(2024, 1, 31), "last month"),
    (LEAP_DAY, "orders this month", D(2024, 2, 1), D(2024, 2, 29), "this month"),
    (LEAP_DAY, "last 1 month", D(2024, 1, 30), D(2024, 2, 29), "last 1 month"),
    (dt.date(2025, 3, 31), "last 1 month", D(2025, 3, 1), D(2025, 3, 31), "last 1 month"),
]


@pytest.mark.parametrize(("today", "text", "start", "end", "phrase"), CASES)
def test_phrases_resolve_to_inclusive_ranges(today, text, start, end, phrase):
    found = find_date_range(text, today)
    assert found is not None, text
    assert (found.start, found.end) == (start, end)
    assert found.phrase == phrase
    assert text[found.span[0]:found.span[1]] == phrase


def test_iso_text_and_description():
    found = find_date_range("this week", WEDNESDAY)
    assert found.iso == ("2025-03-10", "2025-03-12")
    assert found.describe() == "this week (2025-03-10 to 2025-03-12)"
    assert find_date_range("today", WEDNESDAY).describe() == "today (2025-03-12)"
    assert resolve_date_phrase("all time", WEDNESDAY).describe() == "all time (up to 2025-03-12)"


def test_the_earliest_phrase_wins_and_questions_without_a_period_have_none():
    found = find_date_range("orders last month compared with this week", WEDNESDAY)
    assert found.phrase == "last month"
    for text in ("How many orders came from Chennai?", "top 10 customers by total spend", "weekly", "monthly report"):
        assert find_date_range(text, WEDNESDAY) is None, text


def test_today_is_injected_not_read_from_the_clock():
    assert find_date_range("today", dt.date(1999, 12, 31)).start == dt.date(1999, 12, 31)


def test_bad_phrases_and_dates_say_what_to_write():
    with pytest.raises(InvalidInput, match="not a period"):
        resolve_date_phrase("sometime soon", WEDNESDAY)
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        find_date_range("since 2025-02-30", WEDNESDAY)
    with pytest.raises(InvalidInput, match="ends before it starts"):
        find_date_range("between 2025-03-01 and 2025-02-01", WEDNESDAY)
