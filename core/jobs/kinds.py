"""What each kind of job does, over a workspace: ingest files, re-chunk or delete a document, rebuild the
graph, train a database's schema. Every handler reports progress and stops only at safe points (between
files, before a step), so a cancel never leaves half a document."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

from core.jobs.worker import TRANSIENT, Handler, JobContext

INGEST, REINDEX, DELETE, GRAPH_REBUILD, TRAIN_SCHEMA = "ingest", "reindex", "delete", "graph_rebuild", "train_schema"
KINDS = (INGEST, REINDEX, DELETE, GRAPH_REBUILD, TRAIN_SCHEMA)


def job_handlers(workbench, passwords: Callable[[str], str | None]) -> dict[str, Handler]:
    """The handlers for ``workbench``; ``passwords(job_id)`` gives an encrypted upload's password, which is
    kept in memory only, never in the jobs table."""
    return {
        INGEST: lambda context: _ingest(workbench, context, passwords(context.job.id)),
        REINDEX: lambda context: _reindex(workbench, context),
        DELETE: lambda context: _delete(workbench, context),
        GRAPH_REBUILD: lambda context: _graph_rebuild(workbench, context),
        TRAIN_SCHEMA: lambda context: _train_schema(workbench, context),
    }


def _ingest(workbench, context: JobContext, password: str | None) -> dict[str, Any]:
    from core.ingest.pipeline import IngestResult

    job = context.job
    workspace = workbench.workspace(job.workspace)
    files = job.payload["files"]
    results: list[dict] = context.result.setdefault("results", [])
    staging = job.payload.get("staging")
    try:
        for index, item in enumerate(files):
            if any(entry.get("file_index") == index for entry in results):
                continue  # finished before the job was interrupted: never ingested twice
            context.checkpoint()
            if item.get("error"):  # refused when it was submitted (over the size limit)
                results.append({**IngestResult(item["filename"], "error", error=item["error"]).to_dict(),
                                "file_index": index})
                context.save()
                continue
            context.progress(index, len(files), f"{item['filename']}: reading")

            def on_progress(event, index=index, name=item["filename"]) -> None:
                if event.stage == "embed" and event.total:
                    context.progress(index, len(files), f"{name}: embedded {event.done}/{event.total} chunks")
                elif event.stage in ("parse", "index"):
                    context.progress(index, len(files), f"{name}: {event.stage}")

            found = workspace.ingest_paths([Path(item["path"])], password=password,
                                           doc_type=job.payload.get("doc_type", ""),
                                           tags=job.payload.get("tags", ()), progress=on_progress)
            # One file may give several results (a mail, then its attachments): all carry the file's index.
            for result in found or [IngestResult(item["filename"], "error", error="Nothing was read.")]:
                results.append({**result.to_dict(), "file_index": index})
            context.save()
            if item.get("staged"):
                Path(item["path"]).unlink(missing_ok=True)  # ingested or refused: the copy is not needed again
        context.progress(len(files), len(files), "done")
    except TRANSIENT:
        raise  # retried later: the staged files are still needed
    except Exception:  # failed or cancelled for good (an interrupted process keeps them, to resume)
        _remove(staging)
        raise
    _remove(staging)
    counts: dict[str, int] = {}
    for entry in results:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    context.result["summary"] = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no files"
    return context.result


def _reindex(workbench, context: JobContext) -> dict[str, Any]:
    payload = context.job.payload
    context.progress(0, 1, "re-chunking")
    result = workbench.workspace(context.job.workspace).reindex_document(
        payload["document_id"], chunk_tokens=payload["chunk_tokens"], chunk_overlap=payload["chunk_overlap"],
        progress=lambda event: context.progress(0, 1, f"embedded {event.done}/{event.total} chunks")
        if event.stage == "embed" and event.total else None)
    return {**result.to_dict(), "summary": f"{result.status}: {result.chunks} chunks"}


def _delete(workbench, context: JobContext) -> dict[str, Any]:
    document_id = context.job.payload["document_id"]
    context.progress(0, 1, "deleting")
    workbench.workspace(context.job.workspace).delete_document(document_id)
    return {"document_id": document_id, "summary": "deleted"}


def _graph_rebuild(workbench, context: JobContext) -> dict[str, Any]:
    def on_progress(event) -> None:
        context.progress(event.done, event.total, event.title or "rebuilding")
        # Before each document: a cancel here leaves the graph with the documents rebuilt so far (it is
        # derived from the documents; rebuilding again completes it).
        context.checkpoint()

    report = workbench.workspace(context.job.workspace).graph.rebuild(progress=on_progress)
    return {**report.to_dict(), "summary": f"{report.documents} documents, {report.entities} entities, "
                                           f"{report.relations} relations"}


def _train_schema(workbench, context: JobContext) -> dict[str, Any]:
    connection = context.job.payload.get("connection") or None
    context.progress(0, 1, "reading the schema")
    items = workbench.workspace(context.job.workspace).sql.train_schema(connection)
    return {"tables": len(items), "summary": f"trained {len(items)} tables"}


def _remove(staging: str | None) -> None:
    if staging:
        shutil.rmtree(staging, ignore_errors=True)
