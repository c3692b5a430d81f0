"""Put the generated demo into a workspace, so the first things an analyst tries just work."""

from __future__ import annotations

import sys
from pathlib import Path

from core.demo import DOCS_DIRNAME


def load_demo_documents(workspace, demo_dir: Path) -> list:
    """Ingest the demo documents (already ingested ones are reported as duplicates, quickly)."""
    docs = sorted(p for p in (demo_dir / DOCS_DIRNAME).iterdir() if p.is_file())

    def report(event) -> None:
        if event.stage == "parse":
            sys.stderr.write(f"  indexing demo document {event.file_index + 1}/{event.file_count}: {event.filename}\n")

    return workspace.ingest_paths(docs, tags=["demo"], progress=report)
