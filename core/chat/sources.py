"""Turn retrieved evidence (passages, graph facts, a query result) into numbered Sources.

Retrieved text is data: it is quoted into sources and prompts, never acted upon.
"""

from __future__ import annotations

from typing import Any, Sequence

from core.records import Hit, QueryResult, Source

EXCERPT_CHARS = 600
TABLE_ROWS = 10


def passage_source(index: int, hit: Hit, filename: str) -> Source:
    return Source(
        index=index, kind="passage", title=hit.citation, text=_excerpt(hit.chunk.text),
        reference={"document_id": hit.chunk.document_id, "chunk_id": hit.chunk.id, "page": hit.chunk.page,
                   "heading": " > ".join(hit.chunk.heading_path), "filename": filename, "score": hit.score},
    )


def graph_source(index: int, fact, evidence_text: str, evidence_title: str) -> Source:
    return Source(
        index=index, kind="graph", title=f"Graph: {fact.subject} —{fact.predicate}→ {fact.object}",
        text=(f"{fact.subject} —{fact.predicate}→ {fact.object}" + (f"\nEvidence ({evidence_title}): {_excerpt(evidence_text, 300)}" if evidence_text else "")),
        reference={"subject_key": fact.subject_key, "object_key": fact.object_key, "predicate": fact.predicate,
                   "evidence": list(fact.evidence), "weight": fact.weight},
    )


def sql_source(index: int, sql: str, result: QueryResult, *, origin: str, connection: str,
               plan: dict | None = None) -> Source:
    """``plan`` is the planned reading (``Plan.to_dict()``): kept whole for the doors that return JSON,
    and its interpretation heads the text so a prompt and a reader see what was counted."""
    read_as = f"Read as: {plan['interpretation']}\n" if plan else ""
    return Source(
        index=index, kind="sql", title=f"Database query ({origin}, {connection})",
        text=f"{read_as}{sql}\n\n{markdown_table(result)}",
        reference={"sql": sql, "columns": list(result.columns), "rows": [list(r) for r in result.rows[:50]],
                   "row_count": len(result.rows), "truncated": result.truncated, "origin": origin, "connection": connection,
                   "plan": plan},
    )


def markdown_table(result: QueryResult, limit: int = TABLE_ROWS) -> str:
    if not result.columns:
        return "(no columns)"
    header = "| " + " | ".join(map(str, result.columns)) + " |"
    rule = "|" + "---|" * len(result.columns)
    lines = [header, rule]
    for row in result.rows[:limit]:
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    more = len(result.rows) - limit
    if more > 0 or result.truncated:
        lines.append(f"\n({len(result.rows)} rows{' or more: truncated' if result.truncated else ''}; first {limit} shown)")
    if not result.rows:
        lines.append("(no rows)")
    return "\n".join(lines)


def result_sentence(result: QueryResult) -> str:
    """A one-line statement of a result: a single value is said plainly."""
    if len(result.rows) == 1 and len(result.columns) == 1:
        return f"**{_cell(result.rows[0][0])}** ({result.columns[0]})"
    return f"{len(result.rows)} row(s){' (truncated)' if result.truncated else ''}"


def distinct_text_values(result: QueryResult, limit: int = 30) -> list[str]:
    """Text values in a result (names, products...), used to look them up in the graph."""
    seen: dict[str, None] = {}
    for row in result.rows:
        for value in row:
            if isinstance(value, str) and 2 < len(value) < 80 and not value[:4].isdigit():
                seen.setdefault(value, None)
    return list(seen)[:limit]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def renumber(sources: Sequence[Source]) -> tuple[Source, ...]:
    return tuple(Source(i, s.kind, s.title, s.text, s.reference) for i, s in enumerate(sources, start=1))
