"""VectorStore protocol and ChromaVectorStore (embedded PersistentClient, or HttpClient to a server).

Isolation: every workspace has its own collections, named ``aw__<workspace>__<purpose>``,
so no query can ever see another workspace's vectors. We always pass our own embeddings;
Chroma's default embedding function (which would download a model) is never used.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

from core.errors import BackendUnavailable, ConfigError
from core.health import BackendHealth, embedded_dir_health, http_ok
from core.settings import ChromaSettings


@dataclass(frozen=True)
class VectorRecord:
    id: str
    text: str
    metadata: dict[str, Any]
    distance: float | None = None


class VectorStore(Protocol):
    def upsert(self, workspace: str, purpose: str, ids: Sequence[str], embeddings, texts: Sequence[str], metadatas: Sequence[dict]) -> None: ...
    def delete(self, workspace: str, purpose: str, *, ids: Sequence[str] | None = None, where: dict | None = None) -> None: ...
    def query(self, workspace: str, purpose: str, embedding, k: int, where: dict | None = None) -> list[VectorRecord]: ...
    def get(self, workspace: str, purpose: str, *, ids: Sequence[str] | None = None, where: dict | None = None) -> list[VectorRecord]: ...
    def count(self, workspace: str, purpose: str) -> int: ...
    def drop(self, workspace: str, purpose: str) -> None: ...


def collection_name(workspace: str, purpose: str) -> str:
    name = f"aw__{workspace}__{purpose}"
    if len(name) > 500:
        raise ConfigError(f"Collection name for {workspace}/{purpose} is too long.")
    return name


class ChromaVectorStore:
    description = "Chroma: embedded under the data dir, or a Chroma server when AW_CHROMA_HOST is set"
    settings_section = "chroma"

    def __init__(self, settings: ChromaSettings):
        self.settings = settings
        self._client = None
        self._collections: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: ChromaSettings) -> "ChromaVectorStore":
        return cls(settings)

    @classmethod
    def check_health(cls, settings: ChromaSettings) -> BackendHealth:
        """Embedded: the package and a writable folder. Server: its heartbeat answers within two seconds."""
        if not settings.is_server:
            return embedded_dir_health("vectors", "chroma", settings.path, "chromadb")
        scheme = "https" if settings.ssl else "http"
        url = f"{scheme}://{settings.host}:{settings.port}"
        ok, detail = http_ok(f"{url}/api/v2/heartbeat")
        step = "" if ok else (f"Start the server (`chroma run --path DIR --port {settings.port}`) "
                              "or unset AW_CHROMA_HOST for embedded Chroma.")
        return BackendHealth("vectors", "chroma", "server", ok, f"{url}: {detail}", step)

    @property
    def mode(self) -> str:
        return "server" if self.settings.is_server else "embedded"

    @property
    def location(self) -> str:
        if self.settings.is_server:
            scheme = "https" if self.settings.ssl else "http"
            return f"{scheme}://{self.settings.host}:{self.settings.port}"
        return str(self.settings.path)

    @property
    def client(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._connect()
        return self._client

    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaClientSettings

        client_settings = ChromaClientSettings(anonymized_telemetry=False)
        if self.settings.is_server:
            try:
                client = chromadb.HttpClient(
                    host=self.settings.host, port=self.settings.port, ssl=self.settings.ssl, settings=client_settings
                )
                client.heartbeat()
            except Exception as exc:  # the client raises several types for an unreachable server
                raise BackendUnavailable(
                    f"Cannot reach the Chroma server at {self.location}: {_first_line(exc)}. "
                    "Start it (`chroma run --path DIR --port N`) or unset AW_CHROMA_HOST to use embedded Chroma."
                ) from None
            return client
        self.settings.path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.settings.path), settings=client_settings)

    def _collection(self, workspace: str, purpose: str, *, create: bool = True):
        name = collection_name(workspace, purpose)
        cached = self._collections.get(name)
        if cached is not None:
            return cached
        if create:
            collection = self.client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
        else:
            existing = {c.name if hasattr(c, "name") else c for c in self.client.list_collections()}
            if name not in existing:
                return None
            collection = self.client.get_collection(name, embedding_function=None)
        self._collections[name] = collection
        return collection

    def upsert(self, workspace, purpose, ids, embeddings, texts, metadatas) -> None:
        if not ids:
            return
        collection = self._collection(workspace, purpose)
        step = max(1, min(self.client.get_max_batch_size(), 2000))
        for start in range(0, len(ids), step):
            end = start + step
            collection.upsert(
                ids=list(ids[start:end]),
                embeddings=[list(map(float, v)) for v in embeddings[start:end]],
                documents=list(texts[start:end]),
                metadatas=[clean_metadata(m) for m in metadatas[start:end]],
            )

    def delete(self, workspace, purpose, *, ids=None, where=None) -> None:
        collection = self._collection(workspace, purpose, create=False)
        if collection is None:
            return
        if ids is not None:
            if ids:
                collection.delete(ids=list(ids))
        elif where:
            collection.delete(where=where)

    def query(self, workspace, purpose, embedding, k, where=None) -> list[VectorRecord]:
        collection = self._collection(workspace, purpose, create=False)
        if collection is None or k <= 0:
            return []
        total = collection.count()
        if total == 0:
            return []
        result = collection.query(
            query_embeddings=[list(map(float, embedding))],
            n_results=min(k, total),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            VectorRecord(id=i, text=t or "", metadata=dict(m or {}), distance=float(d))
            for i, t, m, d in zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0])
        ]

    def get(self, workspace, purpose, *, ids=None, where=None) -> list[VectorRecord]:
        collection = self._collection(workspace, purpose, create=False)
        if collection is None:
            return []
        result = collection.get(ids=list(ids) if ids is not None else None, where=where or None, include=["documents", "metadatas"])
        return [VectorRecord(id=i, text=t or "", metadata=dict(m or {})) for i, t, m in zip(result["ids"], result["documents"], result["metadatas"])]

    def ids(self, workspace, purpose, *, where=None) -> list[str]:
        collection = self._collection(workspace, purpose, create=False)
        if collection is None:
            return []
        return list(collection.get(where=where or None, include=[])["ids"])

    def count(self, workspace, purpose) -> int:
        collection = self._collection(workspace, purpose, create=False)
        return 0 if collection is None else collection.count()

    def drop(self, workspace, purpose) -> None:
        name = collection_name(workspace, purpose)
        self._collections.pop(name, None)
        if self._collection(workspace, purpose, create=False) is not None:
            self._collections.pop(name, None)
            self.client.delete_collection(name)

    def heartbeat(self) -> None:
        self.client.heartbeat()


def clean_metadata(metadata: dict) -> dict:
    # Chroma rejects None and empty lists as metadata values; absent keys mean "not set".
    return {k: v for k, v in metadata.items() if v is not None and v != [] and v != ()}


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
