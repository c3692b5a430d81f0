"""The assistant on a real model (SmolLM2-135M through the llamacpp provider): bounded, cited, stoppable."""

from __future__ import annotations

import re

import pytest

from core.ingest.pipeline import Upload
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env
from tests.support.real_llm import model_env, smollm2_path

POLICY = b"# Returns policy\n\n## Damaged items\n\nDamaged items are refunded in full within 7 days of delivery.\n"


@pytest.fixture(scope="module")
def real(tmp_path_factory, embedder):
    from core.registry import build_chosen

    # Small caps keep the tiny model fast; extraction's cap cuts its JSON short, so ingestion also proves the fallback.
    env = model_env(smollm2_path(), AW_LLM_MAX_TOKENS_ANSWER="24", AW_LLM_MAX_TOKENS_EXTRACT="48",
                    AW_LLM_MAX_TOKENS_ROUTE="128", AW_LLM_AVAILABILITY_TTL="60")
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path_factory.mktemp("real-llm")), **env)
    llm = build_chosen("llm", settings)
    workbench = build_workbench(settings, embedder=embedder, llm=llm)
    results = workbench.workspace().ingest([Upload("returns.md", POLICY)])
    assert all(r.status == "ingested" for r in results), results
    yield workbench, llm
    workbench.close()


def test_a_generated_answer_is_bounded_cites_only_real_sources_and_probes_once(real):
    workbench, llm = real
    probes = llm._availability.probes

    answer = workbench.assistant.ask("default", "How are damaged items refunded?")

    assert answer.mode == "generated" and answer.text.strip()
    assert llm.last_reply.tokens <= 24  # AW_LLM_MAX_TOKENS_ANSWER, whatever the model wanted to say
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert cited <= set(range(1, len(answer.sources) + 1))
    assert llm._availability.probes - probes <= 1  # one answer, at most one probe of the provider


def test_a_reader_that_stops_early_stops_generation(real):
    workbench, llm = real
    stream = workbench.assistant.ask_stream("default", "Tell me everything about the returns policy.")
    first = next(piece for piece in stream if isinstance(piece, str))
    stream.close()

    assert first
    assert llm.last_reply.ended in {"closed", "length", "stop"}
    assert llm.last_reply.ended == "closed" or llm.last_reply.tokens <= 24
