"""`migrate` and `reindex`: bring the data dir's schema and vectors up to this version and these settings."""

from __future__ import annotations

import typer

from core.cli import CliContext, app, emit, fail, progress
from core.errors import WorkbenchError
from core.metadata import MetadataStore


@app.command("migrate")
def migrate(
    ctx: typer.Context,
    check: bool = typer.Option(False, "--check", help="Only report the schema revision; change nothing."),
) -> None:
    """Apply the metadata store's pending schema migrations: {"from", "to", "applied"}.

    The app, the endpoint and every other command also do this when they open the store; this
    command does it on its own (before a deployment, say) and reports what it did.
    """
    obj: CliContext = ctx.obj
    store = MetadataStore(obj.settings.metadata_url)
    try:
        before = store.schema_report()
        if check:
            emit(obj, {"from": before.current, "to": before.head, "applied": [], "up_to_date": before.up_to_date},
                 f"Schema revision {before.current or 'none'}; this code's newest is {before.head}"
                 + ("." if before.up_to_date else ": run `python -m core.cli migrate` to upgrade."))
            return
        from core.migrations import upgrade

        report = upgrade(store.engine)
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    finally:
        store.close()
    applied = list(report.applied)
    emit(obj, {"from": before.current, "to": report.head, "applied": applied, "up_to_date": True},
         f"Applied {', '.join(applied)}; now at {report.head}." if applied else f"Already at {report.head}.")


@app.command("reindex")
def reindex(ctx: typer.Context) -> None:
    """Re-embed every document and training item with the current embedding model:
    {"model", "workspaces", "documents", "training_items"}.

    Needed after AW_EMBEDDING_MODEL changes: until then the workbench refuses to mix the two
    models' vectors. Search and uploads wait until it is done.
    """
    obj: CliContext = ctx.obj
    from core.reindex import reindex_everything

    try:
        report = reindex_everything(obj.workbench, progress)
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    emit(obj, {"model": report.model, "workspaces": report.workspaces, "documents": report.documents,
               "training_items": report.training_items},
         f"Re-embedded {report.documents} documents and {report.training_items} training items in "
         f"{report.workspaces} workspaces with {report.model}.")
