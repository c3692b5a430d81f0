"""Saved versions of the analyst's semantic model additions, per workspace and connection.

Each save is a new version (1, 2, 3, ...); nothing is overwritten, so an edit that made answers
worse can be looked at and the earlier version saved again. The text is stored as the analyst
wrote it (comments included), checked before it is saved (``core.sql.semantic_overrides``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from core.errors import NotFound
from core.metadata import MetadataStore, new_id, now_iso, semantic_models


@dataclass(frozen=True)
class SemanticVersion:
    version: int
    content: str
    created_at: str


class SemanticModelStore:
    def __init__(self, metadata: MetadataStore) -> None:
        self.metadata = metadata

    def latest(self, workspace: str, connection_id: str) -> SemanticVersion | None:
        found = self.versions(workspace, connection_id, limit=1)
        return found[0] if found else None

    def versions(self, workspace: str, connection_id: str, *, limit: int | None = None) -> list[SemanticVersion]:
        """Newest first."""
        query = (select(semantic_models).where(semantic_models.c.workspace == workspace,
                                               semantic_models.c.connection_id == connection_id)
                 .order_by(semantic_models.c.version.desc()))
        if limit is not None:
            query = query.limit(limit)
        with self.metadata.connect() as conn:
            rows = conn.execute(query).all()
        return [SemanticVersion(r.version, r.content, r.created_at) for r in rows]

    def version(self, workspace: str, connection_id: str, number: int) -> SemanticVersion:
        with self.metadata.connect() as conn:
            row = conn.execute(select(semantic_models).where(
                semantic_models.c.workspace == workspace, semantic_models.c.connection_id == connection_id,
                semantic_models.c.version == number)).first()
        if row is None:
            raise NotFound(f"There is no version {number} of this connection's semantic model.")
        return SemanticVersion(row.version, row.content, row.created_at)

    def save(self, workspace: str, connection_id: str, content: str) -> SemanticVersion:
        """A new version with ``content``; two saves at once get two versions (the unique key retries)."""
        for _attempt in range(5):
            try:
                with self.metadata.begin() as conn:
                    last = conn.execute(select(func.max(semantic_models.c.version)).where(
                        semantic_models.c.connection_id == connection_id)).scalar()
                    number, created = (last or 0) + 1, now_iso()
                    conn.execute(semantic_models.insert().values(
                        id=new_id(), workspace=workspace, connection_id=connection_id, version=number,
                        content=content, created_at=created))
                return SemanticVersion(number, content, created)
            except IntegrityError:
                continue  # another process took this number first
        raise RuntimeError("Could not save the semantic model: version numbers kept colliding.")

    def forget(self, workspace: str, connection_id: str) -> None:
        """Every version, when the connection is removed."""
        with self.metadata.begin() as conn:
            conn.execute(delete(semantic_models).where(semantic_models.c.workspace == workspace,
                                                       semantic_models.c.connection_id == connection_id))
