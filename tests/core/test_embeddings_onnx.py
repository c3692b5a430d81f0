"""The ONNX Runtime embedding backends against torch: the same vectors (fp32), close ones (int8),
the same search results, and an export that is made once, reused, and recovered when broken.

Real components throughout: the packaged model, a real export (a child process with torch), PEP
chunks made by the product's parser and chunker. Measured here (200 chunks): fp32 cosine to torch
min 1.00000; int8 min 0.986 / mean 0.995.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from core import embedding_export
from core.embedding_export import MODEL_FILE, STAMP_FILE, ensure_export, export_dir, is_complete, source_stamp
from core.embeddings import SentenceTransformerEmbedder, packaged_model_path
from core.errors import ConfigError
from core.settings import Settings
from tests.conftest import ROOT, SHARED_DATA, clean_env

SAMPLE_CHUNKS = 200
QUERIES = [
    "How do decorators work on functions and methods?", "async generators and await", "type hints for generics",
    "packaging metadata and wheels", "the global interpreter lock", "deprecating a module from the standard library",
    "exception chaining and tracebacks", "unicode strings and encodings", "import hooks and the module finder",
    "the release schedule of a Python version", "keyword-only arguments", "iterators and the for statement",
]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def first_export(models_dir):
    """The fp32 export, asked for by two threads at once: what each got, and how many exports ran.

    flock locks belong to an open file, not to a process, so two threads contend exactly as two
    processes starting together do.
    """
    real, calls = embedding_export._run_export, []

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    embedding_export._run_export = counted
    results: list = []
    try:
        threads = [threading.Thread(target=lambda: results.append(
            ensure_export(packaged_model_path(), models_dir, "onnx"))) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        embedding_export._run_export = real
    return results, calls


@pytest.fixture(scope="module")
def pep_chunks() -> list[str]:
    """PEP chunks as ingestion makes them (200 tokens, overlap 30), from across the corpus."""
    from core.embeddings_onnx import TokenCounter
    from core.ingest.chunking import chunk_blocks
    from core.ingest.parsers import parse_document

    peps = SHARED_DATA / "peps"
    if not peps.exists():
        pytest.skip(f"the PEP corpus is not at {peps}")
    counter = TokenCounter(packaged_model_path())
    chunks: list[str] = []
    for path in sorted(peps.glob("*.rst"))[::40]:
        document = parse_document(path.read_bytes(), path.name, max_bytes=50 * 1024 * 1024)
        drafts = chunk_blocks(document.blocks, count_tokens=counter.count, count_tokens_many=counter.count_many,
                              target_tokens=200, overlap_tokens=30)
        chunks.extend(d.text for d in drafts[:14])
    assert len(chunks) >= SAMPLE_CHUNKS
    return chunks[:SAMPLE_CHUNKS]


@pytest.fixture(scope="module")
def torch_embedder():
    return SentenceTransformerEmbedder(packaged_model_path(), 64, "torch")


@pytest.fixture(scope="module")
def vectors(pep_chunks, torch_embedder, models_dir, first_export):
    """Each backend's vectors for the chunks and the queries."""
    out = {}
    for backend in ("torch", "onnx", "onnx-int8"):
        embedder = torch_embedder if backend == "torch" else SentenceTransformerEmbedder(
            packaged_model_path(), 64, backend, models_dir)
        out[backend] = (embedder.embed(pep_chunks), embedder.embed(QUERIES))
    return out


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)  # both normalised


def test_two_starts_at_once_export_once_and_later_starts_reuse_it(first_export, models_dir):
    results, calls = first_export
    target = export_dir(models_dir, packaged_model_path(), "onnx")
    assert len(calls) == 1 and results == [target / MODEL_FILE] * 2
    assert is_complete(target, source_stamp(packaged_model_path(), "fp32"))
    made = (target / MODEL_FILE).stat().st_mtime_ns

    assert ensure_export(packaged_model_path(), models_dir, "onnx") == target / MODEL_FILE
    assert (target / MODEL_FILE).stat().st_mtime_ns == made  # reused, not made again
    assert not [p.name for p in models_dir.iterdir() if ".staging-" in p.name or ".stale-" in p.name]


def test_another_data_dir_links_the_machines_export_instead_of_exporting(first_export, models_dir, tmp_path):
    """``models_dir`` plays the machine's cache (EmbeddingSettings.export_cache_dir) here."""
    real, calls = embedding_export._run_export, []
    embedding_export._run_export = lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs)
    try:
        got = ensure_export(packaged_model_path(), tmp_path / "models", "onnx", seed_dir=models_dir)
    finally:
        embedding_export._run_export = real
    shared = export_dir(models_dir, packaged_model_path(), "onnx") / MODEL_FILE
    assert calls == [] and got == export_dir(tmp_path / "models", packaged_model_path(), "onnx") / MODEL_FILE
    assert got.stat().st_ino == shared.stat().st_ino  # one file on disk (a copy on another file system)
    assert is_complete(got.parent, source_stamp(packaged_model_path(), "fp32"))
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path))
    assert settings.embeddings.export_cache_dir == tmp_path / ".cache" / "analyst-workbench" / "onnx"


def test_fp32_onnx_vectors_are_torch_vectors(vectors):
    similarity = cosines(vectors["onnx"][0], vectors["torch"][0])
    print(f"fp32 ONNX vs torch on {len(similarity)} PEP chunks: min {similarity.min():.5f}, mean {similarity.mean():.5f}")
    assert similarity.min() >= 0.9999
    assert cosines(vectors["onnx"][1], vectors["torch"][1]).min() >= 0.9999  # queries too
    # The same vectors, so the same model id: moving between torch and fp32 ONNX keeps the index.
    assert SentenceTransformerEmbedder(packaged_model_path(), backend="onnx", models_dir=Path("x")).model_id == \
        SentenceTransformerEmbedder(packaged_model_path(), backend="torch").model_id


def test_int8_vectors_stay_close_to_torch_and_ask_for_a_reindex(vectors):
    similarity = cosines(vectors["onnx-int8"][0], vectors["torch"][0])
    print(f"int8 ONNX vs torch on {len(similarity)} PEP chunks: min {similarity.min():.5f}, mean {similarity.mean():.5f}")
    # The lowest are PEP header chunks ("PEP: 250 Title: ... Author: ..."), near-duplicates anyway.
    assert similarity.mean() >= 0.99 and similarity.min() >= 0.98
    assert cosines(vectors["onnx-int8"][1], vectors["torch"][1]).min() >= 0.98
    int8 = SentenceTransformerEmbedder(packaged_model_path(), backend="onnx-int8", models_dir=Path("x"))
    assert int8.model_id != SentenceTransformerEmbedder(packaged_model_path(), backend="torch").model_id


def test_search_finds_the_same_chunks_on_every_backend(vectors):
    def top(backend, k=5):
        chunks, queries = vectors[backend]
        return [list(row) for row in np.argsort(-(queries @ chunks.T), axis=1)[:, :k]]

    expected = top("torch")
    for backend, least in (("onnx", 1.0), ("onnx-int8", 0.8)):
        got = top(backend)
        overlap = np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(got, expected)])
        same_first = np.mean([a[0] == b[0] for a, b in zip(got, expected)])
        print(f"{backend}: top-5 overlap with torch {overlap:.2f}, same first hit {same_first:.2f}")
        assert overlap >= least and same_first >= least


def test_token_counts_are_the_models_tokenizer_without_loading_the_model(pep_chunks, torch_embedder, tmp_path):
    onnx = SentenceTransformerEmbedder(packaged_model_path(), backend="onnx", models_dir=tmp_path / "never-made")
    texts = [*pep_chunks[:50], "", "naïve café 東京 ünïcödé", "x" * 3000]
    assert onnx.count_tokens_many(texts) == torch_embedder.count_tokens_many(texts)
    assert onnx.count_tokens(texts[0]) == torch_embedder.count_tokens(texts[0])
    assert onnx.dimension == 384 and not (tmp_path / "never-made").exists()  # counting never exports


def test_the_onnx_backend_never_imports_torch(first_export, models_dir):
    script = ("import sys; from pathlib import Path; from core.embeddings import SentenceTransformerEmbedder, "
              "packaged_model_path; e = SentenceTransformerEmbedder(packaged_model_path(), 64, 'onnx', "
              f"Path({str(models_dir)!r})); e.embed(['late deliveries']); e.count_tokens('x'); "
              "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_broken_or_partial_export_is_made_again(first_export, models_dir, tmp_path):
    source = packaged_model_path()
    mine = tmp_path / "models"
    shutil.copytree(export_dir(models_dir, source, "onnx"), export_dir(mine, source, "onnx"))
    target = export_dir(mine, source, "onnx")
    stamp = source_stamp(source, "fp32")
    assert is_complete(target, stamp)
    # What a reader must never use: a stamp for another source, a missing stamp.
    assert not is_complete(target, {**stamp, "source": "/elsewhere"})
    (target / STAMP_FILE).rename(target / "moved")
    assert not is_complete(target, stamp)
    (target / "moved").rename(target / STAMP_FILE)
    # A model file cut short (a full disk), and the staging dir of an export that crashed.
    with open(target / MODEL_FILE, "r+b") as model:
        model.truncate(1000)
    crashed = mine / f".{target.name}.staging-crashed"
    crashed.mkdir()
    (crashed / MODEL_FILE).write_bytes(b"half")

    assert ensure_export(source, mine, "onnx") == target / MODEL_FILE
    assert is_complete(target, stamp) and not crashed.exists()
    embedder = SentenceTransformerEmbedder(source, 64, "onnx", mine)
    reference = SentenceTransformerEmbedder(source, 64, "onnx", models_dir)
    assert cosines(embedder.embed(QUERIES[:3]), reference.embed(QUERIES[:3])).min() >= 0.9999


def test_an_unknown_backend_is_a_clear_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"AW_EMBEDDING_BACKEND is invalid: must be one of torch, onnx, onnx-int8; got 'gpu'"):
        Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), AW_EMBEDDING_BACKEND="gpu")
    with pytest.raises(ConfigError, match="Unknown embedding backend 'cuda'"):
        SentenceTransformerEmbedder(packaged_model_path(), backend="cuda")
    with pytest.raises(ConfigError, match="No ONNX export for the embedding backend 'torch'"):
        export_dir(tmp_path, packaged_model_path(), "torch")
