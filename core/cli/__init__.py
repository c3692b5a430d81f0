"""`python -m core.cli`: the command line over the same workbench the app uses.

Global options: --data-dir, --workspace, --json. With --json, stdout carries exactly one JSON
document (the shapes are the contract in DESIGN.md); progress and messages go to stderr.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, Optional

import typer

from core.errors import WorkbenchError
from core.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Analyst Workbench command line.")


@dataclass
class CliContext:
    settings: Settings
    workspace_name: str
    as_json: bool
    _workbench: Any = None

    @property
    def workbench(self):
        if self._workbench is None:
            from core.workbench import build_workbench

            self._workbench = build_workbench(self.settings)
        return self._workbench

    def workspace(self):
        return self.workbench.workspace(self.workspace_name)


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Optional[str] = typer.Option(None, "--data-dir", help="Data folder (default: AW_DATA_DIR or data/)."),
    workspace: Optional[str] = typer.Option(None, "--workspace", help="Workspace (default: AW_DEFAULT_WORKSPACE or default)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable JSON on stdout."),
) -> None:
    overrides = {"AW_DATA_DIR": data_dir} if data_dir else {}
    try:
        settings = Settings.from_env(**overrides)
    except WorkbenchError as exc:
        fail(exc, as_json, exit_code=2)
    ctx.obj = CliContext(settings, workspace or settings.default_workspace, as_json)


def emit(obj: CliContext, payload: Any, human: str) -> None:
    """Print JSON on stdout with --json, otherwise the human-readable text."""
    if obj.as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        typer.echo(human)


def fail(exc: WorkbenchError, as_json: bool, exit_code: int = 1) -> None:
    if as_json:
        typer.echo(json.dumps({"error": str(exc), "kind": exc.kind}))
    else:
        typer.echo(f"Error: {exc}", err=True)
    raise typer.Exit(exit_code)


def progress(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


@app.command()
def health(ctx: typer.Context) -> None:
    """Report every backend: embedded or server, reachable or not, and what to do."""
    obj: CliContext = ctx.obj
    report = obj.workbench.health()
    lines = []
    for item in report:
        mark = "ok " if item.ok else "DOWN"
        lines.append(f"[{mark}] {item.backend:<14} {item.implementation:<22} {item.mode:<8} {item.detail}")
        if item.next_step:
            lines.append(f"       -> {item.next_step}")
    emit(obj, {"backends": [item.to_dict() for item in report], "ok": all(i.ok for i in report)}, "\n".join(lines))


# Each capability registers its commands in its own module (imported last: they use `app`).
from core.cli import ask as _ask  # noqa: E402,F401
from core.cli import documents as _documents  # noqa: E402,F401
from core.cli import sql as _sql  # noqa: E402,F401
from core.cli import graph as _graph  # noqa: E402,F401
from core.cli import maintenance as _maintenance  # noqa: E402,F401
from core.cli import backup as _backup  # noqa: E402,F401
from core.cli import jobs as _jobs  # noqa: E402,F401
