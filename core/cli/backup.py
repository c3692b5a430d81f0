"""`backup PATH` and `restore PATH`: a consistent snapshot of the data dir, and bringing it back.

Connection passwords are left out of a backup unless --encrypt-secrets is given (the passphrase
comes from AW_BACKUP_PASSPHRASE or a hidden prompt); they are never written in plain text.
"""

from __future__ import annotations

import os

import typer

from core.cli import CliContext, app, emit, fail, progress
from core.errors import WorkbenchError


def _passphrase(confirm: bool) -> str:
    from core.backup import PASSPHRASE_ENV

    # The environment variable serves scripts; a person gets a hidden prompt (never echoed or logged).
    return os.environ.get(PASSPHRASE_ENV) or typer.prompt("Backup passphrase", hide_input=True,
                                                          confirmation_prompt=confirm, err=True)


def _excluded_lines(excluded: list[dict]) -> list[str]:
    return [f"  not included: {item['item']} ({item['reason']})" for item in excluded]


@app.command("backup")
def backup(
    ctx: typer.Context,
    path: str = typer.Argument(..., help="Backup file to write, ending in .tar.gz (or .tar)."),
    encrypt_secrets: bool = typer.Option(False, "--encrypt-secrets", help="Include connection passwords, encrypted "
                                         "with a passphrase (AW_BACKUP_PASSPHRASE or a prompt)."),
    exclude_secrets: bool = typer.Option(False, "--exclude-secrets", help="Leave connection passwords out (the default)."),
    force: bool = typer.Option(False, "--force", help="Replace PATH if it exists."),
    wait: float = typer.Option(300, "--wait", help="Seconds to wait for running uploads to finish before giving up."),
) -> None:
    """Back up the whole data dir while the app keeps running: {"path", "created_at", "included", "excluded", "bytes"}."""
    obj: CliContext = ctx.obj
    from core.backup import create_backup
    from core.errors import InvalidInput

    try:
        if encrypt_secrets and exclude_secrets:
            raise InvalidInput("Choose one of --encrypt-secrets and --exclude-secrets.")
        passphrase = _passphrase(confirm=True) if encrypt_secrets else None
        progress(f"Backing up {obj.settings.data_dir} ...")
        summary = create_backup(obj.settings, path, encrypt_secrets=encrypt_secrets, passphrase=passphrase,
                                force=force, wait_seconds=wait)
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    lines = [f"Backed up to {summary['path']} ({summary['bytes']} bytes): {', '.join(summary['included'])}.",
             *_excluded_lines(summary["excluded"])]
    emit(obj, summary, "\n".join(lines))


@app.command("restore")
def restore(
    ctx: typer.Context,
    path: str = typer.Argument(..., help="Backup file made by `backup`."),
    exclude_secrets: bool = typer.Option(False, "--exclude-secrets", help="Restore without the connection passwords."),
) -> None:
    """Restore a backup into an empty data dir (--data-dir): {"data_dir", "restored", "documents", "needs_password"}."""
    obj: CliContext = ctx.obj
    from core.backup import restore_backup

    try:
        progress(f"Restoring {path} into {obj.settings.data_dir} ...")
        summary = restore_backup(obj.settings, path, passphrase=lambda: _passphrase(confirm=False),
                                 exclude_secrets=exclude_secrets)
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    payload = {k: summary[k] for k in ("data_dir", "restored", "documents", "needs_password")}
    lines = [f"Restored {', '.join(summary['restored'])} into {summary['data_dir']}: {summary['documents']} documents.",
             *_excluded_lines(summary["excluded"])]
    lines += [f"  enter the password again: connection {n['connection']} (workspace {n['workspace']})"
              for n in summary["needs_password"]]
    emit(obj, payload, "\n".join(lines))
