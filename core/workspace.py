"""A handle whose every operation is scoped to one workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from core.workbench import Workbench


class Workspace:
    def __init__(self, workbench: "Workbench", name: str):
        self.workbench = workbench
        self.name = name

    def __repr__(self) -> str:
        return f"Workspace({self.name!r})"
