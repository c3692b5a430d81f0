"""The sidebar's health summary and the Home page come from one report (issue 17.6), in AppTest:
they agree, "Check again" checks anew, and a Settings save is checked at once."""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def app() -> AppTest:
    """A new session on Home. (AppTest keeps the sidebar of a session's first run only, so each look at the
    sidebar is a new session; the report is kept per process, as in the app, so sessions share it.)"""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def sidebar_summary(at: AppTest) -> str:
    texts = [w.value for w in at.sidebar.warning] + [c.value for c in at.sidebar.caption]
    return next(t for t in texts if "backend" in t)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_sidebar_and_home_list_the_same_backends_and_check_again_together(app_env):
    at = app()  # Home: no demo database in a fresh data dir
    assert sidebar_summary(at) == "1 backend(s) need attention (demo_database): see Home."
    assert any(c.value.startswith("1 backend(s) need attention (demo_database).") for c in at.main.caption)
    assert [e.value for e in at.main.error if "is not available" in e.value][0].startswith("**demo_database**")

    from core.demo import generate_demo

    generate_demo(app_env / "data" / "demo", today=dt.date.today())
    at = app()  # the report is kept a while: both still say the same
    assert sidebar_summary(at).startswith("1 backend(s) need attention (demo_database)")
    assert any("is not available" in e.value for e in at.main.error)
    button(at, "Check again").click().run()
    assert not any("is not available" in e.value for e in at.main.error)
    assert sidebar_summary(app()) == "All backends ready."


def test_a_settings_save_is_checked_at_once(app_env):
    from core.demo import generate_demo

    generate_demo(app_env / "data" / "demo", today=dt.date.today())
    at = app()
    assert sidebar_summary(at) == "All backends ready."
    at.switch_page("pages/settings.py").run()
    at.radio[0].set_value("ollama").run()
    at.text_input[0].set_value("http://127.0.0.1:9").run()
    button(at, "Save and restart the workbench").click().run()
    assert not at.exception, at.exception
    home = app()
    assert sidebar_summary(home) == "1 backend(s) need attention (llm): see Home."
    assert any(e.value.startswith("**llm** is not available") for e in home.main.error)
