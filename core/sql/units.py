"""What kind of quantity a numeric column holds (a duration, a size, money), in which unit, and the words
questions use for it: "longer than 5 minutes", "the biggest track", "cost 99 cents", "in minutes".

A column's kind and unit come from its own name only ("Milliseconds", "duration_s", "Bytes",
"unit_price"); a column whose name gives no unit has none, and a question that asks for a unit
of it abstains rather than guess a conversion. Money has no unit beyond its currency's cents:
"99 cents" is 0.99 of whatever the column holds, and a currency named in the question
("2000 rupees") is taken as the column's own.
"""

from __future__ import annotations

DURATION, SIZE, MONEY = "duration", "size", "money"

# unit word (folded) -> the unit's size in the kind's base unit (seconds, bytes, the currency)
UNITS: dict[str, dict[str, float]] = {
    DURATION: {"millisecond": 0.001, "ms": 0.001, "msec": 0.001, "milli": 0.001, "second": 1.0, "sec": 1.0,
               "minute": 60.0, "min": 60.0, "hour": 3600.0, "hr": 3600.0},
    SIZE: {"byte": 1.0, "kilobyte": 1e3, "kb": 1e3, "megabyte": 1e6, "mb": 1e6, "gigabyte": 1e9, "gb": 1e9},
    MONEY: {"cent": 0.01, "penny": 0.01, "pence": 0.01, "paisa": 0.01, "dollar": 1.0, "euro": 1.0, "pound": 1.0,
            "rupee": 1.0, "yen": 1.0, "franc": 1.0, "usd": 1.0, "eur": 1.0, "gbp": 1.0, "inr": 1.0},
}
# How a unit is said in an answer's name ("avg_milliseconds_minutes" reads badly): the unit word as a plural.
_SAID = {"ms": "milliseconds", "msec": "milliseconds", "milli": "milliseconds", "sec": "seconds", "min": "minutes",
         "hr": "hours", "kb": "kilobytes", "mb": "megabytes", "gb": "gigabytes"}
# Words naming such a column besides its own name: "track length", "file size", "cost".
NOUNS = {DURATION: ("length", "duration", "runtime"), SIZE: ("size",), MONEY: ("cost",)}
_MONEY_WORDS = frozenset({"price", "cost", "fee", "amount", "total", "revenue", "charge"})
# Verbs that only say a row has that quantity: "tracks that run/last longer than", "invoices that cost".
QUANTITY_VERBS = {DURATION: ("run", "runs", "last", "lasts", "play", "plays", "long"),
                  SIZE: ("weigh", "weighs", "big", "large"), MONEY: ("cost", "costs")}
# comparative -> (kind, operator); superlative -> (kind, largest first)
COMPARATIVES = {("longer",): (DURATION, ">"), ("shorter",): (DURATION, "<"), ("bigger",): (SIZE, ">"),
                ("larger",): (SIZE, ">"), ("smaller",): (SIZE, "<"), ("cheaper",): (MONEY, "<"),
                ("pricier",): (MONEY, ">"), ("more", "expensive"): (MONEY, ">"), ("less", "expensive"): (MONEY, "<")}
SUPERLATIVES = {("longest",): (DURATION, True), ("shortest",): (DURATION, False), ("biggest",): (SIZE, True),
                ("largest",): (SIZE, True), ("smallest",): (SIZE, False), ("cheapest",): (MONEY, False),
                ("priciest",): (MONEY, True), ("most", "expensive"): (MONEY, True),
                ("least", "expensive"): (MONEY, False)}


def kind_and_unit(words: tuple[str, ...]) -> tuple[str, float | None]:
    """The kind of quantity a numeric column named by ``words`` holds, and its unit's size (None: unknown)."""
    for kind in (DURATION, SIZE):
        for word in reversed(words):
            if word in UNITS[kind]:
                return kind, UNITS[kind][word]
    if "duration" in words or "runtime" in words:
        return DURATION, None
    if _MONEY_WORDS & set(words):
        return MONEY, 1.0
    return "", None


def unit_of(word: str) -> tuple[str, float] | None:
    """A unit word of a question ("minutes", folded "minute") as (kind, size), or None."""
    for kind, units in UNITS.items():
        if word in units:
            return kind, units[word]
    return None


def said(word: str) -> str:
    """The unit as an answer names it: "minutes", "megabytes"."""
    return _SAID.get(word, word if word.endswith("s") else f"{word}s")
