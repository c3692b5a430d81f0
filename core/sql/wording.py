"""What a question says, word by word: the words that carry meaning, in a comparable form.

A certified query may answer a question only when the two say the same thing up to the
query's parameters: every meaningful word of the question is in the certified question (or is
a value, period or number the query binds), and every meaningful word of the certified
question is in the question. "How many tracks are priced at $1.99?" is not "How many tracks
are there per genre?": "priced" and "1.99" are left over, so the query does not answer.

Function words (articles, pronouns, question words, auxiliaries) carry no meaning here; a few
phrasings of the same request are folded into one word ("how many", "number of" -> count;
"best", "highest", "most" -> top), and a grouping with no aggregate ("orders by city") is a count.
Plurals and possessives are folded ("categories" -> "category", "customer's" -> "customer").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

# Words that never decide what is asked. Deliberately small and closed: a word missing here
# only makes the product abstain more often, never answer a different question.
FUNCTION_WORDS = frozenset("""
a an the this that these those there here it its they them their we our us you your i me my
is are was were be been being am do does did done have has had having will would shall should can could may might must
what which who whom whose when where how why
of in on at to for from with within into onto about as than then so and or
please show list give tell find get display return see me all any some
much many total
came come comes placed issued made happened occurred exist exists recorded
""".split())  # the last line: light verbs that only say a row exists ("orders placed", "invoices issued")
# Phrasings folded into one word before comparing.
_PHRASES = (
    (re.compile(r"\bhow\s+many\b", re.IGNORECASE), " count "),
    (re.compile(r"\bnumber\s+of\b", re.IGNORECASE), " count "),
    (re.compile(r"\bfor\s+each\b", re.IGNORECASE), " per "),
)
_SAME = {"counts": "count", "by": "per", "each": "per", "every": "per",
         "best": "top", "highest": "top", "largest": "top", "biggest": "top", "most": "top",
         "lowest": "bottom", "smallest": "bottom", "least": "bottom", "fewest": "bottom", "worst": "bottom"}
# With one of these a question says how to aggregate; "orders by city" says nothing and means a count.
_AGGREGATES = frozenset("count sum average avg mean median minimum maximum min max top bottom".split())
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


@dataclass(frozen=True)
class Term:
    """One meaningful word: its comparable form, as written, and where it is."""

    key: str
    text: str
    span: tuple[int, int]


def fold(word: str) -> str:
    """A word's comparable form: lower case, no possessive, singular."""
    word = word.lower()
    if word.endswith("'s"):
        word = word[:-2]
    word = _SAME.get(word, word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(text: str, *, skip: Sequence[tuple[int, int]] = ()) -> list[Term]:
    """The meaningful words of ``text`` outside the ``skip`` spans (values, periods and numbers a query binds)."""
    folded = text
    for pattern, replacement in _PHRASES:
        # Same length replacements keep every span pointing into the original text.
        folded = pattern.sub(lambda m, r=replacement: r.strip().ljust(len(m.group(0))), folded)
    found: list[Term] = []
    for match in _TOKEN.finditer(folded):
        if any(match.start() < end and start < match.end() for start, end in skip):
            continue
        key = fold(match.group(0))
        if match.group(0).lower() in FUNCTION_WORDS or key in FUNCTION_WORDS or not key:
            continue
        found.append(Term(key, text[match.start():match.end()], match.span()))
    keys = {term.key for term in found}
    if "per" in keys and not keys & _AGGREGATES:
        found.append(Term("count", "", (len(text), len(text))))
    return found


def leftover(one: Iterable[Term], other: Iterable[Term]) -> list[str]:
    """The words of ``one`` whose form is not among ``other``'s, as written, in order, once each."""
    keys = {term.key for term in other}
    return list(dict.fromkeys(term.text for term in one if term.key not in keys))
