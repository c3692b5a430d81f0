"""The Chat page shows how a database question was read, above the source's SQL (AppTest, Chinook in place)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.ui.test_ask_chips import chinook_app  # noqa: F401  (the fixture: Chinook connected, no training)


def test_a_planned_database_source_says_how_it_was_read(chinook_app):
    at = AppTest.from_file(str(ROOT / "pages/chat.py"), default_timeout=120)
    at.run()
    at.chat_input[0].set_value("How many tracks are in the Jazz genre?").run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption if c.value.startswith("Read as:")]
    assert len(captions) == 1 and "number of Track" in captions[0] and "Jazz" in captions[0]
    assert any("130" in m.value for m in at.markdown)
