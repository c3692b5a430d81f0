"""Neo4jGraphStore: the same graph on a Neo4j server or cluster, through the official driver.

Uniqueness constraints (on ``uid``) and workspace indexes are created at start, so MERGE is
both idempotent and fast. The password is only handed to the driver: it never appears in a
message, and a URI is shown without any user information it might carry.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, Callable, TypeVar

from core.errors import BackendUnavailable, ConfigError
from core.graph.cypher_store import CypherGraphStore, Run
from core.health import PROBE_TIMEOUT, BackendHealth, first_line
from core.settings import GraphSettings

T = TypeVar("T")

_LABELS = ("Document", "Chunk", "Entity", "DbRow")

SCHEMA = tuple(
    f"CREATE CONSTRAINT aw_{label.lower()}_uid IF NOT EXISTS FOR (n:{label}) REQUIRE n.uid IS UNIQUE" for label in _LABELS
) + tuple(
    f"CREATE INDEX aw_{label.lower()}_workspace IF NOT EXISTS FOR (n:{label}) ON (n.workspace)" for label in _LABELS
) + (
    "CREATE INDEX aw_related_rtype IF NOT EXISTS FOR ()-[r:RELATED]-() ON (r.rtype)",
    "CREATE TEXT INDEX aw_entity_search IF NOT EXISTS FOR (n:Entity) ON (n.search_text)",
)


def safe_uri(uri: str) -> str:
    """The URI without ``user:password@`` so it can be shown or logged."""
    return re.sub(r"//[^/@\s'\"]*@", "//", uri)


class Neo4jSession:
    """Runs Cypher through a neo4j driver; rows come back as dicts keyed by column name."""

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j", *, timeout_seconds: float = 10.0) -> None:
        if not uri:
            raise ConfigError("The Neo4j graph backend needs AW_NEO4J_URI, e.g. neo4j://127.0.0.1:7687.")
        import neo4j  # imported here: only the server backend needs the driver

        self._neo4j = neo4j
        self._uri = safe_uri(uri)
        self._database = database
        self._secret = password
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri, auth=(user, password), connection_timeout=timeout_seconds,
                connection_acquisition_timeout=timeout_seconds,
            )
            self._driver.verify_connectivity()
        except neo4j.exceptions.AuthError:
            raise BackendUnavailable(
                f"Neo4j at {self._uri} refused user {user!r}: check AW_NEO4J_USER and AW_NEO4J_PASSWORD."
            ) from None
        except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, OSError, ValueError) as exc:
            raise BackendUnavailable(
                f"Cannot reach Neo4j at {self._uri}: {self._redact(exc)}. Start the server or fix AW_NEO4J_URI."
            ) from None
        for statement in SCHEMA:  # schema changes cannot share a transaction with each other or data
            self._guarded(partial(
                self._driver.execute_query, statement, database_=self._database, routing_=neo4j.RoutingControl.WRITE
            ))

    def _redact(self, exc: BaseException) -> str:
        text = safe_uri(str(exc))
        return text.replace(self._secret, "***") if self._secret else text

    def _guarded(self, call: Callable[[], T]) -> T:
        errors = self._neo4j.exceptions
        try:
            return call()
        except (errors.ServiceUnavailable, errors.SessionExpired) as exc:
            raise BackendUnavailable(f"Lost the connection to Neo4j at {self._uri}: {self._redact(exc)}") from None
        except (errors.Neo4jError, errors.DriverError) as exc:
            raise BackendUnavailable(f"Neo4j at {self._uri} failed a query: {self._redact(exc)}") from None

    def describe(self) -> str:
        return f"Neo4j at {self._uri} (database {self._database})"

    def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        records, _, _ = self._guarded(lambda: self._driver.execute_query(
            query, params, database_=self._database, routing_=self._neo4j.RoutingControl.READ
        ))
        return [record.data() for record in records]

    def write(self, work: Callable[[Run], T]) -> T:
        def in_transaction(tx: Any) -> T:
            return work(lambda query, params: [record.data() for record in tx.run(query, params)])

        def call() -> T:
            with self._driver.session(database=self._database) as session:
                return session.execute_write(in_transaction)

        return self._guarded(call)

    def close(self) -> None:
        self._driver.close()


class Neo4jGraphStore(CypherGraphStore):
    """GraphStore on a Neo4j server; every node is scoped by workspace like the embedded store."""

    description = "a Neo4j server or cluster (AW_NEO4J_URI)"
    settings_section = "graph"

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j") -> None:
        super().__init__(Neo4jSession(uri, user, password, database))

    @classmethod
    def from_settings(cls, settings: GraphSettings) -> "Neo4jGraphStore":
        """Connect with AW_NEO4J_URI / _USER / _PASSWORD / _DATABASE; BackendUnavailable if unreachable."""
        return cls(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database)

    @classmethod
    def check_health(cls, settings: GraphSettings) -> BackendHealth:
        """Ready when the server accepts the credentials within two seconds; no schema is created."""
        shown = safe_uri(settings.neo4j_uri)
        try:
            import neo4j

            driver = neo4j.GraphDatabase.driver(
                settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password), connection_timeout=PROBE_TIMEOUT
            )
            try:
                driver.verify_connectivity()
            finally:
                driver.close()
        except Exception as exc:  # any driver error means "not reachable"; the reason is shown
            detail = first_line(exc)
            if settings.neo4j_password:
                detail = detail.replace(settings.neo4j_password, "***")
            return BackendHealth("graph", "neo4j", "server", False, f"{shown}: {safe_uri(detail)}",
                                 "Check AW_NEO4J_URI/USER/PASSWORD, or set AW_GRAPH_BACKEND=ladybug.")
        return BackendHealth("graph", "neo4j", "server", True, shown)
