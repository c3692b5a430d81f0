"""Plain-English analyst questions about the Chinook music store, each with the SQL that answers it.

This is the evaluation set of issue 13 (a planner that never answers a different question). It
is written from the questions an analyst at a music store asks, not from what the product can
do today, and it is never used to build the product: no code in core/ may read it.

Each ``NLQuestion`` has a gold query in the SQLite dialect, written against the real Chinook
schema (``../shared/data/external/chinook/Chinook_Sqlite.sqlite``, PascalCase names). Every gold
query was run on that file and its rows checked by hand against the data (the expected values are
in the notes where they are short). The result of the gold query is the right answer; a product
answer is graded against it by ``tests/core/sql/nl_scoring.py``.

Facts about the data the questions are phrased to (checked on the file):
- invoices run from 2021-01-01 to 2025-12-22, 83 a year (80 in 2025); ``InvoiceDate`` is
  text 'YYYY-MM-DD 00:00:00' in SQLite and a timestamp in PostgreSQL and MariaDB;
- every invoice line has ``Quantity`` 1, prices are 0.99 or 1.99; revenue from invoice lines
  (``UnitPrice * Quantity``) equals the sum of ``Invoice.Total`` (2328.60);
- a customer's ``Country`` always equals the ``BillingCountry`` of their invoices;
- employees were hired from 2002 to 2004; customers have no birth date, no cost price exists.

Relative periods ("last month", "last year") are read for ``CHINOOK_TODAY``, a day a few weeks
after the last invoice, so the questions stay inside the data.

``answerable=False`` marks questions the database cannot answer (no such data) or that are
ambiguous (several readings with different answers); the product must abstain on them, and any
answer counts as wrong. ``ordered`` marks questions whose answer is a ranking or a list in a
stated order: their rows are compared in order. Top-N questions were checked for ties at and
inside the cut (``top 3 customers`` rather than 5, because the 4th and 5th tie at 45.62).

``postgres_sql`` / ``mysql_sql`` are hand-written only where sqlglot's translation of the gold
query is not right for that engine; empty means "translate with sqlglot" (and, for PostgreSQL,
rename the PascalCase identifiers to Chinook's snake_case ones).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CHINOOK_TODAY = dt.date(2026, 1, 15)

# The kinds of question; a planner is measured per kind, so each has several questions.
COUNT = "count"
COUNT_FILTER = "count_filter"
NUMERIC_FILTER = "numeric_filter"
AGGREGATE = "aggregate"
GROUP_BY = "group_by"
TOP_N = "top_n"
TIME_RANGE = "time_range"
COMPARISON = "comparison"
JOIN = "join"
UNANSWERABLE = "unanswerable"  # the database has no data for it
AMBIGUOUS = "ambiguous"  # it has several readings with different answers
CATEGORIES = (COUNT, COUNT_FILTER, NUMERIC_FILTER, AGGREGATE, GROUP_BY, TOP_N, TIME_RANGE, COMPARISON, JOIN,
              UNANSWERABLE, AMBIGUOUS)


@dataclass(frozen=True)
class NLQuestion:
    """One question, the SQLite query whose result is its right answer, and how to grade an answer."""

    question: str
    gold_sql: str  # SQLite dialect; "" when the question is not answerable
    category: str
    answerable: bool = True
    notes: str = ""
    ordered: bool = False  # compare rows in order (a ranking, or a list in a stated order)
    postgres_sql: str = ""  # hand-written only where the sqlglot translation is wrong
    mysql_sql: str = ""


def gold(question: str, sql: str, category: str, notes: str = "", *, ordered: bool = False,
       postgres_sql: str = "", mysql_sql: str = "") -> NLQuestion:
    return NLQuestion(question, " ".join(sql.split()), category, True, notes, ordered, postgres_sql, mysql_sql)


def abstain(question: str, category: str, notes: str) -> NLQuestion:
    return NLQuestion(question, "", category, False, notes)


# Revenue is the sum of invoice lines (UnitPrice * Quantity); per invoice it equals Invoice.Total.
_LINES_TO_GENRE = ("FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId "
                   "JOIN Genre g ON g.GenreId = t.GenreId")

CHINOOK_QUESTIONS: tuple[NLQuestion, ...] = (
    # --- counts of an entity ---------------------------------------------------------------
    gold("How many tracks are in the catalog?", "SELECT COUNT(*) FROM Track", COUNT, "3503"),
    gold("How many customers are there?", "SELECT COUNT(*) FROM Customer", COUNT, "59"),
    gold("How many artists are there?", "SELECT COUNT(*) FROM Artist", COUNT, "275"),
    gold("How many albums do we have?", "SELECT COUNT(*) FROM Album", COUNT, "347"),
    gold("How many employees are there?", "SELECT COUNT(*) FROM Employee", COUNT, "8"),
    gold("How many invoices are there?", "SELECT COUNT(*) FROM Invoice", COUNT, "412"),
    gold("How many genres are there?", "SELECT COUNT(*) FROM Genre", COUNT, "25"),
    gold("How many playlists are there?", "SELECT COUNT(*) FROM Playlist", COUNT,
       "18 (some names repeat: two 'Music', two 'Movies', ...)"),
    gold("How many media types are there?", "SELECT COUNT(*) FROM MediaType", COUNT, "5"),

    # --- counts with a filter on a value ---------------------------------------------------
    gold("How many customers are in Brazil?", "SELECT COUNT(*) FROM Customer WHERE Country = 'Brazil'", COUNT_FILTER,
       "5; Brazil is also a value of Invoice.BillingCountry (35 invoices), which must not be counted"),
    gold("How many tracks are in the Jazz genre?",
       "SELECT COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Jazz'", COUNT_FILTER, "130"),
    gold("How many customers are from the USA?", "SELECT COUNT(*) FROM Customer WHERE Country = 'USA'", COUNT_FILTER,
       "13"),
    gold("How many invoices were billed to Germany?", "SELECT COUNT(*) FROM Invoice WHERE BillingCountry = 'Germany'",
       COUNT_FILTER, "28"),
    gold("How many tracks are MPEG audio files?",
       "SELECT COUNT(*) FROM Track t JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId "
       "WHERE m.Name = 'MPEG audio file'", COUNT_FILTER, "3034"),
    gold("How many employees are Sales Support Agents?",
       "SELECT COUNT(*) FROM Employee WHERE Title = 'Sales Support Agent'", COUNT_FILTER, "3"),
    gold("How many customers live in Paris?", "SELECT COUNT(*) FROM Customer WHERE City = 'Paris'", COUNT_FILTER,
       "2; Paris is also a BillingCity of 14 invoices"),
    gold("How many albums does AC/DC have?",
       "SELECT COUNT(*) FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId WHERE ar.Name = 'AC/DC'",
       COUNT_FILTER, "2; AC/DC is also a Track.Composer value (8 tracks)"),
    gold("How many tracks are not in the Rock genre?",
       "SELECT COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name <> 'Rock'", COUNT_FILTER,
       "2206 (negation); no track lacks a genre"),
    gold("How many customers have a company listed?", "SELECT COUNT(*) FROM Customer WHERE Company IS NOT NULL",
       COUNT_FILTER, "10"),
    gold("How many customers are in California?",
       "SELECT COUNT(*) FROM Customer WHERE State = 'CA'", COUNT_FILTER,
       "3; the data writes states as codes ('CA'), so the planner needs a synonym or abstains"),

    # --- numeric filters --------------------------------------------------------------------
    gold("How many tracks are priced at $1.99?", "SELECT COUNT(*) FROM Track WHERE UnitPrice = 1.99", NUMERIC_FILTER,
       "213"),
    gold("How many tracks cost 99 cents?", "SELECT COUNT(*) FROM Track WHERE UnitPrice = 0.99", NUMERIC_FILTER,
       "3290"),
    gold("How many tracks are longer than 5 minutes?", "SELECT COUNT(*) FROM Track WHERE Milliseconds > 300000",
       NUMERIC_FILTER, "1069; the unit (minutes) must be converted to milliseconds"),
    gold("How many tracks are shorter than 2 minutes?", "SELECT COUNT(*) FROM Track WHERE Milliseconds < 120000",
       NUMERIC_FILTER, "93"),
    gold("How many invoices have a total over $10?", "SELECT COUNT(*) FROM Invoice WHERE Total > 10", NUMERIC_FILTER,
       "64"),
    gold("How many invoices have a total under $2?", "SELECT COUNT(*) FROM Invoice WHERE Total < 2", NUMERIC_FILTER,
       "170"),
    gold("How many tracks are bigger than 10,000,000 bytes?", "SELECT COUNT(*) FROM Track WHERE Bytes > 10000000",
       NUMERIC_FILTER, "936"),

    # --- sums, averages, minimum, maximum ---------------------------------------------------
    gold("What is the total invoice amount?", "SELECT SUM(Total) FROM Invoice", AGGREGATE, "2328.60"),
    gold("What is the average invoice total?", "SELECT AVG(Total) FROM Invoice", AGGREGATE, "5.65"),
    gold("What is the largest invoice total?", "SELECT MAX(Total) FROM Invoice", AGGREGATE, "25.86"),
    gold("What is the smallest invoice total?", "SELECT MIN(Total) FROM Invoice", AGGREGATE, "0.99"),
    gold("What is the average track length in minutes?", "SELECT AVG(Milliseconds) / 60000.0 FROM Track", AGGREGATE,
       "6.56; milliseconds converted to minutes"),
    gold("What is the average track price?", "SELECT AVG(UnitPrice) FROM Track", AGGREGATE, "1.05"),
    gold("How many units have been sold in total?", "SELECT SUM(Quantity) FROM InvoiceLine", AGGREGATE, "2240"),

    # --- group-bys --------------------------------------------------------------------------
    gold("How many invoices were billed to each country?",
       "SELECT BillingCountry, COUNT(*) FROM Invoice GROUP BY BillingCountry", GROUP_BY, "24 rows, USA 91"),
    gold("What is the number of tracks per album?",
       "SELECT al.Title, COUNT(*) FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId "
       "GROUP BY al.AlbumId, al.Title", GROUP_BY, "347 rows; album titles are unique"),
    gold("What is the average track length in minutes for each genre?",
       "SELECT g.Name, AVG(t.Milliseconds) / 60000.0 FROM Track t JOIN Genre g ON g.GenreId = t.GenreId "
       "GROUP BY g.GenreId, g.Name", GROUP_BY, "25 rows, Sci Fi & Fantasy 48.53"),
    gold("How many customers are in each country?", "SELECT Country, COUNT(*) FROM Customer GROUP BY Country",
       GROUP_BY, "24 rows"),
    gold("How many tracks are there for each media type?",
       "SELECT m.Name, COUNT(*) FROM Track t JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId "
       "GROUP BY m.MediaTypeId, m.Name", GROUP_BY, "5 rows"),
    gold("What is the total invoice amount per billing country?",
       "SELECT BillingCountry, SUM(Total) FROM Invoice GROUP BY BillingCountry", GROUP_BY, "24 rows, USA 523.06"),
    gold("What is the average invoice total by billing country?",
       "SELECT BillingCountry, AVG(Total) FROM Invoice GROUP BY BillingCountry", GROUP_BY, "24 rows"),
    gold("How many employees have each job title?", "SELECT Title, COUNT(*) FROM Employee GROUP BY Title", GROUP_BY,
       "5 rows"),
    gold("How many invoices were issued each year?",
       "SELECT strftime('%Y', InvoiceDate), COUNT(*) FROM Invoice GROUP BY strftime('%Y', InvoiceDate)", GROUP_BY,
       "5 rows, 2021-2025 (the year as text '2021' or the number 2021 both match)"),
    gold("How many customers does each sales support agent look after?",
       "SELECT e.FirstName, e.LastName, COUNT(*) FROM Customer c JOIN Employee e ON e.EmployeeId = c.SupportRepId "
       "GROUP BY e.EmployeeId, e.FirstName, e.LastName", GROUP_BY,
       "Jane Peacock 21, Margaret Park 20, Steve Johnson 18 (Customer.SupportRepId -> Employee)"),

    # --- top N and extremes -----------------------------------------------------------------
    gold("Which genre has the most tracks?",
       "SELECT g.Name FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId, g.Name "
       "ORDER BY COUNT(*) DESC LIMIT 1", TOP_N, "Rock (1297)", ordered=True),
    gold("Which artist has the most albums?",
       "SELECT ar.Name FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId GROUP BY ar.ArtistId, ar.Name "
       "ORDER BY COUNT(*) DESC LIMIT 1", TOP_N, "Iron Maiden (21)", ordered=True),
    gold("Who are the top 3 customers by total spend?",
       "SELECT c.FirstName, c.LastName FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId "
       "GROUP BY c.CustomerId, c.FirstName, c.LastName ORDER BY SUM(i.Total) DESC LIMIT 3", TOP_N,
       "Helena Holý 49.62, Richard Cunningham 47.62, Luis Rojas 46.62 (the 4th and 5th tie, so not top 5)",
       ordered=True),
    gold("What are the 5 longest tracks?", "SELECT Name FROM Track ORDER BY Milliseconds DESC LIMIT 5", TOP_N,
       "no ties; 'Occupation / Precipice' first", ordered=True),
    gold("Which country has the most customers?",
       "SELECT Country FROM Customer GROUP BY Country ORDER BY COUNT(*) DESC LIMIT 1", TOP_N, "USA (13)",
       ordered=True),
    gold("Which 3 billing countries brought in the most revenue?",
       "SELECT BillingCountry FROM Invoice GROUP BY BillingCountry ORDER BY SUM(Total) DESC LIMIT 3", TOP_N,
       "USA, Canada, France (France 195.10, Brazil 190.10)", ordered=True),
    gold("Which album has the most tracks?",
       "SELECT al.Title FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId GROUP BY al.AlbumId, al.Title "
       "ORDER BY COUNT(*) DESC LIMIT 1", TOP_N, "Greatest Hits (57)", ordered=True),
    gold("Which media type has the fewest tracks?",
       "SELECT m.Name FROM Track t JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId GROUP BY m.MediaTypeId, m.Name "
       "ORDER BY COUNT(*) ASC LIMIT 1", TOP_N, "Purchased AAC audio file (7)", ordered=True),
    gold("Which employee supports the most customers?",
       "SELECT e.FirstName, e.LastName FROM Customer c JOIN Employee e ON e.EmployeeId = c.SupportRepId "
       "GROUP BY e.EmployeeId, e.FirstName, e.LastName ORDER BY COUNT(*) DESC LIMIT 1", TOP_N, "Jane Peacock (21)",
       ordered=True),
    gold("What is the longest track?", "SELECT Name FROM Track ORDER BY Milliseconds DESC LIMIT 1", TOP_N,
       "Occupation / Precipice (88 minutes)", ordered=True),

    # --- time ranges on invoice dates -------------------------------------------------------
    gold("How many invoices were issued in Q2 2022?",
       "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2022-04-01' AND InvoiceDate < '2022-07-01'", TIME_RANGE,
       "21; the issue saw 412 (all time) answered"),
    gold("What was the revenue in 2023?",
       "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01'", TIME_RANGE,
       "469.58"),
    gold("How many invoices were issued in March 2024?",
       "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2024-03-01' AND InvoiceDate < '2024-04-01'", TIME_RANGE,
       "7"),
    gold("How many invoices were issued between March and May 2023?",
       "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2023-03-01' AND InvoiceDate < '2023-06-01'", TIME_RANGE,
       "21; March to May inclusive"),
    gold("What was the total revenue in the first half of 2025?",
       "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2025-01-01' AND InvoiceDate < '2025-07-01'", TIME_RANGE,
       "211.86"),
    gold("What was the revenue for each month of 2024?",
       "SELECT strftime('%Y-%m', InvoiceDate), SUM(Total) FROM Invoice "
       "WHERE InvoiceDate >= '2024-01-01' AND InvoiceDate < '2025-01-01' GROUP BY strftime('%Y-%m', InvoiceDate)",
       TIME_RANGE, "12 rows labelled '2024-01'...; a month written another way does not match"),
    gold("How many invoices were issued in 2021?",
       "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2021-01-01' AND InvoiceDate < '2022-01-01'", TIME_RANGE,
       "83"),
    gold("What was the revenue in December 2025?",
       "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2025-12-01' AND InvoiceDate < '2026-01-01'", TIME_RANGE,
       "38.62"),
    gold("How many invoices were issued last month?",
       "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2025-12-01' AND InvoiceDate < '2026-01-01'", TIME_RANGE,
       "7; relative to CHINOOK_TODAY (2026-01-15): December 2025"),
    gold("What was the revenue last year?",
       "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2025-01-01' AND InvoiceDate < '2026-01-01'", TIME_RANGE,
       "450.58; relative to CHINOOK_TODAY: 2025"),
    gold("What is the total revenue since 2024-07-01?",
       "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2024-07-01'", TIME_RANGE, "702.39"),
    gold("How many invoices were billed to the USA in 2023?",
       "SELECT COUNT(*) FROM Invoice WHERE BillingCountry = 'USA' "
       "AND InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01'", TIME_RANGE, "19; a value and a period"),

    # --- comparisons ------------------------------------------------------------------------
    gold("How much more revenue did 2024 bring than 2023?",
       "SELECT (SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2024-01-01' AND InvoiceDate < '2025-01-01') - "
       "(SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01')",
       COMPARISON, "7.95 (477.53 - 469.58); the issue saw the all-time total answered"),
    gold("How much did revenue change from 2022 to 2023?",
       "SELECT (SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01') - "
       "(SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2022-01-01' AND InvoiceDate < '2023-01-01')",
       COMPARISON, "-11.87 (469.58 - 481.45)"),
    gold("How many more tracks does Rock have than Metal?",
       "SELECT SUM(CASE WHEN g.Name = 'Rock' THEN 1 ELSE 0 END) - SUM(CASE WHEN g.Name = 'Metal' THEN 1 ELSE 0 END) "
       "FROM Track t JOIN Genre g ON g.GenreId = t.GenreId", COMPARISON, "923 (1297 - 374)"),
    gold("Compare the revenue from Canada and France.",
       "SELECT BillingCountry, SUM(Total) FROM Invoice WHERE BillingCountry IN ('Canada', 'France') "
       "GROUP BY BillingCountry", COMPARISON, "Canada 303.96, France 195.10: one row per value"),

    # --- joins through foreign keys ---------------------------------------------------------
    gold("What is the revenue per genre?",
       f"SELECT g.Name, SUM(il.UnitPrice * il.Quantity) {_LINES_TO_GENRE} GROUP BY g.GenreId, g.Name", JOIN,
       "24 rows (one genre never sold), Rock 826.65; InvoiceLine -> Track -> Genre"),
    gold("How many tracks does Iron Maiden have?",
       "SELECT COUNT(*) FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId "
       "JOIN Artist ar ON ar.ArtistId = al.ArtistId WHERE ar.Name = 'Iron Maiden'", JOIN,
       "213; Track -> Album -> Artist"),
    gold("What is the total revenue from customers in Brazil?",
       "SELECT SUM(i.Total) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId WHERE c.Country = 'Brazil'",
       JOIN, "190.10; the same through Invoice.BillingCountry"),
    gold("How many tracks are in the Grunge playlist?",
       "SELECT COUNT(*) FROM PlaylistTrack pt JOIN Playlist p ON p.PlaylistId = pt.PlaylistId WHERE p.Name = 'Grunge'",
       JOIN, "15; through the link table PlaylistTrack"),
    gold("How many Jazz tracks have been sold?",
       f"SELECT SUM(il.Quantity) {_LINES_TO_GENRE} WHERE g.Name = 'Jazz'", JOIN, "80 units"),
    gold("What is the revenue per media type?",
       "SELECT m.Name, SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId "
       "JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId GROUP BY m.MediaTypeId, m.Name", JOIN, "5 rows"),
    gold("Who are the top 5 artists by revenue?",
       "SELECT ar.Name FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId "
       "JOIN Album al ON al.AlbumId = t.AlbumId JOIN Artist ar ON ar.ArtistId = al.ArtistId "
       "GROUP BY ar.ArtistId, ar.Name ORDER BY SUM(il.UnitPrice * il.Quantity) DESC LIMIT 5", JOIN,
       "Iron Maiden, U2, Metallica, Led Zeppelin, Lost; no ties at the cut", ordered=True),
    gold("What is the total revenue of the customers each sales support agent looks after?",
       "SELECT e.FirstName, e.LastName, SUM(i.Total) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId "
       "JOIN Employee e ON e.EmployeeId = c.SupportRepId GROUP BY e.EmployeeId, e.FirstName, e.LastName", JOIN,
       "Jane Peacock 833.04, Margaret Park 775.40, Steve Johnson 720.16"),
    gold("Which genre sold the most units?",
       f"SELECT g.Name {_LINES_TO_GENRE} GROUP BY g.GenreId, g.Name ORDER BY SUM(il.Quantity) DESC LIMIT 1", JOIN,
       "Rock (835)", ordered=True),
    gold("How many albums has each artist released?",
       "SELECT ar.Name, COUNT(*) FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId "
       "GROUP BY ar.ArtistId, ar.Name", JOIN,
       "204 rows: the 71 artists without an album are not listed (an answer listing them with 0 is a different "
       "reading and does not match)"),

    # --- the database cannot answer these ---------------------------------------------------
    abstain("What is the profit margin per track?", UNANSWERABLE, "no cost price anywhere"),
    abstain("Which customers are happiest?", UNANSWERABLE, "no satisfaction or rating data"),
    abstain("How many employees joined last month?", UNANSWERABLE,
             "hire dates stop in 2004: the data says nothing about last month (CHINOOK_TODAY), and a 0 would "
             "be read as a fact"),
    abstain("What is the average age of our customers?", UNANSWERABLE,
             "customers have no birth date (only employees do)"),
    abstain("How many times was each track streamed last week?", UNANSWERABLE, "no plays or streams"),
    abstain("Which tracks have the best ratings?", UNANSWERABLE, "no ratings"),
    abstain("What is the shipping cost per invoice?", UNANSWERABLE, "no shipping data"),
    abstain("How many refunds were issued in 2024?", UNANSWERABLE, "no refunds"),
    abstain("Which employee has the highest salary?", UNANSWERABLE, "no salaries"),
    abstain("What was the revenue in 2019?", UNANSWERABLE,
             "invoices start on 2021-01-01: a total (NULL or 0) for 2019 is not an answer"),
    abstain("How many visitors came to the online store last month?", UNANSWERABLE, "no web traffic"),
    abstain("What is the average discount per invoice?", UNANSWERABLE, "no discounts"),
    abstain("List the invoices from March", AMBIGUOUS,
             "no year: five Marches in the data (the issue's example that never reached the database)"),
    abstain("What are the best tracks?", AMBIGUOUS, "best by what: sales, revenue, playlists, length?"),
    abstain("How is Brazil doing?", AMBIGUOUS, "no measure and no period"),
    abstain("What is the churn rate?", AMBIGUOUS, "churn is not defined by the data (no subscriptions)"),
)
