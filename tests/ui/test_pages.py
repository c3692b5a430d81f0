"""Every page renders in AppTest without an exception."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def run_page(title: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    if title != "Home":
        at.switch_page(f"pages/{title}.py")
        at.run()
    return at


def test_home_shows_backends_and_next_steps(app_env):
    at = run_page("Home")
    assert not at.exception
    assert at.title[0].value == "Analyst Workbench"
    assert any("core.demo" in e.value for e in at.error), "missing demo data should say how to generate it"
    assert any("AW_OLLAMA_HOST" in i.value for i in at.info)


def test_sidebar_offers_workspaces_and_creation(app_env):
    # AppTest drops widget events of the st.navigation entrypoint on reruns, so the
    # create-and-switch interaction is covered by the browser tests in tests/e2e/.
    at = run_page("Home")
    assert at.selectbox(key="workspace").options == ["default"]
    assert at.text_input(key="new_workspace_name").placeholder == "e.g. finance-q3"


def test_documents_page_lists_searches_and_cites(app_env):
    from core.ingest.pipeline import Upload
    from core.settings import Settings
    from core.workbench import build_workbench

    wb = build_workbench(Settings.from_env())
    wb.workspace().ingest([Upload("returns.md", b"# Returns policy\n\n## Damaged items\n\nDamaged items are refunded in full within 7 days.")],
                          doc_type="policy", tags=["care"])
    wb.close()
    at = run_page("documents")
    assert not at.exception
    assert at.title[0].value == "Documents"
    at.text_input(key="search_query").input("refund for damaged items").run()
    assert not at.exception
    cited = [m.value for m in at.markdown if m.value.startswith("**[1]")]
    assert cited and "Returns policy" in cited[0] and "Damaged items" in cited[0]
    assert any("**refund" in m.value.lower() for m in at.markdown), "query words are highlighted"


def test_documents_page_on_an_empty_workspace_says_what_to_do(app_env):
    at = run_page("documents")
    assert not at.exception
    assert any("No documents in this workspace yet" in i.value for i in at.info)


def test_home_offers_re_embedding_after_the_embedding_model_changed(app_env, monkeypatch, embedder):
    from core.embeddings import packaged_model_path
    from core.ingest.pipeline import Upload
    from core.settings import Settings
    from core.workbench import build_workbench

    wb = build_workbench(Settings.from_env(), embedder=embedder)
    wb.workspace().ingest([Upload("returns.md", b"# Returns policy\n\nDamaged items are refunded within 7 days.")])
    wb.close()
    other = app_env / "another-minilm"
    other.symlink_to(packaged_model_path(), target_is_directory=True)
    monkeypatch.setenv("AW_EMBEDDING_MODEL", str(other))
    at = run_page("Home")
    assert any("core.cli reindex" in e.value for e in at.error)
    at.button(key="home_reindex").click().run()
    assert not at.exception, at.exception
    assert any("Re-embedded 1 documents" in s.label for s in at.status)
    assert not any("core.cli reindex" in e.value for e in at.error)
