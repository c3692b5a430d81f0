"""The Settings page: test an Ollama connection, pick a model, save, and see generation turn on."""


import pytest
from streamlit.testing.v1 import AppTest

from core.settings import Settings
from tests.conftest import ROOT
from tests.support.fake_ollama import FakeOllama


def settings_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/settings.py")
    at.run()
    return at


def test_evidence_mode_is_explained_by_default(app_env):
    at = settings_page()
    assert not at.exception
    assert any("Evidence mode" in i.value for i in at.info)
    assert any("re-indexed" in w.value for w in at.warning)


def test_connect_pick_model_and_save(app_env):
    with FakeOllama(models=("llama3.1", "qwen2.5:7b")) as server:
        at = settings_page()
        at.radio[0].set_value("ollama").run()
        at.text_input[0].set_value(server.url).run()
        at.button[0].click().run()  # Test connection
        assert not at.exception
        assert any("2 model(s) available" in s.value for s in at.success)
        at.selectbox[0].set_value("qwen2.5:7b").run()
        save = next(b for b in at.button if b.label == "Save and restart the workbench")
        save.click().run()
        assert not at.exception
        saved = Settings.from_env({"AW_DATA_DIR": str(app_env / "data")})
        assert saved.llm.provider == "ollama" and saved.llm.model == "qwen2.5:7b" and saved.llm.ollama_host == server.url
        assert any("Generation is on" in s.value for s in at.success)


def test_unreachable_host_shows_a_clear_error(app_env):
    at = settings_page()
    at.radio[0].set_value("ollama").run()
    at.text_input[0].set_value("http://127.0.0.1:9").run()
    at.button[0].click().run()
    assert not at.exception
    assert any("Cannot reach Ollama" in e.value for e in at.error)


def test_providers_come_from_the_registry_and_each_shows_its_own_fields(app_env, monkeypatch):
    from core.registry import names
    from tests.support.real_llm import smollm2_path

    monkeypatch.setenv("AW_OPENAI_API_KEY", "sk-page-secret-123456")
    at = settings_page()
    assert list(at.radio[0].options) == list(names("llm"))

    at.radio[0].set_value("openai").run()
    assert not at.exception
    assert [t.label for t in at.text_input][:1] == ["Base URL of an OpenAI-compatible API, with its `/v1`"]
    page_text = " ".join(str(getattr(e, "value", "")) for e in (*at.caption, *at.text_input, *at.markdown))
    assert "`AW_OPENAI_API_KEY` is set in the environment" in page_text and "sk-page-secret" not in page_text

    at.radio[0].set_value("llamacpp").run()
    at.text_input[0].set_value(str(smollm2_path())).run()
    next(b for b in at.button if b.label == "Test connection").click().run()
    assert not at.exception
    assert any("Connected (llamacpp): 1 model(s) available" in s.value for s in at.success)

    next(b for b in at.button if b.label == "Check every provider").click().run()
    reported = " ".join(m.value for m in (*at.success, *at.info))
    assert all(f"{name}:" in reported for name in names("llm"))
