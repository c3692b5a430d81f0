"""Real databases for the read-only SQL tests: Chinook on SQLite, PostgreSQL and MariaDB.

SQLite uses a copy of the shared Chinook file (the original is never opened for writing).
PostgreSQL and MariaDB each get a throwaway database with a unique name for the test
session, loaded from the Chinook scripts with the servers' own command-line clients and
dropped at the end, and a throwaway role that can only read it: the workbench refuses
privileged connections, so ``url`` connects as that reader and ``admin_url`` as the server's
superuser (for tests that prove the engine layer holds even for a privileged role). A server
that cannot be reached skips its tests with the reason.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest
import sqlalchemy

CHINOOK_DIR = Path("/work/shared/data/external/chinook")
CHINOOK_SQLITE = CHINOOK_DIR / "Chinook_Sqlite.sqlite"
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
MYSQL_SERVER = "mysql+pymysql://root@127.0.0.1:3306/"
ENGINES = ("sqlite", "postgres", "mysql")

# The scripts create and switch to their own database; the tests load into a throwaway one.
_SCRIPT_DATABASE_LINES = re.compile(r"^\s*(DROP DATABASE|CREATE DATABASE|\\c\s|USE\s)", re.IGNORECASE)


@dataclass(frozen=True)
class ChinookDatabase:
    """One loaded Chinook database and the names its schema uses for the tables tests touch."""

    dialect: str
    url: str
    track: str
    genre: str
    artist: str
    artist_id: str
    artist_name: str
    admin_url: str = ""  # the superuser's URL: only for tests that need one (and opt in)


def _script_without_database_switching(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(line for line in lines if not _SCRIPT_DATABASE_LINES.match(line))


def _server_reachable(url: str) -> str | None:
    """None when the server answers, else why it does not."""
    engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return None
    except Exception as error:  # any driver error means: not reachable for these tests
        return " ".join(str(getattr(error, "orig", error)).split())[:200]
    finally:
        engine.dispose()


def _run_client(command: list[str], script: str) -> None:
    client = shutil.which(command[0])
    if client is None:
        raise RuntimeError(f"The {command[0]} command-line client is needed to load Chinook but is not installed.")
    completed = subprocess.run([client, *command[1:]], input=script, text=True, capture_output=True, timeout=120)
    if completed.returncode != 0:
        raise RuntimeError(f"{command[0]} failed to load Chinook: {completed.stderr[-2000:]}")


@pytest.fixture(scope="session")
def sqlite_chinook(tmp_path_factory: pytest.TempPathFactory) -> ChinookDatabase:
    """A copy of the Chinook SQLite file in a temporary folder."""
    copy = tmp_path_factory.mktemp("chinook") / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    return ChinookDatabase("sqlite", f"sqlite:///{copy}", "Track", "Genre", "Artist", "ArtistId", "Name")


@pytest.fixture(scope="session")
def postgres_chinook() -> Iterator[ChinookDatabase]:
    """Chinook loaded into a throwaway PostgreSQL database, dropped after the session."""
    problem = _server_reachable(POSTGRES_SERVER + "postgres")
    if problem:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {problem}")
    name = f"aw_sql_guard_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(POSTGRES_SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        script = _script_without_database_switching(CHINOOK_DIR / "Chinook_PostgreSql.sql")
        script += (f"\nCREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;\n"
                   f'GRANT CONNECT ON DATABASE "{name}" TO {name};\n'
                   f"GRANT USAGE ON SCHEMA public TO {name};\n"
                   f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name};\n")
        _run_client(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"], script)
        yield ChinookDatabase("postgres", f"postgresql+psycopg://{name}@127.0.0.1:5432/{name}", "track", "genre",
                              "artist", "artist_id", "name", admin_url=POSTGRES_SERVER + name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
        admin.dispose()


@pytest.fixture(scope="session")
def mysql_chinook() -> Iterator[ChinookDatabase]:
    """Chinook loaded into a throwaway MariaDB/MySQL database, dropped after the session."""
    problem = _server_reachable(MYSQL_SERVER)
    if problem:
        pytest.skip(f"MariaDB/MySQL at 127.0.0.1:3306 is not reachable: {problem}")
    name = f"aw_sql_guard_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(MYSQL_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE `{name}`")
    try:
        script = _script_without_database_switching(CHINOOK_DIR / "Chinook_MySql.sql")
        script += (f"\nCREATE USER '{name}'@'127.0.0.1';\nCREATE USER '{name}'@'localhost';\n"
                   f"GRANT SELECT, SHOW VIEW ON `{name}`.* TO '{name}'@'127.0.0.1';\n"
                   f"GRANT SELECT, SHOW VIEW ON `{name}`.* TO '{name}'@'localhost';\n")
        _run_client(["mariadb", "-h", "127.0.0.1", "-u", "root", name], script)
        yield ChinookDatabase("mysql", f"mysql+pymysql://{name}@127.0.0.1:3306/{name}", "Track", "Genre", "Artist",
                              "ArtistId", "Name", admin_url=MYSQL_SERVER + name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
            connection.exec_driver_sql(f"DROP USER IF EXISTS '{name}'@'127.0.0.1', '{name}'@'localhost'")
        admin.dispose()


@pytest.fixture(params=ENGINES)
def chinook(request: pytest.FixtureRequest) -> ChinookDatabase:
    """Each test using this runs once per engine; an unreachable server skips only its run."""
    return request.getfixturevalue(f"{request.param}_chinook")


def database_checksum(url: str) -> str:
    """A digest of every table's name, columns and rows, read in a deterministic order.

    Rows are sorted by their text form in Python, so the digest does not depend on the order
    the engine happens to return them in. It reads with an ordinary engine, independent of the
    code under test.
    """
    engine = sqlalchemy.create_engine(url)
    digest = hashlib.sha256()
    try:
        with engine.connect() as connection:
            inspector = sqlalchemy.inspect(connection)
            for table in sorted(inspector.get_table_names()):
                columns = [column["name"] for column in inspector.get_columns(table)]
                digest.update(f"table {table} {columns}\n".encode())
                quoted = connection.dialect.identifier_preparer.quote(table)
                rows = connection.exec_driver_sql(f"SELECT * FROM {quoted}").all()
                for line in sorted("|".join(repr(value) for value in row) for row in rows):
                    digest.update(line.encode())
                    digest.update(b"\n")
            connection.rollback()
    finally:
        engine.dispose()
    return digest.hexdigest()


@pytest.fixture(scope="session")
def checksum() -> Callable[[str], str]:
    """The checksum helper, as a fixture so tests need not import from conftest."""
    return database_checksum
