"""`python -m core.cli sql ...`: the JSON shapes of the CLI contract and its exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import core.cli.sql  # noqa: F401  (registers the `sql` commands on the app, as core.cli does)
from core.cli import app
from core.demo import generate_demo
from core.settings import Settings
from tests.conftest import ROOT, clean_env
from tests.core.sql.conftest import CHINOOK_SQLITE
from tests.core.sql.test_service import TODAY

CHENNAI_COUNT = ("SELECT COUNT(*) FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
                 "WHERE c.city = 'Chennai' AND o.order_date BETWEEN '2025-03-10' AND '2025-03-12'")


@pytest.fixture
def cli(tmp_path, monkeypatch, embedder):
    """Run the CLI in this process on a temp data dir, sharing the session's embedding model."""
    for key in [k for k in __import__("os").environ if k.startswith("AW_")]:
        monkeypatch.delenv(key)
    import core.workbench

    built = []
    original = core.workbench.build_workbench

    def build(settings=None, **prebuilt):
        workbench = original(settings, embedder=embedder, **prebuilt)
        built.append(workbench)
        return workbench

    monkeypatch.setattr(core.workbench, "build_workbench", build)
    data = tmp_path / "data"
    runner = CliRunner()

    def invoke(*args, env=None):
        result = runner.invoke(app, ["--data-dir", str(data), "--json", *args], env=env)
        payload = json.loads(result.stdout) if result.stdout.strip() else None
        return result.exit_code, payload

    invoke.data = data
    yield invoke
    for workbench in built:
        workbench.close()


@pytest.fixture
def demo_db(cli):
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(cli.data))
    return generate_demo(settings.sql.demo_db_path.parent, today=TODAY).db_path


def test_run_returns_columns_rows_truncated(cli, tmp_path):
    copy = tmp_path / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    code, payload = cli("sql", "run", "--db", f"sqlite:///{copy}", "SELECT GenreId, Name FROM Genre ORDER BY GenreId LIMIT 3")
    assert code == 0
    assert payload == {"columns": ["GenreId", "Name"], "rows": [[1, "Rock"], [2, "Jazz"], [3, "Metal"]], "truncated": False}
    code, payload = cli("sql", "run", "--db", f"sqlite:///{copy}", "SELECT TrackId FROM Track",
                        env={"AW_SQL_ROW_CAP": "5"})
    assert code == 0 and len(payload["rows"]) == 5 and payload["truncated"] is True
    assert "AW_SQL_ROW_CAP" in payload["truncated_reason"]
    code, connections = cli("sql", "connections")
    assert code == 0 and connections == [], "running on a URL saves nothing"


@pytest.mark.parametrize(("sql", "kind", "env"), [
    ("DELETE FROM Genre", "unsafe_sql", None),
    ("SELECT * FROM no_such_table", "db_error", None),
    ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r, (SELECT 1 UNION ALL SELECT 2) WHERE n < 40) "
     "SELECT count(*) FROM r", "timeout", {"AW_SQL_TIMEOUT": "0.3"}),
])
def test_refused_or_failed_queries_exit_2_with_an_error_object(cli, tmp_path, sql, kind, env):
    copy = tmp_path / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    code, payload = cli("sql", "run", "--db", f"sqlite:///{copy}", sql, env=env)
    assert code == 2
    assert set(payload) == {"error", "kind"} and payload["kind"] == kind and payload["error"]


def test_train_then_ask_by_name_url_and_default(cli, demo_db):
    import sqlite3

    url = f"sqlite:///{demo_db}"
    code, payload = cli("sql", "train", "--db", url, "--schema", "--doc", "A late delivery is delivered_date > promised_date.",
                        "--question", "How many orders came from Chennai this week?",
                        "--sql", "SELECT COUNT(*) AS orders FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
                                 "WHERE c.city = :city AND o.order_date BETWEEN :start AND :end",
                        "--param", "city: customers.city", "--param", "period: dates")
    assert code == 0, payload
    assert payload["connection"] == "demo"  # the URL is the default workspace's demo database
    kinds = [item["kind"] for item in payload["trained"]]
    assert kinds.count("ddl") == 6 and kinds.count("documentation") == 1 and kinds.count("question_sql") == 1
    assert set(payload["trained"][0]) == {"id", "kind", "question", "content"}
    expected = sqlite3.connect(demo_db).execute(CHENNAI_COUNT).fetchall()
    for db in (["--db", url], ["--db", "demo"], []):
        code, answer = cli("sql", "ask", *db, "--today", TODAY.isoformat(), "how many Chennai orders this week")
        assert code == 0, answer
        assert {"sql", "source", "columns", "rows", "truncated"} <= set(answer)
        assert answer["source"] == "certified" and answer["rows"] == [list(r) for r in expected]
        assert answer["params"] == {"city": "Chennai", "start": "2025-03-10", "end": "2025-03-12"}
    code, connections = cli("sql", "connections")
    assert [c["name"] for c in connections] == ["demo"]


def test_ask_abstains_with_the_closest_questions(cli, demo_db):
    cli("sql", "train", "--question", "How many orders came from Chennai this week?",
        "--sql", "SELECT COUNT(*) AS orders FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
                 "WHERE c.city = :city AND o.order_date BETWEEN :start AND :end",
        "--param", "city: customers.city", "--param", "period: dates")
    code, payload = cli("sql", "ask", "--today", TODAY.isoformat(), "How many orders came from Atlantis this week?")
    assert code == 2
    assert payload["kind"] == "abstained" and payload["closest"] == ["How many orders came from Chennai this week?"]
    assert "customers.city" in payload["error"]


def test_train_needs_something_to_train(cli, demo_db):
    code, payload = cli("sql", "train")
    assert code == 2 and payload["kind"] == "invalid_input" and "--schema" in payload["error"]
    code, payload = cli("sql", "train", "--question", "How many?")
    assert code == 2 and "go together" in payload["error"]
    code, payload = cli("sql", "ask", "--today", "12/03/2025", "How many orders?")
    assert code == 2 and "YYYY-MM-DD" in payload["error"]


def test_add_and_remove_connections(cli, tmp_path):
    copy = tmp_path / "music.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    code, saved = cli("sql", "add", "music", f"sqlite:///{copy}", "--default")
    assert code == 0 and saved["name"] == "music" and saved["default"] is True
    code, payload = cli("sql", "run", "--db", "music", "SELECT COUNT(*) AS n FROM Genre")
    assert code == 0 and payload["rows"] == [[25]]
    code, payload = cli("sql", "run", "SELECT COUNT(*) AS n FROM Artist")
    assert code == 0 and payload["rows"] == [[275]], "without --db the default connection answers"
    assert cli("sql", "remove", "music") == (0, {"removed": "music"})
    code, payload = cli("sql", "run", "--db", "music", "SELECT 1")
    assert code == 2 and payload["kind"] == "not_found"


def test_the_real_entry_point_speaks_the_same_json(tmp_path):
    copy = tmp_path / "chinook.sqlite"
    shutil.copyfile(CHINOOK_SQLITE, copy)
    result = subprocess.run([sys.executable, "-m", "core.cli", "--data-dir", str(tmp_path / "data"), "--json", "sql", "run",
                             "--db", f"sqlite:///{copy}", "SELECT Name FROM MediaType ORDER BY MediaTypeId LIMIT 1"],
                            cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"columns": ["Name"], "rows": [["MPEG audio file"]], "truncated": False}
    refused = subprocess.run([sys.executable, "-m", "core.cli", "--data-dir", str(tmp_path / "data"), "--json", "sql", "run",
                              "--db", f"sqlite:///{copy}", "DROP TABLE Genre"],
                             cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and json.loads(refused.stdout)["kind"] == "unsafe_sql"


def test_add_refuses_driver_options_and_the_workbench_own_store(cli):
    code, payload = cli("sql", "add", "sneaky", "mysql+pymysql://root@127.0.0.1/x?local_infile=1&init_command=SELECT%201")
    assert code == 2 and payload["kind"] == "config" and "init_command, local_infile" in payload["error"]
    cli("sql", "connections")  # creates the data dir and its metadata store
    code, payload = cli("sql", "add", "meta", f"sqlite:///{cli.data / 'workbench.db'}")
    assert code == 2 and "own data folder" in payload["error"]
    assert cli("sql", "connections") == (0, [])


def test_the_semantic_model_is_printed_saved_as_versions_and_used(cli, demo_db, tmp_path):
    cli("sql", "train", "--schema")
    code, payload = cli("sql", "model")
    assert code == 0 and "synonyms: {}" in payload["content"] and payload["version"] is None
    additions = tmp_path / "model.yaml"
    additions.write_text("synonyms:\n  clients: customers\n", encoding="utf-8")
    code, payload = cli("sql", "model", "--save", str(additions))
    assert (code, payload["version"]) == (0, 1)
    code, payload = cli("sql", "ask", "--today", TODAY.isoformat(), "How many clients are there?")
    assert code == 0 and payload["source"] == "planned" and payload["plan"]["measure"]["table"] == "customers"
    bad = tmp_path / "bad.yaml"
    bad.write_text("synonyms:\n  clients: clientele\n", encoding="utf-8")
    code, payload = cli("sql", "model", "--save", str(bad))
    assert code == 2 and "no table of this database" in payload["error"]
    code, payload = cli("sql", "model", "--versions")
    assert [v["version"] for v in payload["versions"]] == [1]
    code, payload = cli("sql", "ask", "--today", TODAY.isoformat(), "How many clients are there in the galaxy?")
    assert code == 2 and {"question": "How many clients are there?", "interpretation": "number of customers"} \
        in payload["suggestions"]
