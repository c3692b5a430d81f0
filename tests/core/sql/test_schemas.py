"""Every schema the connection may read, on real PostgreSQL and MariaDB: tables outside the default
schema are introspected under ``schema.table`` names, their foreign keys (across schemas too) are
kept, their DDL is trained, queries naming them run through the runner, and a connection that can
read no table is refused training with the GRANT it lacks."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from typing import Iterator

import pytest
import sqlalchemy

from core.errors import DatabaseError
from core.sql.introspect import NoReadableTables, introspect
from tests.core.sql.conftest import MYSQL_SERVER, POSTGRES_SERVER, _server_reachable


@dataclass(frozen=True)
class SalesDatabase:
    """A database whose orders live outside the default schema, and two ways in: ``url`` for a
    reader of every schema but ``secret``, ``bare_url`` for a login that can read nothing."""

    dialect: str
    url: str
    bare_url: str
    sales: str  # the schema (PostgreSQL) or database (MariaDB) holding regions and orders
    main: str  # the default schema or database, holding customers


_ROWS = [
    "INSERT INTO {main}customers VALUES (1, 'Asha', 'India'), (2, 'Bruno', 'Brazil'), (3, 'Chen', 'China')",
    "INSERT INTO {sales}.regions VALUES (10, 'North'), (20, 'South')",
    "INSERT INTO {sales}.orders VALUES (100, 1, 10, 12.50, 'shipped'), (101, 1, 20, 7.00, 'delivered'), "
    "(102, 2, 20, 30.00, 'delivered'), (103, 3, 10, 5.25, 'cancelled')",
]


def _execute(url: str, statements: list[str]) -> None:
    engine = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def postgres_sales() -> Iterator[SalesDatabase]:
    problem = _server_reachable(POSTGRES_SERVER + "postgres")
    if problem:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {problem}")
    name = f"aw_schemas_{uuid.uuid4().hex[:10]}"
    reader, bare = name, f"{name}_bare"
    _execute(POSTGRES_SERVER + "postgres", [f'CREATE DATABASE "{name}"'])
    try:
        _execute(POSTGRES_SERVER + name, [
            "CREATE TABLE public.customers (customer_id integer PRIMARY KEY, name text NOT NULL, country text)",
            "CREATE SCHEMA sales",
            "CREATE TABLE sales.regions (region_id integer PRIMARY KEY, region text NOT NULL)",
            "CREATE TABLE sales.orders (order_id integer PRIMARY KEY, "
            "customer_id integer NOT NULL REFERENCES public.customers (customer_id), "
            "region_id integer REFERENCES sales.regions (region_id), amount numeric(10, 2), status text)",
            "CREATE SCHEMA secret",
            "CREATE TABLE secret.salaries (employee text, salary integer)",
            *[row.format(main="public.", sales="sales") for row in _ROWS],
            f"CREATE ROLE {reader} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE",
            f"CREATE ROLE {bare} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE",
            f'GRANT CONNECT ON DATABASE "{name}" TO {reader}, {bare}',
            f"GRANT USAGE ON SCHEMA public, sales TO {reader}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public, sales TO {reader}",
        ])
        yield SalesDatabase("postgres", f"postgresql+psycopg://{reader}@127.0.0.1:5432/{name}",
                            f"postgresql+psycopg://{bare}@127.0.0.1:5432/{name}", "sales", "public")
    finally:
        _execute(POSTGRES_SERVER + "postgres", [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                                                f"DROP ROLE IF EXISTS {reader}", f"DROP ROLE IF EXISTS {bare}"])


@pytest.fixture(scope="module")
def mysql_sales() -> Iterator[SalesDatabase]:
    problem = _server_reachable(MYSQL_SERVER)
    if problem:
        pytest.skip(f"MariaDB/MySQL at 127.0.0.1:3306 is not reachable: {problem}")
    name = f"aw_schemas_{uuid.uuid4().hex[:10]}"
    sales, bare = f"{name}_sales", f"{name}_bare"
    users = [f"'{user}'@'{host}'" for user in (name, bare) for host in ("127.0.0.1", "localhost")]
    try:
        _execute(MYSQL_SERVER, [
            f"CREATE DATABASE `{name}`",
            f"CREATE DATABASE `{sales}`",
            f"CREATE TABLE `{name}`.customers (customer_id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, "
            "country VARCHAR(40)) ENGINE=InnoDB",
            f"CREATE TABLE `{sales}`.regions (region_id INT PRIMARY KEY, region VARCHAR(20) NOT NULL) ENGINE=InnoDB",
            f"CREATE TABLE `{sales}`.orders (order_id INT PRIMARY KEY, customer_id INT NOT NULL, region_id INT, "
            f"amount DECIMAL(10, 2), status VARCHAR(20), "
            f"FOREIGN KEY (customer_id) REFERENCES `{name}`.customers (customer_id), "
            f"FOREIGN KEY (region_id) REFERENCES `{sales}`.regions (region_id)) ENGINE=InnoDB",
            *[row.format(main=f"`{name}`.", sales=f"`{sales}`") for row in _ROWS],
            *[f"CREATE USER {user}" for user in users],
            *[f"GRANT SELECT, SHOW VIEW ON `{database}`.* TO {user}"
              for database in (name, sales) for user in users[:2]],
        ])
        yield SalesDatabase("mysql", f"mysql+pymysql://{name}@127.0.0.1:3306/{name}",
                            f"mysql+pymysql://{bare}@127.0.0.1:3306/", sales, name)
    finally:
        _execute(MYSQL_SERVER, [f"DROP DATABASE IF EXISTS `{sales}`", f"DROP DATABASE IF EXISTS `{name}`",
                                f"DROP USER IF EXISTS {', '.join(users)}"])  # orders refer to customers: sales first


@pytest.fixture(params=["postgres", "mysql"])
def sales_db(request: pytest.FixtureRequest) -> SalesDatabase:
    return request.getfixturevalue(f"{request.param}_sales")


def without_database(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/"


def test_postgres_reads_every_schema_the_role_may_use(postgres_sales):
    schema = introspect(postgres_sales.url, timeout_seconds=10)
    assert [t.name for t in schema.tables] == ["customers", "sales.orders", "sales.regions"], \
        "the default schema first and plain; secret (no USAGE) is not read"
    assert schema.scope.schemas == ("public", "sales") and schema.scope.default_schema == "public"
    customers, orders = schema.table("customers"), schema.table("sales.orders")
    assert customers.schema is None and (orders.schema, orders.bare_name) == ("sales", "orders")
    assert orders.row_count == 4 and orders.column("status").values == ("cancelled", "delivered", "shipped")
    keys = {fk.columns: (fk.referred_table, fk.referred_columns) for fk in orders.foreign_keys}
    assert keys == {("customer_id",): ("customers", ("customer_id",)),
                    ("region_id",): ("sales.regions", ("region_id",))}, "a key into public keeps its plain name"
    ddl = orders.ddl()
    assert ddl.startswith("CREATE TABLE sales.orders (") and ddl.endswith("-- sales.orders: 4 rows")
    assert "FOREIGN KEY (customer_id) REFERENCES customers (customer_id)" in ddl
    assert "FOREIGN KEY (region_id) REFERENCES sales.regions (region_id)" in ddl
    assert schema.table("public.customers") is customers and schema.table("SALES.Orders") is orders
    assert schema.table("regions").name == "sales.regions", "a plain name that only one schema has finds it"
    assert schema.value_index()["sales.orders.status"] == orders.column("status").values
    assert {"orders", "regions", "customers"} <= schema.terms()


def test_mysql_reads_the_named_database_or_every_readable_one(mysql_sales):
    named = introspect(mysql_sales.url, timeout_seconds=10)
    assert [t.name for t in named.tables] == ["customers"], "a URL that names a database reads only it"
    assert named.scope.schemas == (mysql_sales.main,)
    everything = introspect(without_database(mysql_sales.url), timeout_seconds=10)
    main, sales = mysql_sales.main, mysql_sales.sales
    assert [t.name for t in everything.tables] == [f"{main}.customers", f"{sales}.orders", f"{sales}.regions"], \
        "without a database every readable one is read (the system ones are not), each name qualified"
    orders = everything.table(f"{sales}.orders")
    assert orders.row_count == 4 and orders.column("status").values == ("cancelled", "delivered", "shipped")
    assert {fk.referred_table for fk in orders.foreign_keys} == {f"{main}.customers", f"{sales}.regions"}
    assert f"REFERENCES {main}.customers (customer_id)" in orders.ddl()


def test_qualified_tables_are_trained_and_queried_through_the_runner(sales_db, workbench):
    sql = workbench.sql
    url = sales_db.url if sales_db.dialect == "postgres" else without_database(sales_db.url)
    saved = sql.add_connection("default", "sales", url)
    orders = f"{sales_db.sales}.orders"
    trained = sql.train_schema("default", saved)
    contents = {item.content.split("\n", 1)[0] for item in trained}
    assert f"CREATE TABLE {orders} (" in contents and len(trained) == 3
    adapter = sql._adapter(saved)
    assert {item.id for item in adapter.train_schema(sql.schema("default", saved, refresh=True))} == \
        {item.id for item in trained}, "the batched path keys the tables exactly as before"
    related = adapter.get_related_ddl("total amount of orders per region")
    assert any(text.startswith(f"CREATE TABLE {orders} (") for text in related)

    regions, customers = f"{sales_db.sales}.regions", ("customers" if sales_db.dialect == "postgres"
                                                       else f"{sales_db.main}.customers")
    answer = sql.run("default", f"SELECT r.region, COUNT(*) AS orders, SUM(o.amount) AS amount FROM {orders} o "
                                f"JOIN {regions} r ON r.region_id = o.region_id "
                                f"JOIN {customers} c ON c.customer_id = o.customer_id "
                                "WHERE c.country <> 'China' GROUP BY r.region ORDER BY r.region", saved)
    assert answer.result.rows == (("North", 1, 12.5), ("South", 2, 37))
    quote = '"' if sales_db.dialect == "postgres" else "`"
    quoted = f"{quote}{sales_db.sales}{quote}.{quote}orders{quote}"
    assert sql.run("default", f"SELECT COUNT(*) FROM {quoted}", saved).result.rows == ((4,),)
    pair = sql.add_question_sql("default", "How many orders have status shipped?",
                                f"SELECT COUNT(*) FROM {orders} WHERE status = :status",
                                parameters=f"status: {orders}.status", connection=saved)
    assert pair.parameters[0].column == f"{orders}.status", "a certified value column may name a qualified table"


def test_a_schema_the_role_may_not_use_stays_closed(postgres_sales, workbench):
    saved = workbench.sql.add_connection("default", "sales", postgres_sales.url)
    with pytest.raises(DatabaseError, match="permission denied"):
        workbench.sql.run("default", "SELECT * FROM secret.salaries", saved)


def test_training_a_database_with_no_readable_table_is_refused(sales_db, workbench):
    sql = workbench.sql
    saved = sql.add_connection("default", "bare", sales_db.bare_url)
    schema = sql.schema("default", saved, refresh=True)
    assert schema.tables == (), "the schema itself can still be looked at"
    with pytest.raises(NoReadableTables) as refused:
        sql._adapter(saved).train_schema(schema)
    message = str(refused.value)
    assert "nothing to train" in message
    if sales_db.dialect == "postgres":
        assert "looked in schema public of database " + sales_db.url.rsplit("/", 1)[1] in message
        assert ("Tables it cannot read: public (no SELECT on 1 of its 1 relation); sales (no USAGE on the schema, "
                "2 relations); secret (no USAGE on the schema, 1 relation).") in message
        role = sales_db.bare_url.split("//")[1].split("@")[0]
        assert f'GRANT USAGE ON SCHEMA "sales" TO "{role}"; GRANT SELECT ON ALL TABLES IN SCHEMA "sales" TO "{role}";' \
            in message
        assert 'SCHEMA "secret"' not in message, "one schema as the example, not a grant of everything"
    else:
        user = sales_db.bare_url.split("//")[1].split("@")[0]
        assert "looked in every database it can see (none but the system ones)" in message
        assert f"GRANT SELECT, SHOW VIEW ON `your_database`.* TO '{user}'@'" in message
    assert sql.training_items("default", saved, kind="ddl") == []


def test_an_sqlite_file_without_tables_is_refused_training(tmp_path, workbench):
    path = tmp_path / "empty.sqlite"
    sqlite3.connect(path).execute("PRAGMA user_version = 1").connection.commit()
    saved = workbench.sql.add_connection("default", "empty", f"sqlite:///{path}")
    schema = workbench.sql.schema("default", saved, refresh=True)
    with pytest.raises(NoReadableTables, match=r"empty\.sqlite has no tables or views \(looked in: main\)"):
        workbench.sql._adapter(saved).train_schema(schema)


def test_the_planner_reads_and_joins_tables_outside_the_default_schema(sales_db, workbench):
    sql = workbench.sql
    url = sales_db.url if sales_db.dialect == "postgres" else without_database(sales_db.url)
    saved = sql.add_connection("default", "sales-plan", url)
    per_region = sql.ask("default", "total amount of orders per region", connection=saved)
    assert per_region.source == "planned", per_region.message
    assert sorted((r, float(a)) for r, a in per_region.result.rows) == [("North", 17.75), ("South", 37.0)]
    shipped = sql.ask("default", "How many orders are not cancelled?", connection=saved)
    assert shipped.source == "planned" and shipped.result.rows == ((3,),)
    brazil = sql.ask("default", "How many orders came from Brazil?", connection=saved)
    assert brazil.source == "planned" and brazil.result.rows == ((1,),), "joined across schemas to customers"
