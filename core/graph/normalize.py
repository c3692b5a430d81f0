"""Entity names: the cleaned surface form people read and the normalised key that merges variants.

"Acme Corp", "Acme Corporation", "ACME Corp." and "Acme Corp's" all get the key ``acme``;
each written form is kept as an alias of the one entity.
"""

from __future__ import annotations

import re
import unicodedata

PERSON = "PERSON"
ORG = "ORG"
PLACE = "PLACE"
PRODUCT = "PRODUCT"
DATE = "DATE"
MONEY = "MONEY"

# Types that name a thing; DATE and MONEY only attach to those (never to each other).
NAMED_TYPES = frozenset({PERSON, ORG, PLACE, PRODUCT})
ATTRIBUTE_TYPES = frozenset({DATE, MONEY})
ENTITY_TYPES = (PERSON, ORG, PLACE, PRODUCT, DATE, MONEY)

# spaCy's OntoNotes labels we keep, mapped to the workbench's types.
SPACY_LABELS = {"PERSON": PERSON, "ORG": ORG, "GPE": PLACE, "LOC": PLACE, "PRODUCT": PRODUCT, "DATE": DATE, "MONEY": MONEY}

_DETERMINERS = ("the ", "a ", "an ")
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "shri", "smt"})
_CORPORATE_SUFFIXES = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "llp", "plc",
    "gmbh", "ag", "sa", "pvt", "private", "pte", "bv", "nv", "lp",
})
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
# Currency symbols survive in keys as words, so "$2 million" and "€2 million" stay apart.
_CURRENCY_WORDS = str.maketrans({"$": " dollar ", "\u20ac": " euro ", "\u00a3": " pound ", "\u00a5": " yen ", "\u20b9": " rupee "})
_EDGE_PUNCTUATION = " \t\n\"'`()[]{}<>,;:!?*_-\u2013\u2014"
_POSSESSIVE = re.compile(r"(?:'s|')$", re.IGNORECASE)
_HONORIFIC_PREFIX = re.compile(r"^(?:" + "|".join(sorted(_HONORIFICS)) + r")\.?\s+", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+")
_CURRENCY = re.compile(r"[$\u20ac\u00a3\u00a5\u20b9]|\b(?:usd|eur|gbp|inr|rs|dollars?|euros?|pounds?|rupees?|yen|cents?)\b", re.IGNORECASE)


def clean_surface(text: str) -> str:
    """The readable form of a mention: no leading article, honorific or possessive, single spaces."""
    value = " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())
    value = value.strip(_EDGE_PUNCTUATION)
    lowered = value.lower()
    for determiner in _DETERMINERS:
        if lowered.startswith(determiner) and len(value) > len(determiner):
            value = value[len(determiner):]
            break
    stripped = _HONORIFIC_PREFIX.sub("", value)
    value = stripped if stripped.strip() else value
    value = _POSSESSIVE.sub("", value)
    return value.strip(_EDGE_PUNCTUATION)


def _fold_accents(text: str) -> str:
    # Only Latin letters lose their accents ("Zürich" -> "zurich"); other scripts keep their
    # combining marks, which carry meaning there.
    folded = []
    for char in text:
        base = unicodedata.normalize("NFKD", char)[0]
        folded.append(base if base.isascii() else char)
    return "".join(folded)


def entity_key(name: str) -> str:
    """The normalised identity of a name: lower case, no punctuation, accents or corporate suffix."""
    value = clean_surface(name).lower().replace("&", " and ").replace("'", "").translate(_CURRENCY_WORDS)
    tokens = _NON_WORD.sub(" ", _fold_accents(value)).split()
    if tokens and tokens[0] in {"the", "a", "an"} and len(tokens) > 1:
        tokens = tokens[1:]
    if tokens and tokens[0] in _HONORIFICS and len(tokens) > 1:
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1] in _CORPORATE_SUFFIXES:
        tokens.pop()
    if len(tokens) > 1 and tokens[-1] == "and":  # "Smith & Co" -> "smith and" -> "smith"
        tokens.pop()
    return " ".join(tokens)


# Words that open lines of emails, transcripts and forms; spaCy often takes them for names.
_HEADER_WORDS = frozenset({
    "subject", "from", "to", "cc", "date", "re", "fwd", "complaint", "order", "agent", "customer", "dear", "hello",
    "hi", "regards", "thanks", "thank", "reference", "ref", "note", "summary", "total", "status",
})


def first_line(text: str) -> str:
    """A mention cut at its first line break: NER spans that run into the next line ("Farhan\nComplaint")."""
    stripped = text.strip()
    return stripped.split("\n", 1)[0] if "\n" in stripped else text


def corrected_type(surface: str, entity_type: str) -> str:
    """Amounts with a currency ("INR 540.00") are MONEY whatever label the model gave them."""
    if entity_type != MONEY and any(ch.isdigit() for ch in surface) and _CURRENCY.search(surface):
        return MONEY
    return entity_type


def is_plausible(surface: str, entity_type: str) -> bool:
    """Reject mentions that are noise for their type (see the rules inline)."""
    if len(surface) < 2 or len(surface) > 80 or len(surface.split()) > 8:
        return False
    has_digit = any(ch.isdigit() for ch in surface)
    if entity_type == DATE:
        return has_digit  # "Tuesday", "later", "last month" say nothing on their own
    if entity_type == MONEY:
        return has_digit and bool(_CURRENCY.search(surface))
    if surface.lower() in _HEADER_WORDS:
        return False
    # a name has a letter and at least one capital ("python" in running text is not a name)
    return any(ch.isalpha() for ch in surface) and any(ch.isupper() for ch in surface)
