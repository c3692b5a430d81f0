"""CLI: `sql run|ask|model|train|connections|add|remove` (JSON shapes in DESIGN.md's CLI contract).

``--db`` is a saved connection's name or a SQLAlchemy URL; without it the workspace's default
connection is used. ``sql run`` on a URL that is not saved runs it without saving anything;
``sql train``/``sql ask`` save a new URL as a connection (they need somewhere to keep training).
Every refused or failed command exits 2 with ``{"error", "kind"}``; an abstained question
has kind ``abstained`` and lists the ``closest`` questions the database can answer.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, List, Optional

import typer

from core.cli import CliContext, app, emit, fail
from core.errors import InvalidInput, WorkbenchError

sql_app = typer.Typer(add_completion=False, no_args_is_help=True,
                      help="Query and ask SQL databases (always read-only).")
app.add_typer(sql_app, name="sql")

DB_HELP = "A saved connection's name or a SQLAlchemy URL (default: the workspace's default connection)."
_HUMAN_ROWS = 50


def _table(columns, rows, truncated: bool, reason: str = "") -> str:
    """A plain-text table of the first rows, for people at a terminal."""
    lines = [" | ".join(map(str, columns))]
    lines += [" | ".join("" if value is None else str(value) for value in row) for row in rows[:_HUMAN_ROWS]]
    shown = min(len(rows), _HUMAN_ROWS)
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
                 + (f", first {shown} shown" if shown < len(rows) else "")
                 + (f"; the result was cut: it had {reason or 'more rows than the row cap'}" if truncated else "") + ")")
    return "\n".join(lines)


def _rows(rows) -> list[list[Any]]:
    return [list(row) for row in rows]


def _sql(obj: CliContext):
    """The SQL view of the chosen workspace."""
    return obj.workspace().sql


@sql_app.command("run")
def run_sql(
    ctx: typer.Context,
    sql: str = typer.Argument(..., help="One read-only SELECT statement."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Run one read-only query: {"columns", "rows", "truncated"}."""
    obj: CliContext = ctx.obj
    try:
        database = _sql(obj)
        if db and "://" in db:
            result = database.run_url(db, sql)
        else:
            result = database.run(sql, connection=db or None).result
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    payload = {"columns": list(result.columns), "rows": _rows(result.rows), "truncated": result.truncated}
    if result.truncated:  # the contract's shape, plus which limit cut the rows when one did
        payload["truncated_reason"] = result.truncated_reason
    emit(obj, payload, _table(result.columns, result.rows, result.truncated, result.truncated_reason))


@sql_app.command("ask")
def ask(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="A question in plain language."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    today: Optional[str] = typer.Option(None, "--today", help="Read 'this week', 'last month'... as of this day (YYYY-MM-DD)."),
) -> None:
    """Answer a question from certified queries (or LLM-written SQL when an LLM is configured)."""
    obj: CliContext = ctx.obj
    try:
        as_of = _as_of(today)
        database = _sql(obj)
        answer = database.ask(question, connection=database.connection_for(db), today=as_of)
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    if answer.abstained:
        if obj.as_json:
            typer.echo(json.dumps({"error": answer.message, "kind": "abstained", "closest": list(answer.closest),
                                   "suggestions": [{"question": q, "interpretation": meaning}
                                                   for q, meaning in answer.suggestions]}))
        else:
            typer.echo(f"Not answered: {answer.message}", err=True)
            for closest in answer.closest:
                typer.echo(f"  - {closest}", err=True)
            for suggestion, meaning in answer.suggestions:
                typer.echo(f"  Did you mean: {suggestion}  ({meaning})", err=True)
        raise typer.Exit(2)
    result = answer.result
    payload = {"sql": answer.sql, "source": answer.source, "columns": list(result.columns), "rows": _rows(result.rows),
               "truncated": result.truncated, "params": answer.params, "connection": answer.connection,
               "plan": answer.plan}
    if result.truncated:
        payload["truncated_reason"] = result.truncated_reason
    human = f"-- {answer.source} answer" + (f" (matched {answer.matched_question!r})" if answer.matched_question else "")
    human += f" ({answer.interpretation})" if answer.interpretation else ""
    human += "\n" + answer.sql + ("\n-- params: " + json.dumps(answer.params, default=str) if answer.params else "")
    emit(obj, payload, human + "\n\n" + _table(result.columns, result.rows, result.truncated, result.truncated_reason))


@sql_app.command("model")
def semantic_model(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    save: Optional[typer.FileText] = typer.Option(None, "--save", help="Check a YAML file of additions and save it "
                                                  "as a new version ('-' reads stdin)."),
    versions: bool = typer.Option(False, "--versions", help="List the saved versions."),
    version: Optional[int] = typer.Option(None, "--version", help="Print one saved version."),
) -> None:
    """The semantic model additions (synonyms, value spellings, metrics) as YAML: print, save, list versions."""
    obj: CliContext = ctx.obj
    try:
        database = _sql(obj)
        saved = database.connection_for(db)
        if save is not None:
            stored = database.save_semantic_yaml(save.read(), connection=saved)
            emit(obj, {"connection": saved.name, "version": stored.version},
                 f"Saved version {stored.version} of {saved.name}'s semantic model.")
        elif versions:
            found = database.semantic_versions(connection=saved)
            emit(obj, {"connection": saved.name, "versions": [{"version": v.version, "created_at": v.created_at}
                                                                for v in found]},
                 "\n".join(f"{v.version}  {v.created_at}" for v in found) or "No saved versions: the model is derived.")
        else:
            text = (database.semantic_version(version, connection=saved).content if version is not None
                    else database.semantic_yaml(connection=saved))
            emit(obj, {"connection": saved.name, "version": version, "content": text}, text)
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)


@sql_app.command("train")
def train(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    schema: bool = typer.Option(False, "--schema", help="Train the DDL of every table, read from the database."),
    docs: List[str] = typer.Option([], "--doc", help="A documentation note (repeatable)."),
    question: Optional[str] = typer.Option(None, "--question", help="A question, trained with --sql."),
    sql: Optional[str] = typer.Option(None, "--sql", help="The SQL that answers --question."),
    params: List[str] = typer.Option([], "--param", help="A parameter of --sql: 'city: customers.city', "
                                     "'period: dates | default: all time' or 'limit: number' (repeatable)."),
) -> None:
    """Add training data: {"connection", "trained": [{"id", "kind", "question", "content"}]}."""
    obj: CliContext = ctx.obj
    try:
        if not (schema or docs or question or sql):
            raise InvalidInput("Nothing to train: pass --schema, --doc TEXT, or --question Q --sql S.")
        if bool(question) != bool(sql):
            raise InvalidInput("--question and --sql go together: give both.")
        database = _sql(obj)
        connection = database.connection_for(db)
        trained = list(database.train_schema(connection)) if schema else []
        trained += [database.add_documentation(note, connection=connection) for note in docs]
        if question:
            trained.append(database.add_question_sql(question, sql, parameters="\n".join(params), connection=connection))
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    payload = {"connection": connection.name,
               "trained": [{"id": i.id, "kind": i.kind, "question": i.question, "content": i.content} for i in trained]}
    counts = {kind: sum(i.kind == kind for i in trained) for kind in ("ddl", "documentation", "question_sql")}
    emit(obj, payload, f"Trained {connection.name}: {counts['ddl']} tables, {counts['documentation']} notes, "
                       f"{counts['question_sql']} question/SQL pairs.")


@sql_app.command("connections")
def connections(ctx: typer.Context) -> None:
    """List the workspace's saved connections (never their passwords)."""
    obj: CliContext = ctx.obj
    try:
        saved = _sql(obj).connections()
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    payload = [{"id": c.id, "name": c.name, "url": c.url, "dialect": c.dialect, "default": c.is_default} for c in saved]
    human = "\n".join(f"{'*' if c.is_default else ' '} {c.name:<20} {c.url}" for c in saved) or "No connections yet."
    emit(obj, payload, human)


@sql_app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A name for the connection."),
    url: str = typer.Argument(..., help="SQLAlchemy URL, e.g. postgresql+psycopg://analyst@db:5432/sales."),
    ask_password: bool = typer.Option(False, "--ask-password", help="Prompt for the password (kept out of shell history)."),
    make_default: bool = typer.Option(False, "--default", help="Make it the workspace's default connection."),
) -> None:
    """Test a database and save it; the password goes to the secrets file, never the metadata store."""
    obj: CliContext = ctx.obj
    password = typer.prompt("Password", hide_input=True) if ask_password else None
    try:
        saved = _sql(obj).add_connection(name, url, password=password, make_default=make_default)
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    emit(obj, {"id": saved.id, "name": saved.name, "url": saved.url, "dialect": saved.dialect, "default": saved.is_default},
         f"Saved {saved.name} ({saved.url}).")


@sql_app.command("remove")
def remove(ctx: typer.Context, name: str = typer.Argument(..., help="The connection's name.")) -> None:
    """Forget a connection, its password and its training data."""
    obj: CliContext = ctx.obj
    try:
        removed = _sql(obj).remove_connection(name)
    except WorkbenchError as exc:
        fail(exc, obj.as_json, exit_code=2)
    emit(obj, {"removed": removed.name}, f"Removed {removed.name}.")


def _as_of(today: str | None) -> dt.date | None:
    if not today:
        return None
    try:
        return dt.date.fromisoformat(today)
    except ValueError:
        raise InvalidInput(f"--today must be a date as YYYY-MM-DD; got {today!r}.") from None
