"""On Ask the Database an error replaces the result area (issue 17.4), in Chromium on the demo.

A certified answer, then a refused DELETE and a bad column name from the editor: each error stands
alone, without the previous chart, table or certified badge under it. Mending the SQL runs it again
with the answer's question and values, which stayed remembered behind the error.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_flows import no_exception, open_page, shot, wait_idle

pytestmark = pytest.mark.e2e

CERTIFIED = "How many orders came from Chennai this week?"
RESULT = '[data-testid="stMetric"], [data-testid="stDataFrame"], [data-testid="stVegaLiteChart"]'


def ask_panel(page):
    return page.get_by_role("tabpanel").first  # the Ask tab: the only one shown


def run_sql(page, sql: str) -> None:
    editor = ask_panel(page).get_by_label("SQL", exact=True)
    editor.fill(sql)
    editor.press("Control+Enter")  # commit the text area before the click
    wait_idle(page)
    page.get_by_role("button", name="Run SQL").click()
    wait_idle(page)


def assert_only_the_error(page, says: re.Pattern) -> None:
    panel = ask_panel(page)
    panel.locator('[data-testid="stAlert"]').filter(has_text=says).first.wait_for()
    # Elements of the run before fade out and go when the new run ends: wait for that, then none may be left.
    expect(panel.locator(RESULT)).to_have_count(0, timeout=10_000)
    expect(panel.get_by_text("Certified answer", exact=False)).to_have_count(0)
    expect(panel.get_by_role("button", name="Save as correct")).to_have_count(0)


def test_an_error_replaces_the_result_area(page, app_url, screenshot_dir):
    open_page(page, app_url, "ask_database")
    box = page.get_by_label("Question", exact=True).first
    box.fill(CERTIFIED)
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name=re.compile(r"^Ask$")).first.click()
    panel = ask_panel(page)
    panel.get_by_text("Certified answer", exact=False).first.wait_for()
    panel.locator('[data-testid="stMetric"]').first.wait_for()
    certified_sql = panel.get_by_label("SQL", exact=True).input_value()
    assert ":city" in certified_sql

    run_sql(page, "DELETE FROM orders")
    assert_only_the_error(page, re.compile("DELETE|read-only|only reads|not allowed", re.IGNORECASE))
    shot(page, screenshot_dir, "ask-error-refused-delete")

    run_sql(page, "SELECT no_such_column FROM orders")
    assert_only_the_error(page, re.compile("no_such_column", re.IGNORECASE))
    shot(page, screenshot_dir, "ask-error-bad-column")

    run_sql(page, certified_sql)  # mended: the certified question and its values are still there
    panel.locator('[data-testid="stMetric"]').first.wait_for()
    assert panel.locator('[data-testid="stAlert"]').filter(has_text="no_such_column").count() == 0
    no_exception(page)
    shot(page, screenshot_dir, "ask-error-mended")
