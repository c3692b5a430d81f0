"""The same pipeline against a real `chroma run` server on 127.0.0.1."""

from core.ingest.pipeline import Upload
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env


def test_ingest_search_delete_through_a_chroma_server(tmp_path, embedder, chroma_server):
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), AW_CHROMA_HOST="127.0.0.1", AW_CHROMA_PORT=str(chroma_server))
    wb = build_workbench(settings, embedder=embedder)
    assert wb.vectors.mode == "server"
    health = {h.backend: h for h in wb.health()}["vectors"]
    assert health.ok and health.mode == "server"
    ws = wb.workspace("server-test")
    result = ws.ingest([Upload("returns.md", b"# Returns\n\nDamaged items can be returned within 30 days for a full refund.")])[0]
    assert result.status == "ingested"
    hits = ws.search("refund for a damaged item", mode="vector")
    assert hits and hits[0].chunk.document_id == result.document_id
    assert not (tmp_path / "chroma").exists(), "server mode must not create an embedded store"
    ws.delete_document(result.document_id)
    assert wb.vectors.count("server-test", "chunks") == 0
    wb.close()


def test_unreachable_chroma_server_gives_a_clear_error(tmp_path, embedder):
    from tests.core.conftest import free_port
    import pytest
    from core.errors import BackendUnavailable

    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), AW_CHROMA_HOST="127.0.0.1", AW_CHROMA_PORT=str(free_port()))
    wb = build_workbench(settings, embedder=embedder)
    with pytest.raises(BackendUnavailable, match="Cannot reach the Chroma server"):
        wb.workspace().ingest([Upload("a.md", b"# A\n\nText.")])
