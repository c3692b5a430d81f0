"""Introspection on real engines: tables, columns, keys, counts and category values, read-only."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
import sqlalchemy

from core.demo import generate_demo
from core.errors import InvalidInput
from core.sql.introspect import (MAX_VALUES, ColumnInfo, SchemaInfo, SchemaScope, TableInfo, introspect,
                                  qualified_table, quote_identifier)
from tests.core.sql.conftest import CHINOOK_SQLITE
from tests.core.sql.test_service import TODAY


def plain_scalar(url: str, sql: str):
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sqlalchemy.text(sql)).scalar_one()
    finally:
        engine.dispose()


def test_chinook_on_every_engine(chinook, checksum):
    before = checksum(chinook.url)
    schema = introspect(chinook.url, timeout_seconds=10)
    assert checksum(chinook.url) == before, "introspection never writes"
    names = {table.name for table in schema.tables}
    assert {chinook.track, chinook.genre, chinook.artist} <= names and len(names) >= 11
    genre = schema.table(chinook.genre)
    assert genre.row_count == plain_scalar(chinook.url, f"SELECT COUNT(*) FROM {chinook.genre}") == 25
    name_column = genre.column(chinook.artist_name)
    assert "Rock" in name_column.values and "Jazz" in name_column.values and len(name_column.values) == 25
    track = schema.table(chinook.track)
    genre_id = "genre_id" if chinook.dialect == "postgres" else "GenreId"
    assert any(fk.referred_table == chinook.genre and fk.columns == (genre_id,) for fk in track.foreign_keys)
    assert track.primary_key == (("track_id",) if chinook.dialect == "postgres" else ("TrackId",))
    assert track.column(chinook.artist_name).values == (), "thousands of track names are not a category"
    assert schema.table(chinook.track.upper()).name == chinook.track, "lookups ignore case"
    ddl = track.ddl()
    assert ddl.startswith(f"CREATE TABLE {chinook.track} (") and "FOREIGN KEY" in ddl and "rows" in ddl
    assert schema.value_index()[f"{chinook.genre}.{chinook.artist_name}"] == name_column.values


def test_the_demo_schema_lists_categories_and_iso_dates(tmp_path):
    summary = generate_demo(tmp_path / "demo", today=TODAY)
    schema = introspect(f"sqlite:///{summary.db_path}", timeout_seconds=10)
    connection = sqlite3.connect(summary.db_path)
    try:
        cities = tuple(sorted(r[0] for r in connection.execute("SELECT DISTINCT city FROM customers")))
        counts = {t: connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in summary.row_counts}
    finally:
        connection.close()
    assert schema.dialect == "sqlite"
    assert {t.name: t.row_count for t in schema.tables} == counts
    customers = schema.table("customers")
    assert customers.column("city").values == cities
    assert customers.column("name").values == (), "120 customer names are more than a category"
    orders = schema.table("orders")
    assert orders.column("order_date").date_like and orders.column("order_date").values == ()
    assert orders.column("status").values == ("cancelled", "delivered", "shipped")
    assert schema.table("complaints").column("text").values == ()
    assert schema.table("order_items").primary_key == ("order_id", "product_id")
    ddl = customers.ddl()
    assert "city TEXT NOT NULL, -- values: 'Bengaluru', 'Chennai'" in ddl
    assert "joined_on TEXT NOT NULL -- dates as ISO text 'YYYY-MM-DD'" in ddl
    assert "PRIMARY KEY (order_id, product_id)" in schema.table("order_items").ddl()
    table, column = schema.find_column("Customers.City")
    assert (table.name, column.name) == ("customers", "city")
    with pytest.raises(InvalidInput):
        schema.find_column("customers")
    with pytest.raises(InvalidInput):
        schema.find_column("customers.town")


def test_views_and_awkward_names(tmp_path):
    copy = tmp_path / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    connection = sqlite3.connect(copy)
    connection.executescript('''
        CREATE VIEW "Rock Tracks" AS SELECT t.Name FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Rock';
        CREATE TABLE "odd ""quoted"" table" ("kind of thing" TEXT);
        INSERT INTO "odd ""quoted"" table" VALUES ('a'), ('b'), ('a');
    ''')
    connection.close()
    schema = introspect(f"sqlite:///{copy}", timeout_seconds=10)
    view = schema.table("Rock Tracks")
    assert view.kind == "view" and view.row_count == 1297 and view.ddl().startswith("CREATE VIEW")
    odd = schema.table('odd "quoted" table')
    assert odd.row_count == 3 and odd.column("kind of thing").values == ("a", "b")


def test_too_many_values_are_not_a_category(tmp_path):
    path = tmp_path / "many.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (code TEXT, note TEXT)")
    connection.executemany("INSERT INTO t VALUES (?, ?)",
                           [(f"c{i}", "x" * 200 if i == 0 else "short") for i in range(MAX_VALUES + 1)])
    connection.commit()
    connection.close()
    table = introspect(f"sqlite:///{path}", timeout_seconds=10).table("t")
    assert table.column("code").values == ()
    assert table.column("note").values == (), "a value too long to be a category disqualifies the column"


@pytest.mark.parametrize(("dialect", "quoted"), [("sqlite", '"a ""b"'), ("postgres", '"a ""b"'), ("mysql", "`a \"b`")])
def test_identifiers_are_quoted_per_engine(dialect, quoted):
    assert quote_identifier('a "b', dialect) == quoted


def test_names_outside_the_default_schema_are_qualified_and_looked_up_safely():
    def table(name, schema=None):
        return TableInfo(name, schema, "table", (ColumnInfo("id", "INTEGER", False, True),), ("id",), (), 1)

    orders, sales_orders, audit_orders = table("orders"), table("sales.orders", "sales"), table("audit.orders", "audit")
    regions = table("sales.regions", "sales")
    schema = SchemaInfo("postgres", (orders, sales_orders, audit_orders, regions),
                        scope=SchemaScope(default_schema="public", schemas=("public", "audit", "sales")))
    assert schema.table("orders") is orders, "a plain name is the default schema's table"
    assert schema.table("public.orders") is orders and schema.table("Sales.Orders") is sales_orders
    assert schema.table("regions") is regions, "a plain name only one other schema has finds it"
    assert (sales_orders.bare_name, orders.bare_name) == ("orders", "orders")
    assert qualified_table(sales_orders, "postgres") == '"sales"."orders"'
    assert qualified_table(orders, "mysql") == "`orders`"
    assert schema.find_column("sales.orders.id") == (sales_orders, sales_orders.columns[0])
    assert set(schema.value_index()) == set() and "regions" in schema.terms()
    twice = SchemaInfo("postgres", (sales_orders, audit_orders), scope=SchemaScope(default_schema="public"))
    with pytest.raises(InvalidInput, match="Several schemas have a table 'orders'"):
        twice.table("orders")
    with pytest.raises(InvalidInput, match="no table 'nowhere'"):
        twice.table("nowhere")
