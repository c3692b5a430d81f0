"""The Settings page's Backup section: no backup yet, then "Back up now" writes one and shows it."""

import tarfile

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def settings_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/settings.py")
    at.run()
    return at


def test_back_up_now_writes_a_backup_and_shows_it_as_the_last(app_env):
    at = settings_page()
    assert not at.exception
    assert any("No backup of this data dir" in i.value for i in at.info)
    next(b for b in at.button if b.label == "Back up now").click().run()
    assert not at.exception
    written = sorted((app_env / "data-backups").glob("workbench-*.tar.gz"))
    assert len(written) == 1
    with tarfile.open(written[0]) as tar:
        assert "backup.json" in tar.getnames() and "metadata/workbench.db" in tar.getnames()
    assert any(str(written[0]) in s.value for s in at.success)
    at.run()
    assert any("Last backup:" in m.value and str(written[0]) in m.value for m in at.markdown)


def test_encrypted_backup_needs_a_passphrase(app_env):
    at = settings_page()
    next(c for c in at.checkbox if c.label.startswith("Include connection passwords")).check().run()
    next(t for t in at.text_input if t.label == "Backup passphrase").set_value("short").run()
    next(b for b in at.button if b.label == "Back up now").click().run()
    assert not at.exception
    assert any("at least 8 characters" in e.value for e in at.error)
    assert not list((app_env / "data-backups").glob("*.tar.gz"))
