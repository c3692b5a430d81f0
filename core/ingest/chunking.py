"""Structure-aware chunking: parsed blocks -> chunks of about ``target_tokens`` embedding-model tokens.

Rules, in order of priority:
- a heading always starts a new chunk, so a chunk never mixes two sections (a heading with
  no text of its own is carried into its first subsection's chunk);
- whole paragraphs (and table rows) are packed together up to the target;
- a paragraph that does not fit in what is left of a chunk starts the next one; a paragraph
  longer than the target is split on sentence boundaries, a sentence longer than the target
  on word boundaries, and a single word longer than the target on token boundaries;
- no chunk is longer than ``MAX_CHARS_PER_TOKEN`` characters per target token, whatever the
  tokenizer says: a 20 MB "word" is one [UNK] token to the embedding model's tokenizer, and
  would otherwise become one 20 MB chunk that the entity extractor refuses. Such text is cut
  by characters;
- a chunk that continues a section starts with the last sentences (up to ``overlap_tokens``)
  of the previous chunk. Overlap is best effort: it shrinks when the next paragraph would not
  fit with it, and table rows are never repeated (a repeated row would be counted twice).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from core.errors import ConfigError
from core.ingest.parsers import Block, short_reason

# The look-behind makes a run of dots match only from its first dot: without it every dot of
# "......" (200 KB of them) started a scan to the end of the run, which is quadratic.
_SENTENCE_END = re.compile(r"(?<![.!?…])[.!?…]+[\"'”’)\]]*(?P<space>\s+)|[。！？]+(?P<cjk>\s*)")
_CELL_BOUNDARY = re.compile(r"(?:; | \| )")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc e.g i.e cf al fig figs no nos vol pp ed eds approx inc ltd co corp dept est"
    " vgl bzw ca ggf inkl evtl bspw nr abs".split()
)
_TABULAR = ("row", "table")
# Real text has 3 to 8 characters per token (code with deep indentation up to about 20);
# a chunk of 200 tokens may so be 6,400 characters long, far below spaCy's 1,000,000.
MAX_CHARS_PER_TOKEN = 32
_HEADING_PATH_CHARS = 200  # a heading's label in chunk metadata; the text itself is kept whole


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk before it has ids: its text, order, first page and section headings."""

    text: str
    position: int
    page: int | None
    heading_path: tuple[str, ...]
    token_count: int  # the embedding model's tokens in ``text``


@dataclass(frozen=True)
class _Unit:
    """A piece that is never split further: a whole paragraph, or a sentence of a long one."""

    text: str
    tokens: int
    kind: str
    page: int | None
    paragraph: int  # units of one paragraph share this id
    joiner: str  # what separated it from the previous unit of the same paragraph
    paragraph_tokens: int  # the whole paragraph's tokens, to decide whether it fits


def chunk_blocks(
    blocks: Iterable[Block],
    *,
    count_tokens: Callable[[str], int],
    target_tokens: int,
    overlap_tokens: int,
    count_tokens_many: Callable[[Sequence[str]], list[int]] | None = None,
) -> list[ChunkDraft]:
    """Split a document's blocks into chunks; deterministic for the same input and counter.

    ``count_tokens_many`` (optional, e.g. ``Embedder.count_tokens_many``) counts every block in
    one batch first, which is faster; a ``count_tokens`` with a ``count_many`` method is used
    the same way.
    """
    if target_tokens <= 0:
        raise ValueError(f"target_tokens must be positive, got {target_tokens}")
    if not 0 <= overlap_tokens < target_tokens:
        raise ValueError(f"overlap_tokens must be at least 0 and below target_tokens, got {overlap_tokens}")
    counter = _CachedCounter(count_tokens, count_tokens_many, max_chars=target_tokens * MAX_CHARS_PER_TOKEN)
    chunker = _Chunker(counter, target_tokens, overlap_tokens)
    blocks = [block for block in blocks if block.text.strip()]
    chunker.counter.prime(_unit_text(block) for block in blocks)
    for path, section in _sections(blocks):
        chunker.add_section(path, section)
    return chunker.chunks


def token_counter_for(model_path: str | Path) -> "TokenCounter":
    """A token counter using the embedding model's own tokenizer (special tokens not counted)."""
    # Offline by construction: these machines cannot reach a model hub, and a lookup would hang.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
    except Exception as exc:
        raise ConfigError(
            f"The embedding model's tokenizer could not be loaded from {model_path} ({short_reason(exc)}): "
            "point AW_EMBEDDING_MODEL at a local sentence-transformers model folder."
        ) from exc
    return TokenCounter(tokenizer)


class TokenCounter:
    """Callable ``text -> token count``; ``count_many`` counts a batch in one call."""

    def __init__(self, tokenizer) -> None:
        backend = getattr(tokenizer, "backend_tokenizer", None)
        if backend is not None:
            # The saved tokenizer.json of sentence-transformers models pads and truncates to the
            # model's window (128 for MiniLM); counting needs every token and no padding.
            backend.no_truncation()
            backend.no_padding()
        self._tokenizer = tokenizer
        self._backend = backend

    def __call__(self, text: str) -> int:
        if self._backend is not None:
            return len(self._backend.encode(text, add_special_tokens=False).ids)
        return len(self._tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"])

    def count_many(self, texts: Sequence[str]) -> list[int]:
        texts = list(texts)
        if not texts:
            return []
        if self._backend is not None:
            return [len(encoding.ids) for encoding in self._backend.encode_batch(texts, add_special_tokens=False)]
        return [len(ids) for ids in self._tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]]


class _CachedCounter:
    """Counts each distinct string once; overlap and splitting ask for the same sentences again.

    Calling it gives a text's *size* for packing: its tokens, or its length over
    ``MAX_CHARS_PER_TOKEN`` when that is more, so that text with absurdly long tokens is cut
    by characters. ``tokens`` gives the true token count. Text longer than ``max_chars`` is over
    the target by its length alone, so it is never tokenized as a whole (the tokenizer takes
    seconds on one 20 MB word).
    """

    def __init__(self, count: Callable[[str], int], count_many: Callable[[Sequence[str]], list[int]] | None = None,
                 *, max_chars: int) -> None:
        self._count = count
        self._count_many = count_many or getattr(count, "count_many", None)
        self._cache: dict[str, int] = {}
        self.max_chars = max_chars

    def prime(self, texts: Iterable[str]) -> None:
        if self._count_many is None:
            return
        pending = list(dict.fromkeys(text for text in texts if text not in self._cache and len(text) <= self.max_chars))
        if pending:
            self._cache.update(zip(pending, (int(n) for n in self._count_many(pending))))

    def tokens(self, text: str) -> int:
        tokens = self._cache.get(text)
        if tokens is None:
            tokens = self._cache[text] = int(self._count(text))
        return tokens

    def __call__(self, text: str) -> int:
        by_length = -(-len(text) // MAX_CHARS_PER_TOKEN)
        return by_length if len(text) > self.max_chars else max(self.tokens(text), by_length)


def _sections(blocks: list[Block]) -> list[tuple[tuple[str, ...], list[Block]]]:
    """(heading path, blocks) per section; headings without text of their own join their first child."""
    sections: list[tuple[tuple[str, ...], list[Block]]] = []
    stack: list[tuple[int, str]] = []
    path: tuple[str, ...] = ()
    current: list[Block] = []
    for block in blocks:
        if block.kind != "heading":
            current.append(block)
            continue
        only_headings = all(item.kind == "heading" for item in current)
        if current and not (only_headings and block.level > current[-1].level):
            sections.append((path, current))
            current = []
        while stack and stack[-1][0] >= block.level:
            stack.pop()
        stack.append((block.level, _heading_label(block.text)))
        path = tuple(text for _, text in stack)
        current.append(block)
    if current:
        sections.append((path, current))
    return sections


def split_sentences(text: str) -> list[tuple[str, str]]:
    """(sentence, separator before it) pairs; lines are split first, then sentence ends.

    A period after a known abbreviation or a single letter (an initial) does not end a
    sentence, nor does one followed by a lower-case letter. A line after the first keeps its
    indentation, so code split across chunks stays readable.
    """
    pieces: list[tuple[str, str]] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        joiner = "\n" if pieces else ""
        start = 0
        if not pieces:
            line = line.lstrip()
        for match in _SENTENCE_END.finditer(line):
            end = match.start("space") if match.group("space") is not None else match.start("cjk")
            following = match.end()
            if following >= len(line.rstrip()) or end <= start or not line[start:end].strip():
                continue
            if match.group("space") is not None and _is_false_sentence_end(line, start, match.start(), following):
                continue
            pieces.append((line[start:end].rstrip(), joiner))
            joiner, start = " ", following
        rest = line[start:].rstrip()
        if rest.strip():
            pieces.append((rest, joiner))
    return pieces


def _is_false_sentence_end(line: str, start: int, punctuation_at: int, following: int) -> bool:
    if line[following].islower():
        return True
    if line[punctuation_at] != ".":
        return False
    words = line[start:punctuation_at].split()
    word = words[-1].lstrip("(\"'“‘[").lower() if words else ""
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


class _Chunker:
    def __init__(self, counter: _CachedCounter, target: int, overlap: int) -> None:
        self.counter = counter
        self.target = target
        self.overlap = overlap
        self.chunks: list[ChunkDraft] = []
        self._paragraph_ids = 0

    # ---------------------------------------------------------------- units

    def _units(self, blocks: list[Block]) -> list[_Unit]:
        units: list[_Unit] = []
        for block in blocks:
            self._paragraph_ids += 1
            text = _unit_text(block)
            tokens = self.counter(text)
            if tokens <= self.target:
                units.append(_Unit(text, tokens, block.kind, block.page, self._paragraph_ids, "", tokens))
                continue
            for piece, joiner in self._split(text, block.kind):
                units.append(_Unit(piece, self.counter(piece), block.kind, block.page, self._paragraph_ids, joiner, tokens))
        return units

    def _split(self, text: str, kind: str) -> list[tuple[str, str]]:
        """Pieces of an over-long block, each within the target, with their separators."""
        if kind in _TABULAR:
            parts: list[tuple[str, str]] = []
            for line in (line.strip() for line in text.split("\n")):
                if not line:
                    continue
                joiner = "\n" if parts else ""
                cells = _split_keep(line, _CELL_BOUNDARY) if self.counter(line) > self.target else [line]
                parts.extend((cell, joiner if n == 0 else "; ") for n, cell in enumerate(cells))
        else:
            parts = split_sentences(text)
        pieces: list[tuple[str, str]] = []
        for part, joiner in parts:
            if self.counter(part) <= self.target:
                pieces.append((part, joiner))
            else:
                pieces.extend((run, joiner if n == 0 else " ") for n, run in enumerate(self._split_words(part)))
        return pieces

    def _split_words(self, text: str) -> list[str]:
        runs: list[str] = []
        current: list[str] = []
        current_tokens = 0
        for word in text.split():
            tokens = self.counter(word)
            if tokens > self.target:
                if current:
                    runs.append(" ".join(current))
                    current, current_tokens = [], 0
                runs.extend(self._split_long_word(word))
                continue
            if current and current_tokens + tokens > self.target:
                runs.append(" ".join(current))
                current, current_tokens = [], 0
            current.append(word)
            current_tokens += tokens
        if current:
            runs.append(" ".join(current))
        return runs

    def _split_long_word(self, word: str) -> list[str]:
        """Cut a word longer than the target (a hash, base64, a URL) at the longest prefixes that fit.

        Linear in the word's length: a piece is never longer than ``target * MAX_CHARS_PER_TOKEN``
        characters, the search for each piece starts from the previous piece's length, and the
        word is never copied whole. (It used to binary-search over the whole rest of the word
        for every piece, re-counting up to the whole word each time: 200 KB of ">" took 337 s.)
        """
        runs: list[str] = []
        start, guess = 0, self.target
        while start < len(word):
            length = self._longest_fitting(word, start, min(len(word) - start, self.target * MAX_CHARS_PER_TOKEN), guess)
            runs.append(word[start:start + length])
            start += length
            guess = length
        return runs

    def _longest_fitting(self, word: str, start: int, limit: int, guess: int) -> int:
        """The length of the longest piece of ``word`` from ``start`` (at most ``limit``) within the target."""
        def fits(length: int) -> bool:
            return self.counter(word[start:start + length]) <= self.target

        low, high = 0, limit + 1  # a piece of ``low`` characters fits; one of ``high`` does not
        probe = max(1, min(guess, limit))
        while probe < high and fits(probe):  # gallop up from the guess
            low, probe = probe, (min(probe * 2, limit) if probe < limit else high)
        high = min(high, probe)
        while high - low > 1:  # then bisect between what fits and what does not
            middle = (low + high) // 2
            if fits(middle):
                low = middle
            else:
                high = middle
        return max(low, 1)  # one character, even over the target, so the cutting always advances

    # ---------------------------------------------------------------- packing

    def add_section(self, path: tuple[str, ...], blocks: list[Block]) -> None:
        units = self._units(blocks)
        overlap: list[_Unit] = []
        index = 0
        while index < len(units):
            taken: list[_Unit] = []
            used = sum(unit.tokens for unit in overlap)
            while index < len(units):
                unit = units[index]
                starts_paragraph = not taken or unit.paragraph != taken[-1].paragraph
                room = self.target - used
                only_headings = all(piece.kind == "heading" for piece in taken)
                if taken and (unit.tokens > room or (starts_paragraph and not only_headings and unit.paragraph_tokens > room)):
                    break  # a paragraph that does not fit whole starts the next chunk (headings stay with it)
                while not taken and overlap and unit.tokens > room:
                    used -= overlap.pop(0).tokens  # shrink the overlap until the first unit fits
                    room = self.target - used
                taken.append(unit)
                used += unit.tokens
                index += 1
            text, size = self._measure(overlap, taken)
            while size > self.target and (overlap or len(taken) > 1):
                # Only for counters that are not additive over joined text: give back a piece.
                if overlap:
                    overlap.pop(0)
                else:
                    taken.pop()
                    index -= 1
                text, size = self._measure(overlap, taken)
            page = next((unit.page for unit in taken if unit.page is not None), None)
            self.chunks.append(ChunkDraft(text, len(self.chunks), page, path, self.counter.tokens(text)))
            overlap = self._overlap_after(taken)

    def _measure(self, overlap: list[_Unit], taken: list[_Unit]) -> tuple[str, int]:
        pieces = overlap + taken
        parts = [pieces[0].text]
        for previous, unit in zip(pieces, pieces[1:]):
            parts.append((unit.joiner or " ") if unit.paragraph == previous.paragraph else "\n\n")
            parts.append(unit.text)
        text = "".join(parts)
        return text, self.counter(text)

    def _overlap_after(self, taken: list[_Unit]) -> list[_Unit]:
        """The last sentences of a chunk, up to the overlap budget, to start the next chunk with."""
        if self.overlap == 0:
            return []
        chosen: list[_Unit] = []
        used = 0
        for unit in reversed(taken):
            if unit.kind == "heading" or unit.kind in _TABULAR:
                break
            sentences = split_sentences(unit.text) if unit.tokens > self.overlap else [(unit.text, unit.joiner)]
            for position, (sentence, joiner) in reversed(list(enumerate(sentences))):
                tokens = self.counter(sentence)
                if used + tokens > self.overlap:
                    if not chosen:
                        return self._trailing_words(sentence, unit)
                    return chosen
                own_joiner = joiner if position else unit.joiner
                chosen.insert(0, _Unit(sentence, tokens, unit.kind, unit.page, unit.paragraph, own_joiner, unit.paragraph_tokens))
                used += tokens
        return chosen

    def _trailing_words(self, sentence: str, unit: _Unit) -> list[_Unit]:
        """When even the last sentence is over the budget: its last words that fit."""
        words = sentence.split()
        low, high = 0, len(words)
        while low < high:
            middle = (low + high + 1) // 2
            if self.counter(" ".join(words[-middle:])) <= self.overlap:
                low = middle
            else:
                high = middle - 1
        if low == 0:
            return []
        text = " ".join(words[-low:])
        return [_Unit(text, self.counter(text), unit.kind, unit.page, unit.paragraph, " ", unit.paragraph_tokens)]


def _split_keep(line: str, boundary: re.Pattern[str]) -> list[str]:
    return [part.strip() for part in boundary.split(line) if part.strip()]


def _heading_label(text: str) -> str:
    label = " ".join(text.split())
    return label if len(label) <= _HEADING_PATH_CHARS else label[: _HEADING_PATH_CHARS - 1].rstrip() + "…"


def _unit_text(block: Block) -> str:
    return " ".join(block.text.split()) if block.kind == "heading" else block.text.strip()
