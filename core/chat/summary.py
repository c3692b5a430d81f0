"""Older turns of a long conversation, summarised so the prompt stays small.

The last ``KEEP_TURNS`` messages go to the model as they are; everything before them is
folded into one summary, stored on the conversation with the number of messages it covers so
it is only extended, never recomputed. With an LLM the summary is written by it; without one
it is the list of earlier questions (evidence mode never invents prose).
"""

from __future__ import annotations

import json
import logging
from typing import Sequence

from core.errors import WorkbenchError

logger = logging.getLogger(__name__)

KEEP_TURNS = 6
MAX_SUMMARY_CHARS = 2000


def conversation_summary(store, llm, workspace: str, conversation_id: str, history: Sequence) -> str:
    older = list(history)[:-KEEP_TURNS] if len(history) > KEEP_TURNS else []
    if not older:
        return ""
    saved = _load(store.summary(workspace, conversation_id))
    if saved["covers"] == len(older):
        return saved["text"]
    new_turns = older[saved["covers"]:]
    text = _extend(llm, saved["text"], new_turns)
    store.set_summary(workspace, conversation_id, json.dumps({"covers": len(older), "text": text}))
    return text


def _extend(llm, previous: str, turns: Sequence) -> str:
    if llm.available()[0]:
        from core.llm.base import Message
        from core.llm.bounds import reply_options

        transcript = "\n".join(f"{m.role}: {m.content[:800]}" for m in turns)
        prompt = ("Update the summary of an analyst's conversation with new turns. Keep names, numbers, periods and "
                  "conclusions; at most 120 words. Reply with the summary only.\n\n"
                  f"Summary so far: {previous or '(none)'}\n\nNew turns:\n{transcript}")
        try:
            reply = llm.complete([Message("user", prompt)], options=reply_options(llm, "summary"))
            return str(reply).strip()[:MAX_SUMMARY_CHARS]
        except WorkbenchError as exc:
            logger.warning("could not summarise the conversation, listing questions instead: %s", exc)
    questions = [m.content.strip() for m in turns if m.role == "user"]
    listed = "; ".join(q[:200] for q in questions)
    text = f"{previous} {listed}".strip() if previous else f"Earlier questions: {listed}"
    return text[-MAX_SUMMARY_CHARS:]


def _load(raw: str) -> dict:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    return {"covers": int(data.get("covers", 0)), "text": str(data.get("text", ""))}
