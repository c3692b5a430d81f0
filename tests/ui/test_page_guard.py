"""An unexpected exception on a page is logged with an id and shown as a short message, never a traceback."""

from __future__ import annotations

import logging
import re

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def _failing_page():
    from ui.page_guard import run_guarded

    def page():
        raise KeyError("/srv/secret/path.db: SELECT password FROM users")

    run_guarded(page)


def _workbench_error_page():
    from core.errors import InvalidInput
    from ui.page_guard import run_guarded

    def page():
        raise InvalidInput("Type a question first.")

    run_guarded(page)


def test_an_unexpected_exception_becomes_a_message_with_an_id_and_is_logged(caplog):
    at = AppTest.from_function(_failing_page)
    with caplog.at_level(logging.ERROR, logger="analyst_workbench.pages"):
        at.run()
    assert not at.exception
    [message] = [e.value for e in at.error]
    error_id = re.search(r"error id ([0-9a-f]{8})", message).group(1)
    assert "secret" not in message and "SELECT" not in message
    assert any(error_id in record.getMessage() and record.exc_info for record in caplog.records)


def test_a_workbench_error_keeps_its_own_message():
    at = AppTest.from_function(_workbench_error_page)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Type a question first."]


def test_tracebacks_are_never_shown():
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert 'showErrorDetails = "none"' in config
