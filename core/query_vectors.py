"""The vectors of recent search questions, so one question is embedded once per answer.

An assistant answer embeds its question for document search, for the certified-question match and
for the training pairs; on a 2-core machine each costs tens of milliseconds. The vectors are
returned read-only so no caller can change what the next caller gets.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable


class RecentQueryVectors:
    """A small thread-safe least-recently-used map of question text to its vector."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._vectors: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str, embed: Callable[[str], Any]) -> Any:
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
                return vector
        vector = embed(text)  # outside the lock: two threads may embed the same text once each, harmlessly
        vector.setflags(write=False)
        with self._lock:
            self._vectors[text] = vector
            self._vectors.move_to_end(text)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
        return vector
