"""The data dir's manifest: what its stores were built with, checked every time the workbench opens.

``<data dir>/manifest.json`` records the data dir's format version, the embedding model that
made its vectors (and their dimension once known), the chunk settings and the graph backend.
When the settings no longer match:

- another embedding model: vectors from two models must never be mixed (a query embedded by
  one model compared with passages embedded by another returns confident nonsense), so every
  use of the embedder is refused with ``ReindexRequired`` until ``python -m core.cli reindex``
  has re-embedded everything; a data dir with no vectors yet simply takes the new model;
- other chunk settings or another graph backend: nothing is wrong, but existing documents keep
  their old chunks and the new graph store starts empty, so a re-chunk or a graph rebuild is
  offered;
- a format version newer than the code's: refused, as a newer schema is.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from core.errors import ConfigError
from core.query_vectors import RecentQueryVectors

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"


class ReindexRequired(ConfigError):
    """The data dir's vectors were made by another embedding model than the settings name."""

    kind = "reindex_required"


@dataclass(frozen=True)
class DataManifest:
    format_version: int
    embedding_model: str
    embedding_dimension: int | None
    chunk_tokens: int
    chunk_overlap: int
    graph_backend: str
    updated_at: str = ""


@dataclass(frozen=True)
class ManifestChange:
    """One way the settings differ from what the data dir was built with, and what it needs."""

    what: str
    was: str
    now: str
    needs: str  # "reindex" (blocking), "rechunk" or "rebuild_graph" (offered)

    @property
    def message(self) -> str:
        if self.needs == "reindex":
            return (f"The stored vectors were made by the embedding model {self.was}, and the settings now name "
                    f"{self.now}: mixing the two would give wrong search results. Re-embed everything with "
                    "`python -m core.cli reindex`, or set AW_EMBEDDING_MODEL back.")
        if self.needs == "rechunk":
            return (f"Documents were chunked with {self.was} and the settings now say {self.now}: new uploads use the "
                    "new settings; re-chunk existing documents from the Documents page to match.")
        return (f"The knowledge graph was built in {self.was} and the settings now use {self.now}, which starts "
                "empty: rebuild the graph from the Knowledge Graph page.")


def read_manifest(data_dir: Path) -> DataManifest | None:
    """The recorded manifest, or None when the data dir has none yet."""
    path = Path(data_dir) / MANIFEST_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        manifest = DataManifest(**{field: raw.get(field) for field in DataManifest.__dataclass_fields__})
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        raise ConfigError(f"{path} is damaged: restore it from a backup, or delete it to record the current "
                          "settings as what the data dir holds.") from None
    if not isinstance(manifest.format_version, int) or manifest.format_version > FORMAT_VERSION:
        raise ConfigError(f"The data dir {data_dir} has format version {manifest.format_version}, newer than this "
                          f"version of the workbench reads ({FORMAT_VERSION}): run the newer version.")
    return manifest


def write_manifest(data_dir: Path, manifest: DataManifest) -> None:
    """Replace the manifest atomically (a crash leaves the old one or the new one, never half)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    stamped = replace(manifest, updated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    handle, temporary = tempfile.mkstemp(prefix=".manifest-", dir=data_dir)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(asdict(stamped), stream, indent=1)
        os.replace(temporary, data_dir / MANIFEST_FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def changes_between(recorded: DataManifest, current: DataManifest) -> list[ManifestChange]:
    found = []
    if recorded.embedding_model != current.embedding_model:
        found.append(ManifestChange("embedding model", recorded.embedding_model, current.embedding_model, "reindex"))
    was = f"{recorded.chunk_tokens} tokens (overlap {recorded.chunk_overlap})"
    now = f"{current.chunk_tokens} tokens (overlap {current.chunk_overlap})"
    if was != now:
        found.append(ManifestChange("chunk settings", was, now, "rechunk"))
    if recorded.graph_backend != current.graph_backend:
        found.append(ManifestChange("graph backend", recorded.graph_backend, current.graph_backend, "rebuild_graph"))
    return found


class DataDirState:
    """The data dir's manifest against the settings, checked once per process and kept current."""

    def __init__(self, data_dir: Path, current: Callable[[], DataManifest], count_vectors: Callable[[], int]) -> None:
        self.data_dir = Path(data_dir)
        self._current_factory = current
        self._current: DataManifest | None = None
        self._count_vectors = count_vectors
        self._lock = threading.Lock()
        self._changes: list[ManifestChange] | None = None
        self._reindexing = threading.local()

    @property
    def current(self) -> DataManifest:
        """What the settings would build now (read lazily: naming the model resolves its folder)."""
        if self._current is None:
            self._current = self._current_factory()
        return self._current

    def changes(self) -> list[ManifestChange]:
        """What differs from what the data dir was built with (empty when nothing does)."""
        with self._lock:
            if self._changes is None:
                self._changes = self._check()
            return list(self._changes)

    def reindex_required(self) -> ManifestChange | None:
        return next((c for c in self.changes() if c.needs == "reindex"), None)

    def refuse_if_mixed(self) -> None:
        """Raise ``ReindexRequired`` when the embedder must not be used, except while re-indexing."""
        if getattr(self._reindexing, "active", False):
            return
        change = self.reindex_required()
        if change is not None:
            raise ReindexRequired(change.message)

    @contextmanager
    def reindexing(self) -> Iterator[None]:
        """Let this thread use the new model while it re-embeds everything."""
        self._reindexing.active = True
        try:
            yield
        finally:
            self._reindexing.active = False

    def record_reindexed(self, dimension: int | None) -> None:
        """Everything is embedded by the current model now: record it, with its dimension."""
        recorded = read_manifest(self.data_dir) or self.current
        write_manifest(self.data_dir, replace(recorded, embedding_model=self.current.embedding_model,
                                              embedding_dimension=dimension))
        with self._lock:
            self._changes = None

    def _check(self) -> list[ManifestChange]:
        recorded = read_manifest(self.data_dir)
        if recorded is None:
            # A new data dir, or one made before manifests: what it holds was built with these settings.
            write_manifest(self.data_dir, self.current)
            return []
        found = changes_between(recorded, self.current)
        if any(c.needs == "reindex" for c in found) and self._count_vectors() == 0:
            # Nothing embedded yet, so nothing to mix: the data dir simply takes the new model.
            write_manifest(self.data_dir, replace(recorded, embedding_model=self.current.embedding_model,
                                                  embedding_dimension=None))
            found = [c for c in found if c.needs != "reindex"]
        return found


class ManifestCheckedEmbedder:
    """The embedder, refusing to embed while the stored vectors come from another model.

    Every vector the workbench writes or compares goes through ``embed``/``embed_query``, so this
    one check keeps ingestion, search and SQL training from mixing two models' vectors.
    """

    def __init__(self, inner: Any, state: DataDirState) -> None:
        self._inner, self._state = inner, state
        self._recent = RecentQueryVectors()  # one embedder, one model: a question's vector never changes

    def embed(self, texts):
        self._state.refuse_if_mixed()
        return self._inner.embed(texts)

    def embed_query(self, text: str):
        self._state.refuse_if_mixed()
        return self._recent.get(text, self._inner.embed_query)

    def __getattr__(self, name: str) -> Any:  # model_id, dimension, count_tokens...: unchanged
        return getattr(self._inner, name)
