"""OllamaEmbedder: sentence embeddings from an Ollama server's /api/embed (e.g. nomic-embed-text).

An alternative to the packaged sentence-transformers model for teams that already run Ollama
on a GPU box (AW_EMBEDDING_PROVIDER=ollama). It implements ``core.embeddings.Embedder``:
normalised float32 vectors, ``embed_query``, token counts for chunking, ``dimension``.

Ollama has no tokenizer endpoint, so chunks are measured with the packaged all-MiniLM-L6-v2
tokenizer: the same uncased WordPiece vocabulary nomic-embed-text uses, and a close estimate
for other BERT-style embedding models.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Sequence

import ollama

from core.errors import ConfigError, LLMUnavailable
from core.health import BackendHealth
from core.llm.ollama_llm import ollama_health, translate_ollama_error
from core.settings import EmbeddingSettings
from core.urls import display_host

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

DEFAULT_EMBEDDING_MODEL = "nomic-embed-text"


class OllamaEmbedder:
    """Embeds texts with an Ollama embedding model; vectors come back in input order."""

    description = "an embedding model on the Ollama server at AW_OLLAMA_HOST"
    settings_section = "embeddings"

    def __init__(
        self, host: str, model: str = DEFAULT_EMBEDDING_MODEL, *, timeout_seconds: float = 120.0, batch_size: int = 64
    ) -> None:
        if not host.strip():
            raise ConfigError("The Ollama embedder needs a host: set AW_OLLAMA_HOST, e.g. http://127.0.0.1:11434.")
        if batch_size <= 0:
            raise ConfigError(f"The Ollama embedder's batch size must be positive, got {batch_size}.")
        self.model = model
        self.name = f"ollama/{model}"
        self.model_id = self.name  # recorded in the data dir's manifest: another model means re-embedding
        self.host = display_host(host)
        self._timeout = timeout_seconds
        self._batch_size = batch_size
        self._client = ollama.Client(host=host, timeout=timeout_seconds)
        self._dimension: int | None = None
        self._counter = None
        self._counter_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: EmbeddingSettings) -> "OllamaEmbedder":
        """AW_OLLAMA_HOST's server, AW_EMBEDDING_MODEL (empty: nomic-embed-text); nothing is contacted yet."""
        return cls(settings.ollama_host, settings.model.strip() or DEFAULT_EMBEDDING_MODEL,
                   timeout_seconds=settings.timeout_seconds, batch_size=settings.batch_size)

    @classmethod
    def check_health(cls, settings: EmbeddingSettings) -> BackendHealth:
        """Whether the server answers within two seconds and has the embedding model."""
        model = settings.model.strip() or DEFAULT_EMBEDDING_MODEL
        if not settings.ollama_host.strip():
            return BackendHealth("embeddings", "ollama", "server", False, "AW_OLLAMA_HOST is empty",
                                 "Set AW_OLLAMA_HOST to the Ollama server, or AW_EMBEDDING_PROVIDER=sentence-transformers.")
        return ollama_health("embeddings", settings.ollama_host, model)

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        """One normalised float32 row per text, in order. Raises ``LLMUnavailable`` if the server cannot embed."""
        import numpy as np

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = texts[start : start + self._batch_size]
            try:
                response = self._client.embed(model=self.model, input=batch)
            except Exception as exc:  # narrowed and re-raised by translate_ollama_error
                raise translate_ollama_error(exc, host=self.host, model=self.model, timeout=self._timeout) from exc
            if len(response.embeddings) != len(batch):
                raise LLMUnavailable(
                    f"Ollama at {self.host} returned {len(response.embeddings)} vectors for {len(batch)} texts "
                    f"with model {self.model}; check the server's log."
                )
            rows.extend(response.embeddings)
        vectors = np.asarray(rows, dtype=np.float32)
        # Chroma's collections use cosine distance, and the protocol promises unit vectors whatever the model returns.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms == 0, 1.0, norms)
        self._dimension = int(vectors.shape[1])
        return vectors

    def embed_query(self, text: str) -> "np.ndarray":
        return self.embed([text])[0]

    @property
    def dimension(self) -> int:
        """Length of every vector; asks the server once if nothing has been embedded yet."""
        if self._dimension is None:
            self.embed(["dimension probe"])
        return self._dimension

    def count_tokens(self, text: str) -> int:
        return self._token_counter()(text)

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        return self._token_counter().count_many(texts)

    def _token_counter(self):
        if self._counter is None:
            with self._counter_lock:
                if self._counter is None:
                    from core.embeddings import packaged_model_path
                    from core.ingest.chunking import token_counter_for

                    self._counter = token_counter_for(packaged_model_path())
        return self._counter

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()
