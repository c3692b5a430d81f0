"""Follow-up questions made standalone, so retrieval and SQL see the whole question.

With an LLM: it rewrites the question using the recent turns. Without one: a short follow-up
("what about Mumbai?", "and last month?") takes the previous question and swaps in what the
follow-up changes (a name or a time phrase); anything else is left as asked.
"""

from __future__ import annotations

import re
from typing import Sequence

from core.errors import WorkbenchError

FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|same for|what of|for)\b", re.IGNORECASE)
TIME_PHRASE = re.compile(
    r"\b(today|yesterday|this (?:week|month|year|quarter)|last (?:week|month|year|quarter)|"
    r"(?:in the )?(?:last|past) \d+ days|in \d{4}|since [\w\- ]+?\d{4})\b",
    re.IGNORECASE,
)
CAPITALISED = re.compile(r"\b([A-Z][\w'&.-]*(?:\s+[A-Z][\w'&.-]*)*)\b")
MAX_FOLLOW_UP_WORDS = 8


def standalone_question(question: str, history: Sequence, llm) -> str:
    previous = [m.content for m in history if m.role == "user"]
    if not previous or not _looks_like_follow_up(question):
        return question
    if llm.available()[0]:
        rewritten = _rewrite_with_llm(llm, question, history)
        if rewritten:
            return rewritten
    return carry_over(previous[-1], question)


def _looks_like_follow_up(question: str) -> bool:
    return bool(FOLLOW_UP.match(question)) or len(question.split()) <= 3


def carry_over(previous: str, follow_up: str) -> str:
    """Swap the follow-up's time phrase and names into the previous question."""
    result = previous
    changed = False
    new_time = TIME_PHRASE.search(follow_up)
    old_time = TIME_PHRASE.search(previous)
    if new_time and old_time:
        result = result[: old_time.start()] + new_time.group(0) + result[old_time.end():]
        changed = True
    elif new_time:
        result = result.rstrip(" ?") + f" {new_time.group(0)}?"
        changed = True
    stripped = FOLLOW_UP.sub("", follow_up).strip(" ?")
    names = [n for n in CAPITALISED.findall(stripped) if not TIME_PHRASE.fullmatch(n)]
    old_names = [n for n in CAPITALISED.findall(previous)[1:] if not TIME_PHRASE.fullmatch(n)]  # skip the sentence start
    if names and old_names:
        result = result.replace(old_names[-1], names[0], 1)
        changed = True
    return result if changed else f"{previous} {follow_up}"


def _rewrite_with_llm(llm, question: str, history: Sequence) -> str:
    from core.llm.base import Message
    from core.llm.bounds import reply_options

    turns = "\n".join(f"{m.role}: {m.content[:500]}" for m in list(history)[-6:])
    prompt = ("Rewrite the last question so it can be understood without the conversation. Keep names, places and "
              "time periods. Reply with the question only.\n\n" + turns + f"\nuser: {question}")
    try:
        reply = llm.complete([Message("user", prompt)], options=reply_options(llm, "rewrite"))
    except WorkbenchError:
        return ""
    reply = str(reply).strip().strip('"').splitlines()[0] if str(reply).strip() else ""
    return reply[:500]
