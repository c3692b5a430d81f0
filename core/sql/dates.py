"""Dates in questions: "this week", "last month", "past 30 days", "in 2024", "Q2 2022", "the first half
of 2025", "between March and May", "since 2026-01-01".

``find_date_range(text, today)`` returns the first period a question names, as an inclusive
``DateRange`` with the span of the words it came from; ``resolve_date_phrase(phrase, today)``
reads one phrase (used for a parameter's default). ``today`` is always passed in, so answers
are reproducible and tests need no clock. Weeks are ISO weeks (Monday to Sunday); "this week",
"this month", "this quarter" and "this year" run from their first day to today.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable

from core.errors import InvalidInput

# "all time" has to be a date every engine accepts and that sorts before any real row.
EARLIEST = dt.date(1, 1, 1)
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
_MONTH_ABBREVIATIONS = {name[:3]: index for index, name in enumerate(_MONTHS, start=1)}
_ISO = r"(\d{4}-\d{2}-\d{2})"


@dataclass(frozen=True)
class DateRange:
    """An inclusive period, the words that named it, and where they were in the text."""

    start: dt.date
    end: dt.date
    phrase: str
    span: tuple[int, int] = (0, 0)

    @property
    def iso(self) -> tuple[str, str]:
        """Start and end as 'YYYY-MM-DD' text, the form ISO-text date columns compare with."""
        return self.start.isoformat(), self.end.isoformat()

    def describe(self) -> str:
        """'this week (2025-03-10 to 2025-03-12)'; 'all time (up to 2025-03-12)'."""
        if self.start == EARLIEST:
            return f"{self.phrase} (up to {self.end.isoformat()})"
        if self.start == self.end:
            return f"{self.phrase} ({self.start.isoformat()})"
        return f"{self.phrase} ({self.start.isoformat()} to {self.end.isoformat()})"


def _days_ago(today: dt.date, days: int) -> dt.date:
    return today - dt.timedelta(days=days)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _month_end(year: int, month: int) -> dt.date:
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _iso_date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a valid date: write dates as YYYY-MM-DD.") from None


def _last_n_days(count: int, today: dt.date) -> tuple[dt.date, dt.date]:
    if count <= 0:
        raise InvalidInput("A number of days must be at least 1.")
    return _days_ago(today, count - 1), today


def _last_n_months(count: int, today: dt.date) -> tuple[dt.date, dt.date]:
    if count <= 0:
        raise InvalidInput("A number of months must be at least 1.")
    months = today.year * 12 + today.month - 1 - count
    year, month = divmod(months, 12)
    same_day = dt.date(year, month + 1, min(today.day, _month_end(year, month + 1).day))
    return same_day + dt.timedelta(days=1), today


def _previous_week(today: dt.date) -> tuple[dt.date, dt.date]:
    monday = _monday(today) - dt.timedelta(days=7)
    return monday, monday + dt.timedelta(days=6)


def _previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def _previous_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    end = _quarter_start(today) - dt.timedelta(days=1)
    return _quarter_start(end), end


def _named_month(name: str, year: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    month = _MONTH_ABBREVIATIONS[name[:3].lower()]
    # Without a year, a month still to come this year means the one last year.
    chosen = int(year) if year else (today.year if month <= today.month else today.year - 1)
    return dt.date(chosen, month, 1), _month_end(chosen, month)


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}


def _quarter(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    first_month = 3 * (quarter - 1) + 1
    return dt.date(year, first_month, 1), _month_end(year, first_month + 2)


def _years(first: int, last: int) -> tuple[dt.date, dt.date]:
    """"between 2022 and 2023": both years, whole."""
    if last < first:
        raise InvalidInput(f"The period {first} to {last} ends before it starts.")
    return dt.date(first, 1, 1), dt.date(last, 12, 31)


def _half(year: int, half: int) -> tuple[dt.date, dt.date]:
    return (dt.date(year, 1, 1), dt.date(year, 6, 30)) if half == 1 else (dt.date(year, 7, 1), dt.date(year, 12, 31))


def _month_span(first: str, last: str, year: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """"between March and May [2024]": the first day of one month to the last day of the other."""
    start, _ = _named_month(first, year, today)
    end_start, end = _named_month(last, year or str(start.year), today)
    if end_start < start:
        raise InvalidInput(f"The period {first} to {last} ends before it starts.")
    return start, end


def _between(first: str, second: str) -> tuple[dt.date, dt.date]:
    start, end = _iso_date(first), _iso_date(second)
    if end < start:
        raise InvalidInput(f"The period {first} to {second} ends before it starts.")
    return start, end


Rule = tuple[re.Pattern[str], Callable[[re.Match[str], dt.date], tuple[dt.date, dt.date]]]

_MONTH_WORD = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"

# Order does not decide which phrase wins (the earliest, then longest, match does), but each
# pattern must not swallow a neighbour's words.
_RULES: tuple[Rule, ...] = (
    (re.compile(rf"\b(?:between|from)\s+{_ISO}\s+(?:and|to|until)\s+{_ISO}\b"), lambda m, t: _between(m[1], m[2])),
    (re.compile(rf"\bsince\s+{_ISO}\b"), lambda m, t: (_iso_date(m[1]), t)),
    (re.compile(r"\b(?:in\s+the\s+)?(?:last|past|previous)\s+(\d{1,4})\s+days?\b"), lambda m, t: _last_n_days(int(m[1]), t)),
    (re.compile(r"\b(?:in\s+the\s+)?(?:last|past|previous)\s+(\d{1,3})\s+weeks?\b"), lambda m, t: _last_n_days(7 * int(m[1]), t)),
    (re.compile(r"\b(?:in\s+the\s+)?(?:last|past|previous)\s+(\d{1,3})\s+months?\b"), lambda m, t: _last_n_months(int(m[1]), t)),
    (re.compile(r"\btoday\b"), lambda m, t: (t, t)),
    (re.compile(r"\byesterday\b"), lambda m, t: (_days_ago(t, 1), _days_ago(t, 1))),
    (re.compile(r"\b(?:this|current|the\s+current)\s+week\b|\bweek\s+to\s+date\b"), lambda m, t: (_monday(t), t)),
    (re.compile(r"\b(?:last|previous|the\s+previous)\s+week\b"), lambda m, t: _previous_week(t)),
    (re.compile(r"\bpast\s+week\b"), lambda m, t: _last_n_days(7, t)),
    (re.compile(r"\b(?:this|current|the\s+current)\s+month\b|\bmonth\s+to\s+date\b"), lambda m, t: (t.replace(day=1), t)),
    (re.compile(r"\b(?:last|previous|the\s+previous)\s+month\b"), lambda m, t: _previous_month(t)),
    (re.compile(r"\bpast\s+month\b"), lambda m, t: _last_n_days(30, t)),
    (re.compile(r"\b(?:this|current|the\s+current)\s+quarter\b"), lambda m, t: (_quarter_start(t), t)),
    (re.compile(r"\b(?:last|previous|the\s+previous)\s+quarter\b"), lambda m, t: _previous_quarter(t)),
    (re.compile(r"\b(?:this|current|the\s+current)\s+year\b|\byear\s+to\s+date\b|\bytd\b"), lambda m, t: (dt.date(t.year, 1, 1), t)),
    (re.compile(r"\b(?:last|previous|the\s+previous)\s+year\b"), lambda m, t: (dt.date(t.year - 1, 1, 1), dt.date(t.year - 1, 12, 31))),
    (re.compile(r"\bpast\s+year\b"), lambda m, t: _last_n_days(365, t)),
    (re.compile(rf"\b(?:in|during|for|of|throughout)\s+{_MONTH_WORD}\.?(?:\s+(\d{{4}}))?\b"),
     lambda m, t: _named_month(m[1], m[2], t)),
    (re.compile(r"\b(?:in|during|for|of|throughout)\s+(\d{4})\b"), lambda m, t: (dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 12, 31))),
    (re.compile(r"\b(?:(?:in|during|for|of)\s+)?(?:the\s+)?q([1-4])\s+(?:of\s+)?(\d{4})\b"), lambda m, t: _quarter(int(m[2]), int(m[1]))),
    (re.compile(r"\b(?:(?:in|during|for|of)\s+)?(\d{4})\s+q([1-4])\b"), lambda m, t: _quarter(int(m[1]), int(m[2]))),
    (re.compile(r"\b(?:(?:in|during|for)\s+)?the\s+(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\s+of\s+(\d{4})\b"),
     lambda m, t: _quarter(int(m[2]), _ORDINALS[m[1]])),
    (re.compile(r"\b(?:(?:in|during|for)\s+)?the\s+(first|second|1st|2nd)\s+half\s+of\s+(\d{4})\b"),
     lambda m, t: _half(int(m[2]), _ORDINALS[m[1]])),
    (re.compile(r"\b(?:(?:in|during|for|of)\s+)?h([12])\s+(?:of\s+)?(\d{4})\b"), lambda m, t: _half(int(m[2]), int(m[1]))),
    (re.compile(rf"\b(?:between|from)\s+{_MONTH_WORD}\s+(?:and|to|through|until)\s+{_MONTH_WORD}(?:\s+(\d{{4}}))?\b"),
     lambda m, t: _month_span(m[1], m[2], m[3], t)),
    (re.compile(rf"\bsince\s+{_MONTH_WORD}\.?(?:\s+(\d{{4}}))?\b"), lambda m, t: (_named_month(m[1], m[2], t)[0], t)),
    (re.compile(r"\bsince\s+(\d{4})\b"), lambda m, t: (dt.date(int(m[1]), 1, 1), t)),
    (re.compile(r"\b(?:between|from)\s+(\d{4})\s+(?:and|to|through|until)\s+(\d{4})\b"),
     lambda m, t: _years(int(m[1]), int(m[2]))),
    (re.compile(r"\b(?:all\s+time|ever|overall|to\s+date|so\s+far)\b"), lambda m, t: (EARLIEST, t)),
)


def find_date_range(text: str, today: dt.date) -> DateRange | None:
    """The first period ``text`` names (earliest in the text; the longest phrase at a tie), or None."""
    lowered = text.lower()
    best: tuple[int, int, re.Match[str], Callable] | None = None
    for pattern, resolve in _RULES:
        for match in pattern.finditer(lowered):
            key = (match.start(), -(match.end() - match.start()))
            if best is None or key < (best[0], best[1]):
                best = (key[0], key[1], match, resolve)
            break  # later matches of the same pattern start later
    if best is None:
        return None
    match, resolve = best[2], best[3]
    start, end = resolve(match, today)
    phrase = " ".join(text[match.start():match.end()].split())
    return DateRange(start, end, phrase, (match.start(), match.end()))


def resolve_date_phrase(phrase: str, today: dt.date) -> DateRange:
    """Read one period such as "last 30 days" or "all time"; raises ``InvalidInput`` when it is not one.

    The whole text is a period, so a bare "2023" or "March 2023" reads as "in 2023" (inside a question
    "in" is needed: "top 2023 customers" names no year)."""
    found = find_date_range(phrase, today)
    if found is None and not phrase.strip().lower().startswith("in "):
        found = find_date_range(f"in {phrase.strip()}", today)
    if found is None:
        raise InvalidInput(
            f"{phrase!r} is not a period the workbench understands: use e.g. today, this week, last month, "
            "last 30 days, in 2024, this year, since 2026-01-01 or all time."
        )
    return found
