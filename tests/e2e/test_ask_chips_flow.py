"""The Ask page's interpretation chips in a real browser: removing a chip runs the plan without it."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_flows import no_exception, open_page, shot, wait_idle

pytestmark = pytest.mark.e2e


def test_removing_a_chip_reruns_the_answer_without_it(page, app_url, screenshot_dir):
    open_page(page, app_url, "ask_database")
    box = page.get_by_label("Question", exact=True).first
    box.fill("How many customers does each segment have?")
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name=re.compile(r"^Ask$")).first.click()
    chip = page.get_by_role("button", name=re.compile(r"by customers\.segment"))
    chip.wait_for()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    shot(page, screenshot_dir, "ask-chips-before")
    chip.click()
    metric = page.locator('[data-testid="stMetric"]').first
    metric.wait_for()  # one number once the grouping is gone: the demo's 120 customers
    assert "120" in metric.inner_text()
    wait_idle(page)
    assert chip.count() == 0
    assert "customers.segment" not in page.locator('[data-testid="stAlert"]').first.inner_text()
    no_exception(page)
    shot(page, screenshot_dir, "ask-chips-after")
