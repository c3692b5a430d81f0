"""The answer's prompt fits the model's context: evidence is cut longest-first, then left out, and says so."""

from __future__ import annotations

import json

import pytest

from core.chat import budget
from core.ingest.pipeline import Upload
from core.llm.tokens import estimate_tokens
from core.records import Source
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env
from tests.support.real_llm import model_env, smollm2_path  # loads xllamacpp before any graph database opens
from tests.support.scripted_llm import ScriptedLLM

ROUTE_DOCUMENTS = json.dumps({"documents": True, "graph": False, "database": False, "reason": "test"})
SECTIONS = ("Damaged items", "Late deliveries", "Wrong sizes", "Gift returns", "Store credit", "Exchanges")


def long_policy() -> bytes:
    """Six sections, each long enough that its passage is a full excerpt (about 200 estimated tokens)."""
    body = "# Returns policy\n\n"
    for name in SECTIONS:
        sentence = f"{name} are refunded or exchanged under the returns policy when the receipt is shown at the desk. "
        body += f"## {name}\n\n" + sentence * 8 + "\n\n"
    return body.encode()


def prompt_tokens(messages, count=estimate_tokens) -> int:
    return sum(count(m.content) + budget.MESSAGE_OVERHEAD for m in messages)


@pytest.fixture
def small_context(tmp_path, embedder):
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), AW_LLM_NUM_CTX="768",
                                 AW_LLM_MAX_TOKENS_ANSWER="256")
    llm = ScriptedLLM()
    llm.settings = settings.llm  # what a real provider carries: the context length and the reply caps
    workbench = build_workbench(settings, embedder=embedder, llm=llm)
    assert all(r.status == "ingested" for r in workbench.workspace().ingest([Upload("returns.md", long_policy())]))
    yield workbench, llm
    workbench.close()


def test_the_prompt_and_the_reply_fit_the_context_and_trimmed_sources_are_marked(small_context):
    workbench, llm = small_context
    question = "How are damaged items and late deliveries refunded?"
    evidence = workbench.assistant.gather("default", question, llm=ScriptedLLM(available=(False, "rules only")))
    full = sum(estimate_tokens(budget.source_block(s)) for s in evidence.sources)
    assert full > 768 - 256, "the test's evidence must not fit on its own, or nothing is proved"

    llm.enqueue(ROUTE_DOCUMENTS).enqueue("Damaged items are refunded [1]. Also [4].")
    answer = workbench.assistant.ask("default", question)

    call = llm.last_call
    reply = call.options["max_tokens"]
    assert reply == 256
    assert prompt_tokens(call.messages) + reply <= 768
    marked = [s for s in answer.sources if "budget" in s.reference]
    assert marked, "cut sources must be marked"
    for source in marked:
        note = source.reference["budget"]
        assert note["action"] in {"trimmed", "dropped"} and note["kept_tokens"] < note["tokens"]
        assert note["note"].endswith("to fit the model")
    trimmed = [s for s in marked if s.reference["budget"]["action"] == "trimmed"]
    for source in trimmed:  # the model saw the shortened text, and so does the reader
        assert source.text.endswith("…") and source.text.removesuffix(" …") in call.prompt
    dropped = {s.index for s in marked if s.reference["budget"]["action"] == "dropped"}
    for index in dropped:  # a source left out is not in the prompt, and citing it is removed
        assert f"[{index}] " not in call.prompt.split("Question:")[0]
        assert f"[{index}]" not in answer.text
    assert answer.mode == "generated" and "[1]" in answer.text


def test_evidence_mode_is_not_cut(small_context):
    workbench, _ = small_context
    workbench.assistant._llm = lambda: ScriptedLLM(available=(False, "no model"))
    answer = workbench.assistant.ask("default", "How are damaged items refunded?")
    assert answer.mode == "evidence"
    assert not any("budget" in s.reference for s in answer.sources)


def source(index: int, text: str) -> Source:
    return Source(index, "passage", f"Doc {index}", text, {"chunk_id": str(index)})


def test_the_longest_evidence_is_cut_first_and_short_facts_stay_whole():
    short_a, short_b = "Refunds take 7 days.", "Receipts are required."
    sources = (source(1, short_a), source(2, "word " * 400), source(3, short_b))
    full = sum(estimate_tokens(budget.source_block(s)) for s in sources)

    fitted = budget.fit_sources(sources, full // 3, estimate_tokens)

    assert fitted.tokens <= full // 3
    assert [s.text for s in fitted.sent][0::2] == [short_a, short_b]
    assert fitted.sent[1].reference["budget"]["action"] == "trimmed"
    assert len(fitted.sent[1].text) < 400 * 5 and fitted.sent[1].reference["chunk_id"] == "2"
    assert [s.index for s in fitted.changed] == [2]


def test_the_lowest_ranked_sources_are_left_out_when_cutting_is_not_enough():
    sources = tuple(source(i, "evidence " * 100) for i in range(1, 7))
    available = 3 * budget.MIN_SOURCE_TOKENS + 10

    fitted = budget.fit_sources(sources, available, estimate_tokens)

    assert fitted.tokens <= available
    assert [s.index for s in fitted.sent] == [1, 2, 3]
    assert [s.reference["budget"]["action"] for s in fitted.sources] == ["trimmed"] * 3 + ["dropped"] * 3
    assert len(fitted.sources) == 6, "a left-out source is still listed, marked"


def test_evidence_that_fits_is_untouched():
    sources = (source(1, "Refunds take 7 days."),)
    fitted = budget.fit_sources(sources, 1000, estimate_tokens)
    assert fitted.sources == sources and not fitted.changed and fitted.sources[0].reference == sources[0].reference


class CountingLLM(ScriptedLLM):
    """A scripted model with a tokenizer of its own: one token per word."""

    def __init__(self, *replies):
        super().__init__(*replies)
        self.counted = 0

    def count_tokens(self, text: str) -> int:
        self.counted += 1
        return len(text.split()) or 1


def test_the_providers_tokenizer_is_used_when_it_has_one(tmp_path, embedder):
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), AW_LLM_NUM_CTX="1024",
                                 AW_LLM_MAX_TOKENS_ANSWER="128")
    llm = CountingLLM(ROUTE_DOCUMENTS, "Refunded [1].")
    llm.settings = settings.llm
    workbench = build_workbench(settings, embedder=embedder, llm=llm)
    try:
        workbench.workspace().ingest([Upload("returns.md", long_policy())])
        answer = workbench.assistant.ask("default", "How are damaged items refunded?")
    finally:
        workbench.close()
    assert llm.counted > 0
    assert prompt_tokens(llm.last_call.messages, llm.count_tokens) + 128 <= 1024
    assert prompt_tokens(llm.last_call.messages) + 128 > 1024, "the estimate would have cut this prompt"
    # One word a token lets far more text in than the three-bytes estimate would: nothing was cut.
    assert answer.mode == "generated" and not any("budget" in s.reference for s in answer.sources)


def test_a_real_model_answers_long_evidence_without_overflowing_its_context(tmp_path, embedder):
    from core.registry import build_chosen

    env = model_env(smollm2_path(), AW_LLM_NUM_CTX="512", AW_LLM_MAX_TOKENS_ANSWER="12",
                    AW_LLM_MAX_TOKENS_ROUTE="48", AW_LLM_AVAILABILITY_TTL="60")
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path), **env)
    llm = build_chosen("llm", settings)
    workbench = build_workbench(settings, embedder=embedder, llm=llm)
    try:
        workbench.workspace().ingest([Upload("returns.md", long_policy())])
        assert 1 <= llm.count_tokens("Damaged items are refunded.") <= 10  # the model's own tokenizer
        answer = workbench.assistant.ask("default", "How are damaged items and late deliveries refunded?")
    finally:
        workbench.close()
        llm.close()
    # Without the budget, four full passages (~600 tokens) overflow 512 and the answer falls back to evidence.
    assert answer.mode == "generated", answer.notice
    assert answer.text.strip()
    assert any(s.reference.get("budget", {}).get("action") in {"trimmed", "dropped"} for s in answer.sources)
    assert llm.last_reply.tokens <= 12
