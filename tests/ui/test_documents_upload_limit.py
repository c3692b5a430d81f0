"""The Documents page's uploader refuses what the workbench would refuse, by size, before reading."""

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

MB = 1024 * 1024


def test_the_uploader_limit_is_the_workbench_limit_and_oversize_files_are_refused(app_env, monkeypatch):
    monkeypatch.setenv("AW_MAX_FILE_MB", "2")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/documents.py")
    at.run()
    uploader = at.file_uploader[0]
    assert uploader.proto.max_upload_size_mb == 2, "the browser refuses files over AW_MAX_FILE_MB, not 200 MB"
    uploader.set_value([("big.md", b"# Big\n\n" + b"word " * (MB // 2), "text/markdown"),
                        ("small.md", b"# Small\n\nDamaged items are refunded within 7 days.", "text/markdown")])
    next(b for b in at.button if b.label == "Upload and index").click()
    at.run()
    assert not at.exception
    rows = at.dataframe[0].value.to_dict("records")
    assert [(r["file"], r["status"]) for r in rows] == [("big.md", "error"), ("small.md", "ingested")]
    assert "big.md is 2.5 MB, over the upload limit of 2.0 MB (AW_MAX_FILE_MB)" in rows[0]["reason"]
