"""GraphStore operations written once in the Cypher subset LadybugDB and Neo4j both run.

A backend supplies a ``CypherSession`` (how to run a query and a write transaction) and its
schema; everything else lives here so the two stores cannot drift apart. Queries return only
scalars and lists (never nodes), because the two drivers represent nodes differently.
List manipulation (evidence, aliases) is done in Python for the same reason.
"""

from __future__ import annotations

from contextlib import nullcontext

from typing import Any, Callable, Iterable, Protocol, TypeVar

from core.errors import InvalidInput, NotFound
from core.graph import store as shared
from core.graph.store import EntityChunk, EntityRecord, Fact, GraphStats, RelationRecord
from core.records import GraphEdge, GraphNode, Subgraph

T = TypeVar("T")
Run = Callable[[str, dict[str, Any]], list[dict[str, Any]]]

# Aliases avoid words that are Cypher keywords in some Neo4j versions (KEY, TYPE, LIMIT...).
_NODE = "{v}.key AS ekey, {v}.name AS name, {v}.type AS etype, {v}.aliases AS aliases"


def _fields(var: str) -> str:
    return _NODE.format(v=var)


class CypherSession(Protocol):
    """What a backend provides: queries returning rows as dicts, and write transactions."""

    def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run one read query (auto-commit)."""

    def write(self, work: Callable[[Run], T]) -> T:
        """Run ``work(run)`` inside one write transaction; roll back if it raises."""

    def describe(self) -> str:
        """Where the graph lives, safe to show (no password)."""

    def close(self) -> None:
        """Release the connection."""


def _node(row: dict[str, Any], **properties: Any) -> GraphNode:
    return GraphNode(
        key=row["ekey"], name=row["name"], type=row["etype"], aliases=tuple(row.get("aliases") or ()), properties=properties
    )


def _edge(row: dict[str, Any]) -> GraphEdge:
    return GraphEdge(
        source=row["source"], target=row["target"], type=row["rtype"],
        weight=float(row["weight"] or 0.0), evidence=tuple(row["evidence"] or ()),
    )


class CypherGraphStore:
    """The GraphStore protocol over any ``CypherSession``."""

    def __init__(self, session: CypherSession) -> None:
        self._session = session

    def batch(self):
        """Keep the store open across several calls (a context manager); cheap reads in a row."""
        hold = getattr(self._session, "hold", None)
        return hold() if hold is not None else nullcontext()

    # -- writes -------------------------------------------------------------------------

    def upsert_document(self, workspace: str, document_id: str, title: str) -> None:
        ws = shared.check_workspace(workspace)
        self._session.write(lambda run: run(
            "MERGE (d:Document {uid: $uid}) SET d.workspace = $ws, d.document_id = $document_id, d.title = $title",
            {"uid": shared.uid(ws, document_id), "ws": ws, "document_id": document_id, "title": title},
        ))

    def upsert_chunks(self, workspace: str, document_id: str, chunks: list[tuple[str, str, int]]) -> None:
        ws = shared.check_workspace(workspace)
        if not chunks:
            return
        rows = [{"uid": shared.uid(ws, cid), "chunk_id": cid, "text": text, "position": int(pos)} for cid, text, pos in chunks]

        def work(run: Run) -> None:
            written = run(
                "MATCH (d:Document {uid: $doc}) UNWIND $rows AS row MERGE (c:Chunk {uid: row.uid}) "
                "SET c.workspace = $ws, c.chunk_id = row.chunk_id, c.document_id = $document_id, "
                "c.text = row.text, c.position = row.position MERGE (c)-[:PART_OF]->(d) RETURN count(c) AS n",
                {"doc": shared.uid(ws, document_id), "rows": rows, "ws": ws, "document_id": document_id},
            )
            if not written or written[0]["n"] == 0:
                raise NotFound(f"Document {document_id!r} is not in the graph of workspace {ws!r}; upsert it before its chunks.")

        self._session.write(work)

    def upsert_entities(self, workspace: str, entities: list[EntityRecord]) -> None:
        ws = shared.check_workspace(workspace)
        incoming: dict[str, EntityRecord] = {}
        for record in entities:
            if not record.key.strip():
                raise InvalidInput(f"Entity {record.name!r} has an empty key.")
            earlier = incoming.get(record.key)
            if earlier:  # the same entity twice in one batch: keep the first name, pool aliases
                record = EntityRecord(earlier.key, earlier.name, earlier.type, earlier.aliases + (record.name,) + record.aliases)
            incoming[record.key] = record
        if not incoming:
            return

        def work(run: Run) -> None:
            existing = {
                row["ekey"]: row
                for row in run(
                    f"MATCH (e:Entity) WHERE e.uid IN $uids RETURN {_fields('e')}",
                    {"uids": [shared.uid(ws, key) for key in incoming]},
                )
            }
            rows = []
            for key, record in incoming.items():
                old = existing.get(key)
                name, etype = (old["name"], old["etype"]) if old else (record.name, record.type)
                names = list(old["aliases"] or ()) if old else []
                for alias in (record.name, *record.aliases):
                    if alias and alias != name and alias not in names:
                        names.append(alias)
                rows.append({
                    "uid": shared.uid(ws, key), "key": key, "name": name, "type": etype, "aliases": names,
                    "search_text": shared.search_text(name, key, names),
                })
            run(
                "UNWIND $rows AS row MERGE (e:Entity {uid: row.uid}) SET e.workspace = $ws, e.key = row.key, "
                "e.name = row.name, e.type = row.type, e.aliases = row.aliases, e.search_text = row.search_text",
                {"rows": rows, "ws": ws},
            )

        self._session.write(work)

    def add_mentions(self, workspace: str, chunk_id: str, entity_keys: list[str]) -> None:
        ws = shared.check_workspace(workspace)
        wanted = {shared.uid(ws, key): key for key in entity_keys}
        if not wanted:
            return

        def work(run: Run) -> None:
            found = run(
                "MATCH (c:Chunk {uid: $chunk}) UNWIND $uids AS euid MATCH (e:Entity {uid: euid}) "
                "MERGE (c)-[:MENTIONS]->(e) RETURN e.uid AS uid",
                {"chunk": shared.uid(ws, chunk_id), "uids": list(wanted)},
            )
            missing = set(wanted) - {row["uid"] for row in found}
            if missing:
                if not run("MATCH (c:Chunk {uid: $chunk}) RETURN c.uid AS uid", {"chunk": shared.uid(ws, chunk_id)}):
                    raise NotFound(f"Chunk {chunk_id!r} is not in the graph of workspace {ws!r}; upsert its chunks first.")
                names = ", ".join(sorted(wanted[m] for m in missing))
                raise NotFound(f"Entities not in the graph of workspace {ws!r}: {names}. Upsert them before their mentions.")

        self._session.write(work)

    def add_relations(self, workspace: str, relations: list[RelationRecord]) -> None:
        ws = shared.check_workspace(workspace)
        pending: dict[tuple[str, str, str], dict[str, float]] = {}
        for rel in relations:
            if rel.source_key == rel.target_key:
                continue  # a thing related to itself says nothing
            additions = pending.setdefault((rel.source_key, rel.target_key, rel.type), {})
            for chunk_id, weight in rel.evidence_weights().items():
                additions[chunk_id] = additions.get(chunk_id, 0.0) + weight
        if not pending:
            return
        pairs = [{"a": shared.uid(ws, s), "b": shared.uid(ws, t), "t": rtype} for s, t, rtype in pending]

        def work(run: Run) -> None:
            existing = {
                (row["a"], row["b"], row["t"]): row
                for row in run(
                    "UNWIND $pairs AS p MATCH (a:Entity {uid: p.a})-[r:RELATED {rtype: p.t}]->(b:Entity {uid: p.b}) "
                    "RETURN p.a AS a, p.b AS b, p.t AS t, r.evidence AS evidence, r.evidence_weights AS weights",
                    {"pairs": pairs},
                )
            }
            rows = []
            for pair, additions in zip(pairs, pending.values()):
                old = existing.get((pair["a"], pair["b"], pair["t"]))
                evidence, weights = shared.merge_evidence(
                    old["evidence"] or () if old else (), old["weights"] or () if old else (), additions
                )
                rows.append({**pair, "evidence": evidence, "weights": weights, "weight": float(sum(weights))})
            written = run(
                "UNWIND $rows AS row MATCH (a:Entity {uid: row.a}), (b:Entity {uid: row.b}) "
                "MERGE (a)-[r:RELATED {rtype: row.t}]->(b) SET r.evidence = row.evidence, "
                "r.evidence_weights = row.weights, r.weight = row.weight RETURN count(r) AS n",
                {"rows": rows},
            )
            if not written or written[0]["n"] != len(rows):
                raise NotFound(f"Some related entities are not in the graph of workspace {ws!r}; upsert entities before relations.")

        self._session.write(work)

    def link_entity_to_row(
        self, workspace: str, entity_key: str, table: str, column: str, key_column: str, key_value: Any
    ) -> None:
        ws = shared.check_workspace(workspace)
        ref = shared.DbRef(table, column, key_column, str(key_value))

        def work(run: Run) -> None:
            linked = run(
                "MATCH (e:Entity {uid: $uid}) MERGE (r:DbRow {uid: $row}) SET r.workspace = $ws, "
                "r.table_name = $table_name, r.column_name = $column_name, r.key_column = $key_column, "
                "r.key_value = $key_value MERGE (e)-[:LINKED_TO]->(r) RETURN e.uid AS uid",
                {
                    "uid": shared.uid(ws, entity_key), "row": shared.row_uid(ws, ref), "ws": ws, "table_name": ref.table,
                    "column_name": ref.column, "key_column": ref.key_column, "key_value": ref.key_value,
                },
            )
            if not linked:
                raise NotFound(f"Entity {entity_key!r} is not in the graph of workspace {ws!r}.")

        self._session.write(work)

    def delete_document(self, workspace: str, document_id: str) -> bool:
        ws = shared.check_workspace(workspace)
        doc = shared.uid(ws, document_id)

        def work(run: Run) -> bool:
            if not run("MATCH (d:Document {uid: $doc}) RETURN d.uid AS uid", {"doc": doc}):
                return False
            chunk_ids = {r["chunk_id"] for r in run(
                "MATCH (c:Chunk)-[:PART_OF]->(d:Document {uid: $doc}) RETURN c.chunk_id AS chunk_id", {"doc": doc})}
            touched = [r["uid"] for r in run(
                "MATCH (c:Chunk)-[:PART_OF]->(d:Document {uid: $doc}) MATCH (c)-[:MENTIONS]->(e:Entity) "
                "RETURN DISTINCT e.uid AS uid", {"doc": doc})]
            self._drop_relation_evidence(run, touched, chunk_ids)
            run("MATCH (c:Chunk)-[:PART_OF]->(d:Document {uid: $doc}) DETACH DELETE c", {"doc": doc})
            run("MATCH (d:Document {uid: $doc}) DETACH DELETE d", {"doc": doc})
            run(
                "MATCH (e:Entity) WHERE e.uid IN $uids OPTIONAL MATCH (c:Chunk)-[m:MENTIONS]->(e) "
                "WITH e, count(m) AS n WHERE n = 0 DETACH DELETE e", {"uids": touched},
            )
            run(
                "MATCH (r:DbRow {workspace: $ws}) OPTIONAL MATCH (e:Entity)-[l:LINKED_TO]->(r) "
                "WITH r, count(l) AS n WHERE n = 0 DETACH DELETE r", {"ws": ws},
            )
            return True

        return self._session.write(work)

    @staticmethod
    def _drop_relation_evidence(run: Run, entity_uids: list[str], chunk_ids: set[str]) -> None:
        """Remove deleted chunks from the evidence of relations; delete relations left with none."""
        if not entity_uids or not chunk_ids:
            return
        rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        for side in ("a", "b"):  # two directed queries: an OR over both ends defeats the index
            for row in run(
                f"MATCH (a:Entity)-[r:RELATED]->(b:Entity) WHERE {side}.uid IN $uids RETURN a.uid AS a, b.uid AS b, "
                "r.rtype AS t, r.evidence AS evidence, r.evidence_weights AS weights",
                {"uids": entity_uids},
            ):
                rows[(row["a"], row["b"], row["t"])] = row
        updates, deletions = [], []
        for (a, b, t), row in rows.items():
            evidence = list(row["evidence"] or ())
            if not chunk_ids.intersection(evidence):
                continue
            kept, weights = shared.drop_evidence(evidence, row["weights"] or (), chunk_ids)
            target = {"a": a, "b": b, "t": t}
            if kept:
                updates.append({**target, "evidence": kept, "weights": weights, "weight": float(sum(weights))})
            else:
                deletions.append(target)
        match = "UNWIND $rows AS row MATCH (a:Entity {uid: row.a})-[r:RELATED {rtype: row.t}]->(b:Entity {uid: row.b}) "
        if updates:
            run(match + "SET r.evidence = row.evidence, r.evidence_weights = row.weights, r.weight = row.weight", {"rows": updates})
        if deletions:
            run(match + "DELETE r", {"rows": deletions})

    def clear_workspace(self, workspace: str) -> None:
        ws = shared.check_workspace(workspace)

        def work(run: Run) -> None:
            for label in ("Chunk", "Document", "Entity", "DbRow"):
                run(f"MATCH (n:{label} {{workspace: $ws}}) DETACH DELETE n", {"ws": ws})

        self._session.write(work)

    # -- reads --------------------------------------------------------------------------

    def _entity_row(self, ws: str, key: str) -> dict[str, Any]:
        rows = self._session.run(f"MATCH (e:Entity {{uid: $uid}}) RETURN {_fields('e')}", {"uid": shared.uid(ws, key)})
        if not rows:
            raise NotFound(f"No entity {key!r} in the graph of workspace {ws!r}.")
        return rows[0]

    def _edges_among(self, uids: list[str]) -> list[GraphEdge]:
        rows = self._session.run(
            "MATCH (a:Entity)-[r:RELATED]->(b:Entity) WHERE a.uid IN $uids AND b.uid IN $uids "
            "RETURN a.key AS source, b.key AS target, r.rtype AS rtype, r.weight AS weight, r.evidence AS evidence",
            {"uids": uids},
        )
        return sorted((_edge(row) for row in rows), key=lambda e: (-e.weight, e.source, e.target, e.type))

    def neighbors(
        self, workspace: str, entity_key: str, depth: int = 1, *, limit_nodes: int = 100, types: Iterable[str] | None = None
    ) -> Subgraph:
        ws = shared.check_workspace(workspace)
        if depth not in (1, 2):
            raise InvalidInput(f"Depth must be 1 or 2, got {depth!r}.")
        shared.check_limit("limit_nodes", limit_nodes)
        center = self._entity_row(ws, entity_key)
        type_filter, type_params = "", {}
        if types is not None:  # without a filter the clause and its parameter are left out
            type_filter, type_params = " AND n.type IN $types", {"types": list(types)}
        selected: dict[str, GraphNode] = {shared.uid(ws, entity_key): _node(center, hops=0)}
        frontier = list(selected)
        truncated = False
        for hop in range(1, depth + 1):
            room = limit_nodes - len(selected)
            rows = self._session.run(
                "MATCH (a:Entity)-[r:RELATED]-(n:Entity) WHERE a.uid IN $frontier AND NOT n.uid IN $seen"
                f"{type_filter} RETURN n.uid AS uid, {_fields('n')}, sum(r.weight) AS score "
                "ORDER BY score DESC, ekey LIMIT $max_rows",
                {"frontier": frontier, "seen": list(selected), "max_rows": max(room, 0) + 1, **type_params},
            )
            if len(rows) > room:
                truncated, rows = True, rows[:max(room, 0)]
            for row in rows:
                selected[row["uid"]] = _node(row, hops=hop, score=float(row["score"] or 0.0))
            frontier = [row["uid"] for row in rows]
            if not frontier:
                break
        return Subgraph(tuple(selected.values()), tuple(self._edges_among(list(selected))), truncated)

    def document_subgraph(self, workspace: str, document_id: str, limit_nodes: int = 100, *,
                          types: Iterable[str] | None = None) -> Subgraph:
        ws = shared.check_workspace(workspace)
        shared.check_limit("limit_nodes", limit_nodes)
        doc = shared.uid(ws, document_id)
        chunk_ids = {r["chunk_id"] for r in self._session.run(
            "MATCH (c:Chunk)-[:PART_OF]->(d:Document {uid: $doc}) RETURN c.chunk_id AS chunk_id", {"doc": doc})}
        if not chunk_ids and not self._session.run("MATCH (d:Document {uid: $doc}) RETURN d.uid AS uid", {"doc": doc}):
            raise NotFound(f"Document {document_id!r} is not in the graph of workspace {ws!r}.")
        # The type filter is in the query, as in neighbors: the cap counts only entities of the chosen types.
        type_filter, type_params = "", {}
        if types is not None:
            type_filter, type_params = " WHERE e.type IN $types", {"types": list(types)}
        rows = self._session.run(
            "MATCH (c:Chunk)-[:PART_OF]->(d:Document {uid: $doc}) MATCH (c)-[:MENTIONS]->(e:Entity)"
            f"{type_filter} RETURN e.uid AS uid, {_fields('e')}, count(c) AS mentions "
            "ORDER BY mentions DESC, ekey LIMIT $max_rows",
            {"doc": doc, "max_rows": limit_nodes + 1, **type_params},
        )
        truncated = len(rows) > limit_nodes
        nodes = {row["uid"]: _node(row, mentions=int(row["mentions"])) for row in rows[:limit_nodes]}
        edges = []
        for edge in self._edges_among(list(nodes)):
            in_doc = tuple(c for c in edge.evidence if c in chunk_ids)
            if in_doc:  # only what this document itself supports
                edges.append(GraphEdge(edge.source, edge.target, edge.type, edge.weight, in_doc))
        return Subgraph(tuple(nodes.values()), tuple(edges), truncated)

    def find_entities(self, workspace: str, text: str, limit: int = 10) -> list[GraphNode]:
        ws = shared.check_workspace(workspace)
        shared.check_limit("limit", limit)
        needle = " ".join(text.lower().split())
        if not needle:
            return []
        rows = self._session.run(
            "MATCH (e:Entity) WHERE e.workspace = $ws AND e.search_text CONTAINS $q "
            f"RETURN {_fields('e')}, CASE WHEN e.search_text CONTAINS $line THEN 0 "
            "WHEN e.search_text CONTAINS $word THEN 1 ELSE 2 END AS rank ORDER BY rank, name, ekey LIMIT $max_rows",
            {"ws": ws, "q": needle, "line": "\n" + needle, "word": " " + needle, "max_rows": limit},
        )
        return [_node(row) for row in rows]

    def entity(self, workspace: str, key: str) -> GraphNode:
        ws = shared.check_workspace(workspace)
        row = self._entity_row(ws, key)
        params = {"uid": shared.uid(ws, key)}
        mentions = self._session.run("MATCH (c:Chunk)-[:MENTIONS]->(e:Entity {uid: $uid}) RETURN count(c) AS n", params)
        degree = self._session.run("MATCH (e:Entity {uid: $uid})-[r:RELATED]-(:Entity) RETURN count(r) AS n", params)
        # "table" and "column" are reserved words in LadybugDB, hence the column aliases
        links = self._session.run(
            "MATCH (e:Entity {uid: $uid})-[:LINKED_TO]->(r:DbRow) RETURN r.table_name AS table_name, "
            "r.column_name AS column_name, r.key_column AS key_column, r.key_value AS key_value "
            "ORDER BY table_name, key_value",
            params,
        )
        db_links = [
            shared.DbRef(r["table_name"], r["column_name"], r["key_column"], r["key_value"]).as_dict() for r in links
        ]
        return _node(row, mentions=int(mentions[0]["n"]), degree=int(degree[0]["n"]), db_links=db_links)

    def facts(self, workspace: str, entity_key: str, limit: int = 20) -> list[Fact]:
        ws = shared.check_workspace(workspace)
        shared.check_limit("limit", limit)
        self._entity_row(ws, entity_key)
        found = []
        for pattern in ("(a:Entity {uid: $uid})-[r:RELATED]->(b:Entity)", "(a:Entity)-[r:RELATED]->(b:Entity {uid: $uid})"):
            found += self._session.run(
                f"MATCH {pattern} RETURN a.key AS skey, a.name AS sname, r.rtype AS rtype, b.key AS okey, "
                "b.name AS oname, r.weight AS weight, r.evidence AS evidence ORDER BY weight DESC, skey, okey LIMIT $max_rows",
                {"uid": shared.uid(ws, entity_key), "max_rows": limit},
            )
        facts = [
            Fact(r["skey"], r["sname"], r["rtype"], r["okey"], r["oname"], float(r["weight"] or 0.0), tuple(r["evidence"] or ()))
            for r in found
        ]
        return sorted(facts, key=lambda f: (-f.weight, f.subject_key, f.object_key))[:limit]

    def chunks_for_entities(self, workspace: str, keys: list[str], limit: int = 20) -> list[EntityChunk]:
        ws = shared.check_workspace(workspace)
        shared.check_limit("limit", limit)
        if not keys:
            return []
        rows = self._session.run(
            "MATCH (c:Chunk)-[:MENTIONS]->(e:Entity) WHERE e.uid IN $uids RETURN c.chunk_id AS chunk_id, "
            "c.document_id AS document_id, c.text AS text, c.position AS position, collect(e.key) AS entity_keys, "
            "count(e) AS n ORDER BY n DESC, document_id, position LIMIT $max_rows",
            {"uids": [shared.uid(ws, key) for key in keys], "max_rows": limit},
        )
        return [
            EntityChunk(r["chunk_id"], r["document_id"], r["text"], int(r["position"]), tuple(sorted(r["entity_keys"])))
            for r in rows
        ]

    def stats(self, workspace: str, top: int = 10) -> GraphStats:
        ws = shared.check_workspace(workspace)
        shared.check_limit("top", top)
        run, params = self._session.run, {"ws": ws}

        def count(query: str) -> int:
            return int(run(query, params)[0]["n"])

        by_type = {r["etype"]: int(r["n"]) for r in run(
            "MATCH (e:Entity {workspace: $ws}) RETURN e.type AS etype, count(e) AS n ORDER BY n DESC, etype", params)}
        top_rows = run(
            f"MATCH (e:Entity {{workspace: $ws}}) OPTIONAL MATCH (e)-[r:RELATED]-(:Entity) RETURN {_fields('e')}, "
            "count(r) AS degree ORDER BY degree DESC, ekey LIMIT $top",
            {"ws": ws, "top": top},
        )
        return GraphStats(
            documents=count("MATCH (d:Document {workspace: $ws}) RETURN count(d) AS n"),
            chunks=count("MATCH (c:Chunk {workspace: $ws}) RETURN count(c) AS n"),
            entities=sum(by_type.values()),
            relations=count("MATCH (a:Entity {workspace: $ws})-[r:RELATED]->(:Entity) RETURN count(r) AS n"),
            mentions=count("MATCH (c:Chunk {workspace: $ws})-[m:MENTIONS]->(:Entity) RETURN count(m) AS n"),
            entities_by_type=by_type,
            top_entities=tuple((_node(r), int(r["degree"])) for r in top_rows),
        )

    # -- lifecycle ----------------------------------------------------------------------

    def health(self) -> tuple[bool, str]:
        try:
            self._session.run("RETURN 1 AS ok", {})
        except Exception as exc:  # health reports any failure instead of raising: that is its job
            return False, str(exc) or f"{self._session.describe()} does not answer"
        return True, self._session.describe()

    def close(self) -> None:
        self._session.close()
