"""OllamaEmbedder: sentence embeddings from an Ollama server's /api/embed (e.g. nomic-embed-text).

An alternative to the packaged sentence-transformers model for teams that already run Ollama
on a GPU box. It has the same small surface: ``embed(texts)`` and ``dimension``.
"""

from __future__ import annotations

import ollama

from core.errors import ConfigError, LLMUnavailable
from core.llm.ollama_llm import display_host, translate_ollama_error

DEFAULT_EMBEDDING_MODEL = "nomic-embed-text"


class OllamaEmbedder:
    """Embeds texts with an Ollama embedding model; vectors come back in input order."""

    def __init__(
        self, host: str, model: str = DEFAULT_EMBEDDING_MODEL, *, timeout_seconds: float = 120.0, batch_size: int = 64
    ) -> None:
        if not host.strip():
            raise ConfigError("The Ollama embedder needs a host: set AW_OLLAMA_HOST, e.g. http://127.0.0.1:11434.")
        if batch_size <= 0:
            raise ConfigError(f"The Ollama embedder's batch size must be positive, got {batch_size}.")
        self.model = model
        self.name = f"ollama/{model}"
        self.host = display_host(host)
        self._timeout = timeout_seconds
        self._batch_size = batch_size
        self._client = ollama.Client(host=host, timeout=timeout_seconds)
        self._dimension: int | None = None

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order. Raises ``LLMUnavailable`` if the server cannot embed."""
        vectors: list[list[float]] = []
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
            vectors.extend([float(x) for x in vector] for vector in response.embeddings)
        if vectors:
            self._dimension = len(vectors[0])
        return vectors

    @property
    def dimension(self) -> int:
        """Length of every vector; asks the server once if nothing has been embedded yet."""
        if self._dimension is None:
            self._dimension = len(self.embed(["dimension probe"])[0])
        return self._dimension

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()
