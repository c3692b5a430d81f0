"""A second, fresh set of analyst questions about the Chinook music store, with their gold SQL.

Written independently of the planner (``core/sql/``) and of the first question set
(``nl_questions.CHINOOK_QUESTIONS``): the author read neither, only the Chinook file, the
``NLQuestion`` shape and the grading rules in ``nl_scoring.py`` (the first set was only compared
by program, for exact repeats, which the test forbids). Its purpose is a fresh check on
generality: a planner tuned on the first set should do about as well here, and a large gap
means it learnt the first set's wording rather than the questions analysts ask.

Every gold query (SQLite dialect, Chinook's PascalCase names) was run on
``../shared/data/external/chinook/Chinook_Sqlite.sqlite`` and its result checked by hand; the
key values are in the notes. Relative periods are read for ``CHINOOK_TODAY`` (2026-01-15):
"last year" is 2025, "last month" December 2025.

Conventions the gold answers follow:
- revenue, sales, spend = ``SUM(InvoiceLine.UnitPrice * InvoiceLine.Quantity)``, which equals
  ``SUM(Invoice.Total)`` on this file (2328.60 in all); units sold = ``SUM(Quantity)``;
- a person is answered with ``FirstName, LastName`` as two columns;
- "megabytes" thresholds were chosen where 10^6 and 2^20 bytes give the same count (so the
  question is not ambiguous about which megabyte is meant);
- top-N questions were checked for ties at the cut; where rows tie inside the cut the
  question is ``ordered=False``, and only true rankings are ``ordered=True``.
"""

from __future__ import annotations

from tests.core.sql.nl_questions import (
    AGGREGATE,
    AMBIGUOUS,
    COMPARISON,
    COUNT,
    COUNT_FILTER,
    GROUP_BY,
    JOIN,
    NUMERIC_FILTER,
    TIME_RANGE,
    TOP_N,
    UNANSWERABLE,
    NLQuestion,
    abstain,
    gold,
)

# The joins several gold queries share: sales lines to their track, and a track to its artist.
_LINES_TO_TRACK = "FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId"
_TRACK_TO_ARTIST = "JOIN Album al ON al.AlbumId = t.AlbumId JOIN Artist ar ON ar.ArtistId = al.ArtistId"

FRESH_QUESTIONS: tuple[NLQuestion, ...] = (
    # --- plain counts -------------------------------------------------------------------------
    gold("How many tracks are in our catalogue?", "SELECT COUNT(*) FROM Track", COUNT,
         "3503 tracks (this includes the TV episodes and films sold as tracks)"),
    gold("What's the total number of customers on file?", "SELECT COUNT(*) FROM Customer", COUNT, "59"),
    gold("How many different artists do we carry?", "SELECT COUNT(*) FROM Artist", COUNT,
         "275 (71 of them have no album in the store)"),
    gold("How many playlists exist?", "SELECT COUNT(*) FROM Playlist", COUNT,
         "18 rows; only 14 distinct names, since Music, Movies, TV Shows and Audiobooks each appear twice"),
    gold("How many invoices have we issued altogether?", "SELECT COUNT(*) FROM Invoice", COUNT, "412"),

    # --- counts with a filter on a value ------------------------------------------------------
    gold("How many of our customers are in Brazil?",
         "SELECT COUNT(*) FROM Customer WHERE Country = 'Brazil'", COUNT_FILTER, "5"),
    gold("Number of jazz tracks?",
         "SELECT COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Jazz'",
         COUNT_FILTER, "130"),
    gold("How many tracks are protected AAC audio files?",
         "SELECT COUNT(*) FROM Track t JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId "
         "WHERE m.Name = 'Protected AAC audio file'", COUNT_FILTER, "237"),
    gold("How many staff have the job title Sales Support Agent?",
         "SELECT COUNT(*) FROM Employee WHERE Title = 'Sales Support Agent'", COUNT_FILTER,
         "3: Jane Peacock, Margaret Park, Steve Johnson"),
    gold("How many tracks have no composer listed?",
         "SELECT COUNT(*) FROM Track WHERE Composer IS NULL", COUNT_FILTER, "977"),

    # --- numeric filters, with units ----------------------------------------------------------
    gold("How many tracks run longer than 10 minutes?",
         "SELECT COUNT(*) FROM Track WHERE Milliseconds > 600000", NUMERIC_FILTER, "260 (600000 ms)"),
    gold("How many tracks are shorter than 30 seconds?",
         "SELECT COUNT(*) FROM Track WHERE Milliseconds < 30000", NUMERIC_FILTER, "8 (30000 ms)"),
    gold("How many tracks are bigger than 100 megabytes?",
         "SELECT COUNT(*) FROM Track WHERE Bytes > 100000000", NUMERIC_FILTER,
         "211, the same with 100*1048576 bytes (checked), so the megabyte convention does not matter"),
    gold("How many tracks cost more than 99 cents?",
         "SELECT COUNT(*) FROM Track WHERE UnitPrice > 0.99", NUMERIC_FILTER,
         "213 (all priced 1.99; the other 3290 are 0.99)"),
    gold("How many invoices came to more than $20?",
         "SELECT COUNT(*) FROM Invoice WHERE Total > 20", NUMERIC_FILTER, "4 (21.86 x2, 23.86, 25.86)"),
    gold("How many songs are between 3 and 4 minutes long?",
         "SELECT COUNT(*) FROM Track WHERE Milliseconds BETWEEN 180000 AND 240000", NUMERIC_FILTER,
         "982; no track is exactly 180000 or 240000 ms, so inclusive and exclusive bounds agree"),
    gold("Which tracks last more than 80 minutes?",
         "SELECT Name FROM Track WHERE Milliseconds > 4800000", NUMERIC_FILTER,
         "Occupation / Precipice (88.1 min) and Through a Looking Glass (84.8 min); the next is 49.3 min"),

    # --- aggregates ---------------------------------------------------------------------------
    gold("What's the average track length in minutes?",
         "SELECT AVG(Milliseconds) / 60000.0 FROM Track", AGGREGATE, "6.56 minutes (393599 ms)"),
    gold("What is our total revenue to date?",
         "SELECT SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il", AGGREGATE,
         "2328.60, equal to SUM(Invoice.Total)"),
    gold("What's the average invoice total?", "SELECT AVG(Total) FROM Invoice", AGGREGATE, "5.65"),
    gold("What's the largest single invoice we've ever issued?", "SELECT MAX(Total) FROM Invoice", AGGREGATE,
         "25.86 (invoice 404)"),
    gold("How many units have we sold in total?", "SELECT SUM(Quantity) FROM InvoiceLine", AGGREGATE,
         "2240 (every line has quantity 1)"),
    gold("How many hours of content are in the whole catalogue?",
         "SELECT SUM(Milliseconds) / 3600000.0 FROM Track", AGGREGATE, "382.99 hours (1378778040 ms)"),
    gold("What is the average length of a Metallica track in minutes?",
         f"SELECT AVG(t.Milliseconds) / 60000.0 FROM Track t {_TRACK_TO_ARTIST} WHERE ar.Name = 'Metallica'",
         AGGREGATE, "5.79 minutes over 112 tracks"),

    # --- group-bys ----------------------------------------------------------------------------
    gold("How many tracks are there per genre?",
         "SELECT g.Name, COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.Name", GROUP_BY,
         "25 rows; Rock 1297, Latin 579, Metal 374 ... Opera 1"),
    gold("Revenue by billing country, please",
         "SELECT BillingCountry, SUM(Total) FROM Invoice GROUP BY BillingCountry", GROUP_BY,
         "24 rows; USA 523.06, Canada 303.96, France 195.10, Brazil 190.10"),
    gold("For each country, how many customers do we have?",
         "SELECT Country, COUNT(*) FROM Customer GROUP BY Country", GROUP_BY,
         "24 rows; USA 13, Canada 8, France 5, Brazil 5, Germany 4"),
    gold("Average track length in minutes broken down by media type",
         "SELECT m.Name, AVG(t.Milliseconds) / 60000.0 FROM Track t JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId "
         "GROUP BY m.Name", GROUP_BY, "5 rows; Protected MPEG-4 video file 39.05 min, the audio types 4.35-4.70"),
    gold("Units sold by media type",
         f"SELECT m.Name, SUM(il.Quantity) {_LINES_TO_TRACK} JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId "
         "GROUP BY m.Name", GROUP_BY,
         "MPEG audio 1976, Protected AAC 146, Protected MPEG-4 video 111, Purchased AAC 4, AAC 3"),
    gold("How many customers does each support rep look after?",
         "SELECT e.FirstName, e.LastName, COUNT(*) FROM Customer c JOIN Employee e ON e.EmployeeId = c.SupportRepId "
         "GROUP BY e.EmployeeId, e.FirstName, e.LastName", GROUP_BY,
         "Jane Peacock 21, Margaret Park 20, Steve Johnson 18"),
    gold("Number of invoices per year",
         "SELECT strftime('%Y', InvoiceDate), COUNT(*) FROM Invoice GROUP BY strftime('%Y', InvoiceDate)",
         GROUP_BY, "2021-2024: 83 each; 2025: 80"),
    gold("Which artists have more than 100 tracks?",
         f"SELECT ar.Name FROM Track t {_TRACK_TO_ARTIST} GROUP BY ar.ArtistId, ar.Name HAVING COUNT(*) > 100",
         GROUP_BY, "Iron Maiden 213, U2 135, Led Zeppelin 114, Metallica 112 (next: Lost, Deep Purple 92)"),

    # --- top / bottom N -----------------------------------------------------------------------
    gold("Top 5 artists by revenue",
         f"SELECT ar.Name {_LINES_TO_TRACK} {_TRACK_TO_ARTIST} GROUP BY ar.ArtistId, ar.Name "
         "ORDER BY SUM(il.UnitPrice * il.Quantity) DESC LIMIT 5", TOP_N,
         "Iron Maiden 138.60, U2 105.93, Metallica 90.09, Led Zeppelin 86.13, Lost 81.59; 6th The Office 49.75",
         ordered=True),
    gold("Which 3 genres sell the most units?",
         f"SELECT g.Name {_LINES_TO_TRACK} JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.Name "
         "ORDER BY SUM(il.Quantity) DESC LIMIT 3", TOP_N, "Rock 835, Latin 386, Metal 264; 4th Alt & Punk 244",
         ordered=True),
    gold("What are our 10 longest tracks?",
         "SELECT Name FROM Track ORDER BY Milliseconds DESC LIMIT 10", TOP_N,
         "Occupation / Precipice 5286953 ms first; 10th Fire In Space 2926593, 11th 2925008: no tie at the cut",
         ordered=True),
    gold("Which four countries have the most customers?",
         "SELECT Country FROM Customer GROUP BY Country ORDER BY COUNT(*) DESC LIMIT 4", TOP_N,
         "USA 13, Canada 8, France 5, Brazil 5; 5th Germany 4. France and Brazil tie inside the cut, so unordered"),
    gold("What are the 3 least represented genres in the catalogue?",
         "SELECT g.Name FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.Name "
         "ORDER BY COUNT(*) ASC LIMIT 3", TOP_N,
         "Opera 1, Rock And Roll 12, Science Fiction 13; 4th Bossa Nova 15", ordered=True),
    gold("Top 3 billing cities by sales",
         "SELECT BillingCity FROM Invoice GROUP BY BillingCity ORDER BY SUM(Total) DESC LIMIT 3", TOP_N,
         "Prague 90.24, then Paris and Mountain View tied at 77.24 (unordered); 4th São Paulo 75.24"),
    gold("Who was our biggest spender in 2025?",
         "SELECT c.FirstName, c.LastName FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId "
         "WHERE i.InvoiceDate >= '2025-01-01' AND i.InvoiceDate < '2026-01-01' "
         "GROUP BY c.CustomerId, c.FirstName, c.LastName ORDER BY SUM(i.Total) DESC LIMIT 1", TOP_N,
         "Helena Holý 27.84; next Madalena Sampaio and Diego Gutiérrez at 24.75"),
    gold("Of the genres that have sold anything, which two earned the least?",
         f"SELECT g.Name {_LINES_TO_TRACK} JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.Name "
         "ORDER BY SUM(il.UnitPrice * il.Quantity) ASC LIMIT 2", TOP_N,
         "Rock And Roll 5.94, Easy Listening 9.90; 3rd ties (Heavy Metal, Electronica/Dance 11.88), so N=2. "
         "Opera never sold, hence 'that have sold anything'", ordered=True),

    # --- time ranges --------------------------------------------------------------------------
    gold("What was revenue in 2023?",
         "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01'",
         TIME_RANGE, "469.58"),
    gold("How much did we sell in Q1 2022?",
         "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2022-01-01' AND InvoiceDate < '2022-04-01'",
         TIME_RANGE, "143.86 (the best first quarter)"),
    gold("What were total sales last year?",
         "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2025-01-01' AND InvoiceDate < '2026-01-01'",
         TIME_RANGE, "2025: 450.58"),
    gold("How many invoices did we raise in the second half of 2024?",
         "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2024-07-01' AND InvoiceDate < '2025-01-01'",
         TIME_RANGE, "41 (20 in Q3, 21 in Q4)"),
    gold("Revenue per quarter in 2024",
         "SELECT (CAST(strftime('%m', InvoiceDate) AS INTEGER) + 2) / 3, SUM(Total) FROM Invoice "
         "WHERE InvoiceDate >= '2024-01-01' AND InvoiceDate < '2025-01-01' "
         "GROUP BY (CAST(strftime('%m', InvoiceDate) AS INTEGER) + 2) / 3", TIME_RANGE,
         "quarter as the number 1..4: 112.86, 112.86, 133.95, 117.86"),
    gold("How many invoices have there been since July 2025?",
         "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2025-07-01'", TIME_RANGE, "42 (7 a month, Jul-Dec)"),
    gold("What was total revenue between 2022 and 2023?",
         "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2022-01-01' AND InvoiceDate < '2024-01-01'",
         TIME_RANGE, "951.03 = 481.45 + 469.58, both years included"),
    gold("How many employees were hired in 2003?",
         "SELECT COUNT(*) FROM Employee WHERE HireDate >= '2003-01-01' AND HireDate < '2004-01-01'", TIME_RANGE,
         "3: Margaret Park, Steve Johnson, Michael Mitchell"),
    gold("What did we take in revenue last month?",
         "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2025-12-01' AND InvoiceDate < '2026-01-01'",
         TIME_RANGE, "December 2025: 38.62"),
    gold("How many different customers bought something in 2025?",
         "SELECT COUNT(DISTINCT CustomerId) FROM Invoice "
         "WHERE InvoiceDate >= '2025-01-01' AND InvoiceDate < '2026-01-01'", TIME_RANGE, "46 of 59"),

    # --- comparisons --------------------------------------------------------------------------
    gold("Did we make more money in 2022 or in 2024?",
         "SELECT strftime('%Y', InvoiceDate), SUM(Total) FROM Invoice "
         "WHERE strftime('%Y', InvoiceDate) IN ('2022', '2024') GROUP BY strftime('%Y', InvoiceDate)",
         COMPARISON, "2022 481.45 vs 2024 477.53: 2022, narrowly"),
    gold("Compare Rock and Metal revenue",
         f"SELECT g.Name, SUM(il.UnitPrice * il.Quantity) {_LINES_TO_TRACK} JOIN Genre g ON g.GenreId = t.GenreId "
         "WHERE g.Name IN ('Rock', 'Metal') GROUP BY g.Name", COMPARISON, "Rock 826.65, Metal 261.36"),
    gold("USA versus Canada: which brought in more sales?",
         "SELECT BillingCountry, SUM(Total) FROM Invoice WHERE BillingCountry IN ('USA', 'Canada') "
         "GROUP BY BillingCountry", COMPARISON, "USA 523.06, Canada 303.96"),
    gold("How did Q4 2025 revenue compare with Q4 2024?",
         "SELECT strftime('%Y', InvoiceDate), SUM(Total) FROM Invoice "
         "WHERE (InvoiceDate >= '2024-10-01' AND InvoiceDate < '2025-01-01') "
         "OR (InvoiceDate >= '2025-10-01' AND InvoiceDate < '2026-01-01') GROUP BY strftime('%Y', InvoiceDate)",
         COMPARISON, "Q4 2024 117.86, Q4 2025 125.86"),

    # --- joins --------------------------------------------------------------------------------
    gold("Which albums do we have by AC/DC?",
         "SELECT al.Title FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId WHERE ar.Name = 'AC/DC'", JOIN,
         "For Those About To Rock We Salute You; Let There Be Rock"),
    gold("Which artist has the most jazz tracks?",
         f"SELECT ar.Name FROM Track t {_TRACK_TO_ARTIST} JOIN Genre g ON g.GenreId = t.GenreId "
         "WHERE g.Name = 'Jazz' GROUP BY ar.ArtistId, ar.Name ORDER BY COUNT(*) DESC LIMIT 1", JOIN,
         "Miles Davis 37; next Gene Krupa 22"),
    gold("Is there a genre that has never sold a single track?",
         "SELECT g.Name FROM Genre g WHERE NOT EXISTS (SELECT 1 FROM Track t JOIN InvoiceLine il "
         "ON il.TrackId = t.TrackId WHERE t.GenreId = g.GenreId)", JOIN, "Opera (its one track never sold)"),
    gold("How much revenue have Queen's songs brought in?",
         f"SELECT SUM(il.UnitPrice * il.Quantity) {_LINES_TO_TRACK} {_TRACK_TO_ARTIST} WHERE ar.Name = 'Queen'",
         JOIN, "36.63 (37 units)"),
    gold("Who does Steve Johnson report to?",
         "SELECT m.FirstName, m.LastName FROM Employee e JOIN Employee m ON m.EmployeeId = e.ReportsTo "
         "WHERE e.FirstName = 'Steve' AND e.LastName = 'Johnson'", JOIN, "Nancy Edwards, the Sales Manager"),
    gold("How much revenue came from video files?",
         f"SELECT SUM(il.UnitPrice * il.Quantity) {_LINES_TO_TRACK} "
         "JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId WHERE m.Name LIKE '%video%'", JOIN,
         "220.89: 'Protected MPEG-4 video file' is the only video media type"),
    gold("Which customers have spent more than $45 with us in total?",
         "SELECT c.FirstName, c.LastName FROM Customer c JOIN Invoice i ON i.CustomerId = c.CustomerId "
         "GROUP BY c.CustomerId, c.FirstName, c.LastName HAVING SUM(i.Total) > 45", JOIN,
         "Helena Holý 49.62, Richard Cunningham 47.62, Luis Rojas 46.62, Ladislav Kovács and Hugh O'Reilly 45.62"),
    gold("What genres are on the Grunge playlist?",
         "SELECT DISTINCT g.Name FROM Playlist p JOIN PlaylistTrack pt ON pt.PlaylistId = p.PlaylistId "
         "JOIN Track t ON t.TrackId = pt.TrackId JOIN Genre g ON g.GenreId = t.GenreId WHERE p.Name = 'Grunge'",
         JOIN, "Rock (14 tracks) and Alternative (1)"),
    gold("How much did the customers Jane Peacock supports spend in total?",
         "SELECT SUM(i.Total) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId "
         "JOIN Employee e ON e.EmployeeId = c.SupportRepId WHERE e.FirstName = 'Jane' AND e.LastName = 'Peacock'",
         JOIN, "833.04 (Margaret Park 775.40, Steve Johnson 720.16)"),

    # --- the database cannot answer -----------------------------------------------------------
    abstain("What's the average age of our customers?", UNANSWERABLE,
            "customers have no birth date (only employees do)"),
    abstain("What was our gross profit in 2024?", UNANSWERABLE,
            "there is no cost price or cost of sales anywhere, only sale prices"),
    abstain("How many times was Enter Sandman streamed last month?", UNANSWERABLE,
            "the store records purchases, not plays or streams (two Enter Sandman tracks exist, "
            "their plays do not)"),
    abstain("What were our sales in 2018?", UNANSWERABLE,
            "invoices start on 2021-01-01; answering 0 would pretend 2018 was a year with no sales"),
    abstain("How many employees did we hire last month?", UNANSWERABLE,
            "last month is December 2025; every hire date is between 2002-04-01 and 2004-03-04"),
    abstain("What's the average star rating of the Iron Maiden albums?", UNANSWERABLE, "there are no ratings"),
    abstain("How many refunds did we process in 2024?", UNANSWERABLE,
            "no refunds, returns or negative invoice lines exist (every quantity is 1, every total positive)"),
    abstain("What's our revenue so far this quarter?", UNANSWERABLE,
            "this quarter is Q1 2026 and the last invoice is dated 2025-12-22: the data does not reach it"),

    # --- several readings with different answers ----------------------------------------------
    abstain("Who is our best customer?", AMBIGUOUS,
            "by spend it is Helena Holý (49.62); by tracks bought or by number of invoices 58 of the 59 "
            "customers tie (38 tracks, 7 invoices each)"),
    abstain("What's our biggest album?", AMBIGUOUS,
            "most tracks: Greatest Hits (57); longest running time and most bytes: Lost, Season 3; "
            "most revenue: Battlestar Galactica (Classic), Season 1 (35.82)"),
    abstain("What's the average sale?", AMBIGUOUS,
            "per invoice it is 5.65, per invoice line (one track sold) 1.04"),
    abstain("How big is our catalogue?", AMBIGUOUS,
            "3503 tracks, 347 albums, 275 artists, 383 hours or 117.4 GB (109.3 GiB): each a fair reading"),
)
