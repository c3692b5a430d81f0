"""SqlService: the one facade for database questions. Pages, the CLI and the chat assistant call it.

Every method takes the workspace name first; nothing crosses workspaces. Every statement,
whatever its source (typed, certified, generated, edited), runs through one pooled
``GuardedRunner`` per connection and is recorded in ``query_history``.

Asking, in order: a trained question/SQL pair that says what the question says, up to its
parameters (``core.sql.certified``); else the question read as a plan over the database's
semantic model (``core.sql.planner``: every word accounted for, joins that cannot double-count);
else, with an LLM, SQL the Vanna adapter writes from the retrieved context; else the answer
abstains, saying which words it could not use, with the closest questions it can answer.
None of these needs an LLM but the third.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy.engine import URL

from core.data_lock import DataLock
from core.errors import InvalidInput, LLMReplyError, LLMUnavailable, NotFound, WorkbenchError
from core.llm.base import LLM, parse_json_reply
from core.llm.bounds import reply_options
from core.metadata import MetadataStore, validate_workspace_name
from core.records import QueryResult
from core.settings import SQLSettings
from core.sql.access import AccessPolicy
from core.sql.certified import (CertifiedMatch, CertifiedParameter, match_certified, parse_parameters,
                                validate_certified)
from core.sql.charts import NO_CHART, ChartSpec, choose_chart
from core.sql.connections import (ConnectionStore, SecretStore, SqlConnection, check_database, derived_name,
                                  split_password, sqlite_file_exists)
from core.sql.dates import resolve_date_phrase
from core.sql.introspect import SchemaCache, SchemaInfo, introspect
from core.sql.llm_plan import plan_prompt, plan_schema, read_plan
from core.sql.metrics import derive_metrics
from core.sql.plan import Plan, agreement_sql, compile_plan, coverage_sql, span_sql
from core.sql.planner import PlanOutcome, ValueIndex, plan_joins, plan_question, suggest
from core.sql.runner import GuardedRunner
from core.sql.functions import ALLOWED_FUNCTIONS
from core.sql.semantic import SemanticModel, derive_model
from core.sql.semantic_overrides import Overrides, apply_overrides, export_overrides, parse_overrides
from core.sql.semantic_store import SemanticModelStore, SemanticVersion
from core.sql.stored_urls import DEMO_CONNECTION_NAME
from core.sql.training import HistoryEntry, QueryHistory, TrainingItem, WorkbenchVanna

SOURCES = ("certified", "planned", "llm_planned", "generated", "typed", "edited")
ConnectionRef = str | SqlConnection | None  # a saved connection's name or id, the object, or None: the default
# Text values a question may name (cities, artists, titles): listed only for tables up to this size,
# and only values short enough to be a name rather than free text.
_MAX_ROWS_FOR_NAMES = 1_000_000
_MAX_NAME_CHARS = 60
_MAX_NAME_WORDS = 6
_URL_POOLS = 4  # unsaved URLs whose engines stay open
_VALUES_SECONDS = 300.0  # as the schema cache keeps column values
_SEMANTIC_SECONDS = 10.0  # another process's save of the semantic model is seen within this (this one's at once)
_ABSTAIN_HINT = ("Ask one of the questions below, add a question/SQL pair in the Training tab, or configure an LLM "
                 "(AW_LLM_PROVIDER: ollama, openai or llamacpp) so the workbench can write SQL itself.")


@dataclass(frozen=True)
class SqlAnswer:
    """The answer to a database question or a run of SQL: what ran, where it came from, what it returned.

    ``source`` is "certified", "planned" (read from the question over the semantic model),
    "generated", "typed" or "edited" ("" when it abstained). ``params`` are the values bound to the
    SQL's placeholders; ``described`` says how each parameter was read; ``plan`` is the planned
    reading (``Plan.to_dict()``), whose ``interpretation`` is shown above the answer.
    """

    question: str
    sql: str
    source: str
    result: QueryResult | None
    connection: str = ""
    abstained: bool = False
    closest: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    described: dict[str, str] = field(default_factory=dict)
    chart: ChartSpec = NO_CHART
    matched_question: str = ""
    similarity: float | None = None
    message: str = ""
    history_id: str = ""
    plan: dict | None = None
    planned: Plan | None = field(default=None, compare=False, repr=False)  # the plan itself, for chips to change
    suggestions: tuple[tuple[str, str], ...] = ()  # "did you mean": (question, its interpretation) when abstaining

    @property
    def interpretation(self) -> str:
        return self.plan["interpretation"] if self.plan else ""


class SqlService:
    """Connections, schema, training, certified and generated answers, runs and history; see the module docstring."""

    def __init__(self, settings: SQLSettings, *, metadata: MetadataStore, secrets_path: Path, write_lock: DataLock,
                 default_workspace: str, llm: Callable[[], LLM], embedder: Callable[[], Any],
                 vectors: Callable[[], Any], max_prompt_tokens: int,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        """``llm``, ``embedder`` and ``vectors`` are getters: listing connections must not load the model."""
        self.settings = settings
        self.policy = AccessPolicy.from_settings(settings)  # checked once: a bad AW_SQL_EXTRA_FUNCTIONS fails here
        self.metadata = metadata
        # SQLite files inside the data dir (the demo) are stored relative to it: a moved data dir opens its own.
        self.connections_store = ConnectionStore(metadata, SecretStore(secrets_path), settings.workbench_data_dir)
        self.default_workspace = default_workspace
        self._llm, self._embedder, self._vectors = llm, embedder, vectors
        self._max_prompt_tokens = max_prompt_tokens
        self._write_lock = write_lock
        self._today = today
        self._lock = threading.RLock()
        self._runners: dict[str, GuardedRunner] = {}
        self._url_runners: OrderedDict[str, GuardedRunner] = OrderedDict()  # unsaved URLs (run_url), newest last
        self._adapters: dict[tuple[str, str], WorkbenchVanna] = {}
        self._cache = SchemaCache()
        self._models: dict[str, tuple[SchemaInfo, SemanticModel]] = {}
        self._value_indexes: dict[str, tuple[SemanticModel, float, ValueIndex]] = {}
        self._spans: dict[tuple[str, str], tuple[float, tuple[str, str] | None]] = {}
        self._semantic = SemanticModelStore(metadata)
        # connection id -> (derived model, saved version or None, the model used, when the version was read)
        self._overridden: dict[str, tuple[SemanticModel, int | None, SemanticModel, float]] = {}
        self._known_workspaces: set[str] = set()
        self._history = QueryHistory(metadata)

    # --- connections ---------------------------------------------------------------------------

    def connections(self, workspace: str) -> list[SqlConnection]:
        """The workspace's connections, default first. The default workspace gets the demo database
        connected when it has none and the demo database exists."""
        workspace = self._workspace(workspace)
        found = self.connections_store.list(workspace)
        if (not found and workspace == self.default_workspace
                and sqlite_file_exists(self.settings.demo_db_url)):
            self.ensure_demo_connection()
            found = self.connections_store.list(workspace)
        return found

    def connection(self, workspace: str, connection: ConnectionRef = None) -> SqlConnection:
        """A connection by name or id, or the workspace's default when ``connection`` is None."""
        workspace = self._workspace(workspace)
        if isinstance(connection, SqlConnection):
            connection = connection.id
        if connection:
            return self.connections_store.get(workspace, connection)
        found = self.connections(workspace)
        if not found:
            raise NotFound(f"No database is connected in workspace {workspace}: add a connection first "
                           "(Ask the Database > Connections, or `sql add NAME URL`).")
        return next((c for c in found if c.is_default), found[0])

    def add_connection(self, workspace: str, name: str, url: str | URL, *, password: str | None = None,
                       make_default: bool = False) -> SqlConnection:
        """Test the database, then save it; the password (in the URL or given apart) goes to the secrets file."""
        workspace = self._workspace(workspace)
        stripped, in_url = split_password(url)
        secret = password or in_url
        check_database(stripped.set(password=secret or None), self.settings)
        return self.connections_store.add(workspace, name, stripped, secret, make_default=make_default)

    def test_connection(self, workspace: str, connection: ConnectionRef = None) -> str:
        """Open the saved database and run ``SELECT 1``; returns a sentence, raises if it fails."""
        saved = self.connection(workspace, connection)
        elapsed = check_database(self.connections_store.full_url(saved), self.settings)
        return f"Connected to {saved.name} ({saved.url}) in {elapsed * 1000:.0f} ms."

    def remove_connection(self, workspace: str, connection: ConnectionRef) -> SqlConnection:
        """Forget a connection, its password and its training data (query history stays)."""
        saved = self.connection(workspace, connection)
        self._adapter(saved).remove_all()
        removed = self.connections_store.remove(saved.workspace, saved.id)
        self._semantic.forget(saved.workspace, saved.id)
        self._forget(saved)
        return removed

    def set_default_connection(self, workspace: str, connection: ConnectionRef) -> SqlConnection:
        saved = self.connection(workspace, connection)
        return self.connections_store.set_default(saved.workspace, saved.id)

    def connection_for(self, workspace: str, db: str | None) -> SqlConnection:
        """``db`` as a saved connection's name, or a URL (saved under a derived name if new), or the default."""
        if not db or "://" not in db:
            return self.connection(workspace, db or None)
        stripped, _ = split_password(db)
        workspace = self._workspace(workspace)
        self.connections(workspace)  # the default workspace's demo database counts as saved
        existing = self.connections_store.find_by_url(workspace, stripped)
        name = self.connections_store.free_name(workspace, derived_name(stripped))
        return existing or self.add_connection(workspace, name, db)

    def ensure_demo_connection(self, workspace: str | None = None, url: str | None = None) -> SqlConnection | None:
        """Connect the demo database (``settings.sql.demo_db_url`` unless ``url``) as "demo"; None if it does not exist."""
        workspace = self._workspace(workspace or self.default_workspace)
        url = url or self.settings.demo_db_url
        stripped, _ = split_password(url)
        if stripped.get_backend_name() == "sqlite" and not sqlite_file_exists(stripped):
            return None
        existing = self.connections_store.find_by_url(workspace, stripped)
        name = self.connections_store.free_name(workspace, DEMO_CONNECTION_NAME)
        return existing or self.add_connection(workspace, name, url)

    # --- schema and training -------------------------------------------------------------------

    def schema(self, workspace: str, connection: ConnectionRef = None, *, refresh: bool = False) -> SchemaInfo:
        """Tables, columns, keys, row counts and category values (cached for a few minutes)."""
        saved = self.connection(workspace, connection)
        url = self.connections_store.full_url(saved)
        load = lambda: introspect(url, timeout_seconds=self.settings.timeout_seconds,  # noqa: E731
                                  policy=self.policy)
        return self._cache.schema(saved.id, load, refresh=refresh)

    def train_schema(self, workspace: str, connection: ConnectionRef = None) -> list[TrainingItem]:
        """Store one DDL item per table from a fresh introspection (embedded in batches); tables that are
        gone are forgotten. Raises NoReadableTables, changing nothing, when the role can read no table."""
        saved = self.connection(workspace, connection)
        return self._adapter(saved).train_schema(self.schema(saved.workspace, saved, refresh=True))

    def add_documentation(self, workspace: str, text: str, *, connection: ConnectionRef = None) -> TrainingItem:
        """Store a documentation note (a definition or business rule) for the LLM's prompt."""
        adapter = self._adapter(self.connection(workspace, connection))
        return self._item(adapter, adapter.add_documentation(text))

    def add_question_sql(self, workspace: str, question: str, sql: str, *,
                         parameters: str | Sequence[Mapping[str, Any] | CertifiedParameter] | None = None,
                         connection: ConnectionRef = None) -> TrainingItem:
        """Store a question/SQL pair, checked first: read-only SQL, placeholders matching the parameters,
        value columns that exist, default periods that can be read."""
        saved = self.connection(workspace, connection)
        declared = parse_parameters(parameters)
        validate_certified(sql, declared, saved.dialect,
                           extra_functions=self.policy.extra_functions)
        for parameter in declared:
            if parameter.kind == "value":
                self._column_values(saved, parameter.column)
            elif parameter.kind == "date_range" and parameter.default:
                resolve_date_phrase(parameter.default, self._today())
        adapter = self._adapter(saved)
        return self._item(adapter, adapter.add_question_sql(question, sql, parameters=declared))

    def save_as_correct(self, workspace: str, question: str, sql: str, *, connection: ConnectionRef = None,
                        parameters: str | Sequence[Any] | None = None, plan: Plan | None = None) -> TrainingItem:
        """"Save as correct": the question and the SQL that answered it become a trained pair.

        For a planned answer pass its ``plan``: the pair is its SQL with each value filter kept as a
        parameter of its column (so "billed to France" is answered by a pair saved for Germany), and every
        other bound value (the period, numbers) written in."""
        if not (question or "").strip():
            raise InvalidInput("Saving as correct needs the question the SQL answers.")
        if plan is not None:
            saved = self.connection(workspace, connection)
            model = self.semantic_model(saved.workspace, saved)
            sql, parameters = compile_plan(plan, model, plan_joins(plan, model)).as_certified()
            return self.add_question_sql(saved.workspace, question, sql, parameters=parameters or None,
                                         connection=saved)
        return self.add_question_sql(workspace, question, sql, parameters=parameters, connection=connection)

    def training_items(self, workspace: str, connection: ConnectionRef = None, *, kind: str | None = None) -> list[TrainingItem]:
        return self._adapter(self.connection(workspace, connection)).items(kind)

    def remove_training_item(self, workspace: str, item_id: str, *, connection: ConnectionRef = None) -> None:
        saved = self.connection(workspace, connection)
        if not self._adapter(saved).remove_training_data(item_id):
            raise NotFound(f"No training item {item_id} for connection {saved.name}.")

    def reembed_training(self, workspace: str) -> int:
        """Embed every connection's training data again with the current model; returns how many items."""
        workspace = self._workspace(workspace)
        return sum(self._adapter(saved).reembed_all() for saved in self.connections_store.list(workspace))

    def answerable_questions(self, workspace: str, connection: ConnectionRef = None) -> list[str]:
        """The trained questions (certified queries) this connection can answer without an LLM."""
        return [item.question for item in self.training_items(workspace, connection, kind="question_sql")]

    # --- asking and running --------------------------------------------------------------------

    def match_certified(self, workspace: str, question: str, *, connection: ConnectionRef = None,
                        today: dt.date | None = None) -> CertifiedMatch:
        """The certified query that answers ``question`` (with its binds), or why none does. Runs nothing."""
        saved = self.connection(workspace, connection)
        question = _clean_question(question)
        candidates = self._adapter(saved).similar_pairs(question, k=5)
        schema = self.schema(saved.workspace, saved) if candidates else None
        return match_certified(question, candidates, threshold=self.settings.certified_threshold,
                               today=today or self._today(), values_for=lambda column: self._column_values(saved, column),
                               known_values=schema.value_index() if schema else {},
                               schema_terms=schema.terms() if schema else frozenset())

    def ask(self, workspace: str, question: str, *, connection: ConnectionRef = None, today: dt.date | None = None) -> SqlAnswer:
        """Answer a question: certified query first, then LLM-generated SQL if an LLM is available, else abstain.

        Errors raised while running carry ``.sql`` (the statement tried) for display and editing.
        """
        saved = self.connection(workspace, connection)
        question = _clean_question(question)
        match = self.match_certified(saved.workspace, question, connection=saved, today=today)
        if match.answerable:
            top = match.candidate
            return self._execute(saved, top.sql, "certified", question, params=match.binds,
                                 described=match.described, matched=top.question, similarity=top.similarity)
        model, outcome = self._plan(saved, question, today)
        if outcome.plan is not None:
            missing = self._groups_with_none(saved, model, outcome.plan, list(outcome.joins))
            if not missing:
                answer = self._run_plan(saved, model, outcome.plan, list(outcome.joins), question)
                tied = _too_many_ties(answer)
                if not tied:
                    return answer
                missing = tied
            outcome = PlanOutcome(None, reason=missing)
        available, _why = self._llm().available()
        if available:
            proposed, refused = self._llm_plan(saved, model, question, today or self._today())
            if proposed is not None:
                return proposed
            sql = self._adapter(saved).generate_sql(question)
            answer = self._execute(saved, sql, "generated", question)
            return replace(answer, message=f"{refused} The model wrote this SQL instead; it is not verified.")
        reasons = " ".join(dict.fromkeys(filter(None, (outcome.reason, match.reason if match.closest else ""))))
        suggestions = suggest(question, outcome, model, today or self._today(), self._value_index(saved, model),
                              lambda column: self._date_span(saved, model, column))
        return SqlAnswer(question=question, sql="", source="", result=None, connection=saved.name, abstained=True,
                         closest=match.closest, message=f"{reasons} {_ABSTAIN_HINT}",
                         suggestions=tuple((text, plan.describe()) for text, plan in suggestions))

    def run_plan(self, workspace: str, plan: Plan, *, connection: ConnectionRef = None, question: str = "") -> SqlAnswer:
        """Run a plan an analyst changed (a chip removed, another period): compiled and run like a planned answer.

        Raises ``InvalidInput`` when the changed plan cannot be joined without counting rows twice."""
        saved = self.connection(workspace, connection)
        model = self.semantic_model(saved.workspace, saved)
        return self._run_plan(saved, model, plan, plan_joins(plan, model), question or plan.describe())

    def _run_plan(self, saved: SqlConnection, model: SemanticModel, plan: Plan, joins, question: str,
                  source: str = "planned") -> SqlAnswer:
        compiled = compile_plan(plan, model, list(joins))
        answer = self._execute(saved, compiled.sql, source, question, params=compiled.params, plan=plan.to_dict())
        return replace(answer, planned=plan)

    def _groups_with_none(self, saved: SqlConnection, model: SemanticModel, plan: Plan, joins) -> str:
        """Why a bottom-N answer would be wrong, or "": the ranking has fewer groups than exist, so some have
        none at all (0 is the bottom), and the rows the plan ranks cannot show them."""
        check = coverage_sql(plan, model, joins)
        if check is None:
            return ""
        counted, total_sql = check
        try:
            groups = self._runner(saved).run(counted.sql, counted.params).rows[0][0]
            total = self._runner(saved).run(total_sql).rows[0][0]
        except WorkbenchError:
            return "The workbench could not check that every group has a row to rank, so it does not answer a bottom N."
        if groups >= total:
            return ""
        group = plan.groups[0].describe()
        return (f"{total - groups} of the {total} {group} have none at all, so the lowest is 0 and the ranking, "
                f"which only holds groups that have some, cannot show them.")

    def _llm_plan(self, saved: SqlConnection, model: SemanticModel, question: str,
                  today: dt.date) -> tuple[SqlAnswer | None, str]:
        """The model's plan for the question, checked and run; or None and why it was refused."""
        llm = self._llm()
        schema = plan_schema(model)
        try:
            # The same prompt budget as the Vanna path (a share of the context), at a safe 3 characters a token.
            messages = plan_prompt(question, model, today, budget_chars=max(1000, self._max_prompt_tokens * 3 - 1500))
            reply = llm.complete(messages, json_schema=schema, options=reply_options(llm, "sql"))
            data = parse_json_reply(reply if isinstance(reply, str) else "".join(reply), schema)
            values = self._value_index(saved, model)
            plan = read_plan(data, model, values_of=values.values_of)
            joins = plan_joins(plan, model)
        except (LLMReplyError, InvalidInput, LLMUnavailable) as refused:
            # A prompt too long for a small model is a refused plan too: the SQL path has its own budget.
            return None, f"The model's plan was not used: {refused}"
        return self._run_plan(saved, model, plan, joins, question, source="llm_planned"), ""

    def semantic_model(self, workspace: str, connection: ConnectionRef = None) -> SemanticModel:
        """What the connection's tables, columns and metrics mean in words: derived from its schema, with the
        analyst's saved additions (synonyms, value spellings, metrics) applied."""
        saved = self.connection(workspace, connection)
        derived = self._derived_model(saved)
        with self._lock:
            cached = self._overridden.get(saved.id)
        fresh = cached is not None and cached[0] is derived
        if fresh and time.monotonic() - cached[3] < _SEMANTIC_SECONDS:
            return cached[2]  # asked again within seconds: no metadata query on every question
        latest = self._semantic.latest(saved.workspace, saved.id)
        version = latest.version if latest is not None else None
        if fresh and cached[1] == version:
            model = cached[2]
        elif latest is None:
            model = derived
        else:
            try:
                model = apply_overrides(derived, parse_overrides(latest.content, derived,
                                                                 allowed_functions=self._functions(saved)))
            except InvalidInput:
                # Saved against an older schema (a column since dropped): the derived model still answers, and
                # the Semantic model tab shows the error when the analyst opens it.
                model = derived
        with self._lock:
            self._overridden[saved.id] = (derived, version, model, time.monotonic())
        return model

    def semantic_yaml(self, workspace: str, connection: ConnectionRef = None) -> str:
        """The analyst's additions as YAML, or a starting file listing what was derived."""
        saved = self.connection(workspace, connection)
        latest = self._semantic.latest(saved.workspace, saved.id)
        return export_overrides(self._derived_model(saved), None) if latest is None else latest.content

    def check_semantic_yaml(self, workspace: str, text: str, connection: ConnectionRef = None) -> Overrides:
        """Parse and check additions without saving; raises ``InvalidInput`` naming the first problem."""
        saved = self.connection(workspace, connection)
        return parse_overrides(text, self._derived_model(saved), allowed_functions=self._functions(saved))

    def save_semantic_yaml(self, workspace: str, text: str, connection: ConnectionRef = None) -> SemanticVersion:
        """Check and save the additions as a new version; questions are read with them from now on."""
        saved = self.connection(workspace, connection)
        self.check_semantic_yaml(saved.workspace, text, saved)
        version = self._semantic.save(saved.workspace, saved.id, text)
        with self._lock:
            self._overridden.pop(saved.id, None)
            self._value_indexes.pop(saved.id, None)
        return version

    def semantic_versions(self, workspace: str, connection: ConnectionRef = None) -> list[SemanticVersion]:
        saved = self.connection(workspace, connection)
        return self._semantic.versions(saved.workspace, saved.id)

    def semantic_version(self, workspace: str, number: int, connection: ConnectionRef = None) -> SemanticVersion:
        saved = self.connection(workspace, connection)
        return self._semantic.version(saved.workspace, saved.id, number)

    def _derived_model(self, saved: SqlConnection) -> SemanticModel:
        schema = self.schema(saved.workspace, saved)
        with self._lock:
            cached = self._models.get(saved.id)
        if cached is None or cached[0] is not schema:
            model = derive_model(schema)
            model = replace(model, metrics=derive_metrics(model, lambda *pair: self._agree(saved, model, *pair)))
            cached = (schema, model)
            with self._lock:
                self._models[saved.id] = cached
        return cached[1]

    def _functions(self, saved: SqlConnection) -> frozenset[str]:
        """Functions a metric definition may use: the guard's allow-list for the dialect, and the extras."""
        return ALLOWED_FUNCTIONS.get(saved.dialect, frozenset()) | self.policy.extra_functions

    def _agree(self, saved: SqlConnection, model: SemanticModel, header, lines, relation) -> bool:
        """Whether every header's amount equals the sum of its lines in the data (then "revenue" is one metric)."""
        try:
            result = self._runner(saved).run(agreement_sql(model, header, lines, relation))
        except WorkbenchError:
            return False  # unknown is not agreement: the planner then abstains on the ambiguous name
        return bool(result.rows) and result.rows[0][0] == 0

    def _date_span(self, saved: SqlConnection, model: SemanticModel, column) -> tuple[str, str] | None:
        """The first and last date a date column holds (ISO text), cached with the value index; None if unknown."""
        key = (saved.id, column.ref)
        with self._lock:
            cached = self._spans.get(key)
        if cached is not None and time.monotonic() - cached[0] < _VALUES_SECONDS:
            return cached[1]
        try:
            result = self._runner(saved).run(span_sql(model, column))
            first, last = result.rows[0] if result.rows else (None, None)
        except WorkbenchError:
            first = last = None
        span = (_iso(first), _iso(last)) if first is not None and last is not None else None
        with self._lock:
            self._spans[key] = (time.monotonic(), span)
        return span

    def plan(self, workspace: str, question: str, *, connection: ConnectionRef = None,
             today: dt.date | None = None) -> PlanOutcome:
        """The question read as a plan over the semantic model, or why it cannot be (no SQL runs)."""
        return self._plan(self.connection(workspace, connection), question, today)[1]

    def _plan(self, saved: SqlConnection, question: str, today: dt.date | None) -> tuple[SemanticModel, PlanOutcome]:
        model = self.semantic_model(saved.workspace, saved)
        return model, plan_question(_clean_question(question), model, today or self._today(),
                                    self._value_index(saved, model),
                                    lambda column: self._date_span(saved, model, column))

    def _value_index(self, saved: SqlConnection, model: SemanticModel) -> ValueIndex:
        """The values questions may name, rebuilt when the schema changes or the values may have."""
        with self._lock:
            cached = self._value_indexes.get(saved.id)
        if cached is not None and cached[0] is model and time.monotonic() - cached[1] < _VALUES_SECONDS:
            return cached[2]
        index = ValueIndex.build(model, lambda column: self._text_values(saved, model, column))
        with self._lock:
            self._value_indexes[saved.id] = (model, time.monotonic(), index)
        return index

    def _text_values(self, saved: SqlConnection, model: SemanticModel, column) -> tuple[str, ...]:
        """Names, cities, titles a question may name: the distinct short values of a text column (cached),
        for tables small enough to list them; none for free text."""
        rows = model.entity(column.table).table.row_count
        if rows is None or rows > _MAX_ROWS_FOR_NAMES:
            return ()
        try:
            values = self._column_values(saved, column.ref)
        except WorkbenchError:
            return ()  # a column that cannot be listed simply names nothing
        return tuple(v for v in values if len(v) <= _MAX_NAME_CHARS and len(v.split()) <= _MAX_NAME_WORDS)

    def run(self, workspace: str, sql: str, connection: ConnectionRef = None, source: str = "typed", *,
            question: str = "", params: Mapping[str, Any] | None = None) -> SqlAnswer:
        """Run SQL an analyst typed or edited (or any source) through the runner; recorded in history."""
        if source not in SOURCES:
            raise InvalidInput(f"The source of a query must be one of {', '.join(SOURCES)}; got {source!r}.")
        return self._execute(self.connection(workspace, connection), sql, source, question, params=params)

    def run_editor(self, workspace: str, sql: str, connection: ConnectionRef = None, *,
                   previous: SqlAnswer | None = None) -> SqlAnswer:
        """Run the SQL in an answer's editor. Unchanged, it keeps the answer's source (still "certified");
        changed, it is "edited" and keeps the question and the parameters it still uses; with no answer
        to start from it is "typed". An answer from another connection does not count."""
        saved = self.connection(workspace, connection)
        if previous is not None and previous.connection != saved.name:
            previous = None
        if previous is None:
            return self._execute(saved, sql, "typed", "")
        if not previous.sql:  # SQL typed for a question the database abstained on: it may be saved as its answer
            return self._execute(saved, sql, "typed", previous.question)
        source = previous.source if previous.sql.strip() == sql.strip() else "edited"
        params = {name: value for name, value in previous.params.items() if re.search(rf":{re.escape(name)}\b", sql)}
        return self._execute(saved, sql, source, previous.question, params=params or None)

    def run_url(self, url: str | URL, sql: str, params: Mapping[str, Any] | None = None) -> QueryResult:
        """Run SQL on a database that is not saved (the CLI's ``--db URL``); not recorded in history."""
        stripped, password = split_password(url)
        return self._url_runner(stripped.set(password=password or None)).run(sql, params or None)

    def _url_runner(self, url: URL) -> GuardedRunner:
        """A pooled runner for an unsaved URL: a script or notebook running many queries on one URL opens
        its engine once (about 85 ms each time otherwise). The few most recent URLs are kept."""
        # Keyed by a digest of the whole URL, password included: another password is another pool.
        key = hashlib.sha256(url.render_as_string(hide_password=False).encode()).hexdigest()
        with self._lock:
            runner = self._url_runners.get(key)
            if runner is not None:
                self._url_runners.move_to_end(key)
                return runner
        runner = GuardedRunner.from_settings(url, self.settings)
        with self._lock:
            self._url_runners[key] = runner
            evicted = [self._url_runners.popitem(last=False)[1] for _ in range(len(self._url_runners) - _URL_POOLS)]
        for old in evicted:
            old.close()
        return runner

    def llm_status(self) -> tuple[bool, str]:
        """Whether SQL generation, summaries and follow-up questions are available, and why (not)."""
        return self._llm().available()

    def summarize(self, workspace: str, answer: SqlAnswer) -> str:
        """A one-paragraph summary of an answer's result, written by the LLM."""
        adapter, frame = self._llm_inputs(workspace, answer)
        return adapter.generate_summary(answer.question or "(SQL written by the analyst)", frame).strip()

    def follow_up_questions(self, workspace: str, answer: SqlAnswer, *, count: int = 3) -> list[str]:
        """Questions the analyst might ask next, written by the LLM."""
        adapter, frame = self._llm_inputs(workspace, answer)
        lines = adapter.generate_followup_questions(answer.question, answer.sql, frame, n_questions=count)
        return [line.strip(" -*\t") for line in lines if line.strip(" -*\t")][:count]

    # --- history ---------------------------------------------------------------------------------

    def history(self, workspace: str, *, limit: int = 50) -> list[HistoryEntry]:
        """The workspace's most recent queries, newest first."""
        return self._history.recent(self._workspace(workspace), limit)

    def record_feedback(self, workspace: str, history_id: str, value: int) -> None:
        """Thumbs up (1), down (-1) or cleared (0) on a history entry."""
        self._history.set_feedback(self._workspace(workspace), history_id, value)

    def close(self) -> None:
        """Close every pooled database connection."""
        with self._lock:
            runners = [*self._runners.values(), *self._url_runners.values()]
            self._runners, self._url_runners = {}, OrderedDict()
        for runner in runners:
            runner.close()

    # --- internals -------------------------------------------------------------------------------

    def _workspace(self, workspace: str) -> str:
        name = validate_workspace_name(workspace)
        if name not in self._known_workspaces:
            self.metadata.ensure_workspace(name)
            self._known_workspaces.add(name)
        return name

    def _runner(self, saved: SqlConnection) -> GuardedRunner:
        with self._lock:
            runner = self._runners.get(saved.id)
            if runner is None:
                runner = GuardedRunner.from_settings(self.connections_store.full_url(saved), self.settings)
                self._runners[saved.id] = runner
            return runner

    def _adapter(self, saved: SqlConnection) -> WorkbenchVanna:
        key = (saved.workspace, saved.id)
        with self._lock:
            if key not in self._adapters:
                self._adapters[key] = WorkbenchVanna(
                    workspace=saved.workspace, connection_id=saved.id, dialect=saved.dialect, embedder=self._embedder(),
                    vectors=self._vectors(), metadata=self.metadata, llm=self._llm(),
                    max_prompt_tokens=self._max_prompt_tokens, write_lock=self._write_lock)
            return self._adapters[key]

    def _forget(self, saved: SqlConnection) -> None:
        with self._lock:
            self._models.pop(saved.id, None)
            self._value_indexes.pop(saved.id, None)
            self._overridden.pop(saved.id, None)
            for key in [key for key in self._spans if key[0] == saved.id]:
                del self._spans[key]
            runner = self._runners.pop(saved.id, None)
            self._adapters.pop((saved.workspace, saved.id), None)
        self._cache.forget(saved.id)
        if runner is not None:
            runner.close()

    def _column_values(self, saved: SqlConnection, column_spec: str) -> tuple[str, ...]:
        schema = self.schema(saved.workspace, saved)
        return self._cache.column_values(saved.id, column_spec, self._runner(saved), schema)

    def _execute(self, saved: SqlConnection, sql: str, source: str, question: str, *,
                 params: Mapping[str, Any] | None = None, described: Mapping[str, str] | None = None,
                 matched: str = "", similarity: float | None = None, plan: dict | None = None) -> SqlAnswer:
        try:
            result = self._runner(saved).run(sql, dict(params) if params else None)
        except WorkbenchError as error:
            self._record(saved, question, sql, source, error=str(error))
            error.sql = sql  # lets a page put the refused or failed statement back in the editor
            raise
        history_id = self._record(saved, question, sql, source, row_count=len(result.rows), elapsed=result.elapsed)
        return SqlAnswer(question=question, sql=sql, source=source, result=result, connection=saved.name,
                         params=dict(params or {}), described=dict(described or {}), chart=choose_chart(result),
                         matched_question=matched, similarity=similarity, history_id=history_id, plan=plan)

    def _record(self, saved: SqlConnection, question: str, sql: str, source: str, **outcome: Any) -> str:
        return self._history.record(saved.workspace, saved.id, question, sql, source, **outcome)

    def _llm_inputs(self, workspace: str, answer: SqlAnswer):
        available, why = self._llm().available()
        if not available:
            raise LLMUnavailable(why)
        if answer.result is None:
            raise InvalidInput("There is no result to describe: run a query first.")
        saved = self.connection(workspace, answer.connection or None)
        return self._adapter(saved), answer.result.to_frame().head(50)

    @staticmethod
    def _item(adapter: WorkbenchVanna, item_id: str) -> TrainingItem:
        return next(item for item in adapter.items() if item.id == item_id)


def _too_many_ties(answer: SqlAnswer) -> str:
    """Why a top N is no answer, or "": so many rows tie at the cut that "the top N" names no N of them
    (250 tracks sold twice: no "top 10 tracks" exists)."""
    plan, rows = answer.planned, answer.result.rows if answer.result is not None else ()
    if plan is None or plan.limit is None or len(rows) <= 2 * plan.limit:
        return ""
    if plan.limit == 1:
        return (f"{len(rows)} rows tie for the {'most' if plan.descending else 'least'}, so no one of them is the "
                "answer; ask for the ranking instead (without 'the most').")
    return (f"The top {plan.limit} is not one set of rows here: {len(rows)} rows tie at or inside the cut. "
            "Ask for a smaller or larger N, or for the ranking without a top N.")


def _iso(value: Any) -> str:
    """A date value as ISO text: engines return date objects, timestamps, or text."""
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def _clean_question(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise InvalidInput("Type a question first.")
    return question
