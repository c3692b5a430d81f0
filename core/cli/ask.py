"""CLI: ask (JSON shape in DESIGN.md)."""

from __future__ import annotations

from typing import Optional

import typer

from core.cli import CliContext, app, emit, fail
from core.errors import WorkbenchError


@app.command()
def ask(
    ctx: typer.Context,
    question: str = typer.Argument(...),
    conversation: Optional[str] = typer.Option(None, "--conversation", help="Keep memory across calls under this id."),
) -> None:
    """Ask the assistant; it answers from documents, graph and database with sources."""
    obj: CliContext = ctx.obj
    try:
        answer = obj.workspace().chat.ask(question, conversation_id=conversation or "", user_id="cli")
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    payload = {
        "answer": answer.text, "mode": answer.mode, "notice": answer.notice,
        "sources": [{"index": s.index, "kind": s.kind, "title": s.title, "text": s.text, "reference": s.reference} for s in answer.sources],
    }
    human = answer.text
    if answer.notice:
        human = f"({answer.notice})\n\n{human}"
    if answer.sources:
        human += "\n\nSources:\n" + "\n".join(f"[{s.index}] {s.title}" for s in answer.sources)
    emit(obj, payload, human)
