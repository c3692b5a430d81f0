import json
import subprocess
import sys

from tests.conftest import ROOT, clean_env


def run_cli(*args, data_dir):
    return subprocess.run(
        [sys.executable, "-m", "core.cli", "--data-dir", str(data_dir), *args],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120,
    )


def test_health_json_lists_every_backend(tmp_path):
    result = run_cli("--json", "health", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert {b["backend"] for b in payload["backends"]} == {"metadata", "embeddings", "vectors", "graph", "llm", "demo_database"}
    assert all({"mode", "ok", "detail", "next_step"} <= set(b) for b in payload["backends"])


def test_health_human_output_marks_down_backends(tmp_path):
    result = run_cli("health", data_dir=tmp_path)
    assert result.returncode == 0
    assert "[DOWN] demo_database" in result.stdout and "python -m core.demo" in result.stdout


def test_invalid_setting_exits_with_a_clear_message(tmp_path):
    env = clean_env() | {"AW_SQL_ROW_CAP": "-3"}
    result = subprocess.run([sys.executable, "-m", "core.cli", "--json", "health"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert json.loads(result.stdout)["kind"] == "config"
