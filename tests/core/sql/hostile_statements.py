"""The table of hostile statements the read-only SQL layer must refuse, and harmless reads it must run.

Each ``Hostile`` row names the dialects it applies to and a fragment the refusal message
must contain, so a refusal for the wrong reason fails. ``ENGINE_WRITES`` are writes run
with the parser layer switched off, to prove the read-only connection alone stops them.
Harmless reads use ``{placeholders}`` for the few names that differ between the Chinook
schemas (PostgreSQL uses snake_case).
"""

from __future__ import annotations

from dataclasses import dataclass

ALL = ("sqlite", "postgres", "mysql")
SQLITE, POSTGRES, MYSQL = ("sqlite",), ("postgres",), ("mysql",)
PG_MY = ("postgres", "mysql")
LITE_PG = ("sqlite", "postgres")
LITE_MY = ("sqlite", "mysql")


@dataclass(frozen=True)
class Hostile:
    sql: str
    reason: str  # a fragment the refusal message must contain
    dialects: tuple[str, ...] = ALL


@dataclass(frozen=True)
class Harmless:
    sql: str
    dialects: tuple[str, ...] = ALL


@dataclass(frozen=True)
class EngineWrite:
    sql: str
    dialects: tuple[str, ...] = ALL


NAMES = {
    "sqlite": {"{genre_id}": "GenreId", "{name}": "Name", "{track_id}": "TrackId", "{unit_price}": "UnitPrice"},
    "mysql": {"{genre_id}": "GenreId", "{name}": "Name", "{track_id}": "TrackId", "{unit_price}": "UnitPrice"},
    "postgres": {"{genre_id}": "genre_id", "{name}": "name", "{track_id}": "track_id", "{unit_price}": "unit_price"},
}


def render(sql: str, dialect: str) -> str:
    """Fill the column-name placeholders for ``dialect``'s Chinook schema."""
    for placeholder, name in NAMES[dialect].items():
        sql = sql.replace(placeholder, name)
    return sql


MULTI = "Only one statement can run at a time"
NOT_ALLOWED = "is not allowed"
ONLY_SELECT = "only SELECT queries"

HOSTILE: tuple[Hostile, ...] = (
    # More than one statement, including a second one behind comments and strings.
    Hostile("SELECT 1; SELECT 2", f"{MULTI}; found 2."),
    Hostile("SELECT * FROM Track; DELETE FROM Track", f"{MULTI}; found 2."),
    Hostile("SELECT 1;DROP TABLE Track;", f"{MULTI}; found 2."),
    Hostile("SELECT 1 /* ; */ ; DELETE FROM Track", f"{MULTI}; found 2."),
    Hostile("SELECT 1 -- harmless\n; DROP TABLE Artist", f"{MULTI}; found 2."),
    Hostile("SELECT ';' AS s; DELETE FROM Genre", f"{MULTI}; found 2."),
    Hostile("select 1;\n\n  update Track set Name = 'x'", f"{MULTI}; found 2."),
    Hostile("SELECT 1; SELECT 2; SELECT 3", f"{MULTI}; found 3."),
    Hostile("sElEcT 1; dRoP tAbLe Track", f"{MULTI}; found 2."),
    Hostile("SELECT 1\u00a0; DROP TABLE Track", f"{MULTI}; found 2."),
    # Code hidden in comments the server would run, or hints that lift the limits.
    Hostile("SELECT 1 /*!, (SELECT LOAD_FILE('/etc/passwd')) */", "executable comments", MYSQL),
    Hostile("SELECT 1 /*!50000 , SLEEP(10) */", "executable comments", MYSQL),
    Hostile("SELECT /*+ MAX_EXECUTION_TIME(999999) */ * FROM Track", "Optimizer hints", MYSQL),
    # PostgreSQL nests block comments (so this is harmless there, see HARMLESS); the others do not.
    Hostile("SELECT 1 /* nested /* comment */ ; DROP TABLE Track */", f"{MULTI}; found 2.", LITE_MY),
    # Writes and schema changes, plainly and disguised by case, whitespace and comments.
    Hostile("DELETE FROM Track", "DELETE is not allowed: the workbench only reads data."),
    Hostile("DeLeTe FrOm Track WHERE 1=1", "DELETE is not allowed"),
    Hostile("  \n\t delete\nfrom\tTrack  ", "DELETE is not allowed"),
    Hostile("\n\n;;DELETE FROM Track;;", "DELETE is not allowed"),
    Hostile("/* looks harmless */ DELETE FROM Track", "DELETE is not allowed"),
    Hostile("-- leading comment\nDROP TABLE Track", "DROP is not allowed"),
    Hostile("UPDATE Track SET Name = 'x'", "UPDATE is not allowed"),
    Hostile("INSERT INTO Genre VALUES (999, 'x')", "INSERT is not allowed"),
    Hostile("INSERT OR REPLACE INTO Genre VALUES (1, 'x')", "INSERT is not allowed", SQLITE),
    Hostile("REPLACE INTO Genre VALUES (1, 'x')", "REPLACE is not allowed", LITE_MY),
    Hostile("DROP TABLE Track", "DROP is not allowed"),
    Hostile("DROP VIEW IF EXISTS v", "DROP is not allowed"),
    Hostile("CREATE TABLE t (a INT)", "CREATE is not allowed"),
    Hostile("CREATE TEMP TABLE t AS SELECT * FROM Track", "CREATE is not allowed", LITE_PG),
    Hostile("CREATE VIEW v AS SELECT 1", "CREATE is not allowed"),
    Hostile("CREATE INDEX i ON Track (Name)", "CREATE is not allowed"),
    Hostile("CREATE TRIGGER tr AFTER INSERT ON Genre BEGIN DELETE FROM Track; END", f"{MULTI}", SQLITE),
    Hostile("CREATE EXTENSION dblink", "CREATE is not allowed", POSTGRES),
    Hostile("CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql", "CREATE is not allowed", POSTGRES),
    Hostile("ALTER TABLE Track ADD COLUMN x INT", "ALTER is not allowed"),
    Hostile("ALTER SYSTEM SET fsync = off", "ALTER is not allowed", POSTGRES),
    Hostile("TRUNCATE TABLE Track", "TRUNCATE is not allowed", PG_MY),
    Hostile("MERGE INTO genre g USING genre s ON g.genre_id = s.genre_id WHEN MATCHED THEN DELETE", "MERGE is not allowed", POSTGRES),
    Hostile("RENAME TABLE Track TO Track2", "RENAME is not allowed", MYSQL),
    Hostile("COMMENT ON TABLE track IS 'pwned'", "COMMENT is not allowed", POSTGRES),
    Hostile("GRANT SELECT ON Track TO PUBLIC", "GRANT is not allowed", PG_MY),
    Hostile("REVOKE SELECT ON Track FROM PUBLIC", "REVOKE is not allowed", PG_MY),
    # Writes inside a query: data-modifying CTEs, EXPLAIN ANALYZE of a write.
    Hostile("WITH x AS (SELECT 1) DELETE FROM Track", "DELETE is not allowed", LITE_PG),
    Hostile("WITH RECURSIVE x(n) AS (SELECT 1) INSERT INTO Genre SELECT 99, 'x' FROM x", "INSERT is not allowed", SQLITE),
    Hostile("WITH d AS (DELETE FROM track RETURNING *) SELECT * FROM d", "DELETE is not allowed (inside a WITH clause)", POSTGRES),
    Hostile("WITH u AS (UPDATE track SET name = 'x' RETURNING *) SELECT count(*) FROM u", "UPDATE is not allowed (inside a WITH clause)", POSTGRES),
    Hostile("WITH i AS (INSERT INTO genre VALUES (99, 'x') RETURNING *) SELECT * FROM i", "INSERT is not allowed (inside a WITH clause)", POSTGRES),
    Hostile("EXPLAIN ANALYZE DELETE FROM track", "DELETE is not allowed", POSTGRES),
    Hostile("EXPLAIN (ANALYZE) DELETE FROM track", "DELETE is not allowed", POSTGRES),
    Hostile("EXPLAIN (ANALYZE, FORMAT JSON) INSERT INTO genre VALUES (99, 'x')", "INSERT is not allowed", POSTGRES),
    Hostile("EXPLAIN QUERY PLAN DELETE FROM Track", "DELETE is not allowed", SQLITE),
    Hostile("EXPLAIN FORMAT=JSON DELETE FROM Track", "DELETE is not allowed", MYSQL),
    Hostile("EXPLAIN (ANALYZE, EVIL_OPTION) SELECT 1", "EXPLAIN option", POSTGRES),
    Hostile("EXPLAIN EXPLAIN SELECT 1", "EXPLAIN can only describe a query", LITE_PG),
    Hostile("EXPLAIN", "EXPLAIN needs a query"),
    Hostile("DESCRIBE Track", "EXPLAIN can only describe a query", MYSQL),
    # SELECT ... INTO and locking reads.
    Hostile("SELECT * INTO newtable FROM track", "SELECT ... INTO is not allowed", POSTGRES),
    Hostile("SELECT * INTO TEMP t FROM track", "SELECT ... INTO is not allowed", POSTGRES),
    Hostile("SELECT * FROM Track INTO OUTFILE '/tmp/tracks.txt'", "INTO OUTFILE is not allowed: it writes files", MYSQL),
    Hostile("SELECT * INTO OUTFILE '/tmp/tracks.txt' FROM Track", "INTO OUTFILE is not allowed", MYSQL),
    Hostile("SELECT Name FROM Track LIMIT 1 INTO DUMPFILE '/tmp/x'", "INTO DUMPFILE is not allowed", MYSQL),
    Hostile("SELECT Name INTO @n FROM Track LIMIT 1", "SELECT ... INTO is not allowed", MYSQL),
    Hostile("SELECT * FROM Track FOR UPDATE", "FOR UPDATE / FOR SHARE", PG_MY),
    Hostile("SELECT * FROM track FOR SHARE", "FOR UPDATE / FOR SHARE", POSTGRES),
    Hostile("SELECT * FROM track FOR NO KEY UPDATE SKIP LOCKED", "FOR UPDATE / FOR SHARE", POSTGRES),
    Hostile("SELECT * FROM track FOR KEY SHARE NOWAIT", "FOR UPDATE / FOR SHARE", POSTGRES),
    Hostile("SELECT * FROM Track LOCK IN SHARE MODE", "FOR UPDATE / FOR SHARE", MYSQL),
    # Settings, files, extensions, transactions and server administration.
    Hostile("PRAGMA query_only = 0", "PRAGMA is not allowed", SQLITE),
    Hostile("PRAGMA writable_schema = ON", "PRAGMA is not allowed", SQLITE),
    Hostile("pragma table_info(Track)", "PRAGMA is not allowed", SQLITE),
    Hostile("ATTACH DATABASE '/tmp/evil.db' AS evil", "ATTACH is not allowed: it opens other database files", SQLITE),
    Hostile("DETACH DATABASE main", "DETACH is not allowed", SQLITE),
    Hostile("VACUUM", "VACUUM is not allowed", LITE_PG),
    Hostile("VACUUM INTO '/tmp/copy.db'", "VACUUM is not allowed", SQLITE),
    Hostile("REINDEX", "REINDEX is not allowed", LITE_PG),
    Hostile("ANALYZE", "ANALYZE is not allowed", LITE_PG),
    Hostile("ANALYZE TABLE Track", "ANALYZE is not allowed", MYSQL),
    Hostile("SET statement_timeout = 0", "SET is not allowed: it changes session settings", POSTGRES),
    Hostile("SET ROLE postgres", "SET is not allowed", POSTGRES),
    Hostile("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "SET is not allowed", POSTGRES),
    Hostile("RESET ALL", "RESET is not allowed", POSTGRES),
    Hostile("DISCARD ALL", "DISCARD is not allowed", POSTGRES),
    Hostile("SET @@session.max_statement_time = 0", "SET is not allowed", MYSQL),
    Hostile("SET GLOBAL general_log = 'ON'", "SET is not allowed", MYSQL),
    Hostile("CALL do_something()", "CALL is not allowed", PG_MY),
    Hostile("DO $$ BEGIN DELETE FROM track; END $$", "DO is not allowed", POSTGRES),
    Hostile("DO SLEEP(5)", "DO is not allowed", MYSQL),
    Hostile("PREPARE p AS DELETE FROM track", "PREPARE is not allowed", POSTGRES),
    Hostile("EXECUTE p", "EXECUTE is not allowed", POSTGRES),
    Hostile("DECLARE c CURSOR FOR SELECT 1", "DECLARE is not allowed", POSTGRES),
    Hostile("HANDLER Track OPEN", "HANDLER is not allowed", MYSQL),
    Hostile("COPY track TO '/tmp/tracks.csv'", "COPY is not allowed", POSTGRES),
    Hostile("COPY track FROM PROGRAM 'id'", "COPY is not allowed", POSTGRES),
    Hostile("LOAD 'auto_explain'", "LOAD is not allowed", POSTGRES),
    Hostile("LOAD DATA INFILE '/etc/passwd' INTO TABLE Track", "LOAD is not allowed", MYSQL),
    Hostile("LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE Genre", "LOAD is not allowed", MYSQL),
    Hostile("LOAD XML INFILE 'x.xml' INTO TABLE Genre", "LOAD is not allowed", MYSQL),
    Hostile("BEGIN", "BEGIN is not allowed: the workbench manages transactions itself", LITE_PG),
    Hostile("START TRANSACTION READ WRITE", "START is not allowed", PG_MY),
    Hostile("COMMIT", "COMMIT is not allowed"),
    Hostile("ROLLBACK", "ROLLBACK is not allowed"),
    Hostile("LOCK TABLE track IN ACCESS EXCLUSIVE MODE", "LOCK is not allowed", POSTGRES),
    Hostile("LOCK TABLES Track WRITE", "LOCK is not allowed", MYSQL),
    Hostile("LISTEN channel", "LISTEN is not allowed", POSTGRES),
    Hostile("NOTIFY channel, 'x'", "NOTIFY is not allowed", POSTGRES),
    Hostile("CHECKPOINT", "CHECKPOINT is not allowed", POSTGRES),
    Hostile("REFRESH MATERIALIZED VIEW mv", "REFRESH is not allowed", POSTGRES),
    Hostile("FLUSH PRIVILEGES", "FLUSH is not allowed", MYSQL),
    Hostile("KILL 1", "KILL is not allowed", MYSQL),
    Hostile("SHUTDOWN", "SHUTDOWN is not allowed", MYSQL),
    Hostile("INSTALL PLUGIN evil SONAME 'evil.so'", "INSTALL is not allowed", MYSQL),
    Hostile("OPTIMIZE TABLE Track", "OPTIMIZE is not allowed", MYSQL),
    Hostile("USE mysql", "USE is not allowed", MYSQL),
    Hostile("SHOW GRANTS", "SHOW is not allowed", MYSQL),
    # Dangerous functions: files, sleeps, locks, sequences, settings, other servers.
    Hostile("SELECT pg_read_file('/etc/passwd')", "pg_read_file() is not allowed: it can read or write files", POSTGRES),
    Hostile("SELECT pg_read_binary_file('/etc/passwd')", "pg_read_binary_file() is not allowed", POSTGRES),
    Hostile("SELECT * FROM pg_ls_dir('.')", "pg_ls_dir() is not allowed", POSTGRES),
    Hostile("SELECT pg_stat_file('postgresql.conf')", "pg_stat_file() is not allowed", POSTGRES),
    Hostile("SELECT pg_catalog.pg_read_file('/etc/passwd')", "pg_read_file() is not allowed", POSTGRES),
    Hostile('SELECT "pg_read_file"(\'/etc/passwd\')', "pg_read_file() is not allowed", POSTGRES),
    Hostile("SELECT pg_sleep(10)", "pg_sleep() is not allowed", POSTGRES),
    Hostile("SELECT PG_SLEEP(1)", "PG_SLEEP() is not allowed", POSTGRES),
    Hostile("SELECT Pg_SlEeP(1)", "is not allowed: it only makes the server wait", POSTGRES),
    Hostile("SELECT pg_sleep (1)", "pg_sleep() is not allowed", POSTGRES),
    Hostile("SELECT pg_sleep/**/(1)", "pg_sleep() is not allowed", POSTGRES),
    Hostile("SELECT pg_sleep_for('5 minutes')", "pg_sleep_for() is not allowed", POSTGRES),
    Hostile("SELECT name FROM track WHERE pg_sleep(1) IS NOT NULL", "pg_sleep() is not allowed", POSTGRES),
    Hostile("WITH s AS (SELECT pg_sleep(5)) SELECT * FROM s", "pg_sleep() is not allowed", POSTGRES),
    Hostile("SELECT (SELECT pg_sleep(1))", "pg_sleep() is not allowed", POSTGRES),
    Hostile("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "pg_terminate_backend() is not allowed", POSTGRES),
    Hostile("SELECT pg_cancel_backend(1)", "pg_cancel_backend() is not allowed", POSTGRES),
    Hostile("SELECT pg_reload_conf()", "pg_reload_conf() is not allowed", POSTGRES),
    Hostile("SELECT lo_import('/etc/passwd')", "lo_import() is not allowed", POSTGRES),
    Hostile("SELECT lo_export(1, '/tmp/x')", "lo_export() is not allowed", POSTGRES),
    Hostile("SELECT setval('s', 1)", "setval() is not allowed", POSTGRES),
    Hostile("SELECT nextval('s')", "nextval() is not allowed", POSTGRES),
    Hostile("SELECT set_config('statement_timeout', '0', false)", "set_config() is not allowed", POSTGRES),
    Hostile("SELECT pg_advisory_lock(1)", "pg_advisory_lock() is not allowed", POSTGRES),
    Hostile("SELECT pg_try_advisory_lock(1)", "pg_try_advisory_lock() is not allowed", POSTGRES),
    Hostile("SELECT txid_current()", "txid_current() is not allowed", POSTGRES),
    Hostile("SELECT dblink('host=evil', 'SELECT 1')", "dblink() is not allowed: it connects to other servers", POSTGRES),
    Hostile("SELECT * FROM dblink_exec('dbname=x', 'DROP TABLE track')", "dblink_exec() is not allowed", POSTGRES),
    Hostile("SELECT query_to_xml('DELETE FROM track RETURNING *', true, true, '')", "query_to_xml() is not allowed", POSTGRES),
    Hostile("SELECT pg_notify('channel', 'x')", "pg_notify() is not allowed", POSTGRES),
    Hostile("SELECT LOAD_FILE('/etc/passwd')", "LOAD_FILE() is not allowed", MYSQL),
    Hostile("SELECT load_file(0x2f6574632f706173737764)", "load_file() is not allowed", MYSQL),
    Hostile("SELECT SLEEP(5)", "SLEEP() is not allowed", MYSQL),
    Hostile("SELECT `SLEEP`(5)", "SLEEP() is not allowed", MYSQL),
    Hostile("SELECT * FROM Track WHERE TrackId = 1 AND SLEEP(5)", "SLEEP() is not allowed", MYSQL),
    Hostile("SELECT 1 UNION SELECT SLEEP(5)", "SLEEP() is not allowed", MYSQL),
    Hostile("SELECT BENCHMARK(100000000, MD5('x'))", "BENCHMARK() is not allowed", MYSQL),
    Hostile("SELECT GET_LOCK('lock', 10)", "GET_LOCK() is not allowed", MYSQL),
    Hostile("SELECT RELEASE_LOCK('lock')", "RELEASE_LOCK() is not allowed", MYSQL),
    Hostile("SELECT NEXTVAL(s)", "NEXTVAL() is not allowed", MYSQL),
    Hostile("SELECT SETVAL(s, 1)", "SETVAL() is not allowed", MYSQL),
    Hostile("SELECT NEXT VALUE FOR s", "NEXT VALUE FOR is not allowed", MYSQL),
    Hostile("SELECT MASTER_POS_WAIT('log', 4)", "MASTER_POS_WAIT() is not allowed", MYSQL),
    Hostile("SELECT sys_exec('id')", "sys_exec() is not allowed", MYSQL),
    Hostile("SELECT load_extension('/tmp/evil.so')", "load_extension() is not allowed", SQLITE),
    Hostile("SELECT LOAD_EXTENSION('x', 'entry')", "LOAD_EXTENSION() is not allowed", SQLITE),
    Hostile("SELECT readfile('/etc/passwd')", "readfile() is not allowed", SQLITE),
    Hostile("SELECT writefile('/tmp/x', 'data')", "writefile() is not allowed", SQLITE),
    Hostile("SELECT fts3_tokenizer('simple')", "fts3_tokenizer() is not allowed", SQLITE),
    # Unicode tricks: invisible characters, full-width letters, look-alike letters, escapes.
    Hostile("DEL\u200bETE FROM Track", "U+200B ZERO WIDTH SPACE"),
    Hostile("SELECT pg_sleep\u200b(1)", "invisible or control character", POSTGRES),
    Hostile("SELECT * FROM Track\u202e", "U+202E"),
    Hostile("\ufeffDELETE FROM Track", "U+FEFF"),
    Hostile("DELETE\x00 FROM Track", "U+0000"),
    Hostile("ＤＥＬＥＴＥ FROM Track", "DELETE is not allowed"),
    Hostile("SELECT ｓｌｅｅｐ(5)", "is not allowed: it only makes the server wait", MYSQL),
    Hostile("SELECT ｐｇ_ｓｌｅｅｐ(5)", "is not allowed: it only makes the server wait", POSTGRES),
    Hostile("D\u0415LETE FROM Track", ONLY_SELECT),  # a Cyrillic capital IE in DELETE
    Hostile("DROP\u3000TABLE Track", "DROP is not allowed"),
    Hostile('SELECT U&"\\0070g_sleep"(1)', 'Unicode-escaped names and strings (U&"...")', POSTGRES),
    # Not SQL at all, or not a query.
    Hostile("SELECT FROM WHERE", "could not be parsed"),
    Hostile("SELECT 'unterminated", "could not be parsed"),
    Hostile("", "There is no SQL to run"),
    Hostile("   \n ", "There is no SQL to run"),
    Hostile("-- only a comment", "There is no SQL to run"),
    Hostile(";;;", "There is no SQL to run"),
    Hostile("Track", ONLY_SELECT),
    # SQL run from a string argument: the checker cannot see inside, so these are never allowed.
    Hostile("SELECT word FROM ts_stat($$SELECT array_to_tsvector(string_to_array(pg_read_file('/etc/passwd'), "
            "E'\\n'))$$)", "it runs SQL hidden inside a string", POSTGRES),
    Hostile("SELECT * FROM ts_stat('SELECT to_tsvector(name) FROM artist')", "hidden inside a string", POSTGRES),
    Hostile("SELECT ts_rewrite('a'::tsquery, 'SELECT t, s FROM aliases')", "hidden inside a string", POSTGRES),
    Hostile("SELECT query_to_xml('DELETE FROM track RETURNING 1', true, true, '')", "hidden inside a string", POSTGRES),
    Hostile("SELECT cursor_to_xml('c', 1, true, true, '')", "hidden inside a string", POSTGRES),
    Hostile("SELECT table_to_xml('track', true, true, '')", "hidden inside a string", POSTGRES),
    Hostile("SELECT xpath('/r', query_to_xml('SELECT 1', true, true, ''))", "hidden inside a string", POSTGRES),
    Hostile("SELECT database_to_xml(true, true, '')", "hidden inside a string", POSTGRES),
    Hostile("SELECT * FROM dblink('dbname=x', 'DELETE FROM track') AS t(a int)", "connects to other servers", POSTGRES),
    Hostile("SELECT dblink_exec('dbname=x', 'DROP TABLE track')", "connects to other servers", POSTGRES),
    # Functions that are not on the allow-list, however they are spelt or wherever they hide.
    Hostile('SELECT "ts_stat"(\'SELECT 1\')', "hidden inside a string", POSTGRES),
    Hostile("SELECT pg_catalog.pg_read_file('/etc/passwd')", "read or write files", POSTGRES),
    Hostile('SELECT "pg_catalog"."pg_ls_dir"(\'.\')', "read or write files", POSTGRES),
    Hostile("SELECT now() AT TIME ZONE pg_read_file('/etc/passwd')", "read or write files", POSTGRES),
    Hostile("WITH pg_sleep(x) AS (SELECT 1) SELECT pg_sleep(5) FROM pg_sleep", "wait or burn CPU", POSTGRES),
    Hostile("SELECT 1 FROM track pg_read_file(a) WHERE pg_read_file('/etc/passwd') IS NULL", "read or write files",
            POSTGRES),
    Hostile("SELECT current_setting('data_directory')", "function current_setting is not allowed", POSTGRES),
    Hostile("SELECT inet_server_addr()", "function inet_server_addr is not allowed", POSTGRES),
    Hostile("SELECT pg_stat_get_activity(NULL)", "function pg_stat_get_activity is not allowed", POSTGRES),
    Hostile("SELECT public.my_udf(1)", "function public.my_udf is not allowed", POSTGRES),
    Hostile("SELECT my_udf(1)", "function my_udf is not allowed; ask an administrator"),
    Hostile("SELECT SYSTEM_USER()", "not allowed", MYSQL),
    Hostile("SELECT sys.ps_thread_id(1)", "function sys.ps_thread_id is not allowed", MYSQL),
    Hostile("SELECT CONNECTION_ID(), LAST_INSERT_ID()", "function CONNECTION_ID is not allowed", MYSQL),
    Hostile("SELECT IS_FREE_LOCK('x')", "locks that outlive the query", MYSQL),
    Hostile("SELECT sqlite_offset(Name) FROM Genre", "function sqlite_offset is not allowed", SQLITE),
    Hostile("SELECT randomblob(1000000000)", "function randomblob is not allowed", SQLITE),
)

HARMLESS: tuple[Harmless, ...] = (
    Harmless("SELECT * FROM Track LIMIT 5"),
    Harmless("SELECT count(*) FROM Track"),
    Harmless("select {name} from Genre order by {genre_id};"),
    Harmless("SELECT 'DELETE FROM Track; DROP TABLE Genre' AS looks_hostile"),
    Harmless("SELECT 'pg_sleep(5)' AS only_text, 'SLEEP(5)' AS also_text"),
    Harmless("SELECT /* DROP TABLE Track */ 1 AS one -- ; DELETE FROM Track\n"),
    Harmless("WITH t AS (SELECT {genre_id} AS g FROM Genre) SELECT count(*) FROM t"),
    Harmless("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT sum(i) FROM n"),
    Harmless("SELECT 1 UNION ALL SELECT 2"),
    Harmless("SELECT {name} FROM Genre WHERE {genre_id} < 3 UNION SELECT {name} FROM Genre WHERE {genre_id} > 20"),
    Harmless("SELECT {genre_id}, count(*) AS tracks FROM Track GROUP BY {genre_id} HAVING count(*) > 10 ORDER BY 2 DESC"),
    Harmless("SELECT g.{name}, avg(t.{unit_price}) FROM Track t JOIN Genre g ON g.{genre_id} = t.{genre_id} GROUP BY g.{name}"),
    Harmless("SELECT * FROM Genre WHERE {genre_id} IN (SELECT {genre_id} FROM Track WHERE {track_id} < 10)"),
    Harmless("SELECT upper({name}), length({name}) FROM Genre"),
    Harmless("SELECT {name} FROM Track WHERE {name} LIKE 'A%' ORDER BY {name} LIMIT 3"),
    Harmless("SELECT {name} AS updated, {genre_id} AS deleted FROM Genre"),
    Harmless("SELECT row_number() OVER (ORDER BY {genre_id}) AS rn FROM Genre"),
    Harmless("EXPLAIN SELECT * FROM Genre"),
    Harmless("EXPLAIN QUERY PLAN SELECT * FROM Genre", SQLITE),
    Harmless("EXPLAIN (COSTS OFF) SELECT * FROM genre", POSTGRES),
    Harmless("EXPLAIN FORMAT=JSON SELECT * FROM Genre", MYSQL),
    Harmless("SELECT x::int AS n, 'a%b' AS pct FROM (SELECT '7' AS x) AS s", POSTGRES),
    Harmless("SELECT * FROM generate_series(1, 3)", POSTGRES),
    Harmless("SELECT `Name` FROM `Genre` WHERE `Name` = 'Rock'", MYSQL),
    Harmless("SELECT 'it\\'s' AS quoted", MYSQL),
    Harmless('SELECT "Name" FROM "Genre" LIMIT 2', SQLITE),
    Harmless("SELECT * FROM pragma_table_info('Genre')", SQLITE),
    Harmless("VALUES (1), (2)", LITE_PG),
    Harmless("(SELECT 1 AS a) UNION (SELECT 2)", PG_MY),
    Harmless("SELECT 1 AS one /* nested /* comment */ ; DROP TABLE track */", POSTGRES),
    Harmless("SELECT 'ünïcödé ✓ 👨\u200d👩\u200d👧' AS text_may_hold_anything"),
)

ENGINE_WRITES: tuple[EngineWrite, ...] = (
    EngineWrite("INSERT INTO Genre VALUES (999, 'Written')"),
    EngineWrite("UPDATE Track SET {name} = 'Overwritten'"),
    EngineWrite("DELETE FROM Track"),
    EngineWrite("DROP TABLE Genre"),
    EngineWrite("CREATE TABLE engine_layer_probe (a INT)"),
    EngineWrite("ALTER TABLE Genre ADD COLUMN extra INT"),
    EngineWrite("CREATE TEMPORARY TABLE engine_layer_temp (a INT)"),
    EngineWrite("TRUNCATE TABLE Genre", PG_MY),
    EngineWrite("CREATE INDEX engine_layer_index ON Genre ({name})"),
    EngineWrite("WITH d AS (DELETE FROM genre RETURNING *) SELECT count(*) FROM d", POSTGRES),
    EngineWrite("SELECT * INTO engine_layer_copy FROM genre", POSTGRES),
    EngineWrite("SELECT * FROM genre FOR UPDATE", POSTGRES),
    EngineWrite("SELECT * FROM Genre FOR UPDATE", MYSQL),
    EngineWrite("REPLACE INTO Genre VALUES (1, 'Replaced')", LITE_MY),
    EngineWrite("PRAGMA user_version = 42", SQLITE),
    EngineWrite("PRAGMA query_only = 0", SQLITE),
    EngineWrite("ATTACH DATABASE '{tmp}/attached.db' AS other", SQLITE),
    EngineWrite("VACUUM INTO '{tmp}/vacuumed.db'", SQLITE),
    EngineWrite("VACUUM", SQLITE),
)
