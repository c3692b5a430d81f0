import dataclasses
import re
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import SETTINGS_TABLE, Settings
from tests.conftest import ROOT, clean_env


def test_defaults_are_embedded_and_under_data_dir(tmp_path):
    s = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path))
    assert s.data_dir == tmp_path.resolve()
    assert s.metadata_url == f"sqlite:///{tmp_path.resolve() / 'workbench.db'}"
    assert not s.chroma.is_server and s.chroma.path == tmp_path.resolve() / "chroma"
    assert s.graph.backend == "ladybug"
    assert s.llm.provider == "none"
    assert s.sql.demo_db_url.endswith("demo/retail.db")
    assert s.sql.row_cap == 1000 and s.ingest.chunk_tokens == 200


def test_env_overrides_and_ollama_inferred_from_host(tmp_path):
    s = Settings.from_env(
        clean_env(), AW_DATA_DIR=str(tmp_path), AW_CHROMA_HOST="chroma.internal", AW_CHROMA_PORT="9000",
        AW_OLLAMA_HOST="http://gpu-box:11434", AW_SQL_ROW_CAP="50",
    )
    assert s.chroma.is_server and s.chroma.port == 9000
    assert s.llm.provider == "ollama" and s.llm.ollama_host == "http://gpu-box:11434"
    assert s.sql.row_cap == 50


@pytest.mark.parametrize(
    "env, fragment",
    [
        ({"AW_CHROMA_PORT": "abc"}, "AW_CHROMA_PORT"),
        ({"AW_SQL_ROW_CAP": "0"}, "AW_SQL_ROW_CAP"),
        ({"AW_GRAPH_BACKEND": "oracle"}, "AW_GRAPH_BACKEND"),
        ({"AW_GRAPH_BACKEND": "neo4j"}, "AW_NEO4J_URI"),
        ({"AW_LLM_PROVIDER": "ollama"}, "AW_OLLAMA_HOST"),
        ({"AW_CHUNK_TOKENS": "50", "AW_CHUNK_OVERLAP": "60"}, "AW_CHUNK_OVERLAP"),
        ({"AW_CHROMA_SSL": "maybe"}, "AW_CHROMA_SSL"),
        ({"AW_EMBEDDING_BACKEND": "gpu"}, "AW_EMBEDDING_BACKEND is invalid: must be one of torch, onnx, onnx-int8"),
    ],
)
def test_invalid_settings_raise_clear_config_errors(env, fragment):
    with pytest.raises(ConfigError, match=fragment):
        Settings.from_env(clean_env(), **env)


def test_embeddings_run_on_onnx_by_default_with_the_export_under_the_data_dir(tmp_path):
    s = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path))
    assert s.embeddings.backend == "onnx" and s.embeddings.models_dir == tmp_path.resolve() / "models"
    chosen = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), AW_EMBEDDING_BACKEND=" ONNX-int8 ",
                               AW_EMBEDDING_EXPORT_DIR=str(tmp_path / "shared"))
    assert chosen.embeddings.backend == "onnx-int8" and chosen.embeddings.models_dir == (tmp_path / "shared").resolve()


def test_settings_are_frozen_and_password_not_in_repr(tmp_path):
    s = Settings.from_env(clean_env(), AW_NEO4J_PASSWORD="s3cret-pw")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.data_dir = tmp_path  # type: ignore[misc]
    assert "s3cret-pw" not in repr(s)
    assert s.graph.neo4j_password == "s3cret-pw"


def test_readme_configuration_table_lists_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme = readme[readme.index("## Configuration"):]
    # Up to the next heading: the connectors' table follows in a subsection (tests/connectors/test_settings.py).
    readme = readme[: re.compile(r"\n##+ ").search(readme, 5).start()]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(AW_[A-Z0-9_]+)` \| `?([^|`]*)`? \|", readme, re.M)}
    for spec in SETTINGS_TABLE:
        assert spec.env in rows, f"{spec.env} missing from the README configuration table"
        assert rows[spec.env].strip() == spec.default, f"README default of {spec.env} differs from code"
    assert set(rows) == {spec.env for spec in SETTINGS_TABLE}, "README lists settings the code does not have"


def test_docs_configuration_page_matches_the_settings_table():
    from core.settings import settings_markdown_table

    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_markdown_table() in page, "regenerate the table with core.settings.settings_markdown_table()"
