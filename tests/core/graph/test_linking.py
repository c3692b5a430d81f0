"""Entity linking: which database columns name things, their values read read-only, and links by key."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid

import pytest
from sqlalchemy import create_engine, text

from core.graph import normalize as norm
from core.graph.linking import (
    SqlValueSource,
    TextValue,
    column_entity_type,
    gazetteer_from_values,
    link_entities,
    links_for,
)
from tests.support.graph_demo import generate_demo_into, make_settings


@pytest.mark.parametrize(
    ("table", "column", "expected"),
    [
        ("customers", "name", norm.PERSON),
        ("products", "name", norm.PRODUCT),
        ("customers", "city", norm.PLACE),
        ("customers", "country", norm.PLACE),
        ("deliveries", "carrier", norm.ORG),
        ("orders", "customer_name", norm.PERSON),
        ("suppliers", "name", norm.ORG),
        ("complaints", "category", None),
        ("orders", "status", None),
        ("customers", "email", None),
        ("logs", "name", None),  # a name of what? not something to link
    ],
)
def test_column_types_come_from_table_and_column_names(table, column, expected):
    assert column_entity_type(table, column) == expected


def test_overrides_add_and_remove_columns():
    overrides = {"complaints.category": "TOPIC", "customers.city": ""}
    assert column_entity_type("complaints", "category", overrides) == "TOPIC"
    assert column_entity_type("customers", "city", overrides) is None


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("linking") / "data"
    summary = generate_demo_into(data_dir)
    return make_settings(data_dir), summary.db_path


def test_demo_values_are_read_by_key_or_by_value_and_the_file_is_untouched(demo):
    settings, db_path = demo
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    source = SqlValueSource.for_url(f"sqlite:///{db_path}", settings.sql)
    try:
        values = source.text_values("default")
    finally:
        source.close()
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        customers = {(str(i), n) for i, n in conn.execute("SELECT customer_id, name FROM customers")}
        products = {(str(i), n) for i, n in conn.execute("SELECT product_id, name FROM products")}
        cities = {c for (c,) in conn.execute("SELECT DISTINCT city FROM customers")}
    by_column = {}
    for value in values:
        by_column.setdefault((value.table, value.column, value.key_column), set()).add((value.key_value, value.value))
    # unique names are linked by primary key; repeated values (cities) by the value itself
    assert by_column[("customers", "name", "customer_id")] == customers
    assert by_column[("products", "name", "product_id")] == products
    assert by_column[("customers", "city", "city")] == {(c, c) for c in cities}
    assert not {key for key in by_column if key[1] in {"status", "category", "email", "segment", "channel"}}
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


def test_values_are_cached_until_invalidated(demo):
    settings, db_path = demo
    calls = []

    def runner_for(workspace):
        calls.append(workspace)
        return None if workspace == "other" else shared

    from core.sql.runner import GuardedRunner

    with GuardedRunner.from_settings(f"sqlite:///{db_path}", settings.sql) as shared:
        source = SqlValueSource(runner_for)
        first = source.text_values("default")
        assert source.text_values("default") == first and calls == ["default"]
        assert source.text_values("other") == []
        source.invalidate("default")
        assert source.text_values("default") == first and calls == ["default", "other", "default"]


def test_a_column_with_too_many_distinct_values_is_left_out(demo):
    settings, db_path = demo
    source = SqlValueSource.for_url(f"sqlite:///{db_path}", settings.sql, max_distinct=50)
    try:
        columns = {(v.table, v.column) for v in source.text_values("default")}
    finally:
        source.close()
    assert ("customers", "name") not in columns  # 120 customers
    assert ("products", "name") in columns and ("customers", "city") in columns


def test_a_missing_demo_file_means_no_values_only_when_allowed(tmp_path, demo):
    settings, _ = demo
    missing = f"sqlite:///{tmp_path / 'nope.db'}"
    assert SqlValueSource.for_url(missing, settings.sql, missing_ok=True).text_values("default") == []
    from core.errors import WorkbenchError

    with pytest.raises(WorkbenchError):
        SqlValueSource.for_url(missing, settings.sql).text_values("default")
    assert not (tmp_path / "nope.db").exists()  # read-only: never created


def test_workspaces_outside_the_list_get_no_values(demo):
    settings, db_path = demo
    source = SqlValueSource.for_url(f"sqlite:///{db_path}", settings.sql, workspaces=["default"])
    try:
        assert source.text_values("default") and source.text_values("finance") == []
    finally:
        source.close()


def test_gazetteer_and_links_by_normalised_key():
    values = [
        TextValue("customers", "name", "customer_id", "7", "Priya Raman"),
        TextValue("suppliers", "name", "supplier_id", "3", "Acme Corp"),
        TextValue("customers", "city", "city", "Chennai", "Chennai"),
        TextValue("orders", "status", "status", "shipped", "shipped"),
    ]
    gazetteer = gazetteer_from_values(values)
    assert {(e.name, e.type) for e in gazetteer.entries} == {
        ("Priya Raman", norm.PERSON), ("Acme Corp", norm.ORG), ("Chennai", norm.PLACE)}
    links = links_for([norm.entity_key("ACME Corporation"), "priya raman", "nobody"], gazetteer)
    assert {(link.entity_key, link.ref.table, link.ref.key_value) for link in links} == {
        ("acme", "suppliers", "3"), ("priya raman", "customers", "7")}


def test_link_entities_writes_links_into_the_graph(tmp_path):
    from core.graph.ladybug_store import LadybugGraphStore
    from core.graph.store import EntityRecord

    store = LadybugGraphStore(tmp_path / "graph", buffer_pool_mb=64)
    try:
        store.upsert_entities("ws", [EntityRecord("priya raman", "Priya Raman", norm.PERSON)])
        gazetteer = gazetteer_from_values([TextValue("customers", "name", "customer_id", "7", "Priya Raman")])
        assert link_entities(store, "ws", ["priya raman", "unknown"], gazetteer) == 1
        assert store.entity("ws", "priya raman").properties["db_links"] == [
            {"table": "customers", "column": "name", "key_column": "customer_id", "key_value": "7"}]
    finally:
        store.close()


SERVER_TABLES = (
    "CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name VARCHAR(80), city VARCHAR(40), status VARCHAR(10))",
    "INSERT INTO customers VALUES (1, 'Priya Raman', 'Chennai', 'active'), (2, 'Arjun Rao', 'Chennai', 'active'), "
    "(3, 'Emily Whitfield', 'London', 'lapsed')",
)


def _server_database(admin_url: str, create: str, drop: str):
    name = f"aw_link_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(create.format(name=name)))
    except Exception as exc:  # the server is not running on this machine
        pytest.skip(f"database server not reachable: {exc}")
    return admin, name, drop.format(name=name)


# The workbench refuses privileged roles, so each server gets a reader that can only SELECT.
PG_READER = ("CREATE ROLE {name} LOGIN", "GRANT USAGE ON SCHEMA public TO {name}",
             "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}")
MY_READER = ("CREATE USER '{name}'@'127.0.0.1'", "CREATE USER '{name}'@'localhost'",
             "GRANT SELECT ON {name}.* TO '{name}'@'127.0.0.1'", "GRANT SELECT ON {name}.* TO '{name}'@'localhost'")


@pytest.mark.parametrize(
    ("admin_url", "url", "create", "drop", "reader", "drop_reader"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", "postgresql://{name}@127.0.0.1:5432/{name}",
         "CREATE DATABASE {name}", "DROP DATABASE {name}", PG_READER, ("DROP ROLE IF EXISTS {name}",)),
        ("mysql+pymysql://root@127.0.0.1:3306/", "mysql://{name}@127.0.0.1:3306/{name}",
         "CREATE DATABASE {name}", "DROP DATABASE {name}", MY_READER,
         ("DROP USER IF EXISTS '{name}'@'127.0.0.1', '{name}'@'localhost'",)),
    ],
    ids=["postgres", "mariadb"],
)
def test_server_databases_give_the_same_values(demo, admin_url, url, create, drop, reader, drop_reader):
    settings, _ = demo
    admin, name, drop_sql = _server_database(admin_url, create, drop)
    try:
        data = create_engine(admin_url.rsplit("/", 1)[0] + f"/{name}")
        with data.begin() as conn:
            for statement in (*SERVER_TABLES, *(r.format(name=name) for r in reader)):
                conn.execute(text(statement))
        data.dispose()
        source = SqlValueSource.for_url(url.format(name=name), settings.sql)
        try:
            values = set(source.text_values("default"))
        finally:
            source.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(drop_sql))
            for statement in drop_reader:
                conn.execute(text(statement.format(name=name)))
        admin.dispose()
    assert values == {
        TextValue("customers", "name", "customer_id", "1", "Priya Raman"),
        TextValue("customers", "name", "customer_id", "2", "Arjun Rao"),
        TextValue("customers", "name", "customer_id", "3", "Emily Whitfield"),
        TextValue("customers", "city", "city", "Chennai", "Chennai"),
        TextValue("customers", "city", "city", "London", "London"),
    }
