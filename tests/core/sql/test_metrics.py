"""Metrics the schema implies (revenue, units sold), on Chinook on every engine and on small databases
built here to break them: the header/lines agreement check, rows that are no sale, periods with no data."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pytest

from core.sql.metrics import REVENUE, UNITS_SOLD
from tests.core.sql.conftest import ChinookDatabase

TODAY = dt.date(2026, 1, 15)

_REVENUE_IN = "(SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '{0}-01-01' AND InvoiceDate < '{1}-01-01')"
HAND_WRITTEN = {
    "How much more revenue did 2024 bring than 2023?":
        f"SELECT {_REVENUE_IN.format(2024, 2025)}, {_REVENUE_IN.format(2023, 2024)}, "
        f"{_REVENUE_IN.format(2024, 2025)} - {_REVENUE_IN.format(2023, 2024)}",
    "How much did revenue change from 2022 to 2023?":
        f"SELECT {_REVENUE_IN.format(2023, 2024)}, {_REVENUE_IN.format(2022, 2023)}, "
        f"{_REVENUE_IN.format(2023, 2024)} - {_REVENUE_IN.format(2022, 2023)}",
    "Compare the revenue from Canada and France.":
        "SELECT BillingCountry, SUM(Total) FROM Invoice WHERE BillingCountry IN ('Canada', 'France') "
        "GROUP BY BillingCountry",
    "Did we make more money in 2022 or in 2024?":
        "SELECT strftime('%Y', InvoiceDate), SUM(Total) FROM Invoice WHERE strftime('%Y', InvoiceDate) IN ('2022', '2024') "
        "GROUP BY 1",
    "What is the revenue per genre?":
        "SELECT g.Name, SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId "
        "JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId",
    "Who are the top 5 artists by revenue?":
        "SELECT ar.Name, SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId "
        "JOIN Album al ON al.AlbumId = t.AlbumId JOIN Artist ar ON ar.ArtistId = al.ArtistId GROUP BY ar.ArtistId "
        "ORDER BY 2 DESC LIMIT 5",
    "What was the revenue in 2023?":
        "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01'",
    "revenue per genre in 2023":
        "SELECT g.Name, SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il JOIN Invoice i ON i.InvoiceId = il.InvoiceId "
        "JOIN Track t ON t.TrackId = il.TrackId JOIN Genre g ON g.GenreId = t.GenreId "
        "WHERE i.InvoiceDate >= '2023-01-01' AND i.InvoiceDate < '2024-01-01' GROUP BY g.GenreId",
    "Which genre sold the most units?":
        "SELECT g.Name, SUM(il.Quantity) FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId "
        "JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId ORDER BY 2 DESC LIMIT 1",
    "How many Jazz tracks have been sold?":
        "SELECT SUM(il.Quantity) FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId "
        "JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Jazz'",
    "Who are the top 3 customers by total spend?":
        "SELECT c.FirstName, c.LastName, SUM(i.Total) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId "
        "GROUP BY c.CustomerId ORDER BY 3 DESC LIMIT 3",
}


def normalised(rows) -> list[tuple]:
    return sorted(tuple(round(float(v), 2) if isinstance(v, (float, Decimal)) else v for v in row) for row in rows)


def plain(path: str, sql: str):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture
def chinook_sql(workbench, chinook: ChinookDatabase):
    workspace = workbench.workspace("metrics")
    workspace.sql.add_connection("chinook", chinook.url)
    return workspace.sql


def test_revenue_is_one_metric_when_invoice_totals_equal_their_lines(chinook_sql):
    model = chinook_sql.semantic_model()
    revenue = [m for m in model.metrics if m.name == REVENUE]
    assert len(revenue) == 1, "the totals agree with the lines in Chinook, so revenue is one metric"
    tables = [formula.table.lower().replace("_", "") for formula in revenue[0].formulas]
    assert tables == ["invoice", "invoiceline"], "the header first: fewer rows, and its own columns without a join"
    units = [m for m in model.metrics if m.name == UNITS_SOLD]
    assert [f.columns for m in units for f in m.formulas] == [("Quantity",)] or \
        [f.columns for m in units for f in m.formulas] == [("quantity",)]


@pytest.mark.parametrize("question", list(HAND_WRITTEN))
def test_metric_answers_equal_hand_written_queries_on_every_engine(chinook_sql, sqlite_chinook, question):
    answer = chinook_sql.ask(question, today=TODAY)
    assert answer.source == "planned", answer.message
    expected = plain(sqlite_chinook.url.removeprefix("sqlite:///"), HAND_WRITTEN[question])
    assert normalised(answer.result.rows) == normalised(expected)
    assert answer.plan["measure"]["metric"] in (REVENUE, UNITS_SOLD)
    assert "SUM of" in answer.interpretation


def test_a_period_with_no_data_abstains_and_says_what_the_data_covers(chinook_sql):
    outcome = chinook_sql.plan("What was the revenue in 2019?", today=TODAY)
    assert outcome.plan is None
    assert "2021-01-01" in outcome.reason and "2019" in outcome.reason
    assert chinook_sql.plan("What was the revenue in 2021?", today=TODAY).plan is not None


def _shop(path, *, header_total_matches: bool) -> str:
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id),
                                 ordered_on TEXT NOT NULL, status TEXT NOT NULL, total_amount REAL NOT NULL);
            CREATE TABLE order_lines (order_id INTEGER REFERENCES orders(order_id), sku TEXT,
                                      quantity INTEGER NOT NULL, unit_price REAL NOT NULL);
            INSERT INTO customers VALUES (1, 'Asha'), (2, 'Bram');
            INSERT INTO orders VALUES (1, 1, '2025-01-05', 'paid', 30.0), (2, 1, '2025-02-05', 'cancelled', 10.0),
                                      (3, 2, '2025-02-07', 'paid', 5.0);
            INSERT INTO order_lines VALUES (1, 'a', 2, 10.0), (1, 'b', 1, 10.0), (2, 'a', 1, 10.0), (3, 'c', 1, 5.0);
        """)
        if not header_total_matches:
            db.execute("UPDATE orders SET total_amount = 32.5 WHERE order_id = 1")  # shipping, tax: not the lines
    return f"sqlite:///{path}"


def test_revenue_leaves_out_rows_that_are_no_sale_and_says_so(workbench, tmp_path):
    sql = workbench.workspace("shop").sql
    sql.add_connection("shop", _shop(tmp_path / "shop.sqlite", header_total_matches=True))
    answer = sql.ask("What is the total revenue?", today=TODAY)
    assert answer.source == "planned"
    assert [tuple(r) for r in answer.result.rows] == [(35.0,)], "the cancelled order's 10.0 is no revenue"
    assert "status is not 'cancelled'" in answer.interpretation
    per_customer = sql.ask("revenue per customer", today=TODAY)
    assert normalised(per_customer.result.rows) == [("Asha", 30.0), ("Bram", 5.0)] or \
        normalised(per_customer.result.rows) == [(1, "Asha", 30.0), (2, "Bram", 5.0)]


def test_revenue_abstains_when_header_totals_and_lines_disagree(workbench, tmp_path):
    sql = workbench.workspace("shop").sql
    sql.add_connection("shop", _shop(tmp_path / "shop.sqlite", header_total_matches=False))
    revenue = [m for m in sql.semantic_model().metrics if m.name == REVENUE]
    assert len(revenue) == 2, "two different numbers, not one metric"
    answer = sql.ask("What is the total revenue?", today=TODAY)
    assert answer.abstained
    assert "several ways" in answer.message
    # The analyst can still ask for either number by its column.
    assert sql.ask("total of order total amount", today=TODAY).source == "planned"


def test_lines_are_dated_by_their_header(workbench, tmp_path):
    sql = workbench.workspace("shop").sql
    sql.add_connection("shop", _shop(tmp_path / "shop.sqlite", header_total_matches=True))
    answer = sql.ask("How many units were sold in February 2025?", today=TODAY)
    assert answer.source == "planned", answer.message
    assert [tuple(r) for r in answer.result.rows] == [(1,)], "order 3's one unit; order 2 was cancelled"
    assert answer.plan["period"]["column"] == "orders.ordered_on"


def test_revenue_is_no_count_and_cancelled_rows_have_none(workbench, tmp_path):
    sql = workbench.workspace("shop").sql
    sql.add_connection("shop", _shop(tmp_path / "shop.sqlite", header_total_matches=True))
    counted = sql.ask("How many sales did we have in 2025?", today=TODAY)
    assert counted.abstained and "number of rows" in counted.message, "a number of sales is not an amount"
    cancelled = sql.ask("What is the revenue from cancelled orders?", today=TODAY)
    assert cancelled.abstained and "by definition" in cancelled.message
    ranked = sql.ask("Which customer brings in the most revenue?", today=TODAY)
    assert ranked.source == "planned" and [row[-1] for row in ranked.result.rows] == [30.0]
