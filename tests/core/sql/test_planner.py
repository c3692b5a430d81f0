"""The question planner on Chinook, a database nobody here designed, on SQLite, PostgreSQL and MariaDB:
every plan's rows equal a hand-written query's, the same plan returns the same rows on every
engine, and a question with any word the plan cannot use abstains and names the words."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pytest

from core.settings import Settings
from core.sql.introspect import introspect
from core.sql.plan import compile_plan
from core.sql.planner import ValueIndex, plan_question
from core.sql.runner import GuardedRunner
from core.sql.semantic import derive_model, words_of
from tests.conftest import clean_env

TODAY = dt.date(2025, 6, 30)

# question -> the answer written by hand on the SQLite file (independent of the code under test)
ANSWERED = {
    "How many tracks are in the catalog?": "SELECT COUNT(*) FROM Track",
    "How many customers are in Brazil?": "SELECT COUNT(*) FROM Customer WHERE Country = 'Brazil'",
    "How many tracks are priced at $1.99?": "SELECT COUNT(*) FROM Track WHERE UnitPrice = 1.99",
    "How many invoices were issued in Q2 2022?":
        "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2022-04-01' AND InvoiceDate < '2022-07-01'",
    "How many tracks are in the Jazz genre?":
        "SELECT COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Jazz'",
    "Which genre has the most tracks?":
        "SELECT g.Name, COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId "
        "ORDER BY COUNT(*) DESC LIMIT 1",
    "Which artist has the most albums?":
        "SELECT a.Name, COUNT(*) FROM Album al JOIN Artist a ON a.ArtistId = al.ArtistId GROUP BY a.ArtistId "
        "ORDER BY COUNT(*) DESC LIMIT 1",
    "invoices per billing country": "SELECT BillingCountry, COUNT(*) FROM Invoice GROUP BY BillingCountry",
    "customers per country": "SELECT Country, COUNT(*) FROM Customer GROUP BY Country",
    "total of invoice totals in 2023":
        "SELECT ROUND(SUM(Total), 2) FROM Invoice WHERE InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01'",
    "average unit price of tracks": "SELECT ROUND(AVG(UnitPrice), 2) FROM Track",
    "How many invoices does each customer have?":
        "SELECT c.FirstName, c.LastName, COUNT(*) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId "
        "GROUP BY c.CustomerId",
    "How many customers are not in Brazil?": "SELECT COUNT(*) FROM Customer WHERE Country <> 'Brazil'",
    "How many tracks are not in the Rock genre?":
        "SELECT COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name <> 'Rock'",
    "How many invoices were issued each year?":
        "SELECT strftime('%Y', InvoiceDate), COUNT(*) FROM Invoice GROUP BY 1",
    "number of invoices for each month of 2024":
        "SELECT strftime('%Y-%m', InvoiceDate), COUNT(*) FROM Invoice WHERE InvoiceDate LIKE '2024%' GROUP BY 1",
    "What is the average track price?": "SELECT ROUND(AVG(UnitPrice), 2) FROM Track",
    "number of tracks per media type":
        "SELECT m.Name, COUNT(*) FROM Track t JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId GROUP BY m.MediaTypeId",
    # units from the column's name (Milliseconds, Bytes) and money's cents
    "average track duration in minutes for each genre":
        "SELECT g.Name, AVG(t.Milliseconds) / 60000.0 FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId",
    "How many tracks are longer than 5 minutes?": "SELECT COUNT(*) FROM Track WHERE Milliseconds > 300000",
    "How many tracks are bigger than 10 megabytes?": "SELECT COUNT(*) FROM Track WHERE Bytes > 10000000",
    "How many tracks cost 99 cents?": "SELECT COUNT(*) FROM Track WHERE UnitPrice = 0.99",
    "What are the 5 longest tracks?": "SELECT Name, Milliseconds FROM Track ORDER BY Milliseconds DESC LIMIT 5",
    "What is the shortest track?": "SELECT Name, Milliseconds FROM Track ORDER BY Milliseconds LIMIT 1",
    # rows themselves, and groups kept by a count
    "Which tracks last more than 80 minutes?": "SELECT TrackId, Name FROM Track WHERE Milliseconds > 4800000",
    "Which artists have more than 100 tracks?":
        "SELECT ar.Name, COUNT(*) FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId "
        "JOIN Artist ar ON ar.ArtistId = al.ArtistId GROUP BY ar.ArtistId HAVING COUNT(*) > 100",
    "How many invoices came to more than $20?": "SELECT COUNT(*) FROM Invoice WHERE Total > 20",
    "How many tracks are between 3 and 4 minutes long?":
        "SELECT COUNT(*) FROM Track WHERE Milliseconds >= 180000 AND Milliseconds <= 240000",
    "How many invoices have there been since July 2024?":
        "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2024-07-01' AND InvoiceDate < '2025-07-01'",
    "How many employees were hired in 2003?": "SELECT COUNT(*) FROM Employee WHERE HireDate LIKE '2003%'",
    # comparisons: two periods or two values, as rows or as a difference
    "How many more tracks does Rock have than Metal?":
        "SELECT (SELECT COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Rock'), "
        "(SELECT COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Metal'), 923",
    "How many invoices were there in Q4 2024 versus Q4 2023?":
        "SELECT 'Q4 2024', 2024, COUNT(*) FROM Invoice WHERE InvoiceDate >= '2024-10-01' AND InvoiceDate < '2025-01-01' "
        "UNION ALL SELECT 'Q4 2023', 2023, COUNT(*) FROM Invoice "
        "WHERE InvoiceDate >= '2023-10-01' AND InvoiceDate < '2024-01-01'",
    # verbs made from the names the plan uses: BillingCountry, SupportRepId
    "How many invoices were billed to Germany?": "SELECT COUNT(*) FROM Invoice WHERE BillingCountry = 'Germany'",
    "Which employee supports the most customers?":
        "SELECT e.LastName, e.FirstName, e.Title, COUNT(*) FROM Customer c JOIN Employee e "
        "ON e.EmployeeId = c.SupportRepId GROUP BY e.EmployeeId ORDER BY 4 DESC LIMIT 1",
}

ABSTAINED = {
    "What is the profit margin per track?": "profit",
    "How many customers are not in Brazil or Chile?": "several values",
    "How much more did 2024 bring than 2023?": "bring",
    "top customers by spend": "top",
    "What is the average invoice total in minutes?": "minutes",
    "What are the longest tracks?": "how many",
    "What is the longest invoice?": "duration",
    # a name from a long list is read only when written as a name: no track "Change" here
    "How much did the invoice total change in 2023?": "change",
    # Metallica is an artist and a composer of tracks: two answers
    "What is the average length of a Metallica track?": "Metallica",
    "How many tracks are in Brazil?": "Brazil",
}


@pytest.fixture(scope="module")
def sqlite_file(sqlite_chinook):
    return sqlite_chinook.url.removeprefix("sqlite:///")


def plain(path: str, sql: str):
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def normalised(rows) -> list[tuple]:
    """Rows comparable across engines: numbers rounded to cents, as sorted tuples."""
    def cell(value):
        if isinstance(value, (float, Decimal)):
            return round(float(value), 2)
        return value
    return sorted(tuple(cell(v) for v in row) for row in rows)


def answer(database, question: str):
    schema = introspect(database.url, timeout_seconds=20)
    model = derive_model(schema)
    outcome = plan_question(question, model, TODAY)
    assert outcome.plan is not None, f"{question!r} abstained: {outcome.reason}"
    compiled = compile_plan(outcome.plan, model, list(outcome.joins))
    settings = Settings.from_env(clean_env())
    with GuardedRunner.from_settings(database.url, settings.sql) as runner:
        return outcome.plan, runner.run(compiled.sql, compiled.params).rows


@pytest.mark.parametrize("question", list(ANSWERED))
def test_plans_answer_what_a_hand_written_query_answers(sqlite_chinook, sqlite_file, question):
    _plan, rows = answer(sqlite_chinook, question)
    assert normalised(rows) == normalised(plain(sqlite_file, ANSWERED[question]))


@pytest.mark.parametrize("question", [
    "How many customers are in Brazil?", "Which genre has the most tracks?", "How many invoices were issued in Q2 2022?",
    "number of invoices for each month of 2024", "How many tracks are not in the Rock genre?",
    "total of invoice totals in 2023", "number of tracks per media type", "How many tracks are in the Jazz genre?",
    "average track duration in minutes for each genre", "How many tracks are longer than 5 minutes?",
    "What are the 5 longest tracks?", "Which employee supports the most customers?",
    "How many more tracks does Rock have than Metal?", "How many invoices were there in Q4 2024 versus Q4 2023?",
])
def test_the_same_plan_returns_the_same_rows_on_every_engine(chinook, sqlite_chinook, question):
    plan, rows = answer(chinook, question)
    _sqlite_plan, expected = answer(sqlite_chinook, question)
    assert normalised(rows) == normalised(expected)
    assert plan.measure.kind == _sqlite_plan.measure.kind


@pytest.mark.parametrize("question", list(ABSTAINED))
def test_a_word_the_plan_cannot_use_makes_it_abstain_and_names_the_word(sqlite_chinook, question):
    model = derive_model(introspect(sqlite_chinook.url, timeout_seconds=20))
    outcome = plan_question(question, model, TODAY)
    assert outcome.plan is None
    assert ABSTAINED[question].lower() in (outcome.reason + " ".join(outcome.unused)).lower()


def test_the_interpretation_says_what_was_computed(sqlite_chinook):
    plan, _rows = answer(sqlite_chinook, "How many invoices were issued in Q2 2022?")
    assert plan.describe() == "number of Invoice · Invoice.InvoiceDate in Q2 2022 (2022-04-01 to 2022-06-30)"
    assert plan.to_dict()["period"] == {"column": "Invoice.InvoiceDate", "start": "2022-04-01", "end": "2022-06-30"}


def test_top_n_keeps_rows_tied_with_the_last(sqlite_chinook, sqlite_file):
    _plan, rows = answer(sqlite_chinook, "top 2 customers by number of invoices")
    counts = plain(sqlite_file, "SELECT COUNT(*) FROM Invoice GROUP BY CustomerId ORDER BY 1 DESC")
    tied = sum(1 for (count,) in counts if count >= counts[1][0])
    assert len(rows) == tied >= 2


def test_identifier_words_split_every_naming_style():
    assert words_of("InvoiceLine") == ("invoice", "line") == words_of("invoice_line") == words_of("INVOICE_LINE")
    assert words_of("BillingCountry") == ("billing", "country")
    assert words_of("HTTPStatusCode") == ("http", "status", "code")


def text_values(path: str):
    """The values_for the SQL service gives the planner: distinct values of a text column (here read plainly)."""
    def values_for(column):
        return tuple(str(v) for (v,) in plain(path, f'SELECT DISTINCT "{column.name}" FROM "{column.table}" '
                                                      f'WHERE "{column.name}" IS NOT NULL LIMIT 1000'))
    return values_for


def test_names_of_a_text_column_are_values_and_two_joined_tables_holding_one_abstain(sqlite_chinook, sqlite_file):
    model = derive_model(introspect(sqlite_chinook.url, timeout_seconds=20))
    values_for = ValueIndex.build(model, text_values(sqlite_file))
    paris = plan_question("How many customers live in Paris?", model, TODAY, values_for)
    assert paris.plan is not None and paris.plan.filters[0].column.ref == "Customer.City"
    # "Iron Maiden" is an album title and an artist: neither is the tracks' own column, so no guess
    maiden = plan_question("How many tracks does Iron Maiden have?", model, TODAY, values_for)
    assert maiden.plan is None and "Album.Title" in maiden.reason and "Artist.Name" in maiden.reason
    # plurals fold onto the database's spelling
    mpeg = plan_question("How many tracks are MPEG audio files?", model, TODAY, values_for)
    assert mpeg.plan is not None and mpeg.plan.filters[0].value == "MPEG audio file"


# Through the service, which indexes the names of text columns (artists, cities) and reads date spans.
SERVICE_ANSWERED = {
    "Which albums do we have by Led Zeppelin?":
        "SELECT al.AlbumId, al.Title FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId "
        "WHERE ar.Name = 'Led Zeppelin'",
    "How many customers live in Paris?": "SELECT COUNT(*) FROM Customer WHERE City = 'Paris'",
    "Which customers have spent more than $45 with us in total?":
        "SELECT c.FirstName, c.LastName, SUM(i.Total) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId "
        "GROUP BY c.CustomerId HAVING SUM(i.Total) > 45",
    "How much did we sell in Q1 2022?":
        "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2022-01-01' AND InvoiceDate < '2022-04-01'",
    "How many customers are in Brazil or Argentina?":
        "SELECT COUNT(*) FROM Customer WHERE Country IN ('Brazil', 'Argentina')",
    "Which city has the highest revenue?":
        "SELECT BillingCity, SUM(Total) FROM Invoice GROUP BY BillingCity ORDER BY 2 DESC LIMIT 1",
    "How many customers have no company?": "SELECT COUNT(*) FROM Customer WHERE Company IS NULL",
    "How many tracks have a composer?": "SELECT COUNT(*) FROM Track WHERE Composer IS NOT NULL",
    # a key named for a role (Customer.SupportRepId -> Employee) names the employees reached that way
    "How many customers does each support rep look after?":
        "SELECT e.LastName, e.FirstName, e.Title, COUNT(*) FROM Customer c JOIN Employee e "
        "ON e.EmployeeId = c.SupportRepId GROUP BY e.EmployeeId",
    "Which year had the highest revenue?":
        "SELECT strftime('%Y', InvoiceDate), SUM(Total) FROM Invoice GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
}


@pytest.fixture
def chinook_sql(workbench, chinook):
    workspace = workbench.workspace("planner")
    workspace.sql.add_connection("chinook", chinook.url)
    return workspace.sql


@pytest.mark.parametrize("question", list(SERVICE_ANSWERED))
def test_the_service_answers_with_names_and_metrics_on_every_engine(chinook_sql, sqlite_file, question):
    answer = chinook_sql.ask(question, today=TODAY)
    assert answer.source == "planned", answer.message
    rows = [tuple(v for v in row if not isinstance(v, int) or "COUNT" in SERVICE_ANSWERED[question]) for row in
            answer.result.rows]
    expected = plain(sqlite_file, SERVICE_ANSWERED[question])
    expected = [tuple(v for v in row if not isinstance(v, int) or "COUNT" in SERVICE_ANSWERED[question])
                for row in expected]
    assert normalised(rows) == normalised(expected)


def test_a_name_written_in_lower_case_is_a_word_not_a_name(chinook_sql):
    # Chinook has a track called "Change"; "revenue change" is about no track.
    outcome = chinook_sql.plan("How much did revenue change from 2022 to 2023?", today=TODAY)
    assert outcome.plan is None or all(f.column.name != "Name" for f in outcome.plan.filters)
    assert chinook_sql.plan("How many customers live in paris?", today=TODAY).plan is None


def test_a_bottom_n_abstains_when_some_groups_have_none_at_all(chinook_sql):
    # 71 artists have no album: "the fewest albums" is 0, which a ranking of albums cannot show
    fewest = chinook_sql.ask("Which artist has the fewest albums?", today=TODAY)
    assert fewest.abstained and "71 of the 275" in fewest.message
    # every genre has a track, so there the ranking is complete and answers
    assert chinook_sql.ask("Which genre has the fewest tracks?", today=TODAY).source == "planned"


def test_a_top_n_that_ties_far_past_the_cut_abstains(chinook_sql):
    # 11 months of 2024 have 7 invoices each: none of them is "the month with the most"
    month = chinook_sql.ask("Which month of 2024 had the most invoices?", today=TODAY)
    assert month.abstained and "11 rows tie for the most" in month.message
    tracks = chinook_sql.ask("Top 10 tracks by revenue", today=TODAY)
    assert tracks.abstained and "tie at or inside the cut" in tracks.message


# Values of tables the measured rows reach only through rows that point at them: EXISTS, never a join.
SEMI_JOINS = {
    "How many customers bought Jazz?":
        "SELECT COUNT(*) FROM Customer c WHERE EXISTS (SELECT 1 FROM Invoice i JOIN InvoiceLine il ON il.InvoiceId = "
        "i.InvoiceId JOIN Track t ON t.TrackId = il.TrackId JOIN Genre g ON g.GenreId = t.GenreId "
        "WHERE i.CustomerId = c.CustomerId AND g.Name = 'Jazz')",
    "How many customers never bought Jazz?":
        "SELECT COUNT(*) FROM Customer c WHERE NOT EXISTS (SELECT 1 FROM Invoice i JOIN InvoiceLine il ON il.InvoiceId = "
        "i.InvoiceId JOIN Track t ON t.TrackId = il.TrackId JOIN Genre g ON g.GenreId = t.GenreId "
        "WHERE i.CustomerId = c.CustomerId AND g.Name = 'Jazz')",
    "How many tracks are on the Grunge playlist?":
        "SELECT COUNT(DISTINCT pt.TrackId) FROM PlaylistTrack pt JOIN Playlist p ON p.PlaylistId = pt.PlaylistId "
        "WHERE p.Name = 'Grunge'",
    "How many playlists contain Jazz tracks?":
        "SELECT COUNT(DISTINCT pt.PlaylistId) FROM PlaylistTrack pt JOIN Track t ON t.TrackId = pt.TrackId "
        "JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Jazz'",
}


@pytest.mark.parametrize("question", list(SEMI_JOINS))
def test_values_reached_through_rows_that_point_at_the_measured_ones(chinook_sql, sqlite_file, question):
    answer = chinook_sql.ask(question, today=TODAY)
    assert answer.source == "planned", answer.message
    assert normalised(answer.result.rows) == normalised(plain(sqlite_file, SEMI_JOINS[question]))
    assert "through" in answer.interpretation


def test_without_a_word_that_links_them_a_far_value_abstains(chinook_sql):
    assert chinook_sql.plan("How many tracks are in Brazil?", today=TODAY).plan is None
    held_twice = chinook_sql.plan("How many customers bought AC/DC?", today=TODAY)
    assert held_twice.plan is None and "artist.name" in held_twice.reason.lower() and "composer" in held_twice.reason.lower()


def test_a_self_reference_names_no_side(chinook_sql):
    # Employee.ReportsTo points at Employee: "report to Andrew Adams" is not Andrew Adams himself
    assert chinook_sql.plan("How many employees report to Andrew Adams?", today=TODAY).plan is None
