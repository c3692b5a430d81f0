"""Certified queries: trained question/SQL pairs that answer without an LLM, parameters and all.

A pair may declare parameters that its SQL uses as ``:name`` placeholders:

- ``value``: a value of a column (``customers.city``), found in the question exactly or fuzzily
  ("chenai" -> "Chennai") among that column's distinct values;
- ``date_range``: a period ("this week", "last month"), bound as ISO text to ``:start``/``:end``;
- ``number``: a whole number ("top 5"), e.g. for a LIMIT.

``match_certified`` takes the trained pairs nearest to a question (by embedding cosine) and
either fills the best one's parameters or abstains with the reason and the closest questions
it can answer. Values are always bound by the runner, never formatted into SQL text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Sequence

from rapidfuzz import fuzz, process
from sqlglot import exp, parse_one
from sqlglot.errors import SqlglotError

from core.errors import InvalidInput, UnsafeSQL
from core.sql import wording
from core.sql.dates import DateRange, find_date_range, resolve_date_phrase
from core.sql.guard import check_read_only
from core.sql.introspect import mentioned_terms

PARAMETER_KINDS = ("value", "date_range", "number")
# Dates are read first and numbers last, so "last 30 days" or "250g" in a product name is never a LIMIT.
_FILL_ORDER = {"date_range": 0, "value": 1, "number": 2}
FUZZY_CUTOFF = 80  # rapidfuzz ratio: "chenai"/"Chennai" scores 92, "Atlantis"/"Kolkata" 40
_MIN_FUZZY_CHARS = 4
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
_COLUMN = re.compile(r"^[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*){1,2}$")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"\w[\w'&-]*")
_NUMBER = re.compile(r"(?<![\w.\-:/])(\d{1,6})(?![\w.\-:/])")
_NUMBER_WORDS = {word: index for index, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
# Words of the question itself are never a fuzzy match for a value, however close they look; nor
# are the names of the database's own tables and columns ("orders" is no misspelt "Borders").
_QUESTION_WORDS = wording.FUNCTION_WORDS | frozenset(
    "show list give tell find total number count each every per week month year today days last past since "
    "between during".split())


@dataclass(frozen=True)
class CertifiedParameter:
    """One parameter of a certified query; ``placeholders`` are the ``:names`` it binds."""

    name: str
    kind: str
    column: str = ""  # value: "table.column" (or "schema.table.column") whose values are matched
    default: str = ""  # used when the question gives none: a period, a value or a number
    start: str = "start"  # date_range: the placeholder bound to the first day
    end: str = "end"  # date_range: the placeholder bound to the last day

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise InvalidInput(f"Parameter name {self.name!r} is not valid: use letters, digits and '_'.")
        if self.kind not in PARAMETER_KINDS:
            raise InvalidInput(f"Parameter {self.name}: kind must be one of {', '.join(PARAMETER_KINDS)}; got {self.kind!r}.")
        if self.kind == "value" and not _COLUMN.match(self.column):
            raise InvalidInput(f"Parameter {self.name}: give the column its values come from as table.column "
                               f"(e.g. customers.city); got {self.column!r}.")
        if self.kind == "date_range":
            for placeholder in (self.start, self.end):
                if not _NAME.match(placeholder):
                    raise InvalidInput(f"Parameter {self.name}: {placeholder!r} is not a valid placeholder name.")
            if self.start == self.end:
                raise InvalidInput(f"Parameter {self.name}: the start and end placeholders must differ.")
        if self.kind == "number" and self.default and not self.default.strip().isdigit():
            raise InvalidInput(f"Parameter {self.name}: the default of a number must be a whole number.")

    @property
    def placeholders(self) -> tuple[str, ...]:
        return (self.start, self.end) if self.kind == "date_range" else (self.name,)

    def describe(self) -> str:
        """One line in the syntax ``parse_parameters`` reads back."""
        spec = {"value": self.column, "number": "number"}.get(self.kind, "dates")
        if self.kind == "date_range" and (self.start, self.end) != ("start", "end"):
            spec = f"dates({self.start}, {self.end})"
        return f"{self.name}: {spec}" + (f" | default: {self.default}" if self.default else "")

    def to_dict(self) -> dict[str, str]:
        return {key: value for key, value in asdict(self).items() if value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CertifiedParameter":
        known = {"name", "kind", "column", "default", "start", "end"}
        unknown = set(data) - known
        if unknown:
            raise InvalidInput(f"Unknown parameter field(s): {', '.join(sorted(unknown))}.")
        return cls(**{key: str(value) for key, value in data.items()})


def parse_parameters(spec: "str | Sequence[Mapping[str, Any] | CertifiedParameter] | None") -> tuple[CertifiedParameter, ...]:
    """Read parameters from lines such as ``city: customers.city``, ``period: dates | default: all time``,
    ``limit: number | default: 10``; or from a JSON list of objects, or from a list of dicts."""
    if not spec:
        return ()
    if not isinstance(spec, str):
        return _unique(tuple(item if isinstance(item, CertifiedParameter) else CertifiedParameter.from_dict(item)
                             for item in spec))
    text = spec.strip()
    if text.startswith("["):
        try:
            return parse_parameters(json.loads(text))
        except json.JSONDecodeError as error:
            raise InvalidInput(f"The parameters are not valid JSON: {error.msg}.") from None
    parameters = []
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        parameters.append(_parse_line(line))
    return _unique(tuple(parameters))


def _parse_line(line: str) -> CertifiedParameter:
    name, colon, rest = line.partition(":")
    if not colon:
        raise InvalidInput(f"Cannot read parameter {line!r}: write 'name: table.column', 'name: dates' or 'name: number'.")
    body, _, default_part = rest.partition("|")
    default = ""
    if default_part.strip():
        key, _, value = default_part.partition(":")
        if key.strip().lower() != "default" or not value.strip():
            raise InvalidInput(f"Cannot read {default_part.strip()!r} in {line!r}: write '| default: VALUE'.")
        default = value.strip()
    kind_text, name = body.strip(), name.strip()
    dates = re.fullmatch(r"dates?(?:\s*\(\s*:?(\w+)\s*,\s*:?(\w+)\s*\))?", kind_text, re.IGNORECASE)
    if dates:
        return CertifiedParameter(name, "date_range", default=default, start=dates[1] or "start", end=dates[2] or "end")
    if kind_text.lower() == "number":
        return CertifiedParameter(name, "number", default=default)
    return CertifiedParameter(name, "value", column=kind_text, default=default)


def _unique(parameters: tuple[CertifiedParameter, ...]) -> tuple[CertifiedParameter, ...]:
    seen: set[str] = set()
    for parameter in parameters:
        clash = seen & ({parameter.name} | set(parameter.placeholders))
        if clash:
            raise InvalidInput(f"Parameter name {sorted(clash)[0]!r} is declared twice.")
        seen |= {parameter.name, *parameter.placeholders}
    return parameters


def parameters_to_json(parameters: Sequence[CertifiedParameter]) -> str:
    return json.dumps([parameter.to_dict() for parameter in parameters], sort_keys=True)


def parameters_from_json(text: str) -> tuple[CertifiedParameter, ...]:
    data = json.loads(text or "[]")
    return parse_parameters(data if isinstance(data, list) else [])


def placeholders_in(sql: str, dialect: str) -> set[str]:
    """The ``:name`` placeholders a statement uses."""
    try:
        tree = parse_one(sql, read=dialect)
    except SqlglotError:
        raise UnsafeSQL("The SQL could not be parsed to find its :name parameters.") from None
    return {node.name for node in tree.find_all(exp.Placeholder) if node.name}


def validate_certified(sql: str, parameters: Sequence[CertifiedParameter], dialect: str, *,
                       extra_functions: frozenset[str] = frozenset()) -> None:
    """Refuse a pair whose SQL is not a read-only query or whose placeholders and parameters disagree."""
    used = placeholders_in(check_read_only(sql, dialect, extra_functions=extra_functions), dialect)
    declared = {placeholder for parameter in parameters for placeholder in parameter.placeholders}
    for placeholder in sorted(used - declared):
        raise InvalidInput(f"The SQL uses :{placeholder} but no parameter declares it: add a line such as "
                           f"'{placeholder}: table.column', '{placeholder}: number' or a dates parameter.")
    for parameter in parameters:
        unused = [p for p in parameter.placeholders if p not in used]
        if unused:
            raise InvalidInput(f"Parameter {parameter.name} binds :{unused[0]}, which the SQL does not use.")


# --- filling parameters from a question ---------------------------------------------------------


@dataclass(frozen=True)
class ValueMatch:
    value: str  # the column's own spelling
    span: tuple[int, int]
    score: float  # 100 for an exact match
    text: str  # the words of the question that matched


@dataclass(frozen=True)
class Filling:
    """Bind values for a query's placeholders, how each parameter was read, and what is missing."""

    binds: dict[str, Any] = field(default_factory=dict)
    described: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()  # where in the question each bound value, period and number was read


def _overlaps(span: tuple[int, int], taken: Sequence[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def exact_values(text: str, values: Sequence[str], taken: Sequence[tuple[int, int]] = ()) -> list[ValueMatch]:
    """Values written out in ``text`` (case-insensitive, whole words), longest first, never overlapping."""
    found: list[ValueMatch] = []
    occupied = list(taken)
    for value in sorted({v for v in values if v and _HAS_LETTER.search(v)}, key=len, reverse=True):
        # Short codes ("ON", "CA") would match ordinary words unless their case matches too.
        flags = 0 if len(value) <= 3 else re.IGNORECASE
        for hit in re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", text, flags):
            if not _overlaps(hit.span(), occupied):
                found.append(ValueMatch(value, hit.span(), 100.0, hit.group(0)))
                occupied.append(hit.span())
    return sorted(found, key=lambda match: match.span)


def fuzzy_value(text: str, values: Sequence[str], taken: Sequence[tuple[int, int]] = (),
                protected: frozenset[str] = frozenset()) -> ValueMatch | None:
    """The value a misspelt run of words in ``text`` most likely means (ratio >= FUZZY_CUTOFF), or None."""
    choices = {v.lower(): v for v in values if v and len(v) >= _MIN_FUZZY_CHARS}
    if not choices:
        return None
    widest = min(4, max(len(v.split()) for v in choices))
    words = [w for w in _WORD.finditer(text) if w.group(0).lower() not in _QUESTION_WORDS
             and wording.fold(w.group(0)) not in protected]
    best: ValueMatch | None = None
    for size in range(1, widest + 1):
        for index in range(len(words) - size + 1):
            span = (words[index].start(), words[index + size - 1].end())
            gram = text[span[0]:span[1]]
            if len(gram) < _MIN_FUZZY_CHARS or _overlaps(span, taken):
                continue
            hit = process.extractOne(gram.lower(), list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if hit and (best is None or (hit[1], len(gram)) > (best.score, len(best.text))):
                best = ValueMatch(choices[hit[0]], span, float(hit[1]), gram)
    return best


def find_number(text: str, taken: Sequence[tuple[int, int]] = ()) -> tuple[int, tuple[int, int]] | None:
    """The first whole number written in ``text`` outside ``taken`` spans ("top 5", "top five")."""
    candidates = [(int(m[1]), m.span(1)) for m in _NUMBER.finditer(text)]
    candidates += [(_NUMBER_WORDS[m.group(0).lower()], m.span()) for m in _WORD.finditer(text)
                   if m.group(0).lower() in _NUMBER_WORDS and m.group(0).lower() != "one"]
    for number, span in sorted(candidates, key=lambda item: item[1]):
        if not _overlaps(span, taken):
            return number, span
    return None


def fill_parameters(question: str, parameters: Sequence[CertifiedParameter], *, today: dt.date,
                    values_for: Callable[[str], Sequence[str]], protected: frozenset[str] = frozenset()) -> Filling:
    """Read each parameter from the question (dates first, then values, then numbers) or its default."""
    binds: dict[str, Any] = {}
    described: dict[str, str] = {}
    missing: list[str] = []
    taken: list[tuple[int, int]] = []
    period = find_date_range(question, today)
    for parameter in sorted(parameters, key=lambda p: _FILL_ORDER[p.kind]):
        if parameter.kind == "date_range":
            chosen = _period_for(parameter, period, today)
            if chosen is None:
                missing.append(f"the question names no period for {parameter.name} (say e.g. 'this week' or 'last month')")
                continue
            binds[parameter.start], binds[parameter.end] = chosen.iso
            described[parameter.name] = chosen.describe() + ("" if chosen is period else " (default)")
            if chosen is period:
                taken.append(period.span)
        elif parameter.kind == "value":
            reason = _fill_value(question, parameter, values_for(parameter.column), taken, binds, described, protected)
            if reason:
                missing.append(reason)
        else:
            found = find_number(question, taken)
            if found is not None:
                binds[parameter.name], described[parameter.name] = found[0], str(found[0])
                taken.append(found[1])
            elif parameter.default:
                binds[parameter.name] = int(parameter.default)
                described[parameter.name] = f"{parameter.default} (default)"
            else:
                missing.append(f"the question gives no number for {parameter.name}")
    return Filling(binds, described, tuple(missing), tuple(taken))


def _period_for(parameter: CertifiedParameter, period: DateRange | None, today: dt.date) -> DateRange | None:
    if period is not None:
        return period
    if parameter.default:
        return resolve_date_phrase(parameter.default, today)
    return None


def _fill_value(question: str, parameter: CertifiedParameter, values: Sequence[str], taken: list[tuple[int, int]],
                binds: dict[str, Any], described: dict[str, str], protected: frozenset[str] = frozenset()) -> str:
    """Bind one value parameter; returns why it could not be filled, or ''."""
    exact = exact_values(question, values, taken)
    distinct = sorted({match.value for match in exact})
    if len(distinct) > 1:
        return f"the question names several values of {parameter.column} ({', '.join(distinct)}) but the query takes one"
    match = exact[0] if exact else fuzzy_value(question, values, taken, protected)
    if match is not None:
        binds[parameter.name] = match.value
        described[parameter.name] = match.value if match.score == 100 else f"{match.value} (read from {match.text!r})"
        taken.append(match.span)
        return ""
    if parameter.default:
        binds[parameter.name] = parameter.default
        described[parameter.name] = f"{parameter.default} (default)"
        return ""
    examples = ", ".join(sorted(values)[:6])
    return f"no value of {parameter.column} in the question matches a known one (known values include {examples})"


# --- choosing a certified query -------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A trained question/SQL pair and how similar its question is to the one asked (cosine)."""

    item_id: str
    question: str
    sql: str
    parameters: tuple[CertifiedParameter, ...]
    similarity: float


@dataclass(frozen=True)
class CertifiedMatch:
    """The certified query that answers a question with its binds, or why none does (``reason``)."""

    candidate: Candidate | None
    binds: dict[str, Any] = field(default_factory=dict)
    described: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    closest: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.candidate is not None and not self.reason


def match_certified(question: str, candidates: Sequence[Candidate], *, threshold: float, today: dt.date,
                    values_for: Callable[[str], Sequence[str]], known_values: Mapping[str, Sequence[str]] | None = None,
                    schema_terms: frozenset[str] = frozenset(), tries: int = 5) -> CertifiedMatch:
    """Answer with a certified pair that says what the question says, up to its parameters; otherwise
    abstain, saying why, with the closest questions.

    Similarity only proposes: the nearest ``tries`` pairs scoring at least ``threshold`` are tried in
    order, and one answers only when its parameters can all be filled, the question names nothing
    the query does not use, and the two questions have the same meaningful words once the bound
    values, periods and numbers are set aside (``core.sql.wording``).
    """
    ranked = sorted(candidates, key=lambda c: c.similarity, reverse=True)
    closest = tuple(dict.fromkeys(c.question for c in ranked))[:5]
    if not ranked:
        return CertifiedMatch(None, reason="No question/SQL pairs are trained for this database yet.", closest=())
    protected = frozenset(wording.fold(term) for term in schema_terms)
    top = ranked[0]
    if top.similarity < threshold:
        return CertifiedMatch(None, reason=(
            f"No certified question is close enough (the closest, {top.question!r}, scores {top.similarity:.2f}; "
            f"at least {threshold:.2f} is needed)."), closest=closest)
    first_reason = ""
    for candidate in [c for c in ranked if c.similarity >= threshold][:tries]:
        filling = fill_parameters(question, candidate.parameters, today=today, values_for=values_for,
                                  protected=protected)
        reason = (_conflict(question, candidate, today, known_values or {}, schema_terms, filling)
                  or _missing(candidate, filling)
                  or _different_words(question, candidate, filling, today, values_for))
        if not reason:
            return CertifiedMatch(candidate, filling.binds, filling.described, "", closest)
        first_reason = first_reason or reason
    return CertifiedMatch(None, reason=first_reason, closest=closest)


def _missing(candidate: Candidate, filling: Filling) -> str:
    if not filling.missing:
        return ""
    return f"The certified question {candidate.question!r} fits, but " + "; ".join(filling.missing) + "."


def _different_words(question: str, candidate: Candidate, filling: Filling, today: dt.date,
                     values_for: Callable[[str], Sequence[str]]) -> str:
    """Why the question and the certified question do not say the same thing, or ''."""
    own = fill_parameters(candidate.question, candidate.parameters, today=today, values_for=values_for)
    asked = wording.terms(question, skip=filling.spans)
    trained = wording.terms(candidate.question, skip=own.spans)
    extra, unsaid = wording.leftover(asked, trained), wording.leftover(trained, asked)
    if extra:
        return (f"The certified question {candidate.question!r} is close, but it does not cover "
                f"{_quoted(extra)} in the question.")
    if unsaid:
        return (f"The certified question {candidate.question!r} is close, but it also says {_quoted(unsaid)}, "
                "which the question does not.")
    return ""


def _quoted(words: Sequence[str]) -> str:
    return ", ".join(repr(word) for word in words)


def _conflict(question: str, candidate: Candidate, today: dt.date, known_values: Mapping[str, Sequence[str]],
              schema_terms: frozenset[str], filling: Filling) -> str:
    """Why a close pair still does not answer the question: it names a period, a value or a column
    that the pair has no parameter for or does not use (a query about Chennai does not answer one
    about Mumbai, and top customers by spend do not answer customers per segment)."""
    kinds = {parameter.kind for parameter in candidate.parameters}
    if "date_range" not in kinds:
        asked, trained = find_date_range(question, today), find_date_range(candidate.question, today)
        if asked is not None and (trained is None or (asked.start, asked.end) != (trained.start, trained.end)):
            return (f"The certified question {candidate.question!r} is close, but it takes no period and "
                    f"the question asks about {asked.phrase!r}.")
    bound_columns = {parameter.column.lower() for parameter in candidate.parameters if parameter.kind == "value"}
    trained_text = f"{candidate.question}\n{candidate.sql}".lower()
    for term in mentioned_terms(question, schema_terms):
        if term not in trained_text:
            return (f"The certified question {candidate.question!r} is close, but the question mentions "
                    f"{term!r}, which that query does not use.")
    # A value the query binds is not a conflict when another column also holds it (Brazil is a
    # customer's country and an invoice's billing country): the query's own column is the one that fits.
    bound_values = {str(value).lower() for value in filling.binds.values()}
    for column, values in known_values.items():
        if column.lower() in bound_columns:
            continue
        for match in exact_values(question, values):
            if match.value.lower() not in trained_text and match.value.lower() not in bound_values:
                return (f"The certified question {candidate.question!r} is close, but the question is about "
                        f"{match.value!r} ({column}), which that query does not filter on.")
    return ""
