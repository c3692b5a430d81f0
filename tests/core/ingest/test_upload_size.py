"""The size limit is checked before a file is read: in the pipeline, the CLI and the page."""

import json
import subprocess
import sys
import textwrap
import tomllib

from core.ingest.pipeline import Upload
from core.settings import Settings
from tests.conftest import ROOT, clean_env
from tests.core.ingest.test_pipeline import POLICY

MB = 1024 * 1024


def test_an_upload_over_the_limit_is_refused_by_its_size_without_being_read(workbench):
    reads = []

    def reader(name, data):
        def read():
            reads.append(name)
            return data
        return read

    results = workbench.workspace().ingest([
        Upload.deferred("huge.pdf", 200 * MB, reader("huge.pdf", b"%PDF-1.7")),
        Upload.deferred("policy.md", len(POLICY), reader("policy.md", POLICY)),
    ])
    assert [r.status for r in results] == ["error", "ingested"]
    assert results[0].error_kind == "unsupported_file"
    assert "huge.pdf is 200.0 MB, over the upload limit of 50.0 MB (AW_MAX_FILE_MB)" in results[0].error
    assert reads == ["policy.md"], "the oversize file was never read"


MEASURE = textwrap.dedent("""
    import resource, sys
    from core.cli import app
    try:
        app(sys.argv[1:], prog_name="core.cli")
    except SystemExit:
        pass
    sys.stderr.write("PEAK_KB %d\\n" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


def run_measured(*args):
    child = subprocess.run([sys.executable, "-c", MEASURE, *args], cwd=ROOT, env=clean_env(), capture_output=True,
                           text=True, timeout=300)
    peak = next(int(line.split()[1]) for line in child.stderr.splitlines() if line.startswith("PEAK_KB"))
    return json.loads(child.stdout), peak * 1024


def test_cli_refuses_five_200_mb_files_without_reading_them_into_memory(tmp_path):
    # Sparse files: 200 MB each to stat and to read, nothing on disk.
    big = []
    for i in range(5):
        path = tmp_path / f"scan-{i}.pdf"
        with open(path, "wb") as f:
            f.truncate(200 * MB)
        big.append(str(path))
    data_dir = str(tmp_path / "data")
    _, baseline = run_measured("--data-dir", data_dir, "--json", "ingest", str(tmp_path / "missing.pdf"))
    results, peak = run_measured("--data-dir", data_dir, "--json", "ingest", *big)
    assert [r["status"] for r in results] == ["error"] * 5
    assert all("is 200.0 MB, over the upload limit of 50.0 MB (AW_MAX_FILE_MB)" in r["error"] for r in results)
    assert peak - baseline < 100 * MB, f"peak {peak / MB:.0f} MB against {baseline / MB:.0f} MB: a file was read"


def test_cli_says_which_paths_are_not_files(tmp_path):
    from core.workbench import build_workbench

    wb = build_workbench(Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data")))
    try:
        results = wb.workspace().ingest_paths([tmp_path])
    finally:
        wb.close()
    assert results[0].status == "error" and "is not a regular file" in results[0].error


def test_streamlit_server_limit_matches_the_default_file_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * MB == Settings.from_env(clean_env()).ingest.max_file_bytes
