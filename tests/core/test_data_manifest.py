"""The data dir's manifest: recorded on first use, and a change of embedding model never mixes two
models' vectors: search, uploads and SQL matching refuse until `reindex` re-embeds everything."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from core.cli import app
from core.data_manifest import MANIFEST_FILE, ReindexRequired, read_manifest
from core.embeddings import SentenceTransformerEmbedder, packaged_model_path
from core.errors import ConfigError
from core.ingest.pipeline import Upload
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env

POLICY = b"# Returns policy\n\nDamaged parcels are refunded within fourteen days of the complaint.\n"


def workbench_on(data_dir, embedder=None, **env):
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(data_dir), **env)
    return build_workbench(settings, **({"embedder": embedder} if embedder is not None else {}))


def test_a_new_data_dir_records_what_it_is_built_with(tmp_path, embedder):
    workbench = workbench_on(tmp_path, embedder, AW_CHUNK_TOKENS="150")
    try:
        workbench.workspace()
        manifest = read_manifest(tmp_path)
        assert (manifest.format_version, manifest.chunk_tokens, manifest.graph_backend) == (1, 150, "ladybug")
        assert manifest.embedding_model == embedder.model_id
        assert workbench.data_state.changes() == []
    finally:
        workbench.close()


@pytest.fixture
def other_model(tmp_path):
    """The packaged model under another folder name: to the workbench, a different embedding model."""
    link = tmp_path / "another-minilm"
    link.symlink_to(packaged_model_path(), target_is_directory=True)
    return link


def test_changing_the_model_refuses_to_mix_vectors_until_reindexed(tmp_path, embedder, other_model):
    data = tmp_path / "data"
    first = workbench_on(data, embedder)
    try:
        first.workspace().ingest([Upload("policy.md", POLICY)])
    finally:
        first.close()
    second = workbench_on(data, AW_EMBEDDING_MODEL=str(other_model))
    try:
        workspace = second.workspace()
        [change] = [c for c in second.data_state.changes() if c.needs == "reindex"]
        assert change.was == embedder.model_id and change.now == "another-minilm"
        with pytest.raises(ReindexRequired, match="core.cli reindex"):
            workspace.search("refund for damaged parcels", mode="vector")
        results = workspace.ingest([Upload("more.md", b"# More\n\nAnother note about parcels.\n")])
        assert results[0].status == "error" and results[0].error_kind == "reindex_required"
        assert [d.title for d in workspace.documents()] == ["Returns policy"], "nothing was half-added"
    finally:
        second.close()
    result = CliRunner().invoke(app, ["--data-dir", str(data), "--json", "reindex"],
                                env={**clean_env(), "AW_EMBEDDING_MODEL": str(other_model)})
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["model"] == "another-minilm" and payload["documents"] == 1
    manifest = read_manifest(data)
    assert manifest.embedding_model == "another-minilm" and manifest.embedding_dimension == 384
    third = workbench_on(data, AW_EMBEDDING_MODEL=str(other_model))
    try:
        assert third.data_state.changes() == []
        hits = third.workspace().search("refund for damaged parcels", mode="vector", k=1)
        assert hits and hits[0].document_title == "Returns policy"
    finally:
        third.close()


def test_a_data_dir_with_no_vectors_simply_takes_the_new_model(tmp_path, embedder, other_model):
    workbench_on(tmp_path, embedder).workspace()
    workbench = workbench_on(tmp_path, AW_EMBEDDING_MODEL=str(other_model))
    try:
        workbench.workspace()
        assert workbench.data_state.changes() == []
        assert read_manifest(tmp_path).embedding_model == "another-minilm"
    finally:
        workbench.close()


def test_other_chunk_settings_or_graph_backend_are_offered_not_blocking(tmp_path, embedder):
    workbench_on(tmp_path, embedder).workspace()
    workbench = workbench_on(tmp_path, embedder, AW_CHUNK_TOKENS="120", AW_CHUNK_OVERLAP="20")
    try:
        workbench.workspace()
        assert [c.needs for c in workbench.data_state.changes()] == ["rechunk"]
        workbench.data_state.refuse_if_mixed()  # does not raise
    finally:
        workbench.close()


def test_a_newer_or_damaged_manifest_is_refused(tmp_path, embedder):
    workbench_on(tmp_path, embedder).workspace()
    path = tmp_path / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(ConfigError, match="format version 99, newer"):
        workbench_on(tmp_path, embedder).workspace()
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="damaged"):
        workbench_on(tmp_path, embedder).workspace()
