"""SqlService on the real demo database: every source goes through the runner, history and
feedback, save-as-correct, workspace isolation, and the demo connection made by default."""

from __future__ import annotations

import ast
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from core.demo import generate_demo
from core.demo.load import load_demo_database
from core.errors import InvalidInput, LLMUnavailable, NotFound, UnsafeSQL
from core.settings import Settings
from core.sql.runner import GuardedRunner
from core.workbench import build_workbench
from tests.conftest import ROOT, clean_env

TODAY = dt.date(2025, 3, 12)  # a Wednesday: "this week" is Monday 10 to Wednesday 12 March


def make_demo_workbench(data_dir: Path, embedder, **prebuilt):
    """A workbench on ``data_dir`` whose default workspace has the demo database connected and trained."""
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(data_dir))
    generate_demo(settings.sql.demo_db_path.parent, today=TODAY)
    workbench = build_workbench(settings, embedder=embedder, **prebuilt)
    load_demo_database(workbench.workspace(), settings.sql.demo_db_path.parent)
    return workbench


def plain(workbench, sql: str, params=()):
    """Rows from the demo database read with plain sqlite3, independent of the code under test."""
    connection = sqlite3.connect(f"{workbench.settings.sql.demo_db_path.as_uri()}?mode=ro", uri=True)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, embedder):
    workbench = make_demo_workbench(tmp_path_factory.mktemp("sql-service"), embedder)
    yield workbench
    workbench.close()


@pytest.fixture
def runner_calls(monkeypatch):
    """Every statement GuardedRunner.run receives (the real method still runs)."""
    calls = []
    original = GuardedRunner.run

    def spy(self, sql, params=None, **kwargs):
        calls.append((sql, dict(params) if params else None))
        return original(self, sql, params, **kwargs)

    monkeypatch.setattr(GuardedRunner, "run", spy)
    return calls


def test_every_source_goes_through_the_guarded_runner(demo, runner_calls):
    sql = demo.sql
    certified = sql.ask("default", "How many orders came from Chennai this week?", today=TODAY)
    typed = sql.run("default", "SELECT COUNT(*) AS n FROM customers")
    edited = sql.run("default", "SELECT COUNT(*) AS n FROM customers WHERE city = 'Pune'", source="edited",
                     question="How many customers are in Pune?")
    assert [certified.source, typed.source, edited.source] == ["certified", "typed", "edited"]
    ran = [call[0] for call in runner_calls]
    assert certified.sql in ran and typed.sql in ran and edited.sql in ran
    assert (certified.sql, certified.params) in runner_calls, "certified values are bound, not formatted in"
    assert ":city" in certified.sql and "Chennai" not in certified.sql
    assert typed.result.rows == ((len(plain(demo, "SELECT * FROM customers")),),)
    assert edited.result.rows == tuple(plain(demo, "SELECT COUNT(*) FROM customers WHERE city = 'Pune'"))


def test_product_modules_never_open_databases_or_vanna_themselves():
    allowed_vanna = {"training.py"}
    for path in sorted((ROOT / "core" / "sql").glob("*.py")):
        if path.name in {"dialects.py", "runner.py", "guard.py"}:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        roots = {name.split(".")[0] for name in imported}
        assert not roots & {"sqlite3", "psycopg", "pymysql"}, path.name
        assert "vanna" not in roots or path.name in allowed_vanna, path.name
        calls = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                 for node in ast.walk(tree) if isinstance(node, ast.Call)}
        assert "create_engine" not in calls and "exec_driver_sql" not in calls, path.name


def test_answers_carry_params_chart_and_history(demo):
    sql = demo.sql
    answer = sql.ask("default", "How many orders came from Chennai this week?", today=TODAY)
    assert answer.params == {"city": "Chennai", "start": "2025-03-10", "end": "2025-03-12"}
    assert answer.described["period"] == "this week (2025-03-10 to 2025-03-12)"
    assert answer.chart.kind == "metric" and answer.chart.y == "orders"
    assert answer.connection == "demo" and answer.history_id
    entry = next(e for e in sql.history("default") if e.id == answer.history_id)
    assert (entry.source, entry.question, entry.row_count, entry.error) == (
        "certified", "How many orders came from Chennai this week?", 1, "")
    sql.record_feedback("default", answer.history_id, 1)
    assert next(e for e in sql.history("default") if e.id == answer.history_id).feedback == 1
    sql.record_feedback("default", answer.history_id, -1)
    assert next(e for e in sql.history("default") if e.id == answer.history_id).feedback == -1
    with pytest.raises(InvalidInput):
        sql.record_feedback("default", answer.history_id, 5)
    with pytest.raises(NotFound):
        sql.record_feedback("default", "no-such-entry", 1)


def test_refused_sql_is_recorded_carries_its_text_and_changes_nothing(demo, checksum):
    url = f"sqlite:///{demo.settings.sql.demo_db_path}"
    before = checksum(url)
    with pytest.raises(UnsafeSQL) as refused:
        demo.sql.run("default", "DELETE FROM orders", source="edited", question="remove everything")
    assert refused.value.sql == "DELETE FROM orders"
    entry = demo.sql.history("default")[0]
    assert entry.sql == "DELETE FROM orders" and entry.source == "edited" and "not allowed" in entry.error
    assert checksum(url) == before
    with pytest.raises(InvalidInput, match="source"):
        demo.sql.run("default", "SELECT 1", source="invented")


def test_save_as_correct_turns_a_typed_query_into_a_certified_answer(workbench):
    settings = workbench.settings
    generate_demo(settings.sql.demo_db_path.parent, today=TODAY)
    sql = workbench.sql
    question = "How many customers does each segment have?"
    before = sql.ask("default", question, today=TODAY)
    assert before.source == "planned", "nothing is trained yet: the planner reads it from the schema"
    typed = sql.run("default", "SELECT segment, COUNT(*) AS customers FROM customers GROUP BY segment ORDER BY segment")
    assert before.result.rows == typed.result.rows
    item = sql.save_as_correct("default", question, typed.sql)
    assert item.kind == "question_sql" and item.question == question
    again = sql.ask("default", "how many customers are in each segment", today=TODAY)
    assert again.source == "certified" and again.matched_question == question
    assert again.result.rows == typed.result.rows
    assert again.chart.kind == "bar" and again.chart.x == "segment"
    with pytest.raises(InvalidInput, match="question"):
        sql.save_as_correct("default", "  ", typed.sql)


def test_the_demo_database_is_connected_by_default_only_in_the_default_workspace(workbench):
    settings = workbench.settings
    sql = workbench.sql
    assert sql.connections("default") == [], "no demo database yet, nothing to connect"
    generate_demo(settings.sql.demo_db_path.parent, today=TODAY)
    first = sql.connections("default")
    assert [c.name for c in first] == ["demo"] and first[0].is_default
    assert first[0].url == f"sqlite:///{settings.sql.demo_db_path}"
    assert sql.connections("default") == first, "asking again does not add another"
    assert sql.ensure_demo_connection() == first[0]
    assert sql.connections("finance") == []
    with pytest.raises(NotFound, match="No database is connected in workspace finance"):
        sql.ask("finance", "How many orders came from Chennai this week?")


def test_workspaces_never_see_each_others_connections_or_training(demo):
    sql = demo.sql
    other = sql.add_connection("team-b", "demo-copy", f"sqlite:///{demo.settings.sql.demo_db_path}")
    assert [c.name for c in sql.connections("team-b")] == ["demo-copy"]
    assert sql.training_items("team-b") == []
    # The default workspace's certified pair does not answer here; team-b's own schema does.
    answer = sql.ask("team-b", "How many orders came from Chennai this week?", today=TODAY)
    assert answer.source == "planned" and answer.matched_question == ""
    certified = sql.ask("default", "How many orders came from Chennai this week?", today=TODAY)
    assert certified.source == "certified" and answer.result.rows == certified.result.rows
    with pytest.raises(NotFound):
        sql.connection("team-b", sql.connection("default").id)
    assert sql.connection("default").id != other.id


def test_summaries_need_an_llm(demo):
    answer = demo.sql.run("default", "SELECT COUNT(*) AS n FROM orders")
    with pytest.raises(LLMUnavailable, match="AW_OLLAMA_HOST"):
        demo.sql.summarize("default", answer)
    with pytest.raises(LLMUnavailable):
        demo.sql.follow_up_questions("default", answer)
    assert demo.sql.llm_status()[0] is False


def test_empty_questions_are_refused(demo):
    with pytest.raises(InvalidInput, match="Type a question"):
        demo.sql.ask("default", "   ")
