"""Changing a plan's chips re-plans from the plan itself, and an abstention offers questions it can answer."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from core.errors import InvalidInput
from core.sql.plan_edit import chips, with_limit, with_period, without

TODAY = dt.date(2026, 1, 15)


@pytest.fixture
def chinook_sql(workbench, chinook):
    workspace = workbench.workspace("chips")
    workspace.sql.add_connection("chinook", chinook.url)
    return workspace.sql


def plain(sqlite_chinook, sql: str):
    with sqlite3.connect(f"file:{sqlite_chinook.url.removeprefix('sqlite:///')}?mode=ro", uri=True) as db:
        return db.execute(sql).fetchall()


def rounded(rows):
    return sorted(tuple(round(float(v), 2) if isinstance(v, float) or type(v).__name__ == "Decimal" else v
                        for v in row) for row in rows)


def test_chips_name_every_part_and_only_the_measure_stays(chinook_sql):
    answer = chinook_sql.ask("How many invoices were billed to Germany in 2023?", today=TODAY)
    keys = [(chip.key, chip.removable) for chip in chips(answer.planned)]
    assert keys == [("measure", False), ("filter:0", True), ("period", True)]
    assert "'Germany'" in chips(answer.planned)[1].label and "2023" in chips(answer.planned)[2].label


def test_removing_a_chip_runs_the_plan_without_it_on_every_engine(chinook_sql, sqlite_chinook):
    answer = chinook_sql.ask("How many invoices were billed to Germany in 2023?", today=TODAY)
    everywhere = chinook_sql.run_plan(without(answer.planned, "filter:0"))
    assert everywhere.source == "planned" and "Germany" not in everywhere.interpretation
    assert rounded(everywhere.result.rows) == rounded(plain(
        sqlite_chinook, "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01'"))
    all_time = chinook_sql.run_plan(without(answer.planned, "period"))
    assert rounded(all_time.result.rows) == rounded(plain(
        sqlite_chinook, "SELECT COUNT(*) FROM Invoice WHERE BillingCountry = 'Germany'"))


def test_another_period_and_another_n(chinook_sql, sqlite_chinook):
    answer = chinook_sql.ask("Who are the top 5 artists by revenue in 2024?", today=TODAY)
    changed = chinook_sql.run_plan(with_limit(with_period(answer.planned, "last year", TODAY), 2))
    assert "2025-01-01 to 2025-12-31" in changed.interpretation and "top 2" in changed.interpretation
    assert rounded(changed.result.rows) == rounded(plain(sqlite_chinook, """
        SELECT ar.Name, SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il JOIN Invoice i ON i.InvoiceId = il.InvoiceId
        JOIN Track t ON t.TrackId = il.TrackId JOIN Album al ON al.AlbumId = t.AlbumId
        JOIN Artist ar ON ar.ArtistId = al.ArtistId
        WHERE i.InvoiceDate >= '2025-01-01' AND i.InvoiceDate < '2026-01-01'
        GROUP BY ar.ArtistId ORDER BY 2 DESC LIMIT 2"""))


def test_changes_that_make_no_sense_are_refused_with_a_reason(chinook_sql):
    counted = chinook_sql.ask("How many tracks are there?", today=TODAY).planned
    with pytest.raises(InvalidInput, match="no date"):
        with_period(counted, "last year", TODAY)
    with pytest.raises(InvalidInput, match="not a top N"):
        with_limit(counted, 3)
    with pytest.raises(InvalidInput, match="no removable part"):
        without(counted, "measure")
    ranked = chinook_sql.ask("Which genre has the most tracks?", today=TODAY).planned
    with pytest.raises(InvalidInput, match="something to rank"):
        without(ranked, "group:0")


def test_an_abstention_offers_the_question_without_the_words_it_could_not_use(chinook_sql):
    answer = chinook_sql.ask("How many tracks are in the catalog of happiness?", today=TODAY)
    assert answer.abstained
    questions = [question for question, _meaning in answer.suggestions]
    assert "How many tracks are in the catalog?" in questions
    assert dict(answer.suggestions)["How many tracks are in the catalog?"].lower() == "number of track"
    # nothing to offer when nothing is left to ask
    assert chinook_sql.ask("How happy are we?", today=TODAY).suggestions == ()


def test_a_planned_answer_saved_as_correct_answers_other_values_on_every_engine(chinook_sql, sqlite_chinook):
    germany = chinook_sql.ask("How many invoices were billed to Germany in 2023?", today=TODAY)
    pair = chinook_sql.save_as_correct(germany.question, germany.sql, plan=germany.planned)
    assert [p.kind for p in pair.parameters] == ["value"], "the country stays a parameter, the period is written in"
    france = chinook_sql.ask("How many invoices were billed to France in 2023?", today=TODAY)
    assert france.source == "certified"
    assert rounded(france.result.rows) == rounded(plain(
        sqlite_chinook, "SELECT COUNT(*) FROM Invoice WHERE BillingCountry = 'France' "
                        "AND InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01'"))
    assert chinook_sql.ask("How many invoices were billed to France in 2024?", today=TODAY).source == "planned"
