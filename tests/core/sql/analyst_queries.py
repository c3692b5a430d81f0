"""A regression corpus of legitimate analyst queries the read-only SQL layer must keep running.

Each ``AnalystQuery`` is written the way an analyst writes it for one engine, against the real
Chinook schema of that engine (SQLite and MariaDB/MySQL use PascalCase names, PostgreSQL uses
snake_case). Every query was run directly on its engine before it was added, so a refusal or
a parse error from the guard is a bug in the guard, never in the query. Do not drop or weaken
a query because the guard refuses it: fix the guard.

``first_row`` holds, for a handful of queries, the exact first row the query must return,
computed independently with sqlite3, psql and the mariadb client on the Chinook data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class AnalystQuery:
    sql: str
    dialect: str  # "sqlite", "postgres" or "mysql" (MariaDB)
    description: str
    first_row: tuple | None = None  # the exact first row, where it is known

    @property
    def id(self) -> str:
        """A readable test id: the dialect and the description, as a slug."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.description.lower()).strip("-")
        return f"{self.dialect}-{slug}"


def _sqlite(description: str, sql: str, first_row: tuple | None = None) -> AnalystQuery:
    return AnalystQuery(sql.strip(), "sqlite", description, first_row)


def _postgres(description: str, sql: str, first_row: tuple | None = None) -> AnalystQuery:
    return AnalystQuery(sql.strip(), "postgres", description, first_row)


def _mysql(description: str, sql: str, first_row: tuple | None = None) -> AnalystQuery:
    return AnalystQuery(sql.strip(), "mysql", description, first_row)


SQLITE_QUERIES: tuple[AnalystQuery, ...] = (
    _sqlite("count of tracks", "SELECT COUNT(*) AS tracks FROM Track", (3503,)),
    _sqlite(
        "top genre by number of tracks",
        """
        SELECT g.Name AS genre, COUNT(*) AS tracks
        FROM Track t
        JOIN Genre g ON g.GenreId = t.GenreId
        GROUP BY g.Name
        ORDER BY tracks DESC
        LIMIT 1
        """,
        ("Rock", 1297),
    ),
    _sqlite(
        "revenue by country having over 100",
        """
        SELECT BillingCountry, ROUND(SUM(Total), 2) AS revenue, COUNT(*) AS invoices
        FROM Invoice
        GROUP BY BillingCountry
        HAVING SUM(Total) > 100
        ORDER BY revenue DESC
        """,
        ("USA", 523.06, 91),
    ),
    _sqlite(
        "average track minutes per album top ten",
        """
        SELECT al.Title, ROUND(AVG(t.Milliseconds) / 60000.0, 2) AS avg_minutes, COUNT(*) AS tracks
        FROM Album al
        JOIN Track t ON t.AlbumId = al.AlbumId
        GROUP BY al.AlbumId, al.Title
        HAVING COUNT(*) >= 5
        ORDER BY avg_minutes DESC
        LIMIT 10
        """,
    ),
    _sqlite(
        "artists with at least five albums",
        """
        SELECT ar.Name, COUNT(al.AlbumId) AS albums
        FROM Artist ar
        JOIN Album al ON al.ArtistId = ar.ArtistId
        GROUP BY ar.ArtistId, ar.Name
        HAVING COUNT(al.AlbumId) >= 5
        ORDER BY albums DESC, ar.Name
        """,
    ),
    _sqlite(
        "customer lifetime value tiers with a cte",
        """
        WITH spend AS (
            SELECT c.CustomerId, c.FirstName || ' ' || c.LastName AS customer, SUM(i.Total) AS total
            FROM Customer c
            JOIN Invoice i ON i.CustomerId = c.CustomerId
            GROUP BY c.CustomerId
        )
        SELECT customer, ROUND(total, 2) AS total,
               CASE WHEN total >= 45 THEN 'gold' WHEN total >= 40 THEN 'silver' ELSE 'bronze' END AS tier
        FROM spend
        ORDER BY total DESC
        """,
    ),
    _sqlite(
        "org chart with recursive cte over reportsto",
        """
        WITH RECURSIVE chart(EmployeeId, name, depth, path) AS (
            SELECT EmployeeId, FirstName || ' ' || LastName, 0, LastName
            FROM Employee WHERE ReportsTo IS NULL
            UNION ALL
            SELECT e.EmployeeId, e.FirstName || ' ' || e.LastName, chart.depth + 1, chart.path || ' > ' || e.LastName
            FROM Employee e JOIN chart ON e.ReportsTo = chart.EmployeeId
        )
        SELECT name, depth, path FROM chart ORDER BY path
        """,
        ("Andrew Adams", 0, "Adams"),
    ),
    _sqlite(
        "management chain of one employee with recursive cte",
        """
        WITH RECURSIVE chain AS (
            SELECT EmployeeId, FirstName, LastName, ReportsTo, 1 AS level FROM Employee WHERE EmployeeId = 8
            UNION ALL
            SELECT e.EmployeeId, e.FirstName, e.LastName, e.ReportsTo, chain.level + 1
            FROM Employee e JOIN chain ON chain.ReportsTo = e.EmployeeId
        )
        SELECT level, FirstName, LastName FROM chain ORDER BY level
        """,
    ),
    _sqlite(
        "monthly calendar with recursive cte and revenue",
        """
        WITH RECURSIVE months(month_start) AS (
            SELECT date('2023-01-01')
            UNION ALL
            SELECT date(month_start, '+1 month') FROM months WHERE month_start < '2023-12-01'
        )
        SELECT m.month_start, COALESCE(ROUND(SUM(i.Total), 2), 0) AS revenue
        FROM months m
        LEFT JOIN Invoice i ON date(i.InvoiceDate, 'start of month') = m.month_start
        GROUP BY m.month_start
        ORDER BY m.month_start
        """,
    ),
    _sqlite(
        "three longest tracks per genre with row_number",
        """
        SELECT genre, track, minutes FROM (
            SELECT g.Name AS genre, t.Name AS track, ROUND(t.Milliseconds / 60000.0, 1) AS minutes,
                   ROW_NUMBER() OVER (PARTITION BY t.GenreId ORDER BY t.Milliseconds DESC) AS rn
            FROM Track t JOIN Genre g ON g.GenreId = t.GenreId
        ) ranked
        WHERE rn <= 3
        ORDER BY genre, rn
        """,
    ),
    _sqlite(
        "rank customers by spend within country",
        """
        SELECT c.Country, c.FirstName || ' ' || c.LastName AS customer, SUM(i.Total) AS spend,
               RANK() OVER (PARTITION BY c.Country ORDER BY SUM(i.Total) DESC) AS country_rank,
               DENSE_RANK() OVER (ORDER BY SUM(i.Total) DESC) AS overall_rank
        FROM Customer c JOIN Invoice i ON i.CustomerId = c.CustomerId
        GROUP BY c.CustomerId
        ORDER BY c.Country, country_rank
        """,
    ),
    _sqlite(
        "month over month revenue change with lag",
        """
        WITH monthly AS (
            SELECT strftime('%Y-%m', InvoiceDate) AS month, SUM(Total) AS revenue
            FROM Invoice GROUP BY month
        )
        SELECT month, ROUND(revenue, 2) AS revenue,
               ROUND(revenue - LAG(revenue) OVER (ORDER BY month), 2) AS change,
               ROUND(100.0 * (revenue - LAG(revenue, 1) OVER (ORDER BY month)) / LAG(revenue, 1) OVER (ORDER BY month), 1) AS pct
        FROM monthly
        ORDER BY month
        """,
    ),
    _sqlite(
        "days until next purchase with lead and julianday",
        """
        SELECT CustomerId, InvoiceDate,
               LEAD(InvoiceDate) OVER (PARTITION BY CustomerId ORDER BY InvoiceDate) AS next_date,
               julianday(LEAD(InvoiceDate) OVER (PARTITION BY CustomerId ORDER BY InvoiceDate)) - julianday(InvoiceDate) AS gap_days
        FROM Invoice
        ORDER BY CustomerId, InvoiceDate
        LIMIT 50
        """,
    ),
    _sqlite(
        "running revenue total with rows between frame",
        """
        SELECT InvoiceId, InvoiceDate, Total,
               SUM(Total) OVER (ORDER BY InvoiceDate, InvoiceId ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total
        FROM Invoice
        ORDER BY InvoiceDate, InvoiceId
        """,
    ),
    _sqlite(
        "three month moving average of revenue",
        """
        SELECT month, revenue,
               ROUND(AVG(revenue) OVER (ORDER BY month ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), 2) AS moving_avg
        FROM (SELECT strftime('%Y-%m', InvoiceDate) AS month, ROUND(SUM(Total), 2) AS revenue FROM Invoice GROUP BY 1) m
        ORDER BY month
        """,
    ),
    _sqlite(
        "track length quartiles with ntile",
        """
        SELECT quartile, COUNT(*) AS tracks, MIN(Milliseconds) AS shortest, MAX(Milliseconds) AS longest
        FROM (SELECT Milliseconds, NTILE(4) OVER (ORDER BY Milliseconds) AS quartile FROM Track)
        GROUP BY quartile
        ORDER BY quartile
        """,
        (1, 876, 1071, 207229),
    ),
    _sqlite(
        "percent_rank and cume_dist of invoice totals",
        """
        SELECT InvoiceId, Total,
               ROUND(PERCENT_RANK() OVER (ORDER BY Total), 3) AS pct_rank,
               ROUND(CUME_DIST() OVER (ORDER BY Total), 3) AS cume
        FROM Invoice
        ORDER BY Total DESC
        LIMIT 20
        """,
    ),
    _sqlite(
        "first and last purchase per customer with first_value and last_value",
        """
        SELECT DISTINCT CustomerId,
               FIRST_VALUE(InvoiceDate) OVER w AS first_purchase,
               LAST_VALUE(InvoiceDate) OVER w AS last_purchase,
               NTH_VALUE(Total, 2) OVER w AS second_total
        FROM Invoice
        WINDOW w AS (PARTITION BY CustomerId ORDER BY InvoiceDate ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ORDER BY CustomerId
        """,
    ),
    _sqlite(
        "tracks longer than average with scalar subquery",
        """
        SELECT Name, Milliseconds, (SELECT ROUND(AVG(Milliseconds)) FROM Track) AS avg_ms
        FROM Track
        WHERE Milliseconds > (SELECT AVG(Milliseconds) FROM Track)
        ORDER BY Milliseconds DESC
        LIMIT 25
        """,
    ),
    _sqlite(
        "customers who bought jazz with in subquery",
        """
        SELECT FirstName, LastName, Country FROM Customer
        WHERE CustomerId IN (
            SELECT i.CustomerId FROM Invoice i
            JOIN InvoiceLine il ON il.InvoiceId = i.InvoiceId
            JOIN Track t ON t.TrackId = il.TrackId
            WHERE t.GenreId = (SELECT GenreId FROM Genre WHERE Name = 'Jazz')
        )
        ORDER BY LastName
        """,
    ),
    _sqlite(
        "artists without albums with not exists",
        """
        SELECT COUNT(*) AS artists_without_albums FROM Artist a
        WHERE NOT EXISTS (SELECT 1 FROM Album al WHERE al.ArtistId = a.ArtistId)
        """,
        (71,),
    ),
    _sqlite(
        "largest invoice per customer with correlated subquery",
        """
        SELECT i.CustomerId, i.InvoiceId, i.Total
        FROM Invoice i
        WHERE i.Total = (SELECT MAX(i2.Total) FROM Invoice i2 WHERE i2.CustomerId = i.CustomerId)
        ORDER BY i.Total DESC, i.CustomerId
        """,
    ),
    _sqlite(
        "average invoice per country from a derived table",
        """
        SELECT country, ROUND(AVG(invoice_total), 2) AS avg_invoice, COUNT(*) AS invoices
        FROM (SELECT BillingCountry AS country, Total AS invoice_total FROM Invoice) AS per_invoice
        GROUP BY country
        ORDER BY avg_invoice DESC
        """,
    ),
    _sqlite(
        "track length buckets with case",
        """
        SELECT CASE
                 WHEN Milliseconds < 180000 THEN 'short (< 3 min)'
                 WHEN Milliseconds < 300000 THEN 'medium (3-5 min)'
                 WHEN Milliseconds < 600000 THEN 'long (5-10 min)'
                 ELSE 'very long'
               END AS bucket,
               COUNT(*) AS tracks
        FROM Track
        GROUP BY bucket
        ORDER BY MIN(Milliseconds)
        """,
    ),
    _sqlite(
        "composer fallback with coalesce and nullif",
        """
        SELECT COALESCE(NULLIF(TRIM(Composer), ''), 'Unknown') AS composer, COUNT(*) AS tracks
        FROM Track
        GROUP BY 1
        ORDER BY tracks DESC
        LIMIT 10
        """,
        ("Unknown", 977),
    ),
    _sqlite(
        "casts to real integer and text",
        """
        SELECT Name, CAST(Milliseconds AS REAL) / 60000 AS minutes, CAST(UnitPrice * 100 AS INTEGER) AS cents,
               CAST(TrackId AS TEXT) || '-' || CAST(AlbumId AS TEXT) AS code
        FROM Track
        LIMIT 10
        """,
    ),
    _sqlite(
        "gmail customers with like and concatenation",
        """
        SELECT FirstName || ' ' || LastName AS customer, Email
        FROM Customer
        WHERE Email LIKE '%@gmail.com'
        ORDER BY customer
        """,
    ),
    _sqlite(
        "email domains with substr instr and lower",
        """
        SELECT LOWER(SUBSTR(Email, INSTR(Email, '@') + 1)) AS domain, COUNT(*) AS customers
        FROM Customer
        GROUP BY domain
        ORDER BY customers DESC, domain
        """,
    ),
    _sqlite(
        "string cleanup with replace trim upper and length",
        """
        SELECT UPPER(REPLACE(Name, ' ', '_')) AS slug, LENGTH(Name) AS chars, LTRIM(RTRIM(Name)) AS trimmed,
               SUBSTR(Name, 1, 10) || CASE WHEN LENGTH(Name) > 10 THEN '...' ELSE '' END AS short_name,
               SUBSTR(Name, -3) AS last_three
        FROM Track
        ORDER BY LENGTH(Name) DESC
        LIMIT 10
        """,
    ),
    _sqlite(
        "track list per album with group_concat",
        """
        SELECT al.Title, COUNT(*) AS tracks, GROUP_CONCAT(t.Name, '; ') AS track_list
        FROM Album al JOIN Track t ON t.AlbumId = al.AlbumId
        GROUP BY al.AlbumId
        ORDER BY tracks DESC
        LIMIT 5
        """,
    ),
    _sqlite(
        "math functions on track lengths",
        """
        SELECT ROUND(AVG(Milliseconds) / 1000.0, 1) AS avg_seconds,
               ROUND(SQRT(AVG(Milliseconds * Milliseconds) - AVG(Milliseconds) * AVG(Milliseconds)) / 1000.0, 1) AS stddev_seconds,
               CEIL(MAX(Milliseconds) / 60000.0) AS max_minutes_up,
               FLOOR(MIN(Milliseconds) / 1000.0) AS min_seconds_down,
               ABS(MIN(Milliseconds) - MAX(Milliseconds)) AS spread,
               POWER(2, 10) AS kib, MOD(COUNT(*), 7) AS leftover, COUNT(*) % 7 AS leftover_op
        FROM Track
        """,
    ),
    _sqlite(
        "revenue by year with strftime",
        """
        SELECT CAST(strftime('%Y', InvoiceDate) AS INTEGER) AS year, COUNT(*) AS invoices, ROUND(SUM(Total), 2) AS revenue
        FROM Invoice
        GROUP BY year
        ORDER BY year
        """,
        (2021, 83, 449.46),
    ),
    _sqlite(
        "invoice due dates with date modifiers",
        """
        SELECT InvoiceId, date(InvoiceDate) AS invoiced, date(InvoiceDate, '+30 days') AS due,
               date(InvoiceDate, 'start of month', '+1 month', '-1 day') AS month_end
        FROM Invoice
        WHERE InvoiceDate >= date((SELECT MAX(InvoiceDate) FROM Invoice), '-3 months')
        ORDER BY InvoiceDate
        """,
    ),
    _sqlite(
        "employee age at hire with julianday",
        """
        SELECT FirstName, LastName, date(BirthDate) AS born, date(HireDate) AS hired,
               CAST((julianday(HireDate) - julianday(BirthDate)) / 365.25 AS INTEGER) AS age_at_hire
        FROM Employee
        ORDER BY age_at_hire DESC
        """,
    ),
    _sqlite(
        "invoices by weekday with strftime",
        """
        SELECT CASE CAST(strftime('%w', InvoiceDate) AS INTEGER)
                 WHEN 0 THEN 'Sun' WHEN 1 THEN 'Mon' WHEN 2 THEN 'Tue' WHEN 3 THEN 'Wed'
                 WHEN 4 THEN 'Thu' WHEN 5 THEN 'Fri' ELSE 'Sat' END AS weekday,
               COUNT(*) AS invoices
        FROM Invoice
        GROUP BY strftime('%w', InvoiceDate)
        ORDER BY strftime('%w', InvoiceDate)
        """,
    ),
    _sqlite(
        "revenue by quarter",
        """
        SELECT strftime('%Y', InvoiceDate) || '-Q' || ((CAST(strftime('%m', InvoiceDate) AS INTEGER) + 2) / 3) AS quarter,
               ROUND(SUM(Total), 2) AS revenue
        FROM Invoice
        GROUP BY quarter
        ORDER BY quarter
        """,
    ),
    _sqlite(
        "genre summary as json_object",
        """
        SELECT json_object('genre', g.Name, 'tracks', COUNT(t.TrackId), 'avg_price', ROUND(AVG(t.UnitPrice), 2)) AS doc
        FROM Genre g JOIN Track t ON t.GenreId = g.GenreId
        GROUP BY g.GenreId
        ORDER BY g.GenreId
        """,
    ),
    _sqlite(
        "albums per artist with json_group_array",
        """
        SELECT ar.Name, json_group_array(al.Title) AS albums, json_array_length(json_group_array(al.Title)) AS n
        FROM Artist ar JOIN Album al ON al.ArtistId = ar.ArtistId
        GROUP BY ar.ArtistId
        ORDER BY n DESC
        LIMIT 5
        """,
    ),
    _sqlite(
        "cities of customers and employees with union",
        """
        SELECT City, Country, 'customer' AS kind FROM Customer
        UNION
        SELECT City, Country, 'employee' FROM Employee
        ORDER BY Country, City
        """,
    ),
    _sqlite(
        "countries with customers and employees with intersect",
        "SELECT Country FROM Customer INTERSECT SELECT Country FROM Employee",
        ("Canada",),
    ),
    _sqlite(
        "countries with customers but no employees with except",
        "SELECT Country FROM Customer EXCEPT SELECT Country FROM Employee ORDER BY Country",
    ),
    _sqlite(
        "third page of tracks with limit and offset",
        "SELECT TrackId, Name FROM Track ORDER BY TrackId LIMIT 10 OFFSET 20",
        (21, "Hell Ain't A Bad Place To Be"),
    ),
    _sqlite(
        "top fifth of genres with a limit expression",
        """
        SELECT g.Name, COUNT(*) AS tracks FROM Genre g JOIN Track t ON t.GenreId = g.GenreId
        GROUP BY g.GenreId ORDER BY tracks DESC
        LIMIT (SELECT COUNT(*) FROM Genre) / 5
        """,
        ("Rock", 1297),
    ),
    _sqlite(
        "median track length with the classic limit offset form",
        """
        SELECT AVG(Milliseconds) AS median_ms
        FROM (SELECT Milliseconds FROM Track ORDER BY Milliseconds
              LIMIT 2 - (SELECT COUNT(*) FROM Track) % 2
              OFFSET (SELECT (COUNT(*) - 1) / 2 FROM Track))
        """,
        (255634.0,),
    ),
    _sqlite(
        "median invoice total with row_number and count windows",
        """
        SELECT AVG(Total) AS median_total FROM (
            SELECT Total, ROW_NUMBER() OVER (ORDER BY Total) AS rn, COUNT(*) OVER () AS n FROM Invoice
        )
        WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
        """,
        (3.96,),
    ),
    _sqlite(
        "explain query plan of a join",
        """
        EXPLAIN QUERY PLAN
        SELECT g.Name, COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.Name
        """,
    ),
    _sqlite(
        "explain query plan of a cte",
        """
        EXPLAIN QUERY PLAN
        WITH big AS (SELECT CustomerId, SUM(Total) AS s FROM Invoice GROUP BY CustomerId)
        SELECT * FROM big WHERE s > 40
        """,
    ),
    _sqlite(
        "playlist sizes with left join",
        """
        SELECT p.Name, COUNT(pt.TrackId) AS tracks
        FROM Playlist p LEFT JOIN PlaylistTrack pt ON pt.PlaylistId = p.PlaylistId
        GROUP BY p.PlaylistId, p.Name
        ORDER BY tracks DESC, p.PlaylistId
        """,
    ),
    _sqlite(
        "media type share of tracks with a window over an aggregate",
        """
        SELECT m.Name, COUNT(*) AS tracks, ROUND(100.0 * COUNT(*) / SUM(COUNT(*)) OVER (), 1) AS pct
        FROM Track t JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId
        GROUP BY m.Name
        ORDER BY tracks DESC
        """,
        ("MPEG audio file", 3034, 86.6),
    ),
    _sqlite(
        "sales per support agent",
        """
        SELECT e.FirstName || ' ' || e.LastName AS agent, COUNT(DISTINCT c.CustomerId) AS customers,
               COUNT(i.InvoiceId) AS invoices, ROUND(SUM(i.Total), 2) AS revenue
        FROM Employee e
        JOIN Customer c ON c.SupportRepId = e.EmployeeId
        JOIN Invoice i ON i.CustomerId = c.CustomerId
        GROUP BY e.EmployeeId
        ORDER BY revenue DESC
        """,
    ),
    _sqlite(
        "price flag with iif",
        """
        SELECT iif(UnitPrice > 0.99, 'premium', 'standard') AS price_band, COUNT(*) AS tracks
        FROM Track GROUP BY price_band ORDER BY price_band
        """,
    ),
    _sqlite(
        "formatted totals with printf",
        """
        SELECT BillingCountry, printf('%.2f', SUM(Total)) AS revenue, printf('%5d', COUNT(*)) AS invoices
        FROM Invoice GROUP BY BillingCountry ORDER BY SUM(Total) DESC LIMIT 5
        """,
    ),
    _sqlite(
        "total and count distinct aggregates",
        """
        SELECT total(Total) AS revenue, COUNT(DISTINCT CustomerId) AS customers,
               COUNT(DISTINCT BillingCountry) AS countries, AVG(Total) AS avg_invoice
        FROM Invoice
        """,
    ),
    _sqlite(
        "scalar max and min of two columns",
        """
        SELECT InvoiceLineId, UnitPrice, Quantity, MAX(UnitPrice, Quantity) AS bigger, MIN(UnitPrice, 1.0) AS capped
        FROM InvoiceLine LIMIT 10
        """,
    ),
    _sqlite(
        "column storage types with typeof",
        """
        SELECT typeof(InvoiceDate) AS date_type, typeof(Total) AS total_type, typeof(BillingState) AS state_type, COUNT(*)
        FROM Invoice GROUP BY 1, 2, 3
        """,
    ),
    _sqlite(
        "days since last purchase per customer",
        """
        SELECT CustomerId, MAX(InvoiceDate) AS last_purchase,
               CAST(julianday('now') - julianday(MAX(InvoiceDate)) AS INTEGER) AS days_since
        FROM Invoice
        GROUP BY CustomerId
        ORDER BY days_since DESC
        LIMIT 10
        """,
    ),
    _sqlite(
        "genre share of revenue with range frame",
        """
        SELECT g.Name, ROUND(SUM(il.UnitPrice * il.Quantity), 2) AS revenue,
               ROUND(100.0 * SUM(il.UnitPrice * il.Quantity)
                     / SUM(SUM(il.UnitPrice * il.Quantity)) OVER (ORDER BY 1 RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), 2) AS pct
        FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId JOIN Genre g ON g.GenreId = t.GenreId
        GROUP BY g.Name
        ORDER BY revenue DESC
        """,
    ),
    _sqlite(
        "invoice counts by country with filter clause",
        """
        SELECT BillingCountry,
               COUNT(*) FILTER (WHERE Total >= 10) AS big_invoices,
               COUNT(*) FILTER (WHERE Total < 10) AS small_invoices
        FROM Invoice
        GROUP BY BillingCountry
        ORDER BY big_invoices DESC
        """,
    ),
    _sqlite(
        "composers ordered with nulls last",
        "SELECT Name, Composer FROM Track ORDER BY Composer NULLS LAST, Name LIMIT 20",
    ),
    _sqlite(
        "revenue against targets from a values cte",
        """
        WITH targets(country, goal) AS (VALUES ('USA', 500), ('Canada', 350), ('France', 150))
        SELECT t.country, t.goal, ROUND(SUM(i.Total), 2) AS actual, ROUND(SUM(i.Total) - t.goal, 2) AS gap
        FROM targets t JOIN Invoice i ON i.BillingCountry = t.country
        GROUP BY t.country, t.goal
        ORDER BY t.country
        """,
    ),
    _sqlite(
        "country share of revenue with a cross join",
        """
        SELECT i.BillingCountry, ROUND(100.0 * SUM(i.Total) / tot.grand, 2) AS pct
        FROM Invoice i CROSS JOIN (SELECT SUM(Total) AS grand FROM Invoice) tot
        GROUP BY i.BillingCountry, tot.grand
        ORDER BY pct DESC
        """,
    ),
    _sqlite(
        "tracks whose names start with a digit with glob",
        "SELECT Name FROM Track WHERE Name GLOB '[0-9]*' ORDER BY Name LIMIT 20",
    ),
    _sqlite(
        "custom sort order with case in order by",
        """
        SELECT Title, FirstName, LastName FROM Employee
        ORDER BY CASE Title WHEN 'General Manager' THEN 1 WHEN 'Sales Manager' THEN 2 WHEN 'IT Manager' THEN 3 ELSE 4 END, LastName
        """,
        ("General Manager", "Andrew", "Adams"),
    ),
    _sqlite(
        "invoices in a date range with between",
        """
        SELECT COUNT(*) AS invoices, ROUND(SUM(Total), 2) AS revenue FROM Invoice
        WHERE InvoiceDate BETWEEN '2023-01-01' AND '2023-12-31 23:59:59'
        """,
    ),
    _sqlite(
        "revenue by country with a grand total row via union all",
        """
        SELECT BillingCountry AS country, ROUND(SUM(Total), 2) AS revenue FROM Invoice GROUP BY BillingCountry
        UNION ALL
        SELECT 'All countries', ROUND(SUM(Total), 2) FROM Invoice
        ORDER BY revenue DESC
        """,
        ("All countries", 2328.6),
    ),
    _sqlite(
        "reading a value back with json_extract and arrow operator",
        """
        SELECT json_extract(doc, '$.name') AS name, doc ->> '$.ms' AS ms
        FROM (SELECT json_object('name', Name, 'ms', Milliseconds) AS doc FROM Track LIMIT 5)
        """,
    ),
    _sqlite(
        "median track length per genre with windows",
        """
        WITH ordered AS (
            SELECT GenreId, Milliseconds,
                   ROW_NUMBER() OVER (PARTITION BY GenreId ORDER BY Milliseconds) AS rn,
                   COUNT(*) OVER (PARTITION BY GenreId) AS n
            FROM Track
        )
        SELECT g.Name, AVG(o.Milliseconds) AS median_ms
        FROM ordered o JOIN Genre g ON g.GenreId = o.GenreId
        WHERE o.rn IN ((o.n + 1) / 2, (o.n + 2) / 2)
        GROUP BY g.Name
        ORDER BY median_ms DESC
        """,
    ),
    _sqlite(
        "random sample of tracks",
        "SELECT TrackId, Name FROM Track ORDER BY RANDOM() LIMIT 5",
    ),
    _sqlite(
        "track durations formatted as time with strftime unixepoch",
        """
        SELECT Name, strftime('%M:%S', Milliseconds / 1000, 'unixepoch') AS duration
        FROM Track WHERE Milliseconds < 3600000
        ORDER BY Milliseconds DESC
        LIMIT 10
        """,
    ),
    _sqlite(
        "customers without invoices in the last year with left join anti join",
        """
        SELECT c.CustomerId, c.FirstName, c.LastName
        FROM Customer c
        LEFT JOIN Invoice i ON i.CustomerId = c.CustomerId AND i.InvoiceDate >= '2025-07-01'
        WHERE i.InvoiceId IS NULL
        ORDER BY c.CustomerId
        """,
    ),
    _sqlite(
        "best selling tracks with quoted identifiers",
        """
        SELECT "t"."Name" AS "Track Name", SUM([il].[Quantity]) AS "Units Sold"
        FROM "Track" AS "t" JOIN [InvoiceLine] AS [il] ON [il].[TrackId] = "t"."TrackId"
        GROUP BY "t"."TrackId"
        ORDER BY "Units Sold" DESC, "t"."TrackId"
        LIMIT 10
        """,
    ),
    _sqlite(
        "tracks with composer mentioning a name case-insensitively",
        """
        SELECT Name, Composer FROM Track
        WHERE LOWER(Composer) LIKE '%jagger%' OR Composer LIKE '%Richards%'
        ORDER BY Name
        LIMIT 20
        """,
    ),
    _sqlite(
        "cohort of customers by first purchase year",
        """
        WITH firsts AS (
            SELECT CustomerId, MIN(strftime('%Y', InvoiceDate)) AS cohort FROM Invoice GROUP BY CustomerId
        )
        SELECT f.cohort, strftime('%Y', i.InvoiceDate) AS year, COUNT(DISTINCT i.CustomerId) AS active
        FROM firsts f JOIN Invoice i ON i.CustomerId = f.CustomerId
        GROUP BY f.cohort, year
        ORDER BY f.cohort, year
        """,
    ),
    _sqlite(
        "tables in the database from sqlite_master",
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name",
        ("Album", "table"),
    ),
    _sqlite(
        "columns of the track table with pragma_table_info",
        "SELECT name, type, \"notnull\", pk FROM pragma_table_info('Track') ORDER BY cid",
        ("TrackId", "INTEGER", 1, 1),
    ),
    _sqlite(
        "text bar chart of tracks per genre with the zeroblob repeat idiom",
        """
        SELECT g.Name, COUNT(*) AS tracks, replace(hex(zeroblob(COUNT(*) / 50)), '00', '#') AS bar
        FROM Track t JOIN Genre g ON g.GenreId = t.GenreId
        GROUP BY g.Name
        ORDER BY tracks DESC
        """,
    ),
    _sqlite(
        "revenue for a list of countries passed as json with json_each",
        """
        SELECT j.value AS country, COUNT(i.InvoiceId) AS invoices, ROUND(SUM(i.Total), 2) AS revenue
        FROM json_each('["USA", "Canada", "France"]') AS j
        JOIN Invoice i ON i.BillingCountry = j.value
        GROUP BY j.value
        ORDER BY revenue DESC
        """,
        ("USA", 91, 523.06),
    ),
    _sqlite(
        "timestamps with datetime time unixepoch and day of year",
        """
        SELECT InvoiceId, datetime(InvoiceDate, '+36 hours') AS shifted, time(InvoiceDate) AS at_time,
               unixepoch(InvoiceDate) AS epoch, CAST(strftime('%s', InvoiceDate) AS INTEGER) AS epoch_again,
               strftime('%j', InvoiceDate) AS day_of_year, date('now', 'start of year', '-1 year') AS last_year_start
        FROM Invoice
        ORDER BY InvoiceId
        LIMIT 10
        """,
    ),
    _sqlite(
        "customer initials and first letter codes with unicode and ifnull",
        """
        SELECT upper(substr(FirstName, 1, 1)) || upper(substr(LastName, 1, 1)) AS initials,
               unicode(FirstName) AS first_code, char(unicode(LastName)) AS last_initial,
               ifnull(Company, '(private)') AS company, quote(State) AS state_literal
        FROM Customer
        ORDER BY CustomerId
        LIMIT 15
        """,
    ),
    _sqlite(
        "distinct countries per support agent with group_concat distinct",
        """
        SELECT SupportRepId, COUNT(*) AS customers, group_concat(DISTINCT Country) AS countries
        FROM Customer
        GROUP BY SupportRepId
        ORDER BY SupportRepId
        """,
    ),
    _sqlite(
        "log scale of track sizes with ln log10 exp and sign",
        """
        SELECT TrackId, Bytes, ROUND(ln(Bytes), 3) AS ln_bytes, ROUND(log10(Bytes), 3) AS log10_bytes,
               ROUND(exp(1), 5) AS e, ROUND(pi(), 5) AS pi, sign(Milliseconds - 300000) AS longer_than_5min,
               trunc(Milliseconds / 60000.0) AS whole_minutes
        FROM Track
        WHERE Bytes > 0
        ORDER BY Bytes DESC
        LIMIT 10
        """,
    ),
    _sqlite(
        "artist names sorted case-insensitively with collate nocase",
        "SELECT Name FROM Artist WHERE Name LIKE 'a%' ORDER BY Name COLLATE NOCASE LIMIT 20",
    ),
    _sqlite(
        "postal codes without leading zeros with ltrim",
        """
        SELECT PostalCode, ltrim(PostalCode, '0') AS stripped, rtrim(PostalCode, '0123456789') AS letters_only
        FROM Customer
        WHERE PostalCode IS NOT NULL
        ORDER BY PostalCode
        """,
    ),
)


POSTGRES_QUERIES: tuple[AnalystQuery, ...] = (
    _postgres("count of tracks", "SELECT count(*) AS tracks FROM track", (3503,)),
    _postgres(
        "top genre by number of tracks",
        """
        SELECT g.name AS genre, count(*) AS tracks
        FROM track t
        JOIN genre g USING (genre_id)
        GROUP BY g.name
        ORDER BY tracks DESC
        LIMIT 1
        """,
        ("Rock", 1297),
    ),
    _postgres(
        "revenue by country having over 100 with numeric cast",
        """
        SELECT billing_country, sum(total)::numeric(10,2) AS revenue, count(*) AS invoices
        FROM invoice
        GROUP BY billing_country
        HAVING sum(total) > 100
        ORDER BY revenue DESC
        """,
        ("USA", 523.06, 91),
    ),
    _postgres(
        "track search with ilike",
        "SELECT track_id, name FROM track WHERE name ILIKE '%love%' ORDER BY name LIMIT 20",
    ),
    _postgres(
        "monthly revenue with date_trunc and lag",
        """
        SELECT date_trunc('month', invoice_date)::date AS month,
               sum(total) AS revenue,
               sum(total) - lag(sum(total)) OVER (ORDER BY date_trunc('month', invoice_date)::date) AS change
        FROM invoice
        GROUP BY 1
        ORDER BY 1
        """,
    ),
    _postgres(
        "revenue by year and quarter with extract",
        """
        SELECT extract(year FROM invoice_date)::int AS year, extract(quarter FROM invoice_date)::int AS quarter,
               round(sum(total), 2) AS revenue
        FROM invoice
        GROUP BY 1, 2
        ORDER BY 1, 2
        """,
    ),
    _postgres(
        "employee age at hire with age",
        """
        SELECT first_name, last_name, age(hire_date, birth_date) AS age_at_hire,
               extract(year FROM age(hire_date, birth_date))::int AS years
        FROM employee
        ORDER BY years DESC
        """,
    ),
    _postgres(
        "invoices in the last six months of data with intervals",
        """
        SELECT invoice_id, invoice_date, invoice_date + interval '30 days' AS due_date, total
        FROM invoice
        WHERE invoice_date > (SELECT max(invoice_date) FROM invoice) - interval '6 months'
        ORDER BY invoice_date
        """,
    ),
    _postgres(
        "monthly revenue labels with to_char",
        """
        SELECT to_char(invoice_date, 'YYYY-MM') AS month, to_char(sum(total), 'FM9990.00') AS revenue,
               to_char(min(invoice_date), 'Dy DD Mon YYYY') AS first_invoice
        FROM invoice
        GROUP BY 1
        ORDER BY 1
        """,
    ),
    _postgres(
        "calendar of months with generate_series left joined to revenue",
        """
        SELECT cal.month::date AS month, coalesce(sum(i.total), 0) AS revenue
        FROM generate_series('2021-01-01'::date, '2025-12-01'::date, interval '1 month') AS cal(month)
        LEFT JOIN invoice i ON date_trunc('month', i.invoice_date) = cal.month
        GROUP BY cal.month
        ORDER BY cal.month
        """,
    ),
    _postgres(
        "median track length with percentile_cont within group",
        """
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY milliseconds) AS median_ms,
               percentile_disc(0.5) WITHIN GROUP (ORDER BY milliseconds) AS median_disc
        FROM track
        """,
        (255634.0, 255634),
    ),
    _postgres(
        "quartiles of invoice totals with percentile_cont over an array",
        """
        SELECT billing_country,
               percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY total) AS quartiles,
               mode() WITHIN GROUP (ORDER BY total) AS most_common
        FROM invoice
        GROUP BY billing_country
        ORDER BY billing_country
        """,
    ),
    _postgres(
        "longest track per genre with distinct on",
        """
        SELECT DISTINCT ON (t.genre_id) g.name AS genre, t.name AS track, t.milliseconds
        FROM track t JOIN genre g ON g.genre_id = t.genre_id
        ORDER BY t.genre_id, t.milliseconds DESC
        """,
    ),
    _postgres(
        "invoice counts with filter where",
        """
        SELECT billing_country,
               count(*) FILTER (WHERE total >= 10) AS big_invoices,
               count(*) FILTER (WHERE total < 10) AS small_invoices,
               sum(total) FILTER (WHERE extract(year FROM invoice_date) = 2025) AS revenue_2025
        FROM invoice
        GROUP BY billing_country
        ORDER BY big_invoices DESC, billing_country
        """,
    ),
    _postgres(
        "revenue with grouping sets",
        """
        SELECT billing_country, extract(year FROM invoice_date) AS year, sum(total) AS revenue
        FROM invoice
        GROUP BY GROUPING SETS ((billing_country), (extract(year FROM invoice_date)), ())
        ORDER BY billing_country NULLS LAST, year NULLS LAST
        """,
    ),
    _postgres(
        "revenue by country and city with rollup and grouping",
        """
        SELECT billing_country, billing_city, sum(total) AS revenue,
               grouping(billing_country, billing_city) AS level
        FROM invoice
        WHERE billing_country IN ('USA', 'Canada', 'Brazil')
        GROUP BY ROLLUP (billing_country, billing_city)
        ORDER BY billing_country NULLS LAST, billing_city NULLS LAST
        """,
    ),
    _postgres(
        "genre and media type totals with cube",
        """
        SELECT g.name AS genre, m.name AS media_type, count(*) AS tracks
        FROM track t JOIN genre g USING (genre_id) JOIN media_type m USING (media_type_id)
        GROUP BY CUBE (g.name, m.name)
        ORDER BY tracks DESC
        LIMIT 20
        """,
        (None, None, 3503),
    ),
    _postgres(
        "top three tracks per album with lateral",
        """
        SELECT al.title, top.name, top.milliseconds
        FROM album al
        CROSS JOIN LATERAL (
            SELECT t.name, t.milliseconds FROM track t
            WHERE t.album_id = al.album_id
            ORDER BY t.milliseconds DESC
            LIMIT 3
        ) AS top
        ORDER BY al.title, top.milliseconds DESC
        LIMIT 100
        """,
    ),
    _postgres(
        "last invoice per customer with left join lateral",
        """
        SELECT c.first_name, c.last_name, last.invoice_date, last.total
        FROM customer c
        LEFT JOIN LATERAL (
            SELECT i.invoice_date, i.total FROM invoice i
            WHERE i.customer_id = c.customer_id
            ORDER BY i.invoice_date DESC
            LIMIT 1
        ) AS last ON true
        ORDER BY last.invoice_date DESC NULLS LAST
        """,
    ),
    _postgres(
        "composers ordered with nulls last",
        "SELECT name, composer FROM track ORDER BY composer ASC NULLS LAST, name LIMIT 20",
    ),
    _postgres(
        "artist catalogue as json with json_build_object and json_agg",
        """
        SELECT json_build_object(
                   'artist', ar.name,
                   'albums', json_agg(al.title ORDER BY al.title),
                   'album_count', count(*)
               ) AS doc
        FROM artist ar JOIN album al ON al.artist_id = ar.artist_id
        GROUP BY ar.artist_id, ar.name
        ORDER BY count(*) DESC
        LIMIT 5
        """,
    ),
    _postgres(
        "genre prices as jsonb object",
        """
        SELECT jsonb_build_object('genre', g.name, 'avg_price', round(avg(t.unit_price), 2)) AS doc,
               jsonb_object_agg(t.track_id, t.unit_price) -> (min(t.track_id))::text AS first_price
        FROM genre g JOIN track t ON t.genre_id = g.genre_id
        GROUP BY g.genre_id, g.name
        ORDER BY g.genre_id
        """,
    ),
    _postgres(
        "customers as rows of json with row_to_json",
        "SELECT row_to_json(c) AS doc FROM (SELECT customer_id, first_name, country FROM customer LIMIT 5) AS c",
    ),
    _postgres(
        "track list per album with string_agg",
        """
        SELECT al.title, count(*) AS tracks, string_agg(t.name, ', ' ORDER BY t.track_id) AS track_list
        FROM album al JOIN track t ON t.album_id = al.album_id
        GROUP BY al.album_id, al.title
        ORDER BY tracks DESC
        LIMIT 5
        """,
    ),
    _postgres(
        "array_agg with unnest and array_length",
        """
        WITH per_genre AS (
            SELECT genre_id, array_agg(DISTINCT composer) FILTER (WHERE composer IS NOT NULL) AS composers
            FROM track GROUP BY genre_id
        )
        SELECT genre_id, array_length(composers, 1) AS n, (SELECT count(*) FROM unnest(composers)) AS again
        FROM per_genre
        ORDER BY n DESC NULLS LAST
        """,
    ),
    _postgres(
        "titles starting with the using a regex match",
        """
        SELECT title, regexp_replace(title, '^The\\s+', '', 'i') AS sort_title
        FROM album
        WHERE title ~* '^the\\s'
        ORDER BY sort_title
        """,
    ),
    _postgres(
        "email domains with substring from a regex and split_part",
        """
        SELECT substring(email FROM '@(.*)$') AS domain, split_part(email, '@', 2) AS same_domain, count(*) AS customers
        FROM customer
        GROUP BY 1, 2
        ORDER BY customers DESC, domain
        """,
    ),
    _postgres(
        "position strpos left and right",
        """
        SELECT email, position('@' IN email) AS at_pos, strpos(email, '.') AS dot_pos,
               left(email, position('@' IN email) - 1) AS local_part, right(email, 4) AS tld
        FROM customer
        ORDER BY customer_id
        LIMIT 10
        """,
    ),
    _postgres(
        "names tidied with initcap lpad upper lower trim replace and length",
        """
        SELECT initcap(lower(name)) AS title_case, upper(name) AS shout, lpad(track_id::text, 6, '0') AS code,
               trim(both ' ' FROM name) AS trimmed, replace(name, ' ', '_') AS slug, length(name) AS chars,
               substr(name, 1, 12) AS short_name, substring(name FROM 1 FOR 5) AS first_five
        FROM track
        ORDER BY length(name) DESC
        LIMIT 10
        """,
    ),
    _postgres(
        "full names with concat concat_ws format and pipes",
        """
        SELECT concat(first_name, ' ', last_name) AS full_name,
               concat_ws(', ', city, state, country) AS place,
               format('%s <%s>', first_name || ' ' || last_name, email) AS mailbox
        FROM customer
        ORDER BY last_name
        """,
    ),
    _postgres(
        "math functions on track lengths",
        """
        SELECT round(avg(milliseconds) / 1000.0, 1) AS avg_seconds,
               round(stddev_samp(milliseconds) / 1000.0, 1) AS stddev_seconds,
               ceil(max(milliseconds) / 60000.0) AS max_minutes_up,
               floor(min(milliseconds) / 1000.0) AS min_seconds_down,
               abs(min(milliseconds) - max(milliseconds)) AS spread,
               power(2, 10) AS kib, sqrt(16) AS four, mod(count(*), 7) AS leftover, count(*) % 7 AS leftover_op
        FROM track
        """,
    ),
    _postgres(
        "org chart with recursive cte over reports_to",
        """
        WITH RECURSIVE chart AS (
            SELECT employee_id, first_name || ' ' || last_name AS name, 0 AS depth, last_name::text AS path
            FROM employee WHERE reports_to IS NULL
            UNION ALL
            SELECT e.employee_id, e.first_name || ' ' || e.last_name, c.depth + 1, c.path || ' > ' || e.last_name
            FROM employee e JOIN chart c ON e.reports_to = c.employee_id
        )
        SELECT name, depth, path FROM chart ORDER BY path
        """,
        ("Andrew Adams", 0, "Adams"),
    ),
    _postgres(
        "headcount under each manager with recursive cte and arrays",
        """
        WITH RECURSIVE tree AS (
            SELECT employee_id, reports_to, ARRAY[employee_id] AS ancestors FROM employee WHERE reports_to IS NULL
            UNION ALL
            SELECT e.employee_id, e.reports_to, t.ancestors || e.employee_id
            FROM employee e JOIN tree t ON e.reports_to = t.employee_id
        )
        SELECT m.first_name, m.last_name, count(*) - 1 AS reports
        FROM employee m JOIN tree t ON m.employee_id = ANY (t.ancestors)
        GROUP BY m.employee_id, m.first_name, m.last_name
        ORDER BY reports DESC, m.employee_id
        """,
        ("Andrew", "Adams", 7),
    ),
    _postgres(
        "three longest tracks per genre with row_number",
        """
        SELECT genre, track, minutes FROM (
            SELECT g.name AS genre, t.name AS track, round(t.milliseconds / 60000.0, 1) AS minutes,
                   row_number() OVER (PARTITION BY t.genre_id ORDER BY t.milliseconds DESC) AS rn
            FROM track t JOIN genre g ON g.genre_id = t.genre_id
        ) ranked
        WHERE rn <= 3
        ORDER BY genre, rn
        """,
    ),
    _postgres(
        "rank customers by spend within country",
        """
        SELECT c.country, c.first_name || ' ' || c.last_name AS customer, sum(i.total) AS spend,
               rank() OVER (PARTITION BY c.country ORDER BY sum(i.total) DESC) AS country_rank,
               dense_rank() OVER (ORDER BY sum(i.total) DESC) AS overall_rank
        FROM customer c JOIN invoice i ON i.customer_id = c.customer_id
        GROUP BY c.customer_id
        ORDER BY c.country, country_rank
        """,
    ),
    _postgres(
        "days until next purchase with lead",
        """
        SELECT customer_id, invoice_date,
               lead(invoice_date) OVER (PARTITION BY customer_id ORDER BY invoice_date) AS next_date,
               lead(invoice_date) OVER (PARTITION BY customer_id ORDER BY invoice_date) - invoice_date AS gap
        FROM invoice
        ORDER BY customer_id, invoice_date
        LIMIT 50
        """,
    ),
    _postgres(
        "running revenue total with rows between frame",
        """
        SELECT invoice_id, invoice_date, total,
               sum(total) OVER (ORDER BY invoice_date, invoice_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total
        FROM invoice
        ORDER BY invoice_date, invoice_id
        """,
    ),
    _postgres(
        "thirty day rolling revenue with a range interval frame",
        """
        SELECT invoice_date, total,
               sum(total) OVER (ORDER BY invoice_date RANGE BETWEEN interval '30 days' PRECEDING AND CURRENT ROW) AS rolling_30d
        FROM invoice
        ORDER BY invoice_date
        LIMIT 100
        """,
    ),
    _postgres(
        "track length quartiles with ntile",
        """
        SELECT quartile, count(*) AS tracks, min(milliseconds) AS shortest, max(milliseconds) AS longest
        FROM (SELECT milliseconds, ntile(4) OVER (ORDER BY milliseconds) AS quartile FROM track) q
        GROUP BY quartile
        ORDER BY quartile
        """,
        (1, 876, 1071, 207229),
    ),
    _postgres(
        "percent_rank and cume_dist of invoice totals",
        """
        SELECT invoice_id, total,
               round(percent_rank() OVER (ORDER BY total)::numeric, 3) AS pct_rank,
               round(cume_dist() OVER (ORDER BY total)::numeric, 3) AS cume
        FROM invoice
        ORDER BY total DESC
        LIMIT 20
        """,
    ),
    _postgres(
        "first and last purchase per customer with a named window",
        """
        SELECT DISTINCT customer_id,
               first_value(invoice_date) OVER w AS first_purchase,
               last_value(invoice_date) OVER w AS last_purchase,
               nth_value(total, 2) OVER w AS second_total
        FROM invoice
        WINDOW w AS (PARTITION BY customer_id ORDER BY invoice_date ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ORDER BY customer_id
        """,
    ),
    _postgres(
        "tracks longer than average with scalar subquery",
        """
        SELECT name, milliseconds, (SELECT round(avg(milliseconds)) FROM track) AS avg_ms
        FROM track
        WHERE milliseconds > (SELECT avg(milliseconds) FROM track)
        ORDER BY milliseconds DESC
        LIMIT 25
        """,
    ),
    _postgres(
        "customers who bought jazz with in and exists",
        """
        SELECT first_name, last_name, country FROM customer c
        WHERE c.customer_id IN (SELECT customer_id FROM invoice)
          AND EXISTS (
            SELECT 1 FROM invoice i
            JOIN invoice_line il ON il.invoice_id = i.invoice_id
            JOIN track t ON t.track_id = il.track_id
            JOIN genre g ON g.genre_id = t.genre_id
            WHERE i.customer_id = c.customer_id AND g.name = 'Jazz'
          )
        ORDER BY last_name
        """,
    ),
    _postgres(
        "largest invoice per customer with correlated subquery",
        """
        SELECT i.customer_id, i.invoice_id, i.total
        FROM invoice i
        WHERE i.total = (SELECT max(i2.total) FROM invoice i2 WHERE i2.customer_id = i.customer_id)
        ORDER BY i.total DESC, i.customer_id
        """,
    ),
    _postgres(
        "artists without albums with not exists",
        """
        SELECT count(*) AS artists_without_albums FROM artist a
        WHERE NOT EXISTS (SELECT 1 FROM album al WHERE al.artist_id = a.artist_id)
        """,
        (71,),
    ),
    _postgres(
        "track length buckets with case and width_bucket",
        """
        SELECT CASE WHEN milliseconds < 180000 THEN 'short' WHEN milliseconds < 300000 THEN 'medium' ELSE 'long' END AS bucket,
               width_bucket(milliseconds, 0, 600000, 10) AS decile_bin,
               count(*) AS tracks
        FROM track
        GROUP BY 1, 2
        ORDER BY 2
        """,
    ),
    _postgres(
        "composer fallback with coalesce and nullif",
        """
        SELECT coalesce(nullif(trim(composer), ''), 'Unknown') AS composer, count(*) AS tracks
        FROM track
        GROUP BY 1
        ORDER BY tracks DESC
        LIMIT 10
        """,
        ("Unknown", 977),
    ),
    _postgres(
        "average price per genre avoiding division by zero",
        """
        SELECT g.name, sum(il.unit_price * il.quantity) / nullif(sum(il.quantity), 0) AS avg_price,
               CAST(sum(il.quantity) AS text) AS units_text, sum(il.quantity)::float8 AS units
        FROM genre g
        LEFT JOIN track t ON t.genre_id = g.genre_id
        LEFT JOIN invoice_line il ON il.track_id = t.track_id
        GROUP BY g.name
        ORDER BY avg_price DESC NULLS LAST
        """,
    ),
    _postgres(
        "casts with double colon and cast",
        """
        SELECT invoice_date::date AS day, total::int AS whole, CAST(total AS numeric(10,1)) AS one_place,
               (total * 100)::bigint AS cents, '2024-01-01'::timestamp AS fixed, invoice_id::text || '#' AS label
        FROM invoice
        ORDER BY invoice_id
        LIMIT 10
        """,
    ),
    _postgres(
        "invoices by weekday with to_char and date_part",
        """
        SELECT date_part('isodow', invoice_date) AS dow, trim(to_char(invoice_date, 'Day')) AS weekday, count(*) AS invoices
        FROM invoice
        GROUP BY 1, 2
        ORDER BY 1
        """,
    ),
    _postgres(
        "cities of customers and employees with union",
        """
        SELECT city, country, 'customer' AS kind FROM customer
        UNION
        SELECT city, country, 'employee' FROM employee
        ORDER BY country, city
        """,
    ),
    _postgres(
        "countries with customers and employees with intersect",
        "SELECT country FROM customer INTERSECT SELECT country FROM employee",
        ("Canada",),
    ),
    _postgres(
        "countries with customers but no employees with except",
        "SELECT country FROM customer EXCEPT SELECT country FROM employee ORDER BY country",
    ),
    _postgres(
        "third page of tracks with limit and offset",
        "SELECT track_id, name FROM track ORDER BY track_id LIMIT 10 OFFSET 20",
        (21, "Hell Ain't A Bad Place To Be"),
    ),
    _postgres(
        "top five customers with fetch first with ties",
        """
        SELECT customer_id, sum(total) AS spend FROM invoice
        GROUP BY customer_id
        ORDER BY spend DESC
        FETCH FIRST 5 ROWS WITH TIES
        """,
    ),
    _postgres(
        "top fifth of genres with a limit expression",
        """
        SELECT g.name, count(*) AS tracks FROM genre g JOIN track t ON t.genre_id = g.genre_id
        GROUP BY g.genre_id ORDER BY tracks DESC
        LIMIT (SELECT count(*) FROM genre) / 5
        """,
        ("Rock", 1297),
    ),
    _postgres(
        "explain of a join",
        "EXPLAIN SELECT g.name, count(*) FROM track t JOIN genre g ON g.genre_id = t.genre_id GROUP BY g.name",
    ),
    _postgres(
        "explain with options of a cte",
        """
        EXPLAIN (COSTS OFF, FORMAT JSON)
        WITH big AS (SELECT customer_id, sum(total) AS s FROM invoice GROUP BY customer_id)
        SELECT * FROM big WHERE s > 40
        """,
    ),
    _postgres(
        "media type share of tracks with a window over an aggregate",
        """
        SELECT m.name, count(*) AS tracks, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
        FROM track t JOIN media_type m ON m.media_type_id = t.media_type_id
        GROUP BY m.name
        ORDER BY tracks DESC
        """,
        ("MPEG audio file", 3034, 86.6),
    ),
    _postgres(
        "sampled tracks with tablesample bernoulli repeatable",
        "SELECT count(*) > 0 AS sampled FROM track TABLESAMPLE BERNOULLI (10) REPEATABLE (42)",
        (True,),
    ),
    _postgres(
        "price flags with bool_and bool_or greatest and least",
        """
        SELECT album_id, bool_and(unit_price = 0.99) AS all_standard, bool_or(unit_price > 0.99) AS any_premium,
               greatest(max(milliseconds), 0) AS longest, least(min(milliseconds), 1000000) AS shortest
        FROM track
        GROUP BY album_id
        ORDER BY album_id
        LIMIT 20
        """,
    ),
    _postgres(
        "first day of each sales month with make_date",
        """
        SELECT make_date(extract(year FROM invoice_date)::int, extract(month FROM invoice_date)::int, 1) AS month_start,
               count(*) AS invoices
        FROM invoice
        GROUP BY 1
        ORDER BY 1
        """,
    ),
    _postgres(
        "correlation of track length and size",
        """
        SELECT round(corr(milliseconds, bytes)::numeric, 4) AS r,
               round(regr_slope(bytes, milliseconds)::numeric, 2) AS bytes_per_ms
        FROM track
        """,
    ),
    _postgres(
        "days since last purchase with current_date",
        """
        SELECT customer_id, max(invoice_date) AS last_purchase, current_date - max(invoice_date)::date AS days_since,
               now() - max(invoice_date) AS since
        FROM invoice
        GROUP BY customer_id
        ORDER BY days_since DESC
        LIMIT 10
        """,
    ),
    _postgres(
        "track durations as intervals",
        """
        SELECT name, milliseconds * interval '1 millisecond' AS duration,
               justify_interval(milliseconds * interval '1 millisecond') AS tidy,
               extract(epoch FROM milliseconds * interval '1 millisecond') AS seconds
        FROM track
        ORDER BY milliseconds DESC
        LIMIT 10
        """,
    ),
    _postgres(
        "state changes with is distinct from",
        """
        SELECT customer_id, invoice_date, billing_city,
               lag(billing_city) OVER (PARTITION BY customer_id ORDER BY invoice_date) IS DISTINCT FROM billing_city AS moved
        FROM invoice
        ORDER BY customer_id, invoice_date
        LIMIT 50
        """,
    ),
    _postgres(
        "tracks matching a pattern with similar to and any array",
        """
        SELECT name FROM track
        WHERE name SIMILAR TO '(A|B)%' AND genre_id = ANY (ARRAY[1, 3, 4])
        ORDER BY name
        LIMIT 20
        """,
    ),
    _postgres(
        "histogram of invoice totals over generate_series bins",
        """
        SELECT b.bin, count(i.invoice_id) AS invoices
        FROM generate_series(0, 25, 5) AS b(bin)
        LEFT JOIN invoice i ON i.total >= b.bin AND i.total < b.bin + 5
        GROUP BY b.bin
        ORDER BY b.bin
        """,
    ),
    _postgres(
        "genre tags split and joined with string_to_array",
        """
        SELECT name, string_to_array(name, '/') AS parts, array_to_string(string_to_array(name, '/'), ' & ') AS joined
        FROM genre
        WHERE name LIKE '%/%'
        """,
    ),
    _postgres(
        "revenue by quarter with date_trunc",
        """
        SELECT date_trunc('quarter', invoice_date) AS quarter, sum(total) AS revenue
        FROM invoice
        GROUP BY 1
        ORDER BY 1
        """,
    ),
    _postgres(
        "materialized cte of customer spend",
        """
        WITH spend AS MATERIALIZED (
            SELECT customer_id, sum(total) AS total FROM invoice GROUP BY customer_id
        )
        SELECT c.first_name, c.last_name, s.total,
               CASE WHEN s.total >= 45 THEN 'gold' WHEN s.total >= 40 THEN 'silver' ELSE 'bronze' END AS tier
        FROM spend s JOIN customer c USING (customer_id)
        ORDER BY s.total DESC
        """,
    ),
    _postgres(
        "revenue by country with values target list",
        """
        SELECT t.country, t.goal, sum(i.total) AS actual
        FROM (VALUES ('USA', 500), ('Canada', 350), ('France', 150)) AS t(country, goal)
        JOIN invoice i ON i.billing_country = t.country
        GROUP BY t.country, t.goal
        ORDER BY t.country
        """,
    ),
    _postgres(
        "total revenue and count distinct",
        """
        SELECT sum(total) AS revenue, count(DISTINCT customer_id) AS customers,
               count(DISTINCT billing_country) AS countries, count(*) AS invoices
        FROM invoice
        """,
        (2328.6, 59, 24, 412),
    ),
    _postgres(
        "median invoice total per country with percentile_cont",
        """
        SELECT billing_country, percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median_total, count(*) AS invoices
        FROM invoice
        GROUP BY billing_country
        HAVING count(*) >= 7
        ORDER BY median_total DESC, billing_country
        """,
    ),
    _postgres(
        "cohort of customers by first purchase year",
        """
        WITH firsts AS (
            SELECT customer_id, min(date_trunc('year', invoice_date)) AS cohort FROM invoice GROUP BY customer_id
        )
        SELECT extract(year FROM f.cohort) AS cohort, extract(year FROM i.invoice_date) AS year,
               count(DISTINCT i.customer_id) AS active
        FROM firsts f JOIN invoice i USING (customer_id)
        GROUP BY 1, 2
        ORDER BY 1, 2
        """,
    ),
    _postgres(
        "columns of the track table from information_schema",
        """
        SELECT column_name, data_type, is_nullable
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'track'
        ORDER BY ordinal_position
        """,
        ("track_id", "integer", "NO"),
    ),
    _postgres(
        "tables and their sizes from pg_catalog",
        """
        SELECT tablename, pg_size_pretty(pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass)) AS size
        FROM pg_catalog.pg_tables
        WHERE schemaname = 'public'
        ORDER BY tablename
        """,
    ),
    _postgres(
        "library size per media type with pg_size_pretty",
        """
        SELECT m.name, count(*) AS tracks, pg_size_pretty(sum(t.bytes)::bigint) AS total_size
        FROM track t JOIN media_type m USING (media_type_id)
        GROUP BY m.name
        ORDER BY sum(t.bytes) DESC
        """,
    ),
    _postgres(
        "text bar chart of tracks per genre with repeat",
        """
        SELECT g.name, count(*) AS tracks, repeat('#', (count(*) / 50)::int) AS bar
        FROM track t JOIN genre g USING (genre_id)
        GROUP BY g.name
        ORDER BY tracks DESC
        """,
    ),
    _postgres(
        "weekly revenue buckets with date_bin",
        """
        SELECT date_bin('7 days', invoice_date, TIMESTAMP '2021-01-04') AS week_start, sum(total) AS revenue
        FROM invoice
        GROUP BY 1
        ORDER BY 1
        LIMIT 20
        """,
    ),
    _postgres(
        "invoice times converted between time zones",
        """
        SELECT invoice_id, invoice_date,
               invoice_date AT TIME ZONE 'UTC' AT TIME ZONE 'Europe/Berlin' AS berlin_time,
               to_timestamp(extract(epoch FROM invoice_date)) AS from_epoch
        FROM invoice
        ORDER BY invoice_id
        LIMIT 10
        """,
    ),
    _postgres(
        "playlist positions with unnest with ordinality",
        """
        SELECT p.name, item.track_id, item.position
        FROM playlist p
        CROSS JOIN LATERAL unnest(ARRAY(SELECT pt.track_id FROM playlist_track pt
                                        WHERE pt.playlist_id = p.playlist_id ORDER BY pt.track_id))
             WITH ORDINALITY AS item(track_id, position)
        WHERE item.position <= 3
        ORDER BY p.playlist_id, item.position
        """,
    ),
    _postgres(
        "reading json back with arrow operators and jsonb_array_elements",
        """
        WITH docs AS (
            SELECT jsonb_build_object('artist', ar.name, 'albums', jsonb_agg(al.title)) AS doc
            FROM artist ar JOIN album al USING (artist_id)
            GROUP BY ar.artist_id, ar.name
        )
        SELECT doc ->> 'artist' AS artist, doc -> 'albums' ->> 0 AS first_album, jsonb_array_length(doc -> 'albums') AS n,
               (SELECT count(*) FROM jsonb_array_elements_text(doc -> 'albums')) AS again,
               (SELECT max(e.a #>> '{}') FROM jsonb_array_elements(doc -> 'albums') AS e(a)) AS last_album
        FROM docs
        ORDER BY n DESC, artist
        LIMIT 10
        """,
    ),
    _postgres(
        "anonymised customers with md5 translate and reverse",
        """
        SELECT md5(lower(email)) AS email_hash, translate(phone, '0123456789', 'XXXXXXXXXX') AS masked_phone,
               reverse(last_name) AS backwards, length(email) - length(replace(email, '.', '')) AS dots
        FROM customer
        ORDER BY customer_id
        LIMIT 10
        """,
    ),
    _postgres(
        "data completeness with num_nonnulls",
        """
        SELECT customer_id, num_nonnulls(company, state, fax, postal_code) AS filled_optional,
               num_nulls(company, state, fax, postal_code) AS missing_optional
        FROM customer
        ORDER BY filled_optional, customer_id
        LIMIT 20
        """,
    ),
    _postgres(
        "log scale of track sizes with ln log exp sign and trunc",
        """
        SELECT track_id, bytes, round(ln(bytes)::numeric, 3) AS ln_bytes, round(log(bytes)::numeric, 3) AS log10_bytes,
               round(exp(1)::numeric, 5) AS e, round(pi()::numeric, 5) AS pi, sign(milliseconds - 300000) AS longer_than_5min,
               trunc(milliseconds / 60000.0) AS whole_minutes, cbrt(27) AS three
        FROM track
        ORDER BY bytes DESC
        LIMIT 10
        """,
    ),
    _postgres(
        "genres matching any of several patterns with ilike any",
        """
        SELECT name FROM genre
        WHERE name ILIKE ANY (ARRAY['%rock%', '%metal%', '%jazz%'])
        ORDER BY name
        """,
        ("Heavy Metal",),
    ),
    _postgres(
        "invoices after a date parsed with to_date and time since with age",
        """
        SELECT invoice_id, invoice_date, age(invoice_date) AS since_then, justify_days(interval '45 days') AS tidy
        FROM invoice
        WHERE invoice_date >= to_date('01/07/2025', 'DD/MM/YYYY')
        ORDER BY invoice_date
        """,
    ),
)


MYSQL_QUERIES: tuple[AnalystQuery, ...] = (
    _mysql("count of tracks", "SELECT COUNT(*) AS tracks FROM Track", (3503,)),
    _mysql(
        "top genre by number of tracks",
        """
        SELECT g.Name AS genre, COUNT(*) AS tracks
        FROM Track t
        JOIN Genre g ON g.GenreId = t.GenreId
        GROUP BY g.Name
        ORDER BY tracks DESC
        LIMIT 1
        """,
        ("Rock", 1297),
    ),
    _mysql(
        "revenue by country having over 100",
        """
        SELECT BillingCountry, ROUND(SUM(Total), 2) AS revenue, COUNT(*) AS invoices
        FROM Invoice
        GROUP BY BillingCountry
        HAVING SUM(Total) > 100
        ORDER BY revenue DESC
        """,
        ("USA", 523.06, 91),
    ),
    _mysql(
        "revenue by country and year with rollup",
        """
        SELECT BillingCountry, YEAR(InvoiceDate) AS year, SUM(Total) AS revenue
        FROM Invoice
        WHERE BillingCountry IN ('USA', 'Canada')
        GROUP BY BillingCountry, YEAR(InvoiceDate) WITH ROLLUP
        """,
    ),
    _mysql(
        "monthly revenue with date_format and lag",
        """
        SELECT DATE_FORMAT(InvoiceDate, '%Y-%m') AS month, SUM(Total) AS revenue,
               SUM(Total) - LAG(SUM(Total)) OVER (ORDER BY DATE_FORMAT(InvoiceDate, '%Y-%m')) AS mom_change
        FROM Invoice
        GROUP BY month
        ORDER BY month
        """,
    ),
    _mysql(
        "revenue by year month and quarter",
        """
        SELECT YEAR(InvoiceDate) AS year, QUARTER(InvoiceDate) AS quarter, MONTH(InvoiceDate) AS month,
               MONTHNAME(InvoiceDate) AS month_name, SUM(Total) AS revenue
        FROM Invoice
        GROUP BY year, quarter, month, month_name
        ORDER BY year, month
        """,
        (2021, 1, 1, "January", 35.64),
    ),
    _mysql(
        "recent invoices with date_sub and date_add",
        """
        SELECT InvoiceId, InvoiceDate, DATE_ADD(InvoiceDate, INTERVAL 30 DAY) AS due_date, Total
        FROM Invoice
        WHERE InvoiceDate > DATE_SUB((SELECT MAX(InvoiceDate) FROM Invoice), INTERVAL 6 MONTH)
        ORDER BY InvoiceDate
        """,
    ),
    _mysql(
        "employee age at hire with timestampdiff and datediff",
        """
        SELECT FirstName, LastName, TIMESTAMPDIFF(YEAR, BirthDate, HireDate) AS age_at_hire,
               DATEDIFF(HireDate, BirthDate) AS days_old_at_hire
        FROM Employee
        ORDER BY age_at_hire DESC
        """,
    ),
    _mysql(
        "month end of each invoice with last_day",
        """
        SELECT InvoiceId, DATE(InvoiceDate) AS invoiced, LAST_DAY(InvoiceDate) AS month_end,
               DATEDIFF(LAST_DAY(InvoiceDate), InvoiceDate) AS days_left
        FROM Invoice
        ORDER BY InvoiceId
        LIMIT 20
        """,
    ),
    _mysql(
        "invoices by weekday with dayname",
        """
        SELECT DAYOFWEEK(InvoiceDate) AS dow, DAYNAME(InvoiceDate) AS weekday, COUNT(*) AS invoices
        FROM Invoice
        GROUP BY dow, weekday
        ORDER BY dow
        """,
    ),
    _mysql(
        "customer tenure in months with timestampdiff",
        """
        SELECT CustomerId, MIN(InvoiceDate) AS first_purchase, MAX(InvoiceDate) AS last_purchase,
               TIMESTAMPDIFF(MONTH, MIN(InvoiceDate), MAX(InvoiceDate)) AS months_active
        FROM Invoice
        GROUP BY CustomerId
        ORDER BY months_active DESC, CustomerId
        """,
    ),
    _mysql(
        "conversions with convert and cast",
        """
        SELECT InvoiceId, CONVERT(Total, CHAR) AS total_text, CONVERT(Total * 1.2, DECIMAL(10,2)) AS gross,
               CAST(Total AS UNSIGNED) AS whole, CAST(InvoiceDate AS DATE) AS day, CAST('42' AS SIGNED) + 0 AS n
        FROM Invoice
        ORDER BY InvoiceId
        LIMIT 10
        """,
    ),
    _mysql(
        "full names with concat and concat_ws",
        """
        SELECT CONCAT(FirstName, ' ', LastName) AS full_name, CONCAT_WS(', ', City, State, Country) AS place
        FROM Customer
        ORDER BY LastName
        """,
    ),
    _mysql(
        "track list per album with group_concat",
        """
        SELECT al.Title, COUNT(*) AS tracks, GROUP_CONCAT(t.Name ORDER BY t.TrackId SEPARATOR ', ') AS track_list
        FROM Album al JOIN Track t ON t.AlbumId = al.AlbumId
        GROUP BY al.AlbumId, al.Title
        ORDER BY tracks DESC
        LIMIT 5
        """,
    ),
    _mysql(
        "email domains with substring_index",
        """
        SELECT LOWER(SUBSTRING_INDEX(Email, '@', -1)) AS domain, COUNT(*) AS customers
        FROM Customer
        GROUP BY domain
        ORDER BY customers DESC, domain
        """,
    ),
    _mysql(
        "locate instr position left and right",
        """
        SELECT Email, LOCATE('@', Email) AS at_pos, INSTR(Email, '.') AS dot_pos, POSITION('@' IN Email) AS at_again,
               LEFT(Email, LOCATE('@', Email) - 1) AS local_part, RIGHT(Email, 4) AS tld
        FROM Customer
        ORDER BY CustomerId
        LIMIT 10
        """,
    ),
    _mysql(
        "titles starting with the using regexp",
        """
        SELECT Title, REGEXP_REPLACE(Title, '^The[[:space:]]+', '') AS sort_title
        FROM Album
        WHERE Title REGEXP '^The[[:space:]]'
        ORDER BY sort_title
        """,
    ),
    _mysql(
        "leading digits of track names with regexp_substr and rlike",
        """
        SELECT Name, REGEXP_SUBSTR(Name, '^[0-9]+') AS leading_number
        FROM Track
        WHERE Name RLIKE '^[0-9]'
        ORDER BY Name
        LIMIT 20
        """,
    ),
    _mysql(
        "names tidied with upper lower trim replace lpad and length",
        """
        SELECT UPPER(Name) AS shout, LOWER(Name) AS quiet, TRIM(Name) AS trimmed, REPLACE(Name, ' ', '_') AS slug,
               LENGTH(Name) AS bytes, CHAR_LENGTH(Name) AS chars, LPAD(TrackId, 6, '0') AS code,
               SUBSTRING(Name, 1, 12) AS short_name, SUBSTR(Name, 3) AS from_third
        FROM Track
        ORDER BY CHAR_LENGTH(Name) DESC
        LIMIT 10
        """,
    ),
    _mysql(
        "conditionals with if ifnull coalesce and nullif",
        """
        SELECT IF(UnitPrice > 0.99, 'premium', 'standard') AS price_band,
               IFNULL(Composer, 'Unknown') AS composer_or_unknown,
               COALESCE(NULLIF(TRIM(Composer), ''), 'Unknown') AS composer
        FROM Track
        ORDER BY TrackId
        LIMIT 20
        """,
    ),
    _mysql(
        "composer fallback counts",
        """
        SELECT COALESCE(NULLIF(TRIM(Composer), ''), 'Unknown') AS composer, COUNT(*) AS tracks
        FROM Track
        GROUP BY 1
        ORDER BY tracks DESC
        LIMIT 10
        """,
        ("Unknown", 977),
    ),
    _mysql(
        "math functions on track lengths",
        """
        SELECT ROUND(AVG(Milliseconds) / 1000, 1) AS avg_seconds,
               ROUND(STDDEV_SAMP(Milliseconds) / 1000, 1) AS stddev_seconds,
               CEIL(MAX(Milliseconds) / 60000) AS max_minutes_up, FLOOR(MIN(Milliseconds) / 1000) AS min_seconds_down,
               ABS(MIN(Milliseconds) - MAX(Milliseconds)) AS spread, POWER(2, 10) AS kib, SQRT(16) AS four,
               MOD(COUNT(*), 7) AS leftover, COUNT(*) % 7 AS leftover_op, TRUNCATE(AVG(Milliseconds) / 1000, 0) AS truncated,
               SUM(Milliseconds) DIV 3600000 AS whole_hours
        FROM Track
        """,
    ),
    _mysql(
        "genre summary as json_object",
        """
        SELECT JSON_OBJECT('genre', g.Name, 'tracks', COUNT(t.TrackId), 'avg_price', ROUND(AVG(t.UnitPrice), 2)) AS doc
        FROM Genre g JOIN Track t ON t.GenreId = g.GenreId
        GROUP BY g.GenreId, g.Name
        ORDER BY g.GenreId
        """,
    ),
    _mysql(
        "albums per artist with json_arrayagg",
        """
        SELECT ar.Name, JSON_ARRAYAGG(al.Title) AS albums, COUNT(*) AS n
        FROM Artist ar JOIN Album al ON al.ArtistId = ar.ArtistId
        GROUP BY ar.ArtistId, ar.Name
        ORDER BY n DESC
        LIMIT 5
        """,
    ),
    _mysql(
        "media type prices with json_objectagg and json_extract",
        """
        SELECT JSON_OBJECTAGG(m.Name, m.MediaTypeId) AS ids,
               JSON_EXTRACT(JSON_OBJECT('n', COUNT(*)), '$.n') AS n,
               JSON_VALUE(JSON_OBJECT('first', MIN(m.Name)), '$.first') AS first_name
        FROM MediaType m
        """,
    ),
    _mysql(
        "org chart with recursive cte over reportsto",
        """
        WITH RECURSIVE chart AS (
            SELECT EmployeeId, CONCAT(FirstName, ' ', LastName) AS name, 0 AS depth, CAST(LastName AS CHAR(200)) AS path
            FROM Employee WHERE ReportsTo IS NULL
            UNION ALL
            SELECT e.EmployeeId, CONCAT(e.FirstName, ' ', e.LastName), c.depth + 1, CONCAT(c.path, ' > ', e.LastName)
            FROM Employee e JOIN chart c ON e.ReportsTo = c.EmployeeId
        )
        SELECT name, depth, path FROM chart ORDER BY path
        """,
        ("Andrew Adams", 0, "Adams"),
    ),
    _mysql(
        "monthly calendar with recursive cte and revenue",
        """
        WITH RECURSIVE months AS (
            SELECT DATE('2023-01-01') AS month_start
            UNION ALL
            SELECT DATE_ADD(month_start, INTERVAL 1 MONTH) FROM months WHERE month_start < '2023-12-01'
        )
        SELECT m.month_start, COALESCE(SUM(i.Total), 0) AS revenue
        FROM months m
        LEFT JOIN Invoice i ON i.InvoiceDate >= m.month_start AND i.InvoiceDate < DATE_ADD(m.month_start, INTERVAL 1 MONTH)
        GROUP BY m.month_start
        ORDER BY m.month_start
        """,
    ),
    _mysql(
        "three longest tracks per genre with row_number",
        """
        SELECT genre, track, minutes FROM (
            SELECT g.Name AS genre, t.Name AS track, ROUND(t.Milliseconds / 60000, 1) AS minutes,
                   ROW_NUMBER() OVER (PARTITION BY t.GenreId ORDER BY t.Milliseconds DESC) AS rn
            FROM Track t JOIN Genre g ON g.GenreId = t.GenreId
        ) ranked
        WHERE rn <= 3
        ORDER BY genre, rn
        """,
    ),
    _mysql(
        "rank customers by spend within country",
        """
        SELECT c.Country, CONCAT(c.FirstName, ' ', c.LastName) AS customer, SUM(i.Total) AS spend,
               RANK() OVER (PARTITION BY c.Country ORDER BY SUM(i.Total) DESC) AS country_rank,
               DENSE_RANK() OVER (ORDER BY SUM(i.Total) DESC) AS overall_rank
        FROM Customer c JOIN Invoice i ON i.CustomerId = c.CustomerId
        GROUP BY c.CustomerId, c.Country, c.FirstName, c.LastName
        ORDER BY c.Country, country_rank
        """,
    ),
    _mysql(
        "days until next purchase with lead and datediff",
        """
        SELECT CustomerId, InvoiceDate,
               LEAD(InvoiceDate) OVER (PARTITION BY CustomerId ORDER BY InvoiceDate) AS next_date,
               DATEDIFF(LEAD(InvoiceDate) OVER (PARTITION BY CustomerId ORDER BY InvoiceDate), InvoiceDate) AS gap_days
        FROM Invoice
        ORDER BY CustomerId, InvoiceDate
        LIMIT 50
        """,
    ),
    _mysql(
        "running revenue total with rows between frame",
        """
        SELECT InvoiceId, InvoiceDate, Total,
               SUM(Total) OVER (ORDER BY InvoiceDate, InvoiceId ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total
        FROM Invoice
        ORDER BY InvoiceDate, InvoiceId
        """,
    ),
    _mysql(
        "three month moving average of revenue",
        """
        SELECT month, revenue,
               ROUND(AVG(revenue) OVER (ORDER BY month ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), 2) AS moving_avg
        FROM (SELECT DATE_FORMAT(InvoiceDate, '%Y-%m') AS month, SUM(Total) AS revenue FROM Invoice GROUP BY 1) m
        ORDER BY month
        """,
    ),
    _mysql(
        "track length quartiles with ntile",
        """
        SELECT quartile, COUNT(*) AS tracks, MIN(Milliseconds) AS shortest, MAX(Milliseconds) AS longest
        FROM (SELECT Milliseconds, NTILE(4) OVER (ORDER BY Milliseconds) AS quartile FROM Track) q
        GROUP BY quartile
        ORDER BY quartile
        """,
        (1, 876, 1071, 207229),
    ),
    _mysql(
        "percent_rank and cume_dist of invoice totals",
        """
        SELECT InvoiceId, Total,
               ROUND(PERCENT_RANK() OVER (ORDER BY Total), 3) AS pct_rank,
               ROUND(CUME_DIST() OVER (ORDER BY Total), 3) AS cume
        FROM Invoice
        ORDER BY Total DESC
        LIMIT 20
        """,
    ),
    _mysql(
        "first and last purchase per customer with a named window",
        """
        SELECT DISTINCT CustomerId,
               FIRST_VALUE(InvoiceDate) OVER w AS first_purchase,
               LAST_VALUE(InvoiceDate) OVER w AS last_purchase,
               NTH_VALUE(Total, 2) OVER w AS second_total
        FROM Invoice
        WINDOW w AS (PARTITION BY CustomerId ORDER BY InvoiceDate ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ORDER BY CustomerId
        """,
    ),
    _mysql(
        "tracks longer than average with scalar subquery",
        """
        SELECT Name, Milliseconds, (SELECT ROUND(AVG(Milliseconds)) FROM Track) AS avg_ms
        FROM Track
        WHERE Milliseconds > (SELECT AVG(Milliseconds) FROM Track)
        ORDER BY Milliseconds DESC
        LIMIT 25
        """,
    ),
    _mysql(
        "customers who bought jazz with in subquery",
        """
        SELECT FirstName, LastName, Country FROM Customer
        WHERE CustomerId IN (
            SELECT i.CustomerId FROM Invoice i
            JOIN InvoiceLine il ON il.InvoiceId = i.InvoiceId
            JOIN Track t ON t.TrackId = il.TrackId
            WHERE t.GenreId = (SELECT GenreId FROM Genre WHERE Name = 'Jazz')
        )
        ORDER BY LastName
        """,
    ),
    _mysql(
        "artists without albums with not exists",
        """
        SELECT COUNT(*) AS artists_without_albums FROM Artist a
        WHERE NOT EXISTS (SELECT 1 FROM Album al WHERE al.ArtistId = a.ArtistId)
        """,
        (71,),
    ),
    _mysql(
        "largest invoice per customer with correlated subquery",
        """
        SELECT i.CustomerId, i.InvoiceId, i.Total
        FROM Invoice i
        WHERE i.Total = (SELECT MAX(i2.Total) FROM Invoice i2 WHERE i2.CustomerId = i.CustomerId)
        ORDER BY i.Total DESC, i.CustomerId
        """,
    ),
    _mysql(
        "average invoice per country from a derived table",
        """
        SELECT country, ROUND(AVG(invoice_total), 2) AS avg_invoice, COUNT(*) AS invoices
        FROM (SELECT BillingCountry AS country, Total AS invoice_total FROM Invoice) AS per_invoice
        GROUP BY country
        ORDER BY avg_invoice DESC
        """,
    ),
    _mysql(
        "track length buckets with case",
        """
        SELECT CASE
                 WHEN Milliseconds < 180000 THEN 'short (< 3 min)'
                 WHEN Milliseconds < 300000 THEN 'medium (3-5 min)'
                 WHEN Milliseconds < 600000 THEN 'long (5-10 min)'
                 ELSE 'very long'
               END AS bucket,
               COUNT(*) AS tracks
        FROM Track
        GROUP BY bucket
        ORDER BY MIN(Milliseconds)
        """,
    ),
    _mysql(
        "cities of customers and employees with union",
        """
        SELECT City, Country, 'customer' AS kind FROM Customer
        UNION
        SELECT City, Country, 'employee' FROM Employee
        ORDER BY Country, City
        """,
    ),
    _mysql(
        "countries with customers and employees with intersect",
        "SELECT Country FROM Customer INTERSECT SELECT Country FROM Employee",
        ("Canada",),
    ),
    _mysql(
        "countries with customers but no employees with except",
        "SELECT Country FROM Customer EXCEPT SELECT Country FROM Employee ORDER BY Country",
    ),
    _mysql(
        "third page of tracks with limit and offset",
        "SELECT TrackId, Name FROM Track ORDER BY TrackId LIMIT 10 OFFSET 20",
        (21, "Hell Ain't A Bad Place To Be"),
    ),
    _mysql(
        "third page of tracks with limit offset comma count",
        "SELECT TrackId, Name FROM Track ORDER BY TrackId LIMIT 20, 10",
        (21, "Hell Ain't A Bad Place To Be"),
    ),
    _mysql(
        "median track length with median over",
        "SELECT DISTINCT MEDIAN(Milliseconds) OVER () AS median_ms FROM Track",
        (255634,),
    ),
    _mysql(
        "median track length with percentile_cont within group over",
        """
        SELECT DISTINCT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY Milliseconds) OVER () AS median_ms,
               PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY Milliseconds) OVER () AS median_disc
        FROM Track
        """,
        (255634, 255634),
    ),
    _mysql(
        "median invoice total with row_number and count windows",
        """
        SELECT AVG(Total) AS median_total FROM (
            SELECT Total, ROW_NUMBER() OVER (ORDER BY Total) AS rn, COUNT(*) OVER () AS n FROM Invoice
        ) ranked
        WHERE rn IN (FLOOR((n + 1) / 2), FLOOR((n + 2) / 2))
        """,
        (3.96,),
    ),
    _mysql(
        "explain of a join",
        "EXPLAIN SELECT g.Name, COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.Name",
    ),
    _mysql(
        "explain format json of a cte",
        """
        EXPLAIN FORMAT=JSON
        WITH big AS (SELECT CustomerId, SUM(Total) AS s FROM Invoice GROUP BY CustomerId)
        SELECT * FROM big WHERE s > 40
        """,
    ),
    _mysql(
        "media type share of tracks with a window over an aggregate",
        """
        SELECT m.Name, COUNT(*) AS tracks, ROUND(100 * COUNT(*) / SUM(COUNT(*)) OVER (), 1) AS pct
        FROM Track t JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId
        GROUP BY m.Name
        ORDER BY tracks DESC
        """,
        ("MPEG audio file", 3034, 86.6),
    ),
    _mysql(
        "custom sort order with field",
        """
        SELECT Title, FirstName, LastName FROM Employee
        ORDER BY FIELD(Title, 'General Manager', 'Sales Manager', 'IT Manager') = 0,
                 FIELD(Title, 'General Manager', 'Sales Manager', 'IT Manager'), LastName
        """,
        ("General Manager", "Andrew", "Adams"),
    ),
    _mysql(
        "null safe comparison of billing and customer state",
        """
        SELECT i.InvoiceId, i.BillingState, c.State, i.BillingState <=> c.State AS same_state
        FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId
        ORDER BY i.InvoiceId
        LIMIT 20
        """,
    ),
    _mysql(
        "best selling tracks with backquoted identifiers",
        """
        SELECT `t`.`Name` AS `Track Name`, SUM(`il`.`Quantity`) AS `Units Sold`
        FROM `Track` AS `t` JOIN `InvoiceLine` AS `il` ON `il`.`TrackId` = `t`.`TrackId`
        GROUP BY `t`.`TrackId`, `t`.`Name`
        ORDER BY `Units Sold` DESC, `t`.`TrackId`
        LIMIT 10
        """,
    ),
    _mysql(
        "total and count distinct aggregates",
        """
        SELECT SUM(Total) AS revenue, COUNT(DISTINCT CustomerId) AS customers,
               COUNT(DISTINCT BillingCountry) AS countries, COUNT(*) AS invoices
        FROM Invoice
        """,
        (2328.6, 59, 24, 412),
    ),
    _mysql(
        "invoices in a date range with between",
        """
        SELECT COUNT(*) AS invoices, SUM(Total) AS revenue FROM Invoice
        WHERE InvoiceDate BETWEEN '2023-01-01' AND '2023-12-31 23:59:59'
        """,
    ),
    _mysql(
        "track durations with sec_to_time and div",
        """
        SELECT Name, SEC_TO_TIME(Milliseconds DIV 1000) AS duration, TIME_FORMAT(SEC_TO_TIME(Milliseconds DIV 1000), '%i:%s') AS mm_ss
        FROM Track
        WHERE Milliseconds < 3600000
        ORDER BY Milliseconds DESC
        LIMIT 10
        """,
    ),
    _mysql(
        "formatted revenue with format",
        """
        SELECT BillingCountry, FORMAT(SUM(Total), 2) AS revenue, LPAD(COUNT(*), 5, ' ') AS invoices
        FROM Invoice GROUP BY BillingCountry ORDER BY SUM(Total) DESC LIMIT 5
        """,
    ),
    _mysql(
        "days since last purchase with curdate and now",
        """
        SELECT CustomerId, MAX(InvoiceDate) AS last_purchase, DATEDIFF(CURDATE(), MAX(InvoiceDate)) AS days_since,
               TIMESTAMPDIFF(HOUR, MAX(InvoiceDate), NOW()) AS hours_since
        FROM Invoice
        GROUP BY CustomerId
        ORDER BY days_since DESC
        LIMIT 10
        """,
    ),
    _mysql(
        "year month buckets with extract and str_to_date",
        """
        SELECT EXTRACT(YEAR_MONTH FROM InvoiceDate) AS ym, COUNT(*) AS invoices
        FROM Invoice
        WHERE InvoiceDate >= STR_TO_DATE('01/07/2024', '%d/%m/%Y')
        GROUP BY ym
        ORDER BY ym
        """,
    ),
    _mysql(
        "greatest and least of prices",
        """
        SELECT InvoiceLineId, UnitPrice, Quantity, GREATEST(UnitPrice, Quantity) AS bigger, LEAST(UnitPrice, 1.0) AS capped
        FROM InvoiceLine ORDER BY InvoiceLineId LIMIT 10
        """,
    ),
    _mysql(
        "customers with similar sounding last names with soundex",
        """
        SELECT a.LastName, b.LastName AS sounds_like
        FROM Customer a JOIN Customer b ON SOUNDEX(a.LastName) = SOUNDEX(b.LastName) AND a.CustomerId < b.CustomerId
        ORDER BY a.LastName
        """,
    ),
    _mysql(
        "revenue against targets from a derived table of unions",
        """
        SELECT t.country, t.goal, SUM(i.Total) AS actual, SUM(i.Total) - t.goal AS gap
        FROM (SELECT 'USA' AS country, 500 AS goal UNION ALL SELECT 'Canada', 350 UNION ALL SELECT 'France', 150) t
        JOIN Invoice i ON i.BillingCountry = t.country
        GROUP BY t.country, t.goal
        ORDER BY t.country
        """,
    ),
    _mysql(
        "sales per support agent",
        """
        SELECT CONCAT(e.FirstName, ' ', e.LastName) AS agent, COUNT(DISTINCT c.CustomerId) AS customers,
               COUNT(i.InvoiceId) AS invoices, SUM(i.Total) AS revenue
        FROM Employee e
        JOIN Customer c ON c.SupportRepId = e.EmployeeId
        JOIN Invoice i ON i.CustomerId = c.CustomerId
        GROUP BY e.EmployeeId, e.FirstName, e.LastName
        ORDER BY revenue DESC
        """,
    ),
    _mysql(
        "playlist sizes with left join",
        """
        SELECT p.Name, COUNT(pt.TrackId) AS tracks
        FROM Playlist p LEFT JOIN PlaylistTrack pt ON pt.PlaylistId = p.PlaylistId
        GROUP BY p.PlaylistId, p.Name
        ORDER BY tracks DESC, p.PlaylistId
        """,
    ),
    _mysql(
        "random sample of tracks",
        "SELECT TrackId, Name FROM Track ORDER BY RAND() LIMIT 5",
    ),
    _mysql(
        "cohort of customers by first purchase year",
        """
        WITH firsts AS (
            SELECT CustomerId, MIN(YEAR(InvoiceDate)) AS cohort FROM Invoice GROUP BY CustomerId
        )
        SELECT f.cohort, YEAR(i.InvoiceDate) AS year, COUNT(DISTINCT i.CustomerId) AS active
        FROM firsts f JOIN Invoice i ON i.CustomerId = f.CustomerId
        GROUP BY f.cohort, year
        ORDER BY f.cohort, year
        """,
    ),
    _mysql(
        "weekly invoice counts with yearweek and week",
        """
        SELECT YEARWEEK(InvoiceDate, 3) AS iso_week, WEEK(MIN(InvoiceDate), 3) AS week_no, COUNT(*) AS invoices
        FROM Invoice
        WHERE YEAR(InvoiceDate) = 2025
        GROUP BY iso_week
        ORDER BY iso_week
        """,
    ),
    _mysql(
        "columns of the track table from information_schema",
        """
        SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE
        FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Track'
        ORDER BY ORDINAL_POSITION
        """,
        ("TrackId", "int", "NO"),
    ),
    _mysql(
        "table row counts and sizes from information_schema",
        """
        SELECT TABLE_NAME, TABLE_ROWS, ROUND((DATA_LENGTH + INDEX_LENGTH) / 1024, 1) AS size_kib
        FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = DATABASE()
        ORDER BY TABLE_NAME
        """,
    ),
    _mysql(
        "text bar chart of tracks per genre with repeat",
        """
        SELECT g.Name, COUNT(*) AS tracks, REPEAT('#', COUNT(*) DIV 50) AS bar
        FROM Track t JOIN Genre g ON g.GenreId = t.GenreId
        GROUP BY g.Name
        ORDER BY tracks DESC
        """,
    ),
    _mysql(
        "masked emails with the insert string function and hashes",
        """
        SELECT INSERT(Email, 2, LOCATE('@', Email) - 3, '***') AS masked_email, MD5(LOWER(Email)) AS email_md5,
               SHA2(LOWER(Email), 256) AS email_sha256, CRC32(Email) AS bucket_key
        FROM Customer
        ORDER BY CustomerId
        LIMIT 10
        """,
    ),
    _mysql(
        "quarter labels with elt and find_in_set",
        """
        SELECT ELT(QUARTER(InvoiceDate), 'Q1', 'Q2', 'Q3', 'Q4') AS quarter, COUNT(*) AS invoices,
               SUM(FIND_IN_SET(BillingCountry, 'USA,Canada') > 0) AS north_america
        FROM Invoice
        GROUP BY quarter
        ORDER BY quarter
        """,
    ),
    _mysql(
        "epoch conversions with unix_timestamp and from_unixtime",
        """
        SELECT InvoiceId, UNIX_TIMESTAMP(InvoiceDate) AS epoch, FROM_UNIXTIME(UNIX_TIMESTAMP(InvoiceDate) + 86400) AS next_day,
               DAYOFYEAR(InvoiceDate) AS day_of_year, WEEKDAY(InvoiceDate) AS weekday_index, TO_DAYS(InvoiceDate) AS day_number,
               CONVERT_TZ(InvoiceDate, '+00:00', '+01:00') AS cet
        FROM Invoice
        ORDER BY InvoiceId
        LIMIT 10
        """,
    ),
    _mysql(
        "month spans with period_diff makedate and adddate",
        """
        SELECT CustomerId,
               PERIOD_DIFF(DATE_FORMAT(MAX(InvoiceDate), '%Y%m'), DATE_FORMAT(MIN(InvoiceDate), '%Y%m')) AS months_span,
               MAKEDATE(YEAR(MIN(InvoiceDate)), 1) AS first_year_start, ADDDATE(MAX(InvoiceDate), 7) AS week_after_last
        FROM Invoice
        GROUP BY CustomerId
        ORDER BY CustomerId
        LIMIT 10
        """,
    ),
    _mysql(
        "log scale of track sizes with ln log10 exp and sign",
        """
        SELECT TrackId, Bytes, ROUND(LN(Bytes), 3) AS ln_bytes, ROUND(LOG10(Bytes), 3) AS log10_bytes,
               ROUND(EXP(1), 5) AS e, ROUND(PI(), 5) AS pi, SIGN(Milliseconds - 300000) AS longer_than_5min,
               ROUND(STD(Milliseconds) OVER (), 1) AS std_ms, ROUND(VARIANCE(Milliseconds) OVER (), 1) AS var_ms
        FROM Track
        ORDER BY Bytes DESC
        LIMIT 10
        """,
    ),
    _mysql(
        "reading json back with json_length json_keys and json_unquote",
        """
        SELECT ar.Name, JSON_LENGTH(JSON_ARRAYAGG(al.Title)) AS n,
               JSON_KEYS(JSON_OBJECT('artist', ar.Name, 'albums', COUNT(*))) AS doc_keys,
               JSON_UNQUOTE(JSON_EXTRACT(JSON_OBJECT('artist', ar.Name), '$.artist')) AS artist_again,
               JSON_CONTAINS(JSON_ARRAYAGG(al.AlbumId), '1') AS has_album_1
        FROM Artist ar JOIN Album al ON al.ArtistId = ar.ArtistId
        GROUP BY ar.ArtistId, ar.Name
        ORDER BY n DESC
        LIMIT 5
        """,
    ),
    _mysql(
        "countries from a json list with json_table",
        """
        SELECT jt.country, COUNT(i.InvoiceId) AS invoices, SUM(i.Total) AS revenue
        FROM JSON_TABLE('["USA", "Canada", "France"]', '$[*]' COLUMNS (country VARCHAR(40) PATH '$')) AS jt
        JOIN Invoice i ON i.BillingCountry = jt.country
        GROUP BY jt.country
        ORDER BY revenue DESC
        """,
        ("USA", 91, 523.06),
    ),
    _mysql(
        "string helpers reverse space strcmp and substring from for",
        """
        SELECT Name, REVERSE(Name) AS backwards, CONCAT(Name, SPACE(3), '|') AS padded,
               STRCMP(Name, 'M') AS vs_m, SUBSTRING(Name FROM 2 FOR 3) AS middle, ISNULL(Composer) AS no_composer,
               CONVERT(Name USING utf8mb4) AS utf8_name, CAST(Milliseconds AS DOUBLE) / 1000 AS seconds
        FROM Track
        ORDER BY TrackId
        LIMIT 10
        """,
    ),
    _mysql(
        "tracks with a literal percent sign using like escape",
        """
        SELECT Name, CURRENT_DATE AS today, UTC_TIMESTAMP() AS utc_now
        FROM Track
        WHERE Name LIKE '%!%%' ESCAPE '!'
        ORDER BY Name
        """,
    ),
)


ANALYST_QUERIES: tuple[AnalystQuery, ...] = SQLITE_QUERIES + POSTGRES_QUERIES + MYSQL_QUERIES
