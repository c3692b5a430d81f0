"""Reading a question into a plan over the semantic model, or abstaining and saying why.

``plan_question(question, model, today)`` finds, in the question's own words:

- the period ("in 2022", "Q2 2022", "last month": ``core.sql.dates``);
- values of category columns ("Brazil", "Jazz"), exactly as the database spells them;
- the entities and columns it names ("tracks", "billing country", "unit price", "priced");
- what to compute: "how many X" / "number of X" (a count), "total/average/highest/lowest C"
  (an aggregate of a numeric column), "which Y has the most X", "top N Y by ...";
- groupings ("per Y", "by Y", "for each Y"), numeric comparisons ("priced at 1.99",
  "total over 10").

Every word must be used by the plan or be a function word ("the", "are", "how"...). If any is
left over, or a name fits two columns equally, or a period fits two date columns, the planner
abstains and says which words it could not use: a plan never answers a different question.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from core.errors import InvalidInput
from core.sql.dates import DateRange, find_date_range
from core.sql.metrics import REVENUE, SALE_VERBS, UNITS_SOLD, Formula, Metric
from core.sql.plan import GRAINS, Comparison, Filter, Grouping, Measure, Period, Plan, via_tables
from core.sql.semantic import Column, Entity, Relationship, SemanticModel
from core.sql.units import COMPARATIVES, MONEY, NOUNS, QUANTITY_VERBS, SIZE, SUPERLATIVES, said, unit_of
from core.sql.wording import FUNCTION_WORDS, fold

_TOKEN = re.compile(r"\$?\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?")
_MAX_PHRASE = 4
# Words that never change what is asked. "total" is not here: it may be a sum or a column.
_FILLER = (FUNCTION_WORDS - {"total", "than", "much", "many"}) | frozenset(
    "catalog catalogue overall altogether currently".split()
    # verbs that only say where a row is or that it exists: "customers who live in Paris"
    + "live lives living located based released listed raise raised".split()
    # words that only stress ("the whole catalogue", "every single invoice", "how many different artists":
    # rows are counted once each anyway) or say the rows are ours ("do we carry", "on file")
    + "different distinct whole entire single individual carry stock we've we're us file".split())
_COUNT_PHRASES = (("total", "number", "of"), ("how", "many"), ("number", "of"), ("count", "of"), ("count",))
_AGGREGATE_WORDS = {"total": "sum", "sum": "sum", "average": "avg", "avg": "avg", "mean": "avg",
                    "maximum": "max", "max": "max", "highest": "max", "largest": "max", "biggest": "max",
                    "minimum": "min", "min": "min", "lowest": "min", "smallest": "min"}
_MOST = {"most": True, "fewest": False, "least": False}
_TOP = {"top": True, "bottom": False}
_GROUP_MARKERS = (("broken", "down", "by"), ("broken", "out", "by"), ("split", "by"), ("grouped", "by"),
                  ("breakdown", "by"), ("for", "each"), ("in", "each"), ("per",), ("by",), ("each",), ("every",))
_COMPARISONS = ((("more", "than"), ">"), (("greater", "than"), ">"), (("over",), ">"), (("above",), ">"),
                (("at", "least"), ">="), (("less", "than"), "<"), (("fewer", "than"), "<"), (("under",), "<"),
                (("below",), "<"), (("at", "most"), "<="), (("equal", "to"), "="), (("exactly",), "="),
                (("of",), "="), (("at",), "="), (("is",), "="), (("=",), "="))
# Without a column named before them these say nothing exact ("tracks of 5 minutes", "invoices at 20").
_UNNAMED_COMPARISONS = tuple((words, op) for words, op in _COMPARISONS if words not in {("of",), ("at",), ("is",), ("=",)})
_NUMBER_WORDS = {word: index for index, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_WHICH = frozenset({"which", "what", "who"})
_LIST_WORDS = _WHICH | {"list", "show", "name", "find", "give"}
# Words that make two periods or two values a comparison, and those the comparison then accounts for.
_COMPARE_CUES = frozenset({"compare", "compared", "comparison", "versus", "vs", "against", "or", "than",
                           "difference", "change", "changed", "grow", "grew", "growth"})
_CHANGE_CUES = frozenset({"change", "changed", "grow", "grew", "growth"})
# Verbs that say how rows are linked through others: "customers who bought Jazz", "tracks that appear on".
_LINK_VERBS = frozenset({"bought", "buy", "buys", "purchased", "purchase", "ordered", "order", "sold", "contain",
                         "contains", "appear", "appears", "include", "includes", "on"})
_ROLE_VERBS = frozenset({"handle", "handles", "handled", "manage", "manages", "managed", "serve", "serves", "served",
                         "support", "supports", "supported", "cover", "covers"})
_MORE_WORDS = frozenset({"more", "less", "fewer", "higher", "lower", "better", "worse", "bigger", "smaller"})
_COMPARE_WORDS = _COMPARE_CUES | {"more", "less", "fewer", "and", "between", "with", "to", "from", "how", "much",
                                  "many", "do", "did", "does", "bring", "brought", "have", "has", "had", "which"}
_YEAR = re.compile(r"(?:19|20)\d{2}")
_NEGATIONS = frozenset({"not", "except", "excluding", "never"})
# Every word the planner knows how to read; anything else is a word the database cannot speak to.
_GRAMMAR = (_FILLER | {w for phrase in _COUNT_PHRASES for w in phrase} | set(_AGGREGATE_WORDS) | set(_MOST)
            | set(_TOP) | {w for marker in _GROUP_MARKERS for w in marker}
            | {w for words, _op in _COMPARISONS for w in words} | set(_NUMBER_WORDS) | _WHICH | _NEGATIONS | set(GRAINS)
            | {w for words in (*COMPARATIVES, *SUPERLATIVES) for w in words})


@dataclass
class _Token:
    text: str
    key: str
    span: tuple[int, int]
    used: bool = False

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(frozen=True)
class _Mention:
    start: int  # token index of the first word
    end: int  # one past the last
    targets: tuple[Entity | Column | Metric, ...]

    @property
    def metrics(self) -> list[Metric]:
        return [t for t in self.targets if isinstance(t, Metric)]


@dataclass(frozen=True)
class PlanOutcome:
    """A plan, or why there is none: the words not understood and what was understood."""

    plan: Plan | None
    joins: tuple[Relationship, ...] = ()
    reason: str = ""
    unused: tuple[str, ...] = field(default_factory=tuple)


class _Abstain(Exception):
    def __init__(self, reason: str, unused: Sequence[str] = ()):
        super().__init__(reason)
        self.reason, self.unused = reason, tuple(unused)


@dataclass(frozen=True)
class ValueIndex:
    """What a question's words may name, by their folded words: the entities and columns
    (``phrases``), every category value, and the names (cities, artists, titles) of text columns
    when ``values_for`` lists them (``index``). Built once per schema and reused: building it
    reads every value."""

    index: dict[tuple[str, ...], dict[str, list[Column]]]
    names: frozenset[tuple[str, ...]]
    phrases: dict[tuple[str, ...], tuple[Entity | Column | Metric, ...]]
    aliases: dict[tuple[str, ...], dict[str, list[Column]]] = field(default_factory=dict)  # the analyst's spellings

    def values_of(self, column: Column) -> set[str]:
        """Every value known to be in ``column``: its category values, the names indexed, the analyst's spellings."""
        known = set(column.values)
        for spelled in (*self.index.values(), *self.aliases.values()):
            known.update(value for value, columns in spelled.items() if column in columns)
        return known

    @property
    def name_words(self) -> frozenset[str]:
        return frozenset(word for words in self.names for word in words)

    @classmethod
    def build(cls, model: SemanticModel, values_for: Callable[[Column], Sequence[str]] | None = None) -> "ValueIndex":
        names = frozenset({entity.words for entity in model.entities} | {c.words for c in model.columns()})
        index: dict[tuple[str, ...], dict[str, list[Column]]] = {}
        aliases: dict[tuple[str, ...], dict[str, list[Column]]] = {}
        for column in model.columns():
            category = column.kind == "category"
            if category:
                known = column.values
            elif column.kind == "text" and values_for is not None:
                known = values_for(column)
            else:
                known = ()
            for alias, value in model.value_aliases.get(column.ref, {}).items():  # "California" for CA
                words = tuple(fold(w) for w in _TOKEN.findall(alias))
                if words:
                    aliases.setdefault(words, {}).setdefault(value, []).append(column)
            for value in known:
                words = tuple(fold(w) for w in _TOKEN.findall(value))
                if not words or all(w in _GRAMMAR or _number(w) is not None for w in words) or len(value) < 2:
                    continue  # a track called "One" or "You" is no value a question names
                if words in names and not category:
                    continue  # free text that happens to be a name reads as the name
                index.setdefault(words, {}).setdefault(value, []).append(column)
        return cls(index, names, _phrases(model), aliases)


def _phrases(model: SemanticModel) -> dict[tuple[str, ...], tuple[Entity | Column | Metric, ...]]:
    """The phrases that name each entity, (non-key) column and metric."""
    phrases: dict[tuple[str, ...], list[Entity | Column | Metric]] = {}
    for entity in model.entities:
        phrases.setdefault(entity.words, []).append(entity)
        for column in entity.columns:
            if column.kind == "key":
                continue
            named = [column.words, entity.words + column.words]  # "total", "invoice total"
            own = entity.words
            if len(column.words) > len(own) and column.words[:len(own)] == own:
                named.append(column.words[len(own):])  # GenreName -> "name" of genre
            if len(column.words) > 1 and column.words[-1] not in {"name", "title"}:
                named += [column.words[-1:], entity.words + column.words[-1:]]  # UnitPrice -> "price", "track price"
            if column.quantity and (column.quantity != MONEY or {"price", "cost"} & set(column.words)):
                for noun in NOUNS[column.quantity]:  # "track length" is its Milliseconds, "cost" its price
                    # not "tracks cost": there "cost" is the verb of "how many tracks cost 99 cents"
                    named += [(noun,)] + ([entity.words + (noun,)] if column.quantity != MONEY else [])
            for words in named:
                phrases.setdefault(words, []).append(column)
    for relation in model.relationships:
        # A key named for a role, not for its table (Customer.SupportRepId -> Employee): "support rep" names
        # the employees reached that way. Only a relationship of its own: with a second path to the same
        # table the role would not say which.
        if len(relation.child_columns) != 1 or relation.child == relation.parent:
            continue  # a self-reference (ReportsTo) cannot say which side a question is on
        role = model.entity(relation.child).column(relation.child_columns[0]).words
        role = role[:-1] if role and role[-1] == "id" else role
        parent = model.entity(relation.parent)
        if role and role != parent.words and role not in phrases \
                and sum(r.child == relation.child and r.parent == relation.parent for r in model.relationships) == 1:
            phrases.setdefault(role, []).append(parent)
    for words, reference in model.synonyms.items():  # the analyst's words come first: they are what they mean
        phrases[words] = [model.resolve(reference)]
    for metric in model.metrics:
        if metric.origin == "analyst":  # an analyst's metric is named by its words even where a column is too
            for words in metric.phrases:
                phrases[words] = [metric]
            continue
        for words in metric.phrases:
            # A column the analyst names by its own name is that column: "the total amount" of a table whose
            # column is called amount sums amount, cancelled rows and all, as written.
            if not any(not isinstance(t, Metric) for t in phrases.get(words, ())):
                phrases.setdefault(words, []).append(metric)
    return {words: tuple(dict.fromkeys(targets)) for words, targets in phrases.items()}


Spans = Callable[[Column], "tuple[str, str] | None"]


def plan_joins(plan: Plan, model: SemanticModel) -> list[Relationship]:
    """The many-to-one joins from the measured table to every table the plan reads, each table once.

    Raises ``InvalidInput`` when a table cannot be reached that way (the join could count rows twice)
    or is reached two ways (the plan would be ambiguous)."""
    root = plan.measure.entity.name
    joins: list[Relationship] = []
    reached: dict[str, Relationship] = {}
    for table in plan.tables():
        path = model.parents_path(root, table)
        if path is None:
            raise InvalidInput(f"{table} cannot be joined to {root} without counting rows twice.")
        for relation in path:
            known = reached.get(relation.parent)
            if known is None:
                reached[relation.parent] = relation
                joins.append(relation)
            elif known != relation:
                raise InvalidInput(f"{relation.parent} is reached from {root} two ways; the question is ambiguous.")
    return joins


def suggest(question: str, outcome: PlanOutcome, model: SemanticModel, today: dt.date,
            values: ValueIndex | None = None, spans: Spans | None = None, limit: int = 3) -> list[tuple[str, Plan]]:
    """"Did you mean ...?": the question without the words the planner could not use, when that reads as a plan.

    Each suggestion is the question as the analyst wrote it minus some words, never a rewording: what
    it asks is then plain, and the interpretation shown with it says exactly what it computes."""
    if outcome.plan is not None or not outcome.unused:
        return []
    found: list[tuple[str, Plan]] = []
    attempts = [tuple(outcome.unused)] + [(word,) for word in outcome.unused]
    for dropped in dict.fromkeys(attempts):
        shorter = question
        for word in dropped:
            shorter = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", shorter, count=1)
        shorter = _tidy(shorter)
        if not shorter or shorter == question or any(shorter == q for q, _p in found):
            continue
        retry = plan_question(shorter, model, today, values, spans)
        if retry.plan is not None:
            found.append((shorter, retry.plan))
        if len(found) >= limit:
            break
    return found


def plan_question(question: str, model: SemanticModel, today: dt.date, values: ValueIndex | None = None,
                  spans: Spans | None = None) -> PlanOutcome:
    """The plan that answers ``question`` exactly, or an abstention with its reason.

    ``values`` says which values a question may name (``ValueIndex.build``); without it, only the
    category values the schema listed. ``spans(column)`` gives the first and last date a date column
    holds (ISO text), so a period with no data abstains instead of answering 0.

    A metric computed more than one way (revenue from invoice totals or from invoice lines) is read
    with each formula in turn, the one on fewer rows first; the first reading that uses every word
    is the plan.
    """
    values = values or ValueIndex.build(model)
    first: PlanOutcome | None = None
    choice = 0
    while True:
        reader = _Reader(question, model, today, values, spans, choice)
        try:
            return reader.read()
        except _Abstain as stop:
            unknown = [word for word in reader.unknown() if word not in stop.unused]
            reason = stop.reason
            if unknown:
                reason += f" It does not know {_quoted(unknown)} in this database."
            first = first or PlanOutcome(None, reason=reason, unused=tuple(dict.fromkeys((*stop.unused, *unknown))))
        choice += 1
        if choice >= reader.formula_choices:
            return first


class _Reader:
    def __init__(self, question: str, model: SemanticModel, today: dt.date, values: "ValueIndex | None" = None,
                 spans: Spans | None = None, formula_choice: int = 0):
        self.question, self.model, self.today = question, model, today
        self.values = values or ValueIndex.build(model)
        self.spans = spans
        self.formula_choice, self.formula_choices = formula_choice, 1
        self.formula: Formula | None = None  # the chosen formula when the measure is a metric
        self.having: tuple[str, float] | None = None
        self.grain_group = ""  # "which year/month ..." ranks periods of that grain
        self.ranks_by: int | None = None  # where "most"/"least" is: what follows it is ranked, not counted
        self.periods: tuple[DateRange, DateRange] | tuple = ()  # two periods compared
        self.compared: tuple[Column, tuple, tuple[str, str]] | None = None  # two values of one column compared
        self.grouped_by: Entity | None = None  # the listed rows a "which X have more than N Y" groups by
        self.tokens = [_Token(m.group(0), fold(m.group(0).lstrip("$")), m.span()) for m in _TOKEN.finditer(question)]
        self.lowers = frozenset(t.lower for t in self.tokens)  # the words as written, for cue words

    # ---- the whole reading ---------------------------------------------------------------

    def read(self) -> PlanOutcome:
        if not self.tokens:
            raise _Abstain("The question is empty.")
        period_range = self._period()
        values = self._values()
        mentions = self._mentions()
        measure, groups, descending, limit = self._superlative(mentions) or self._shape(mentions)
        filters = self._value_filters(values, measure.entity, mentions)
        filters += self._comparisons(mentions, measure.entity)
        filters += self._presence(mentions, measure.entity)
        filters += self._exclusions(filters)
        comparison = self._comparison(measure.entity, mentions, self.compared)
        if comparison is not None and comparison.values and not comparison.difference or \
                comparison is not None and not self._change_cue() and comparison.values:
            # "Compare the revenue from Canada and France": one row per value
            column, values = comparison.column, comparison.values
            filters.append(Filter(column, "in", tuple(values), " and ".join(comparison.labels)))
            groups = [*groups, Grouping(column=column)]
            comparison = None
        if comparison is not None and (groups or limit is not None or measure.kind == "list"):
            raise _Abstain("The workbench compares one number at a time: ask without the grouping or the top N.")
        period = Period(self._own_date(measure.entity, mentions, period_range.phrase), period_range) if period_range else None
        if period is not None:
            self._check_span(period)
        if measure.metric is not None:
            self._use_words(lambda t: t.lower in SALE_VERBS or (t.lower == "total" and measure.kind == "sum"))
        for mention in mentions:  # "the total amount of orders": naming the measured table again says nothing new
            if not self._all_used(mention) and measure.entity in mention.targets:
                self._use_mention(mention)
        leftover = [m for m in mentions if not self._all_used(m)]
        if leftover:
            words = [self._text(m) for m in leftover]
            raise _Abstain(f"The question names {_quoted(words)}, which the plan does not use.", words)
        self._filler()
        if measure.kind in ("sum", "avg", "min", "max"):
            self._use_phrase(("how", "much"))  # "how much revenue", "how much did we sell"
        plan = Plan(measure, tuple(groups), tuple(filters), period, descending, limit, self.having, comparison)
        joins = self._joins(plan)
        self._verbs_of(plan, joins)
        unused = [t.text for t in self.tokens if not t.used]
        if unused:
            raise _Abstain(f"The workbench could not use {_quoted(unused)} in the question.", unused)
        return PlanOutcome(plan, tuple(joins))

    def unknown(self) -> list[str]:
        """Words that are no name, value, period, number or known phrasing: what the database cannot speak to."""
        names = self.values.name_words
        return [t.text for t in self.tokens if not t.used and t.lower not in _GRAMMAR and t.key not in _GRAMMAR
                and t.key not in names and _number(t.text) is None
                and not any(form[-1] in names for form in _forms([t.key]))]

    # ---- pieces ----------------------------------------------------------------------------

    def _period(self):
        found = find_date_range(self.question, self.today)
        if found is not None:
            self._use_span(found.span)
            masked = self.question[:found.span[0]] + " " * (found.span[1] - found.span[0]) + self.question[found.span[1]:]
            second = find_date_range(masked, self.today) if self._compares() else None
            if second is not None:  # "Q4 2025 against Q4 2024": two periods, compared
                self._use_span(second.span)
                self.periods = (found, second)
            elif self._change_cue():
                self.periods = _two_years(found) or _bare_years(self.question, found, self.today)
                if self.periods:
                    self._use_bare_years()
        elif self._compares():
            self.periods = _bare_years(self.question, None, self.today)
            if self.periods:
                self._use_bare_years()
        return None if self.periods else found

    def _compares(self) -> bool:
        """Whether two periods or values are to be set side by side: "versus", "compared with", "than";
        "or" only with a "more"/"less" ("did we make more in 2022 or 2024"), else it is either value."""
        lowers = self.lowers
        return bool((_COMPARE_CUES - {"or"}) & lowers) or ("or" in lowers and bool(_MORE_WORDS & lowers))

    def _change_cue(self) -> bool:
        return bool(_CHANGE_CUES & self.lowers) or self._asks_how_much_more()

    def _asks_how_much_more(self) -> bool:
        """"how much more", "how many fewer": the answer is a difference."""
        lowers = [t.lower for t in self.tokens]
        return any(a == "how" and b in {"much", "many"} and c in {"more", "less", "fewer"}
                   for a, b, c in zip(lowers, lowers[1:], lowers[2:]))

    def _use_bare_years(self) -> None:
        for token in self.tokens:
            if _YEAR.fullmatch(token.text):
                token.used = True

    def _comparison(self, root: Entity, mentions: list[_Mention], compared) -> "Comparison | None":
        """Two periods, or two values of one column, read as a comparison; the cue words are then used."""
        if not self.periods and compared is None:
            return None
        difference = self._change_cue()
        if self.periods:
            first, second = self.periods
            column = self._own_date(root, mentions, first.phrase)
            labels = (_label(first.phrase), _label(second.phrase))
            # "change from 2022 to 2023", "grew from ...": the later minus the earlier; otherwise as asked
            if _CHANGE_CUES & self.lowers:
                first, second, labels = second, first, labels[::-1]
            comparison = Comparison(column, periods=(first, second), labels=labels, difference=difference)
            for period in (first, second):
                self._check_span(Period(column, period))
        else:
            column, values, said = compared
            comparison = Comparison(column, values=values, labels=said, difference=True)
        self._use_words(lambda t: t.lower in _COMPARE_WORDS)
        return comparison

    def _values(self) -> list[tuple[dict[Column, str], tuple[int, int], bool]]:
        """Values of the database written in the question (plurals folded: "MPEG audio files"), longest
        first, with every column that holds each, and whether the question negates each."""
        index, names = self.values.index, self.values.names

        def spelled_in_question(window: list[_Token]) -> dict[str, list[Column]] | None:
            aliased = self.values.aliases.get(tuple(t.key for t in window))
            if aliased:
                return aliased  # the analyst's own spelling of a value: read as they defined it
            spelled = index.get(tuple(t.key for t in window))
            # Short codes ("CA", "ON") must be written as the database writes them.
            spelled = {v: c for v, c in (spelled or {}).items() if len(v) > 3 or v in self.question}
            written = " ".join(t.text for t in window)
            # A name from a long list (a track called "Change", a city called "Over") is read only when
            # written as a name: "how much did revenue change" names no track.
            spelled = {v: [c for c in columns if c.kind == "category" or _written_as_name(written, v, window[0].span[0])]
                       for v, columns in spelled.items()}
            return {v: c for v, c in spelled.items() if c} or None

        found = []
        longest = max((len(k) for k in (*index, *self.values.aliases)), default=0)
        for start, end, spelled in self._longest(longest, spelled_in_question):
            window = self.tokens[start:end]
            span = (window[0].span[0], window[-1].span[1])
            text = self.question[span[0]:span[1]]
            holders = [c for columns in spelled.values() for c in columns]
            if tuple(t.key for t in window) in names:
                # "email" a value of a channel column and "email" a customer's column: either reading
                # could be meant, and guessing would answer one question for another.
                raise _Abstain(f"{text!r} is both a value of {', '.join(c.ref for c in holders)} and the name of "
                               "a table or column; say which you mean.", [text])
            if len(spelled) > 1 and len({c.ref for c in holders}) == 1:
                raise _Abstain(f"{text!r} matches several values of {holders[0].ref}.", [text])
            for token in window:
                token.used = True
            if start and not self.tokens[start - 1].used and self.tokens[start - 1].lower == "by":
                self.tokens[start - 1].used = True  # "albums by AC/DC": made by, not grouped by
            found.append(({column: value for value, columns in spelled.items() for column in columns}, span,
                          self._negated(start)))
        return found

    def _negated(self, position: int) -> bool:
        """Whether "not", "except" or "excluding" comes just before the value ("not in the Rock genre")."""
        before = position - 1
        while before >= 0 and self.tokens[before].lower in {"in", "from", "the", "of", "a", "an", "by", "any"} | _LINK_VERBS:
            before -= 1
        if before >= 0 and not self.tokens[before].used and self.tokens[before].lower in _NEGATIONS:
            self.tokens[before].used = True
            return True
        return False

    def _mentions(self) -> list[_Mention]:
        """Entities and columns the unused words name, longest phrases first."""
        phrases = self.values.phrases

        def named(window: list[_Token]):
            return next((phrases[keys] for keys in _forms([t.key for t in window]) if keys in phrases), None)

        return [_Mention(start, end, targets) for start, end, targets in self._longest(_MAX_PHRASE, named)]

    def _longest(self, longest: int, lookup):
        """Left to right, the longest run of unused words ``lookup`` recognises at each place: (start, end, what).

        A run is taken as soon as it is found, so ``lookup`` may mark words used before the scan goes on."""
        position = 0
        while position < len(self.tokens):
            for size in range(min(longest, len(self.tokens) - position), 0, -1):
                window = self.tokens[position:position + size]
                found = None if any(t.used for t in window) else lookup(window)
                if found is not None:
                    yield position, position + size, found
                    position += size
                    break
            else:
                position += 1

    def _shape(self, mentions: list[_Mention]):
        """The measure, the groupings, and the order and limit."""
        count_at = self._phrase_at(_COUNT_PHRASES)
        top = self._find(lambda t: t.lower in _TOP)
        most = self._find(lambda t: t.lower in _MOST)
        if most is None and top is None:
            most = self._highest_metric(mentions)  # "which city has the highest revenue" ranks, not a max of sums
        descending, limit, grouped = None, None, []
        if top is not None:
            number = self._number_after(top)
            if number is None:
                raise _Abstain(f"'{self.tokens[top].text}' needs a number (e.g. top 5).", [self.tokens[top].text])
            descending, limit = _TOP[self.tokens[top].lower], number
            self.tokens[top].used = True
            after = self._next_mention(mentions, top)
            if after is None:
                raise _Abstain("The question does not say top what.", [self.tokens[top].text])
            self._use_mention(after)
            grouped.append(after)
            if after.end < len(self.tokens) and self.tokens[after.end].lower == "by":
                self.tokens[after.end].used = True  # "top 5 customers by ..." : what follows is the measure
        if most is not None:
            descending, limit = _MOST.get(self.tokens[most].lower, _AGGREGATE_WORDS.get(self.tokens[most].lower) == "max"), 1
            self.tokens[most].used = True
            which = self._find(lambda t: t.lower in _WHICH)
            if which is not None:
                limit = self._number_after(which) or 1  # "which 3 countries ... the most"
            grain_at = self._next_unused(which) if which is not None else None
            grain = self.tokens[grain_at].key if grain_at is not None and grain_at < most else ""
            target = self._next_mention(mentions, which) if which is not None else None
            if grain in GRAINS and not self.tokens[grain_at].used:
                self.tokens[grain_at].used = True  # "which year had the highest revenue": rank the years
                self.grain_group = grain
            elif target is None or target.start > most:
                raise _Abstain("The question does not say which kind of thing has the most.")
            else:
                self._use_mention(target)
                grouped.append(target)
            self.ranks_by = most
            count_at = most  # "the most tracks" counts tracks
        measure = self._measure(mentions, count_at)
        groups = [self._grouping(mention, measure.entity) for mention in grouped]
        if self.grouped_by is not None:
            groups.append(Grouping(entity=self.grouped_by))
        if self.grain_group:
            groups.append(Grouping(column=self._own_date(measure.entity, mentions, self.grain_group),
                                   grain=self.grain_group))
        groups += self._groupings(mentions, measure.entity)
        if descending is not None and not groups:
            raise _Abstain("The question asks for the top or the most, but not of what.")
        return measure, groups, descending, limit

    def _measure(self, mentions: list[_Mention], count_at: int | None) -> Measure:
        named = self._metric_measure(mentions, count_at)
        if named is not None:
            return named
        if count_at is None and self._find(lambda t: t.lower in _AGGREGATE_WORDS) is None:
            try:
                count_at = self._implicit_count(mentions)
            except _Abstain:
                listed = self._listing(mentions)
                if listed is None:
                    raise
                return listed
        if count_at is not None:
            counted = self._next_mention(mentions, count_at, kind=Entity)
            if counted is None:
                raise _Abstain("The question asks how many, but not of what.")
            self._use_mention(counted)
            entity = _only(counted.targets, Entity)
            sold = self._units_of(entity)
            return sold if sold is not None else Measure("count", entity)
        aggregate = self._find(lambda t: t.lower in _AGGREGATE_WORDS)
        column_mention = self._next_mention(mentions, aggregate, kind=Column)
        if column_mention is None or column_mention.start != self._next_unused(aggregate):
            listed = self._listing(mentions)  # "which customers spent more than $45 in total"
            if listed is not None:
                return listed
            raise _Abstain(f"'{self.tokens[aggregate].text}' is not followed by a numeric column.")
        numeric = [t for t in column_mention.targets if isinstance(t, Column) and t.kind == "number"]
        column = self._pick_column(numeric, mentions, column_mention)
        self.tokens[aggregate].used = True
        self._use_mention(column_mention)
        unit, scale = self._asked_unit(column)
        return Measure(_AGGREGATE_WORDS[self.tokens[aggregate].lower], self.model.entity(column.table), column,
                       unit=unit, scale=scale)

    def _asked_unit(self, column: Column) -> tuple[str, float]:
        """"in minutes": the unit the question wants the column's aggregate in, and the divisor to get it."""
        for position, token in enumerate(self.tokens[:-1]):
            following = self.tokens[position + 1]
            unit = unit_of(following.key)
            if token.used or following.used or token.lower != "in" or unit is None:
                continue
            kind, size = unit
            if kind != column.quantity or column.unit is None:
                raise _Abstain(f"{column.ref} is not a {kind} in a unit the workbench knows, so it cannot be given "
                               f"in {following.text}.", [following.text])
            token.used = following.used = True
            return said(following.key), size / column.unit
        return "", 1.0

    def _converted(self, value: float, column: Column, position: int, mentions: list[_Mention]) -> float:
        """The number as the column holds it, reading a unit written after it ("5 minutes", "99 cents")."""
        if position >= len(self.tokens) or self.tokens[position].used:
            return value
        token = self.tokens[position]
        unit = unit_of(token.key)
        if unit is None:
            return value
        kind, size = unit
        if kind != column.quantity or column.unit is None:
            raise _Abstain(f"{column.ref} is not a {kind} in a unit the workbench knows, so '{token.text}' cannot be "
                           "converted to it.", [token.text])
        token.used = True
        for mention in mentions:  # "10,000,000 bytes": the unit also names the Bytes column
            if mention.start == position and column in mention.targets:
                self._use_mention(mention)
        return value * size / column.unit

    def _superlative(self, mentions: list[_Mention]):
        """"the 5 longest tracks", "the most expensive product": the rows with the largest (smallest) value of
        their one column of that kind, as a top N by that column."""
        for position in range(len(self.tokens)):
            for words, (kind, largest) in SUPERLATIVES.items():
                window = self.tokens[position:position + len(words)]
                if tuple(t.lower for t in window) != words or any(t.used for t in window):
                    continue
                after = self._next_mention(mentions, position + len(words) - 1)
                if after is None or after.start != self._next_unused(position + len(words) - 1):
                    continue
                entities = [t for t in after.targets if isinstance(t, Entity)]
                if len(entities) != 1:
                    continue
                entity = entities[0]
                columns = [c for c in entity.columns if c.kind == "number" and c.quantity == kind]
                if not columns and kind == SIZE:  # "the largest invoice": the one with the largest amount
                    columns = [c for c in entity.columns if c.kind == "number" and c.quantity == MONEY]
                if len(columns) != 1:
                    raise _Abstain(f"'{' '.join(words)}' needs one {kind} column of {entity.name}; it has "
                                   f"{len(columns) or 'none'}.", [window[0].text])
                limit = self._number_before(position)
                if limit is None:
                    plural = self.tokens[after.end - 1].lower != self.tokens[after.end - 1].key
                    if plural:
                        raise _Abstain(f"How many {self._text(after)}? Say e.g. 'the 5 {' '.join(words)} "
                                       f"{self._text(after)}'.", [window[0].text])
                    limit = 1
                for token in window:
                    token.used = True
                self._use_mention(after)
                measure = Measure("max" if largest else "min", entity, columns[0])
                return measure, [Grouping(entity=entity)], largest, limit
        return None

    def _number_before(self, position: int) -> int | None:
        return self._count_at(position - 1)

    def _verbs_of(self, plan: Plan, joins: list[Relationship]) -> None:
        """A verb made from a name the plan uses says nothing more: "billed to Germany" is BillingCountry,
        "supports" the SupportRepId join from customers to employees."""
        names = [c.words for c in plan.columns()] + [
            self.model.entity(r.child).column(name).words for r in joins for name in r.child_columns]
        stems = {_stem(words[0]) for words in names if words}
        kinds = {c.quantity for c in plan.columns()}
        verbs = {verb for kind in kinds for verb in QUANTITY_VERBS.get(kind, ())}
        if any(self.model.entity(r.child).column(r.child_columns[0]).words[:-1] not in
               {(), self.model.entity(r.parent).words} for r in joins if len(r.child_columns) == 1):
            # a join through a role (SupportRepId): "each support rep looks after", "the agent who handles"
            self._use_phrase(("look", "after"))
            self._use_phrase(("looks", "after"))
            verbs |= _ROLE_VERBS
        for token in self.tokens:
            if not token.used and ((len(token.key) > 3 and _stem(token.lower) in stems) or token.lower in verbs):
                token.used = True

    def _listing(self, mentions: list[_Mention]) -> Measure | None:
        """"Which tracks last more than 80 minutes?", "List the albums by AC/DC": the rows themselves, when the
        question opens by asking which rows and names them next."""
        first = 1 if self.tokens[0].lower == "please" and len(self.tokens) > 1 else 0
        if self.tokens[first].used or self.tokens[first].lower not in _LIST_WORDS:
            return None
        listed = self._next_mention(mentions, first)
        if listed is None or listed.start != self._next_unused(first):
            return None
        entities = [t for t in listed.targets if isinstance(t, Entity)]
        if len(entities) != 1 or not (entities[0].labels or entities[0].table.primary_key):
            return None
        self.tokens[first].used = True
        self._use_mention(listed)
        counted = self._having(mentions, entities[0])
        return counted or Measure("list", entities[0])

    def _having(self, mentions: list[_Mention], listed: Entity) -> Measure | None:
        """"Which artists have more than 100 tracks?", "Which customers spent more than $45?": the listed rows
        grouped, kept when their count (or metric) passes the comparison."""
        for position in range(len(self.tokens)):
            for window, op in self._unnamed_comparisons(position):
                value, number_at = _number(window[-1].text), position + len(window) - 1
                if value is None:
                    continue
                measure = None
                counted = self._next_mention(mentions, number_at)
                if counted is not None and counted.start == number_at + 1:
                    entities = [t for t in counted.targets if isinstance(t, Entity)]
                    if len(entities) == 1 and entities[0] is not listed \
                            and self.model.parents_path(entities[0].name, listed.name) is not None:
                        self._use_mention(counted)
                        measure = Measure("count", entities[0])
                elif window[-1].text.startswith("$") and any(t.lower in SALE_VERBS for t in self.tokens if not t.used):
                    measure = self._the_revenue()
                if measure is None:
                    continue
                for token in window:
                    token.used = True
                self.having = (op, value)
                self.grouped_by = listed
                return measure
        return None

    def _the_revenue(self) -> Measure | None:
        """The one revenue metric, for "how much did we sell" and "spent more than $45"."""
        revenue = [m for m in self.model.metrics if m.name == REVENUE]
        return self._metric(revenue[0]) if len(revenue) == 1 else None

    def _highest_metric(self, mentions: list[_Mention]) -> int | None:
        """Where "highest"/"lowest" before a metric, in a "which ..." question, means the most or the least."""
        if self._find(lambda t: t.lower in _WHICH) is None:
            return None
        for position, token in enumerate(self.tokens):
            if token.used or _AGGREGATE_WORDS.get(token.lower) not in {"max", "min"}:
                continue
            following = self._next_mention(mentions, position)
            if following is not None and following.metrics and following.start == self._next_unused(position):
                return position
        return None

    def _metric_measure(self, mentions: list[_Mention], count_at: int | None) -> Measure | None:
        """A named metric as the measure: "the revenue", "total spend", "how many units", "the most revenue".
        After "how many" or "the most" it must be the next thing named ("the most tracks" counts tracks)."""
        candidates = [m for m in mentions if m.metrics and not self._all_used(m)]
        if count_at is not None:
            following = self._next_mention(mentions, count_at)
            candidates = [following] if following is not None and following.metrics else []
        if not candidates:
            asks_how_much = any(a.lower == "how" and b.lower == "much" for a, b in zip(self.tokens, self.tokens[1:]))
            if count_at is None and asks_how_much and any(t.lower in SALE_VERBS for t in self.tokens if not t.used):
                return self._the_revenue()  # "how much did we sell in Q1?"
            return None
        if len(candidates) > 1:
            raise _Abstain(f"The question names {_quoted([self._text(m) for m in candidates])}: ask for one number at a "
                           "time.", [self._text(m) for m in candidates])
        mention = candidates[0]
        if any(isinstance(t, Entity) for t in mention.targets) and count_at is not None:
            return None  # "how many sales" with a table called sales counts its rows
        metrics = mention.metrics
        if count_at is not None and count_at != self.ranks_by and not all(_counts(m) for m in metrics):
            # "how many sales did we have": a number of sales, not an amount of money
            raise _Abstain(f"'How many {self._text(mention)}' asks for a number of rows, and {metrics[0].name} is an "
                           "amount; ask for the total, or name what to count.", [self._text(mention)])
        if len(metrics) > 1:
            ways = "; ".join(f"{m.formulas[0].describe()}" for m in metrics)
            raise _Abstain(f"'{self._text(mention)}' could be computed several ways that the data does not show to "
                           f"agree ({ways}); define it in the semantic model.", [self._text(mention)])
        before = self._previous_unused(mention.start)
        if before is not None and self.tokens[before].lower in _AGGREGATE_WORDS:
            defined = metrics[0].formulas[0].aggregate
            if _AGGREGATE_WORDS[self.tokens[before].lower] not in {"sum", defined}:
                # "average revenue" needs a per-what (per invoice? per line?); "average delay" of a metric
                # defined as an average is that metric
                raise _Abstain(f"'{self.tokens[before].text} {self._text(mention)}' needs a per-what: "
                               f"{metrics[0].name} is defined as {metrics[0].formulas[0].describe()}.",
                               [self.tokens[before].text])
            self.tokens[before].used = True
        self._use_mention(mention)
        return self._metric(metrics[0])

    def _metric(self, metric: Metric) -> Measure:
        self.formula_choices = len(metric.formulas)
        self.formula = metric.formulas[min(self.formula_choice, len(metric.formulas) - 1)]
        return Measure(self.formula.aggregate if self.formula.expression else "sum",
                       self.model.entity(self.formula.table), metric=metric, formula=self.formula)

    def _units_of(self, entity: Entity) -> Measure | None:
        """"How many Jazz tracks were sold" asks for units sold of those tracks, not how many tracks exist:
        a passive sale verb after the counted rows, and a units-sold metric whose lines reach them."""
        for position, token in enumerate(self.tokens):
            if token.used or token.lower not in {"sold", "bought", "purchased", "ordered"}:
                continue
            before = self.tokens[position - 1].lower if position else ""
            if before not in {"been", "were", "was", "are", "is", "get", "got"}:
                continue
            for metric in self.model.metrics:
                formula = metric.formulas[0]
                if len(formula.columns) == 1 and self.model.parents_path(formula.table, entity.name) is not None \
                        and formula.table != entity.name:
                    token.used = True
                    return self._metric(metric)
        return None

    def _previous_unused(self, position: int) -> int | None:
        before = position - 1
        while before >= 0 and not self.tokens[before].used and self.tokens[before].lower in _FILLER:
            before -= 1
        return before if before >= 0 and not self.tokens[before].used else None

    def _exclusions(self, filters: list[Filter]) -> list[Filter]:
        """The rows the metric leaves out (cancelled orders), unless the question filters that column itself."""
        if self.formula is None:
            return []
        for item in filters:
            excluded = next((e for e in self.formula.exclusions if e.column == item.column), None)
            if excluded is not None and item.op == "=" and item.value in excluded.values:
                # "revenue from cancelled orders": by its definition there is none; the amount is another question
                raise _Abstain(f"{self.measure_name()} leaves out {item.column.ref} {item.value!r} by definition, so "
                               f"its {item.value} part is none; ask for the total amount of those rows instead.",
                               [item.said])
        named = {f.column for f in filters}
        return [Filter(exclusion.column, "!=", value, f"{value} is no sale")
                for exclusion in self.formula.exclusions if exclusion.column not in named
                for value in exclusion.values]

    def _check_span(self, period: Period) -> None:
        """A period outside every date the column holds has no answer: 0 or NULL would read as a fact."""
        span = self.spans(period.column) if self.spans is not None else None
        if span is None:
            return
        first, last = span
        start, end = period.range.iso
        if end < first[:10] or start > last[:10]:
            raise _Abstain(f"{period.column.ref} holds dates from {first[:10]} to {last[:10]}; there is nothing "
                           f"recorded for {period.range.describe()}.", [period.range.phrase])

    def measure_name(self) -> str:
        return "The metric" if self.formula is None else f"The metric ({self.formula.describe()})"

    def _use_phrase(self, phrase: tuple[str, ...]) -> None:
        for position in range(len(self.tokens) - len(phrase) + 1):
            window = self.tokens[position:position + len(phrase)]
            if tuple(t.lower for t in window) == phrase:
                for token in window:
                    token.used = True

    def _use_words(self, test) -> None:
        for token in self.tokens:
            if not token.used and test(token):
                token.used = True

    def _implicit_count(self, mentions: list[_Mention]) -> int:
        """"invoices per billing country" counts invoices: the entity named just before a grouping."""
        for position, _token in enumerate(self.tokens):
            if self._marker_at(position) is None:
                continue
            before = [m for m in mentions if m.end == position and not self._all_used(m)
                      and any(isinstance(t, Entity) for t in m.targets)]
            if before:
                return before[0].start - 1
        raise _Abstain("The workbench could not tell what to count or add up.")

    def _marker_at(self, position: int) -> tuple[str, ...] | None:
        for marker in _GROUP_MARKERS:
            window = self.tokens[position:position + len(marker)]
            if tuple(t.lower for t in window) == marker and not any(t.used for t in window):
                return marker
        return None

    def _groupings(self, mentions: list[_Mention], root: Entity) -> list[Grouping]:
        groups = []
        for position in range(len(self.tokens)):
            marker = self._marker_at(position)
            if marker is None:
                continue
            grain_at = position + len(marker)
            if grain_at < len(self.tokens) and self.tokens[grain_at].key in GRAINS and not self.tokens[grain_at].used:
                for token in self.tokens[position:grain_at + 1]:
                    token.used = True
                groups.append(Grouping(column=self._own_date(root, mentions, self.tokens[grain_at].text),
                                       grain=self.tokens[grain_at].key))
                continue
            after = self._next_mention(mentions, position + len(marker) - 1)
            if after is None or after.start != position + len(marker):
                continue
            for token in self.tokens[position:position + len(marker)]:
                token.used = True
            self._use_mention(after)
            groups.append(self._grouping(after, root))
        return groups

    def _grouping(self, mention: _Mention, root: Entity) -> Grouping:
        entities = [t for t in mention.targets if isinstance(t, Entity)]
        if len(entities) == 1:
            if not entities[0].labels and not entities[0].table.primary_key:
                raise _Abstain(f"{entities[0].name} has no key or name column to group by.")
            return Grouping(entity=entities[0])
        columns = [t for t in mention.targets if isinstance(t, Column) and t.kind in ("category", "text")
                   and self.model.parents_path(root.name, t.table) is not None]
        if len(columns) > 1:
            columns = [c for c in columns if c.table == root.name] or columns  # as for values: own column wins
        if len(columns) == 1:
            return Grouping(column=columns[0])
        raise _Abstain(f"'{self._text(mention)}' could mean several columns, or none the {root.name} rows reach; "
                       "name the table too.", [self._text(mention)])

    def _value_filters(self, values, root: Entity, mentions: list[_Mention]) -> list[Filter]:
        filters: list[Filter] = []
        for spelled, span, negated in values:
            holders, value = list(spelled), self.question[span[0]:span[1]]
            reachable = [c for c in holders if self.model.parents_path(root.name, c.table) is not None]
            if not reachable:
                through = self._semi_join(holders, root, mentions, negated)
                if through is None:
                    raise _Abstain(f"{value!r} is a value of {', '.join(c.ref for c in holders)}, which the "
                                   f"{root.name} rows cannot be filtered by.", [value])
                column, via = through
                filters.append(Filter(column, "!=" if negated else "=", spelled[column], value, via))
                continue
            named = [c for c in reachable if self._qualifier(c, mentions, root)]
            chosen = named or reachable
            if len(chosen) > 1:
                # The measured rows' own column wins ("customers in Canada": the customer's country, not
                # their support rep's); between two joined tables nothing does ("Iron Maiden": an album
                # title and an artist), nor when the value names a row of the joined table ("a Metallica
                # track": the artist Metallica, or a track Metallica composed).
                names_a_row = any(c.table != root.name and c in self.model.entity(c.table).labels for c in chosen)
                if not names_a_row:
                    chosen = [c for c in chosen if c.table == root.name] or chosen
            if len(chosen) > 1:
                raise _Abstain(f"{value!r} is a value of {', '.join(c.ref for c in chosen)}; say which one.", [value])
            column = chosen[0]
            earlier = next((f for f in filters if f.column == column), None)
            if earlier is not None:
                if negated or earlier.op != "=" or self.compared is not None:
                    raise _Abstain(f"The question names several values of {column.ref}; ask about one at a time.",
                                   [value])
                if self._compares():
                    filters.remove(earlier)  # "Rock versus Metal": both values, side by side
                    self.compared = (column, (earlier.value, spelled[column]), (earlier.said, value))
                    continue
                if re.search(rf"{re.escape(earlier.said)}\s*(?:,|\bor\b|\band\b)\s*(?:(?:in|from|the)\s+)*"
                             rf"{re.escape(value)}", self.question, re.IGNORECASE):
                    # "customers in Brazil or Argentina": either value, one number
                    filters.remove(earlier)
                    filters.append(Filter(column, "in", (earlier.value, spelled[column]), f"{earlier.said} or {value}"))
                    self._use_words(lambda t: t.lower in {"or", "and"})
                    continue
                raise _Abstain(f"The question names several values of {column.ref}; ask about one at a time.", [value])
            filters.append(Filter(column, "!=" if negated else "=", spelled[column], value))
        return filters

    def _semi_join(self, holders: list[Column], root: Entity, mentions: list[_Mention], negated: bool):
        """"tracks on the Grunge playlist", "customers who bought Jazz", "customers who never bought Jazz": a
        value of a table the measured rows reach only through rows that point at them. Read only when the
        question says how they are linked: it names the value's table ("the Grunge playlist"), or a sale verb
        links them through the sales lines ("bought"); else "tracks in Brazil" would be read as tracks sold
        there. Several paths, or none, abstain."""
        sales_tables = {f.table for m in self.model.metrics for f in m.formulas}
        verbs = [t for t in self.tokens if not t.used and t.lower in _LINK_VERBS]
        found = []
        for column in holders:
            named = any(any(isinstance(t, Entity) and t.name == column.table for t in m.targets) and not self._all_used(m)
                        for m in mentions)
            for chain in self._child_chains(root.name):
                up = self.model.parents_path(chain[-1].child, column.table)
                if up is None:
                    continue
                through_sales = any(r.child in sales_tables for r in chain)
                tables = set(via_tables(tuple(chain + up))[1:])
                # "playlists that contain Jazz tracks": a link verb and a table named on the way
                names_link = any(not self._all_used(m) and any(isinstance(t, Entity) and t.name in tables
                                                               for t in m.targets) for m in mentions)
                if named or (verbs and (through_sales or names_link)):
                    found.append((column, tuple(chain + up), named))
        if not found:
            return None
        columns = list(dict.fromkeys(c for c, _via, _n in found))
        if len(columns) > 1:  # "bought AC/DC": the artist, or tracks AC/DC composed
            raise _Abstain(f"The value is held by {', '.join(c.ref for c in columns)}; say which one.", [])
        shortest = min(len(via) for _c, via, _n in found)
        found = [f for f in found if len(f[1]) == shortest]
        if len({via for _c, via, _n in found}) > 1:
            raise _Abstain(f"The rows are linked to {found[0][0].ref} more than one way; say how.", [])
        column, via, named = found[0]
        on_the_way = set(via_tables(via)[1:])
        for mention in mentions:  # "customers who bought Jazz tracks": the tracks are the link
            if not self._all_used(mention) and any(isinstance(t, Entity) and t.name in on_the_way
                                                   and t.name != column.table for t in mention.targets):
                self._use_mention(mention)
        for mention in mentions:  # "the Grunge playlist": the table named is the filter's
            if named and not self._all_used(mention) and any(isinstance(t, Entity) and t.name == column.table
                                                             for t in mention.targets):
                self._use_mention(mention)
                break
        self._use_words(lambda t: t.lower in _LINK_VERBS or (negated is False and t.lower == "never"))
        return column, via

    def _child_chains(self, table: str, depth: int = 2) -> list[list[Relationship]]:
        """Paths down from ``table``: a table that points at it, and one that points at that (at most ``depth``)."""
        chains, frontier = [], [[r] for r in self.model.relationships if r.parent == table and r.child != table]
        for _level in range(depth):
            chains += frontier
            frontier = [chain + [r] for chain in frontier for r in self.model.relationships
                        if r.parent == chain[-1].child and r.child not in {table, *(c.child for c in chain)}]
        return chains

    def _qualifier(self, column: Column, mentions: list[_Mention], root: Entity) -> bool:
        """Whether the question names the value's column or its table ("the Jazz genre", "billing country Brazil");
        such a mention is then used by the filter. The measured table named again is no qualifier: in "a
        Metallica track" the track is what is measured, not which column holds Metallica."""
        for mention in mentions:
            if self._all_used(mention):
                continue
            if column in mention.targets or any(isinstance(t, Entity) and t.name == column.table != root.name
                                                for t in mention.targets):
                self._use_mention(mention)
                return True
        return False

    def _presence(self, mentions: list[_Mention], root: Entity) -> list[Filter]:
        """"customers with a company", "tracks that have no composer", "without an email": a column of the
        measured rows that is given or empty."""
        filters = []
        for mention in mentions:
            if self._all_used(mention):
                continue
            columns = [t for t in mention.targets if isinstance(t, Column) and t.table == root.name and t.kind != "key"]
            if len(columns) != 1:
                continue
            before = [t.lower for t in self.tokens[max(0, mention.start - 2):mention.start]]
            used = self.tokens[max(0, mention.start - 2):mention.start]
            if len(before) == 2 and before[0] in {"have", "has", "with"} and before[1] == "no" \
                    or before[-1:] == ["without"]:
                op = "null"
            elif len(before) == 2 and before[0] in {"have", "has", "with"} and before[1] in {"a", "an", "any"}:
                op = "notnull"
            elif len(before) == 2 and before[0] == "without" and before[1] in {"a", "an", "any"}:
                op = "null"
            else:
                continue
            if any(t.used for t in used):
                continue
            for token in used:
                token.used = True
            self._use_mention(mention)
            filters.append(Filter(columns[0], op, None, self._said(mention.start - len(used), mention.end - 1)))
        return filters

    def _comparisons(self, mentions: list[_Mention], root: Entity) -> list[Filter]:
        filters = []
        for mention in mentions:
            if self._all_used(mention):
                continue
            numeric = [t for t in mention.targets if isinstance(t, Column) and t.kind == "number"
                       and self.model.parents_path(root.name, t.table) is not None]
            if not numeric:
                continue
            position = mention.end
            # "cost 99 cents", "priced 1.99": a price followed by its number is that price
            bare = ((),) if all(c.quantity == MONEY for c in numeric) else ()
            for words, op in (*_COMPARISONS, *[(b, "=") for b in bare]):
                window = self.tokens[position:position + len(words)]
                if tuple(t.lower for t in window) != words or any(t.used for t in window):
                    continue
                number_at = position + len(words)
                value = _number(self.tokens[number_at].text) if number_at < len(self.tokens) else None
                if value is None or self.tokens[number_at].used:
                    continue
                column = self._pick_column(numeric, mentions, mention, root)
                self._use_mention(mention)
                for t in window + [self.tokens[number_at]]:
                    t.used = True
                value = self._converted(value, column, number_at + 1, mentions)
                filters.append(Filter(column, op, value, self._said(mention.start, number_at)))
                break
        return filters + self._comparatives(mentions, root)

    def _comparatives(self, mentions: list[_Mention], root: Entity) -> list[Filter]:
        """Comparisons that name no column, only a kind of quantity: "longer than 5 minutes", "more expensive
        than $10", "more than 80 minutes", "over $20", "between 3 and 4 minutes". They are read on the
        measured rows' one column of that kind; with none, or several, the planner abstains."""
        filters = []
        for position in range(len(self.tokens)):
            for words, (kind, op) in COMPARATIVES.items():
                window = self.tokens[position:position + len(words) + 2]
                if len(window) < len(words) + 2 or tuple(t.lower for t in window[:len(words)]) != words \
                        or window[len(words)].lower != "than" or any(t.used for t in window):
                    continue
                value = _number(window[-1].text)
                if value is None:
                    continue
                filters.append(self._quantity_filter(kind, op, value, position, position + len(words) + 1,
                                                     mentions, root))
            between = self._between(position)
            if between is not None:
                low, high, last = between
                kind = self._kind_written(last)
                if kind is not None:
                    # the unit after the second number is both numbers' ("between 3 and 4 minutes")
                    upper = self._quantity_filter(kind, "<=", high, position, last, mentions, root)
                    scale = upper.value / high if high else self._converted(1.0, upper.column, last + 1, mentions)
                    filters.append(Filter(upper.column, ">=", low * scale, upper.said))
                    filters.append(upper)
                    continue
            for window, op in self._unnamed_comparisons(position):
                number_at = position + len(window) - 1
                value, kind = _number(window[-1].text), self._kind_written(number_at)
                if value is not None and kind is not None:
                    filters.append(self._quantity_filter(kind, op, value, position, number_at, mentions, root))
                    break
        return filters

    def _unnamed_comparisons(self, position: int):
        """Each comparison phrase written at ``position`` with a word after it, unused: (its words and that word, op)."""
        for words, op in _UNNAMED_COMPARISONS:
            window = self.tokens[position:position + len(words) + 1]
            if len(window) == len(words) + 1 and tuple(t.lower for t in window[:-1]) == words \
                    and not any(t.used for t in window):
                yield window, op

    def _between(self, position: int) -> tuple[float, float, int] | None:
        """"between 3 and 4": the two numbers and where the second is."""
        window = self.tokens[position:position + 4]
        if len(window) < 4 or window[0].lower != "between" or window[2].lower != "and" or any(t.used for t in window):
            return None
        low, high = _number(window[1].text), _number(window[3].text)
        if low is None or high is None or low > high:
            return None
        return low, high, position + 3

    def _kind_written(self, number_at: int) -> str | None:
        """The kind of quantity a number is written as: "$20" money, "5 minutes" a duration, "10 MB" a size."""
        if self.tokens[number_at].text.startswith("$"):
            return MONEY
        following = self.tokens[number_at + 1] if number_at + 1 < len(self.tokens) else None
        unit = unit_of(following.key) if following is not None and not following.used else None
        return unit[0] if unit is not None else None

    def _quantity_filter(self, kind: str, op: str, value: float, first: int, number_at: int,
                         mentions: list[_Mention], root: Entity) -> Filter:
        own = [c for c in root.columns if c.kind == "number" and c.quantity == kind]
        if len(own) != 1:
            raise _Abstain(f"{self._said(first, number_at)!r} needs one {kind} column of {root.name}; it has "
                           f"{len(own) or 'none'}.", [self.tokens[first].text])
        for token in self.tokens[first:number_at + 1]:
            token.used = True
        value = self._converted(value, own[0], number_at + 1, mentions)
        return Filter(own[0], op, value, self._said(first, number_at))

    def _own_date(self, root: Entity, mentions: list[_Mention], said: str) -> Column:
        """The date a period or a per-year/month grouping is read on: one the question names, else the
        measured table's only date. A parent's date may be another event (a customer's support rep's
        hire date is not when the customer joined), so it must be named."""
        named = [t for m in mentions if not self._all_used(m) for t in m.targets
                 if isinstance(t, Column) and t.kind == "date" and self.model.parents_path(root.name, t.table) is not None]
        if len(set(named)) == 1:
            for mention in mentions:
                if named[0] in mention.targets:
                    self._use_mention(mention)
            return named[0]
        dates = [c for c in root.columns if c.kind == "date"]
        if not dates and self.formula is not None and self.formula.dated_by is not None:
            dates = [c for c in self.model.entity(self.formula.dated_by.parent).columns if c.kind == "date"]
        if len(dates) > 1:
            # "employees hired in 2003": the verb is the date's own name (HireDate)
            verbs = {_stem(t.lower): t for t in self.tokens if not t.used and len(t.lower) > 3}
            named_by_verb = [c for c in dates if c.words and _stem(c.words[0]) in verbs]
            if len(named_by_verb) == 1:
                verbs[_stem(named_by_verb[0].words[0])].used = True
                return named_by_verb[0]
        if len(dates) == 1:
            return dates[0]
        if len(dates) > 1:
            raise _Abstain(f"{said!r} could be read on {', '.join(c.ref for c in dates)}; say which date.", [said])
        reachable = [c.ref for entity in self.model.entities if entity is not root
                     and self.model.parents_path(root.name, entity.name) for c in entity.columns if c.kind == "date"]
        hint = f" Name the date to use, e.g. {', '.join(reachable[:3])}." if reachable else ""
        raise _Abstain(f"{root.name} has no date of its own to read {said!r} on.{hint}", [said])

    def _joins(self, plan: Plan) -> list[Relationship]:
        try:
            return plan_joins(plan, self.model)
        except InvalidInput as refused:
            raise _Abstain(str(refused)) from None

    # ---- small helpers ---------------------------------------------------------------------

    def _pick_column(self, columns: list[Column], mentions, column_mention, root: Entity | None = None) -> Column:
        if not columns:
            raise _Abstain(f"'{self._text(column_mention)}' is not a numeric column.", [self._text(column_mention)])
        if len(columns) == 1:
            return columns[0]
        tables = {t.name for m in mentions if m is not column_mention and not self._all_used(m)
                  for t in m.targets if isinstance(t, Entity)}
        named = [c for c in columns if c.table in tables]
        if len(named) == 1:
            for mention in mentions:
                if any(isinstance(t, Entity) and t.name == named[0].table for t in mention.targets):
                    self._use_mention(mention)
            return named[0]
        if root is not None:
            own = [c for c in columns if c.table == root.name]
            if len(own) == 1:
                return own[0]
        raise _Abstain(f"'{self._text(column_mention)}' could be {', '.join(c.ref for c in columns)}; "
                       "name the table too.", [self._text(column_mention)])

    def _phrase_at(self, phrases) -> int | None:
        for position in range(len(self.tokens)):
            for phrase in phrases:
                window = self.tokens[position:position + len(phrase)]
                if tuple(t.lower for t in window) == phrase and not any(t.used for t in window):
                    for t in window:
                        t.used = True
                    return position + len(phrase) - 1
        return None

    def _find(self, test) -> int | None:
        return next((i for i, t in enumerate(self.tokens) if not t.used and test(t)), None)

    def _next_unused(self, position: int) -> int:
        following = position + 1
        while following < len(self.tokens) and self.tokens[following].lower in _FILLER:
            following += 1
        return following

    def _next_mention(self, mentions: list[_Mention], position: int, kind: type | None = None) -> _Mention | None:
        for mention in mentions:
            if mention.start > position and not self._all_used(mention) and (
                    kind is None or any(isinstance(t, kind) for t in mention.targets)):
                return mention
        return None

    def _number_after(self, position: int) -> int | None:
        return self._count_at(position + 1)

    def _count_at(self, position: int) -> int | None:
        """A count written at ``position`` ("5", "five"), used up; None when there is none."""
        if not 0 <= position < len(self.tokens) or self.tokens[position].used:
            return None
        text = self.tokens[position].lower
        number = _NUMBER_WORDS.get(text, int(text) if text.isdigit() else None)
        if number is None or number <= 0:
            return None
        self.tokens[position].used = True
        return number

    def _use_mention(self, mention: _Mention) -> None:
        for token in self.tokens[mention.start:mention.end]:
            token.used = True

    def _all_used(self, mention: _Mention) -> bool:
        return all(t.used for t in self.tokens[mention.start:mention.end])

    def _use_span(self, span: tuple[int, int]) -> None:
        for token in self.tokens:
            if token.span[0] >= span[0] and token.span[1] <= span[1]:
                token.used = True

    def _filler(self) -> None:
        for token in self.tokens:
            if not token.used and (token.lower in _FILLER or token.key in _FILLER):
                token.used = True

    def _text(self, mention: _Mention) -> str:
        return self._said(mention.start, mention.end - 1)

    def _said(self, first: int, last: int) -> str:
        """The question's own words from token ``first`` to token ``last``."""
        return self.question[self.tokens[first].span[0]:self.tokens[last].span[1]]


def _forms(keys: list[str]) -> list[tuple[str, ...]]:
    """The phrase as written, and with a verb's -d/-ed dropped from its last word ("priced" -> price)."""
    forms = [tuple(keys)]
    last = keys[-1]
    for cut in (1, 2):
        if last.endswith("ed") and len(last) - cut >= 3:
            forms.append(tuple(keys[:-1] + [last[:-cut]]))
    return forms


def _counts(metric: Metric) -> bool:
    """Whether "how many" can ask for the metric: units sold, or an analyst's count."""
    return metric.name == UNITS_SOLD or all(f.aggregate == "count" and f.expression for f in metric.formulas)


def _tidy(text: str) -> str:
    """A question with words taken out, read well: no space before punctuation, no dangling "for"/"of" at the end."""
    text = re.sub(r"\s+([?.!,])", r"\1", " ".join(text.split()))
    ending = re.search(r"[?.!]$", text)
    body = text[:-1] if ending else text
    while True:
        trimmed = re.sub(r"\s+(?:for|of|in|the|a|an|with|from|by|to|and|or|at|on)$", "", body, flags=re.IGNORECASE)
        if trimmed == body:
            break
        body = trimmed
    return body + (ending.group(0) if ending else "")


def _label(phrase: str) -> str:
    """A period as an answer labels it: "in 2024" -> "2024", "the first half of 2025" -> "first half of 2025"."""
    return re.sub(r"^(?:(?:in|during|for|of|throughout|from|since)\s+)?(?:the\s+)?", "", phrase, flags=re.IGNORECASE)


def _two_years(found: DateRange) -> tuple[DateRange, DateRange] | None:
    """"from 2022 to 2023" in a question about change is two years, not one period spanning both."""
    years = _YEAR.findall(found.phrase)
    if len(years) != 2 or found.start != dt.date(int(years[0]), 1, 1) or found.end != dt.date(int(years[1]), 12, 31):
        return None
    return tuple(DateRange(dt.date(int(y), 1, 1), dt.date(int(y), 12, 31), y) for y in years)


def _bare_years(question: str, found: DateRange | None, today: dt.date) -> tuple[DateRange, DateRange] | tuple:
    """"did 2024 bring more than 2023": two years written bare, when the question compares."""
    years = [m.group(0) for m in _YEAR.finditer(question)
             if found is None or not (found.span[0] <= m.start() < found.span[1])]
    if found is None and len(years) == 2:
        return tuple(DateRange(dt.date(int(y), 1, 1), dt.date(int(y), 12, 31), y) for y in years)
    if found is not None and len(years) == 1 and _YEAR.fullmatch(_label(found.phrase)):
        return found, DateRange(dt.date(int(years[0]), 1, 1), dt.date(int(years[0]), 12, 31), years[0])
    return ()


def _written_as_name(written: str, value: str, start: int) -> bool:
    """Whether the question writes a value as the database capitalises it (a lower-case value may be written
    any way), and not only because it opens the sentence ("Change" as the first word)."""
    if value == value.lower():
        return True
    if written == written.lower():
        return False
    return start > 0 or " " in value.strip()


def _stem(word: str) -> str:
    """A rough stem for matching a verb to a name: billed, billing, bills -> bill; supports -> support;
    hired, hire -> hir."""
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[:-len(ending)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word  # hire, hired -> hir


def _only(targets, kind):
    found = [t for t in targets if isinstance(t, kind)]
    if len(found) != 1:
        raise _Abstain("The question names a table ambiguously.")
    return found[0]


def _number(text: str) -> float | None:
    cleaned = text.lstrip("$").replace(",", "")
    try:
        return float(cleaned)
    except ValueError:
        return None


def _quoted(words: Sequence[str]) -> str:
    return ", ".join(repr(word) for word in words)
