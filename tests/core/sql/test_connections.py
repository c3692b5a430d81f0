"""Saved connections: tested before saving, one default per workspace, and passwords kept in the
secrets file only (never in the metadata store, listings, reprs, errors or logs)."""

from __future__ import annotations

import logging
import shutil
import stat

import pytest
from sqlalchemy.engine import make_url

from core.errors import BackendUnavailable, ConfigError, InvalidInput, NotFound
from core.sql.connections import split_password
from tests.core.sql.conftest import CHINOOK_SQLITE

PASSWORD = "Zq8-wombat-Secret"


@pytest.fixture
def chinook_copy(tmp_path):
    copy = tmp_path / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    return copy


def with_password(url: str, password: str = PASSWORD) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def everything_stored(workbench) -> bytes:
    """Every byte of the metadata database (and its write-ahead log)."""
    folder = workbench.settings.data_dir
    return b"".join(path.read_bytes() for path in sorted(folder.glob("workbench.db*")))


def test_add_list_default_and_remove(workbench, chinook_copy, tmp_path):
    sql = workbench.sql
    first = sql.add_connection("default", "music", f"sqlite:///{chinook_copy}")
    assert first.is_default and first.dialect == "sqlite" and first.url == f"sqlite:///{chinook_copy}"
    other_copy = tmp_path / "other.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, other_copy)
    second = sql.add_connection("default", "archive", f"sqlite:///{other_copy}")
    assert not second.is_default
    assert [c.name for c in sql.connections("default")] == ["music", "archive"]
    assert sql.connection("default").name == "music" and sql.connection("default", "ARCHIVE").id == second.id
    sql.set_default_connection("default", "archive")
    assert [c.name for c in sql.connections("default")] == ["archive", "music"]
    assert "Connected to archive" in sql.test_connection("default")
    sql.remove_connection("default", "archive")
    assert [(c.name, c.is_default) for c in sql.connections("default")] == [("music", True)]
    with pytest.raises(NotFound, match="connections: music"):
        sql.connection("default", "archive")


def test_bad_connections_are_refused_and_never_saved(workbench, chinook_copy, tmp_path):
    sql = workbench.sql
    sql.add_connection("default", "music", f"sqlite:///{chinook_copy}")
    with pytest.raises(InvalidInput, match="already has a connection named"):
        sql.add_connection("default", "Music", f"sqlite:///{chinook_copy}")
    with pytest.raises(InvalidInput, match="not valid"):
        sql.add_connection("default", "a/b", f"sqlite:///{chinook_copy}")
    with pytest.raises(NotFound, match="not found"):
        sql.add_connection("default", "missing", f"sqlite:///{tmp_path / 'nope.sqlite'}")
    with pytest.raises(ConfigError, match="Unsupported database engine"):
        sql.add_connection("default", "oracle", "oracle://scott:tiger@db/orcl")
    with pytest.raises(ConfigError, match="not a valid SQLAlchemy URL") as malformed:
        sql.add_connection("default", "broken", f"postgresql+psycopg://me:{PASSWORD}@host:notaport/db")
    assert PASSWORD not in str(malformed.value)
    with pytest.raises(BackendUnavailable):
        sql.add_connection("default", "down", f"postgresql+psycopg://me:{PASSWORD}@127.0.0.1:1/db")
    assert [c.name for c in sql.connections("default")] == ["music"]


def test_passwords_live_only_in_the_secrets_file(workbench, postgres_chinook, caplog):
    caplog.set_level(logging.DEBUG)
    sql = workbench.sql
    # The test server trusts local connections, so any password works; what matters is where it goes.
    saved = sql.add_connection("default", "warehouse", with_password(postgres_chinook.url))
    listed = sql.connections("default")
    shown = [saved, *listed, sql.connection("default", "warehouse")]
    for connection in shown:
        assert PASSWORD not in connection.url and PASSWORD not in repr(connection) and PASSWORD not in str(connection)
    assert saved.has_password and saved.url == postgres_chinook.url
    assert PASSWORD not in repr(sql.connections_store.full_url(saved)), "the URL object hides it too"
    secrets = workbench.settings.data_dir / "secrets" / "connections.json"
    assert PASSWORD in secrets.read_text()
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets.parent.stat().st_mode) == 0o700
    answer = sql.run("default", "SELECT 1 AS one", "warehouse")
    assert answer.result.rows == ((1,),), "the stored password is put back to connect"
    with pytest.raises(Exception) as failure:
        sql.run("default", "SELECT * FROM no_such_table", "warehouse")
    assert PASSWORD not in str(failure.value)
    assert "Connected to warehouse" in sql.test_connection("default", "warehouse")
    sql.schema("default", "warehouse")
    assert PASSWORD not in everything_stored(workbench).decode("latin-1")
    assert PASSWORD not in caplog.text and "warehouse" in caplog.text
    sql.remove_connection("default", "warehouse")
    assert PASSWORD not in secrets.read_text()


def test_a_wrong_password_is_reported_without_the_password(workbench, mysql_chinook, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BackendUnavailable) as refused:
        workbench.sql.add_connection("default", "shop", with_password(mysql_chinook.url))
    assert "Access denied" in str(refused.value) and PASSWORD not in str(refused.value)
    assert PASSWORD not in caplog.text
    assert workbench.sql.connections("default") == []
    secrets = workbench.settings.data_dir / "secrets" / "connections.json"
    assert not secrets.exists() or PASSWORD not in secrets.read_text()


def test_passwords_given_apart_or_as_a_query_option_are_separated(workbench, postgres_chinook):
    stripped, password = split_password(postgres_chinook.url + f"?password={PASSWORD}&connect_timeout=5")
    assert password == PASSWORD and "password" not in stripped.query and stripped.query["connect_timeout"] == "5"
    sql = workbench.sql
    saved = sql.add_connection("default", "apart", postgres_chinook.url, password=PASSWORD)
    assert saved.has_password and PASSWORD not in saved.url
    assert sql.run("default", "SELECT 2 AS two", "apart").result.rows == ((2,),)


def test_relative_sqlite_paths_become_absolute(workbench, chinook_copy, monkeypatch):
    monkeypatch.chdir(chinook_copy.parent)
    saved = workbench.sql.add_connection("default", "relative", "sqlite:///chinook.sqlite")
    assert saved.url == f"sqlite:///{chinook_copy}"


def test_a_url_given_where_a_name_is_expected_is_saved_once(workbench, chinook_copy):
    sql = workbench.sql
    url = f"sqlite:///{chinook_copy}"
    first = sql.connection_for("default", url)
    assert first.name == "chinook" and sql.connection_for("default", url) == first
    assert sql.connection_for("default", "chinook") == first and sql.connection_for("default", None) == first
