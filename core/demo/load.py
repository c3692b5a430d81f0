"""Put the generated demo into a workspace, so the first things an analyst tries just work."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from core.demo import DB_FILENAME, DOCS_DIRNAME
from core.errors import NotFound


@dataclass(frozen=True)
class DemoDatabaseLoad:
    """What ``load_demo_database`` did: which connection, and how many items of each kind it trained."""

    connection: str
    tables: int
    notes: int
    certified_queries: int

    def describe(self) -> str:
        return (f"Demo database connected as {self.connection!r} and trained: {self.tables} tables, "
                f"{self.notes} notes, {self.certified_queries} certified questions.")


def load_demo_documents(workspace, demo_dir: Path) -> list:
    """Ingest the demo documents (already ingested ones are reported as duplicates, quickly), then
    connect and train the demo database (``load_demo_database``). Returns the ingestion results."""
    docs = sorted(p for p in (demo_dir / DOCS_DIRNAME).iterdir() if p.is_file())

    def report(event) -> None:
        if event.stage == "parse":
            sys.stderr.write(f"  indexing demo document {event.file_index + 1}/{event.file_count}: {event.filename}\n")

    results = workspace.ingest_paths(docs, tags=["demo"], progress=report)
    sys.stderr.write(load_demo_database(workspace, demo_dir).describe() + "\n")
    return results


def load_demo_database(workspace, demo_dir: Path) -> DemoDatabaseLoad:
    """Connect ``demo_dir``'s database to the workspace as "demo" (once) and train it: the schema,
    the demo's documentation notes and its certified queries. Training again replaces, never duplicates."""
    from core.demo.training import CERTIFIED_QUERIES, DOCUMENTATION

    database = (Path(demo_dir) / DB_FILENAME).resolve()
    service = workspace.workbench.sql
    connection = service.ensure_demo_connection(workspace.name, f"sqlite:///{database}")
    if connection is None:
        raise NotFound(f"The demo database {database} does not exist: run `python -m core.demo` first.")
    tables = service.train_schema(workspace.name, connection)
    for note in DOCUMENTATION:
        service.add_documentation(workspace.name, note, connection=connection)
    for query in CERTIFIED_QUERIES:
        service.add_question_sql(workspace.name, query.question, query.sql, parameters=query.parameters,
                                 connection=connection)
    return DemoDatabaseLoad(connection.name, len(tables), len(DOCUMENTATION), len(CERTIFIED_QUERIES))
