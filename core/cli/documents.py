"""CLI: ingest, docs, delete, search (JSON shapes in DESIGN.md)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from core.cli import CliContext, app, emit, fail, progress
from core.errors import WorkbenchError


@app.command()
def ingest(
    ctx: typer.Context,
    paths: List[Path] = typer.Argument(..., help="Files to ingest."),
    password: Optional[str] = typer.Option(None, "--password", help="Password for encrypted PDFs."),
    doc_type: str = typer.Option("", "--type", help="Document type label (default: from the file)."),
    tags: List[str] = typer.Option([], "--tag", help="Tag to attach (repeatable)."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait for the ingest job (default), or queue it and "
                              "return its id at once (the app's worker, or the next `jobs work`, runs it)."),
) -> None:
    """Ingest files as a background job; exit 1 if any file errored (the good ones are ingested either way)."""
    obj: CliContext = ctx.obj
    try:
        jobs = obj.workspace().jobs
        job = jobs.ingest_paths(paths, password=password, doc_type=doc_type, tags=tags)
        if not wait:
            emit(obj, {"job_id": job.id, "status": job.status}, f"Queued job {job.id} ({job.title}); "
                 "follow it with `jobs show ID`.")
            return
        job = jobs.wait(job.id, on_change=_job_progress)
    except WorkbenchError as exc:
        fail(exc, obj.as_json)
    finally:
        # A short-lived process must not sit in a long background repair: it stops after its
        # current batch and the next ingest (or `repair`) resumes where it stopped.
        if obj._workbench is not None:
            obj.workbench.ingestion.stop_repairs()
    results = [_contract(r) for r in job.result.get("results", [])]
    if job.status != "done":
        typer.echo(f"Error: the ingest job {job.status}: {job.error or job.message}", err=True)
    emit(obj, results, "\n".join(_result_line(r) for r in results))
    if job.status != "done" or any(r["status"] == "error" for r in results):
        raise typer.Exit(1)


def _contract(result: dict) -> dict:
    """DESIGN.md's shape for one file, plus the mail a file came in (attachments) and what was left out."""
    shaped = {key: result.get(key) for key in ("file", "status", "document_id", "chunks", "error")}
    if result.get("parent_id"):
        shaped["parent_id"] = result["parent_id"]
    if result.get("warnings"):
        shaped["warnings"] = result["warnings"]
    return shaped


def _job_progress(job) -> None:
    if job.status == "running":
        progress(f"[{min(job.done + 1, job.total)}/{job.total}] {job.message}")


def _result_line(result: dict) -> str:
    if result["status"] == "error":
        return f"{result['status']:<9} {result['file']}: {result['error']}"
    if result["status"] == "indexing":
        return f"{result['status']:<9} {result['file']}: being indexed by another run; it appears when that finishes"
    return f"{result['status']:<9} {result['file']} ({result['chunks']} chunks)"


@app.command()
def repair(ctx: typer.Context) -> None:
    """Finish interrupted uploads and deletes now (ingest also does it, in the background)."""
    obj: CliContext = ctx.obj
    try:
        repaired = obj.workspace().repair()
    except WorkbenchError as exc:
        fail(exc, obj.as_json)
    emit(obj, {"repaired": repaired}, "\n".join(f"repaired {i}" for i in repaired) or "Nothing to repair.")


@app.command()
def docs(ctx: typer.Context) -> None:
    """List the workspace's documents."""
    obj: CliContext = ctx.obj
    try:
        items = obj.workspace().documents()
    except WorkbenchError as exc:
        fail(exc, obj.as_json)
    payload = [
        {"document_id": d.id, "title": d.title, "filename": d.filename, "doc_type": d.doc_type, "tags": list(d.tags),
         "chunks": d.chunk_count, "size_bytes": d.size_bytes, "created_at": d.created_at}
        for d in items
    ]
    emit(obj, payload, "\n".join(f"{d.id}  {d.chunk_count:>4} chunks  {d.title}" for d in items) or "No documents yet.")


@app.command()
def delete(ctx: typer.Context, document_id: str = typer.Argument(..., help="Id from `docs`.")) -> None:
    """Remove a document from every store."""
    obj: CliContext = ctx.obj
    try:
        obj.workspace().delete_document(document_id)
    except WorkbenchError as exc:
        fail(exc, obj.as_json)
    emit(obj, {"deleted": document_id}, f"Deleted {document_id}.")


@app.command()
def search(
    ctx: typer.Context,
    query: str = typer.Argument(...),
    k: int = typer.Option(5, "-k", help="Number of results."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, vector or keyword."),
) -> None:
    """Search the workspace's documents."""
    obj: CliContext = ctx.obj
    try:
        hits = obj.workspace().search(query, k=k, mode=mode)
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    payload = [
        {"document_id": h.chunk.document_id, "title": h.document_title, "chunk_id": h.chunk.id, "score": h.score,
         "text": h.chunk.text, "page": h.chunk.page, "heading": " > ".join(h.chunk.heading_path)}
        for h in hits
    ]
    human = "\n\n".join(f"[{i}] {h.citation}  (score {h.score:.3f})\n{h.chunk.text[:300]}" for i, h in enumerate(hits, 1))
    emit(obj, payload, human or "No results.")
