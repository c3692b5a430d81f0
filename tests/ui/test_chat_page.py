"""The Chat page in AppTest: evidence-mode notice, an answer with sources, past chats."""

from streamlit.testing.v1 import AppTest

from core.ingest.pipeline import Upload
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import ROOT


def chat_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/chat.py")
    at.run()
    return at


def test_chat_answers_in_evidence_mode_with_sources(app_env):
    wb = build_workbench(Settings.from_env())
    wb.workspace().ingest([Upload("returns.md", b"# Returns policy\n\n## Damaged items\n\nDamaged items are refunded in full within 7 days.")])
    wb.close()
    at = chat_page()
    assert not at.exception
    assert any("Evidence mode" in i.value for i in at.info)
    at.chat_input[0].set_value("How are damaged items refunded?").run()
    assert not at.exception
    assert any("refunded in full" in m.value for m in at.markdown)
    assert any(e.label.startswith("Sources (") for e in at.expander)
    at.run()  # the stored conversation is listed and replayed
    assert not at.exception
    assert any("How are damaged items refunded?" in str(o) for o in at.selectbox[0].options)


def test_empty_workspace_chat_says_nothing_was_found(app_env):
    at = chat_page()
    at.chat_input[0].set_value("What is our refund policy?").run()
    assert not at.exception
    assert any("found nothing" in m.value for m in at.markdown)
