"""Settings "Save and restart" in AppTest (issue 17.5): the confirmation is shown after the restart's
rerun, and saving the values of a failed connection test asks first."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.settings import SAVED_FILE
from tests.ui.test_settings_page import settings_page
from ui import settings_flow

UNREACHABLE = "http://127.0.0.1:9"
SAVE = "Save and restart the workbench"


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def failed_ollama_test(at: AppTest, host: str = UNREACHABLE) -> AppTest:
    at.radio[0].set_value("ollama").run()
    at.text_input[0].set_value(host).run()
    button(at, "Test connection").click().run()
    assert any("Cannot reach Ollama" in e.value for e in at.error)
    return at


def test_a_save_says_so_after_the_restart(app_env):
    at = settings_page()
    button(at, SAVE).click().run()
    assert not at.exception, at.exception
    assert any("Saved to" in s.value and SAVED_FILE in s.value for s in at.success)
    at.run()
    assert not any("Saved to" in s.value for s in at.success), "shown once"


def test_saving_the_values_of_a_failed_test_asks_first(app_env):
    at = failed_ollama_test(settings_page())
    button(at, SAVE).click().run()
    assert any("The last connection test of these settings failed" in w.value and "Cannot reach Ollama" in w.value
               for w in at.warning)
    assert not (app_env / "data" / SAVED_FILE).exists()
    button(at, "Cancel").click().run()
    assert not any("The last connection test" in w.value for w in at.warning)
    assert not (app_env / "data" / SAVED_FILE).exists()

    button(at, SAVE).click().run()
    button(at, "Save anyway").click().run()
    assert not at.exception, at.exception
    assert f"AW_OLLAMA_HOST={UNREACHABLE}" in (app_env / "data" / SAVED_FILE).read_text()
    assert any("Saved to" in s.value for s in at.success)
    assert any("Saved although the last connection test failed" in w.value for w in at.warning)


def test_values_changed_since_the_failed_test_save_at_once(app_env):
    at = failed_ollama_test(settings_page())
    at.text_input[0].set_value("http://127.0.0.1:11434").run()
    button(at, SAVE).click().run()
    assert any("Saved to" in s.value for s in at.success)
    assert not any("connection test" in w.value for w in at.warning)


def test_the_flow_remembers_which_values_failed():
    state: dict = {}
    fields = {"AW_OLLAMA_HOST": UNREACHABLE}
    assert settings_flow.failed_test(state, "ollama", fields) == ""
    settings_flow.remember_test(state, "ollama", fields, ok=False, message="Cannot reach Ollama.")
    assert settings_flow.failed_test(state, "ollama", fields) == "Cannot reach Ollama."
    assert settings_flow.failed_test(state, "openai", fields) == ""
    assert settings_flow.failed_test(state, "ollama", {"AW_OLLAMA_HOST": "http://other"}) == ""
    assert not settings_flow.wants_save(state, clicked=True, failure="Cannot reach Ollama.")
    assert settings_flow.awaiting_confirmation(state, "Cannot reach Ollama.")
    assert not settings_flow.awaiting_confirmation(state, "")  # the values changed: nothing to confirm
    settings_flow.remember_test(state, "ollama", fields, ok=True, message="")
    assert settings_flow.failed_test(state, "ollama", fields) == ""
    assert settings_flow.wants_save(state, clicked=True, failure="")
