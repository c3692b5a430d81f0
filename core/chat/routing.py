"""Which sources a question needs: documents, graph, database, or several.

Without an LLM, by rules; with one, by a JSON tool-choice reply that is validated, with the
rules as the fallback whenever the reply is unusable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import WorkbenchError
from core.sql.introspect import mentioned_terms

AGGREGATION = re.compile(
    r"\b(how many|how much|number of|count|total|sum|average|avg|mean|median|top \d+|most|least|highest|lowest|"
    r"revenue|sales|spend|per (?:month|week|day|year|quarter)|trend|rate|percentage|share)\b",
    re.IGNORECASE,
)
# Listing ("which artists...") and grouping ("... by genre") count only when the word after them
# names a table or column of the user's own connected database (Signals.schema_terms).
LISTING = re.compile(r"\b(?:which|list|show me|what)((?: \w+){1,3})", re.IGNORECASE)
GROUPING = re.compile(r"\b(?:per|by|for each|each)\s+(\w+)", re.IGNORECASE)
PURE_NUMBER = re.compile(r"^\s*(how many|how much|what is the (?:total|number|average|sum)|count)\b", re.IGNORECASE)
DOCUMENT_WORDS = re.compile(r"\b(policy|policies|says?|said|mention\w*|email\w*|transcript\w*|report\w*|why|explain|describe|document\w*|complain\w*)\b", re.IGNORECASE)

ROUTE_SCHEMA = {
    "type": "object",
    "properties": {
        "documents": {"type": "boolean"},
        "graph": {"type": "boolean"},
        "database": {"type": "boolean"},
        "reason": {"type": "string"},
    },
    "required": ["documents", "graph", "database"],
}


@dataclass(frozen=True)
class Route:
    documents: bool
    graph: bool
    database: bool
    reasons: tuple[str, ...] = ()
    by: str = "rules"  # rules | llm

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in ("database", "graph", "documents") if getattr(self, n))


@dataclass(frozen=True)
class Signals:
    """What the workspace knows about a question, gathered before routing."""

    has_database: bool = False
    certified_similarity: float | None = None
    certified_threshold: float = 0.6
    database_values: tuple[str, ...] = ()  # values of the database found in the question (e.g. a city)
    graph_entities: tuple[str, ...] = ()  # graph entity names found in the question
    schema_terms: frozenset[str] = frozenset()  # table and column names of the connected database
    # the question read in full as a plan over the database's semantic model (its interpretation)
    planned: str = ""


def asks_for_rows(question: str, signals: Signals) -> bool:
    """A count, total or ranking, or a list or grouping of something the database's schema names."""
    if AGGREGATION.search(question):
        return True
    named = [m.group(1) for m in (*LISTING.finditer(question), *GROUPING.finditer(question))]
    return any(mentioned_terms(words, signals.schema_terms) for words in named)


def route_by_rules(question: str, signals: Signals) -> Route:
    reasons = []
    database = False
    if signals.has_database:
        if signals.certified_similarity is not None and signals.certified_similarity >= signals.certified_threshold:
            database = True
            reasons.append(f"matches a certified database question ({signals.certified_similarity:.2f})")
        if signals.planned:
            database = True
            reasons.append(f"reads as a database question: {signals.planned}")
        rows = asks_for_rows(question, signals)
        if rows:
            database = True
            reasons.append("asks for a count, total, ranking or list")
        if signals.database_values and rows:
            reasons.append("names database values: " + ", ".join(signals.database_values[:5]))
    # A bare number question is answered by the database alone; anything else also gets
    # passages, and graph facts about the entities it names.
    number_only = database and bool(PURE_NUMBER.search(question)) and not DOCUMENT_WORDS.search(question)
    graph = bool(signals.graph_entities) and not number_only
    if graph:
        reasons.append("names known entities: " + ", ".join(signals.graph_entities[:5]))
    documents = not number_only
    if documents and not (database or graph):
        reasons.append("searches the documents")
    elif documents:
        reasons.append("adds supporting passages")
    return Route(documents, graph, database, tuple(reasons))


def route_with_llm(llm, question: str, signals: Signals) -> Route:
    """Ask the LLM to choose; fall back to the rules on any unusable reply."""
    from core.llm.base import Message, parse_json_reply
    from core.llm.bounds import reply_options

    fallback = route_by_rules(question, signals)
    prompt = (
        "Choose the sources needed to answer the analyst's question. Sources: documents (uploaded files), "
        "graph (entities and their relations extracted from documents), database (live SQL tables"
        + ("" if signals.has_database else "; none is connected, so answer false") + "). "
        "Reply with JSON only: {\"documents\": bool, \"graph\": bool, \"database\": bool, \"reason\": str}.\n"
        f"Question: {question}"
    )
    try:
        reply = llm.complete([Message("user", prompt)], json_schema=ROUTE_SCHEMA, options=reply_options(llm, "route"))
        data = parse_json_reply(reply, ROUTE_SCHEMA)
    except WorkbenchError:
        return fallback
    route = Route(bool(data["documents"]), bool(data["graph"]), bool(data["database"]) and signals.has_database,
                  (str(data.get("reason", ""))[:200],), by="llm")
    return route if route.names else fallback
