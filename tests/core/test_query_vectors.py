"""One question, one embedding: the recent question vectors the workbench's embedder keeps."""

from __future__ import annotations

import numpy as np
import pytest

from core.query_vectors import RecentQueryVectors


class Counting:
    """The real embedder, counting the questions it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def embed_query(self, text):
        self.calls.append(text)
        return self.inner.embed_query(text)

    def __getattr__(self, name):  # embed, model_id, dimension...: the real embedder's
        return getattr(self.inner, name)


def test_a_question_is_embedded_once_and_its_vector_cannot_be_changed(embedder):
    counting, recent = Counting(embedder), RecentQueryVectors()
    first = recent.get("late deliveries to Chennai", counting.embed_query)
    again = recent.get("late deliveries to Chennai", counting.embed_query)
    assert counting.calls == ["late deliveries to Chennai"]
    assert again is first and np.allclose(first, embedder.embed_query("late deliveries to Chennai"))
    with pytest.raises(ValueError):
        first[0] = 0.0  # a caller scaling it in place would corrupt every later answer


def test_the_least_recently_used_question_is_forgotten_first(embedder):
    counting, recent = Counting(embedder), RecentQueryVectors(size=2)
    for text in ("one", "two", "one", "three"):  # "two" is the least recently used when "three" arrives
        recent.get(text, counting.embed_query)
    recent.get("one", counting.embed_query)
    recent.get("two", counting.embed_query)
    assert counting.calls == ["one", "two", "three", "two"]


def test_an_answer_embeds_its_question_once_across_search_and_sql(workbench):
    counting = Counting(workbench.embedder._inner)
    workbench.embedder._inner = counting
    workspace = workbench.workspace()
    workspace.search("refund policy for damaged items")
    workspace.chat.ask("refund policy for damaged items")  # search, certified match and training pairs
    assert counting.calls.count("refund policy for damaged items") == 1
