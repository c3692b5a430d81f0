"""Ask the Database in AppTest: an error replaces the result area (issue 17.4), and the answer the
editor started from is kept behind it for the mended SQL's next run."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.errors import UnsafeSQL
from tests.ui.test_ask_database_page import ask, demo_app, page  # noqa: F401  (demo_app is a fixture)
from ui import ask_flow

CERTIFIED = "How many orders came from Chennai this week?"


def run_sql(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="sql_editor").input(sql)
    at.button(key="sql_run").click().run()
    assert not at.exception, at.exception
    return at


def shows_a_result(at: AppTest) -> bool:
    return bool(at.metric) or any("Certified answer" in s.value for s in at.success) or \
        any(b.label == "Save as correct" for b in at.button)


def test_a_refused_statement_and_a_bad_column_replace_the_result(demo_app):  # noqa: F811
    at = ask(page(), CERTIFIED)
    certified_sql = at.text_area(key="sql_editor").value
    assert shows_a_result(at)
    run_sql(at, "DELETE FROM orders")
    assert at.error and not shows_a_result(at)
    run_sql(at, "SELECT no_such_column FROM orders")
    assert any("no_such_column" in e.value for e in at.error) and not shows_a_result(at)
    run_sql(at, certified_sql)  # the certified question's values were kept behind the errors
    assert not at.error and at.metric
    assert any("Certified answer" in s.value for s in at.success)


def test_a_question_that_fails_forgets_the_previous_answer(demo_app):  # noqa: F811
    at = ask(page(), CERTIFIED)
    at.text_input(key="sql_question").input("   ")
    at.button(key="sql_ask").click().run()
    assert any("Type a question first" in e.value for e in at.error) and not shows_a_result(at)
    assert ask_flow.ANSWER not in at.session_state
    run_sql(at, "SELECT COUNT(*) AS n FROM orders")  # nothing to start from: the SQL runs as typed
    assert any("Your SQL (typed)" in c.value for c in at.caption)


def test_result_area_is_the_error_or_the_answer_never_both():
    class Answer:
        connection, sql = "demo", "SELECT 1"

    state: dict = {}
    ask_flow.show_answer(state, Answer(), "default")
    assert ask_flow.result_area(state, "default", "demo").answer is not None
    assert ask_flow.result_area(state, "default", "other").answer is None, "another database's answer is not shown"
    ask_flow.show_error(state, UnsafeSQL("refused"), keep_base=True)
    shown = ask_flow.result_area(state, "default", "demo")
    assert shown.error is not None and shown.answer is None
    assert ask_flow.base_answer(state, "default") is not None, "kept for the mended SQL's run"
    ask_flow.show_error(state, UnsafeSQL("refused"))
    assert ask_flow.base_answer(state, "default") is None
