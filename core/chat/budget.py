"""Fit a generated answer's prompt into the model's context window.

The context (AW_LLM_NUM_CTX) must hold the prompt and the reply. So the evidence gets what is
left after the reply cap for answers (AW_LLM_MAX_TOKENS_ANSWER) and everything else in the
prompt (the instructions, summary, recent turns and the question). Tokens are counted with
the provider's own tokenizer when it has one (``count_tokens``), else estimated on the safe
side: one token per three bytes of UTF-8 (English runs near four characters a token).

When the evidence is too big, the largest pieces give way first: the longest texts are cut
down to the length of the next longest (so short facts survive whole), and only when every
piece is down to a useful minimum are the lowest-ranked ones (the last) left out. Every source
that was cut or left out says so in its ``reference["budget"]``, so the page and the endpoint
can show that the answer rests on less than the full source.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from core.records import Source

logger = logging.getLogger(__name__)

MESSAGE_OVERHEAD = 8  # tokens a chat template adds around each message (role markers, separators)
MARGIN = 16  # tokens kept free for the template's start of the reply and rounding
MIN_SOURCE_TOKENS = 48  # a source cut below this says too little to be worth its place
ELLIPSIS = " …"
TRIMMED = "trimmed"
DROPPED = "dropped"


def context_length(llm: Any) -> int:
    settings = getattr(llm, "settings", None)
    num_ctx = getattr(settings, "num_ctx", None)
    if isinstance(num_ctx, int) and num_ctx > 0:
        return num_ctx
    from core.llm.bounds import _defaults

    return _defaults().num_ctx


def reply_reserve(num_ctx: int, answer_cap: int) -> int:
    """Tokens kept for the reply: the answer cap, but never more than half the context (so evidence has room)."""
    return max(1, min(answer_cap, num_ctx // 2))


def source_block(source: Source) -> str:
    """How a source appears in the prompt (its number, title and text)."""
    return f"[{source.index}] {source.title}\n{source.text}"


@dataclass(frozen=True)
class Fitted:
    """The sources after fitting: ``sent`` go into the prompt, ``sources`` (all of them, marked) go to the Answer."""

    sources: tuple[Source, ...]
    sent: tuple[Source, ...]
    tokens: int  # tokens of the sent blocks, separators included

    @property
    def changed(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if "budget" in s.reference)


def fit_sources(sources: Sequence[Source], available: int, count: Callable[[str], int],
                separator: str = "\n\n") -> Fitted:
    """Cut the longest sources, then leave out the last ones, until their blocks fit in ``available`` tokens."""
    sep = count(separator) if sources else 0
    sizes = [count(source_block(s)) for s in sources]
    heads = [count(source_block(Source(s.index, s.kind, s.title, ""))) for s in sources]
    kept = list(range(len(sources)))

    def total(level: int, keep: list[int]) -> int:
        return sum(min(sizes[i], max(level, heads[i])) for i in keep) + sep * max(0, len(keep) - 1)

    if total(max(sizes, default=0), kept) <= available:
        return Fitted(tuple(sources), tuple(sources), total(max(sizes, default=0), kept))
    # Leave out the lowest-ranked sources until the rest fit with each at the useful minimum.
    while kept and total(MIN_SOURCE_TOKENS, kept) > available:
        kept.pop()
    # The highest level (the longest any source may stay) at which the kept ones fit: cut largest-first.
    low, high = MIN_SOURCE_TOKENS, max((sizes[i] for i in kept), default=MIN_SOURCE_TOKENS)
    while low < high:
        middle = (low + high + 1) // 2
        if total(middle, kept) <= available:
            low = middle
        else:
            high = middle - 1
    level = low
    out: list[Source] = []
    sent: list[Source] = []
    used = 0
    for i, source in enumerate(sources):
        if i not in kept:
            out.append(_marked(source, DROPPED, sizes[i], 0))
            continue
        if sizes[i] > level:
            source = _cut(source, max(level, heads[i]), count)
            kept_tokens = count(source_block(source))
            source = _marked(source, TRIMMED, sizes[i], kept_tokens)
            used += kept_tokens
        else:
            used += sizes[i]
        out.append(source)
        sent.append(source)
    used += sep * max(0, len(sent) - 1)
    return Fitted(tuple(out), tuple(sent), used)


def _cut(source: Source, tokens: int, count: Callable[[str], int]) -> Source:
    """``source`` with its text shortened (at a word) so its block counts at most ``tokens``."""
    head = count(source_block(Source(source.index, source.kind, source.title, "")))
    room = tokens - head - count(ELLIPSIS)
    text = source.text
    if room <= 0:
        return Source(source.index, source.kind, source.title, ELLIPSIS.strip(), source.reference)
    # Start from a proportional guess, then shrink until the tokenizer agrees (a few counts at most).
    chars = max(1, int(len(text) * room / max(1, count(text))))
    while chars > 1:
        piece = text[:chars]
        if chars < len(text) and " " in piece:
            piece = piece.rsplit(" ", 1)[0]
        if count(piece) <= room:
            return Source(source.index, source.kind, source.title, piece.rstrip() + ELLIPSIS, source.reference)
        chars = int(chars * 0.9)
    return Source(source.index, source.kind, source.title, ELLIPSIS.strip(), source.reference)


def _marked(source: Source, action: str, tokens: int, kept_tokens: int) -> Source:
    note = ("shortened to fit the model" if action == TRIMMED else "left out to fit the model")
    reference = {**source.reference, "budget": {"action": action, "tokens": tokens, "kept_tokens": kept_tokens,
                                                 "note": note}}
    return Source(source.index, source.kind, source.title, source.text, reference)
