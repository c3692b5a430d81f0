"""CLI: `graph neighbors NAME [--depth N]` and `graph rebuild` (JSON shapes in DESIGN.md)."""

from __future__ import annotations

import typer

from core.cli import CliContext, app, emit, fail, progress
from core.errors import NotFound, WorkbenchError

graph_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Explore and rebuild the knowledge graph.")
app.add_typer(graph_app, name="graph")


@graph_app.command("neighbors")
def neighbors(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Entity name (spelling need not be exact)."),
    depth: int = typer.Option(1, "--depth", min=1, max=2, help="Relations away: 1 or 2."),
    limit: int = typer.Option(100, "--limit", min=1, max=1000, help="Most entities returned."),
) -> None:
    """An entity and its neighbourhood as {"nodes": [...], "edges": [...]}."""
    obj: CliContext = ctx.obj
    try:
        graph = obj.workspace().graph
        try:
            center = graph.resolve(name)
        except NotFound:
            raise NotFound(f"No entity named like {name!r} in the graph of workspace {graph.workspace!r}. "
                           "Try `graph neighbors` with another spelling, or rebuild the graph with `graph rebuild`.") from None
        subgraph = graph.neighbors(center.key, depth, limit_nodes=limit)
    except WorkbenchError as exc:
        fail(exc, obj.as_json)
    payload = {
        "nodes": [
            {"key": n.key, "name": n.name, "type": n.type, "aliases": list(n.aliases),
             "hops": n.properties.get("hops", 0), "score": n.properties.get("score", 0.0)}
            for n in subgraph.nodes
        ],
        "edges": [
            {"source": e.source, "target": e.target, "type": e.type, "weight": e.weight, "evidence": list(e.evidence)}
            for e in subgraph.edges
        ],
    }
    names = {n.key: n.name for n in subgraph.nodes}
    lines = [f"{center.name} ({center.type}): {len(subgraph.nodes) - 1} neighbours within {depth} hop(s)"]
    lines += [f"  {names[e.source]} --{e.type}--> {names[e.target]}  (weight {e.weight:g})" for e in subgraph.edges]
    if subgraph.truncated:
        progress(f"Only the {limit} strongest entities are shown; raise --limit to see more.")
    emit(obj, payload, "\n".join(lines))


@graph_app.command("rebuild")
def rebuild(ctx: typer.Context) -> None:
    """Rebuild the workspace's graph from its ingested documents; exit 1 if any document failed."""
    obj: CliContext = ctx.obj

    def report(event) -> None:
        if event.title:
            progress(f"[{event.done + 1}/{event.total}] {event.title}")

    try:
        result = obj.workspace().graph.rebuild(progress=report)
    except WorkbenchError as exc:
        fail(exc, obj.as_json)
    human = (f"Rebuilt the graph of {result.workspace}: {result.documents} documents, {result.chunks} chunks, "
             f"{result.entities} entities, {result.relations} relations.")
    human += "".join(f"\n  failed: {title}: {error}" for title, error in result.failed)
    emit(obj, result.to_dict(), human)
    if result.failed:
        raise typer.Exit(1)
