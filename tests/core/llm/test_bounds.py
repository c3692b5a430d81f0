"""Reply caps per task, call bounds, and the availability cache every provider shares."""

from __future__ import annotations

import pytest

from core.errors import ConfigError, InvalidInput
from core.llm.bounds import AvailabilityCache, call_bounds, reply_options
from core.settings import LLM_TASKS, Settings
from tests.conftest import clean_env
from tests.support.scripted_llm import ScriptedLLM


class Provider:
    def __init__(self, settings):
        self.settings = settings


def llm_section(**env):
    return Settings.from_env(clean_env(), AW_DATA_DIR="/nonexistent-aw-test", **env).llm


def test_each_task_has_its_own_configurable_cap_and_small_tasks_stay_small():
    section = llm_section(AW_LLM_MAX_TOKENS_ROUTE="40", AW_LLM_MAX_TOKENS_ANSWER="300")
    caps = {task: reply_options(Provider(section), task)["max_tokens"] for task in LLM_TASKS}
    assert caps == {"answer": 300, "extract": 1536, "sql": 512, "summary": 256, "route": 40, "rewrite": 96}
    defaults = {task: reply_options(ScriptedLLM(), task)["max_tokens"] for task in LLM_TASKS}  # no settings: defaults
    assert max(defaults[t] for t in ("route", "rewrite", "summary")) < min(defaults[t] for t in ("answer", "extract"))
    assert reply_options(ScriptedLLM(), "extract", temperature=0) == {"max_tokens": 1536, "temperature": 0}
    with pytest.raises(ConfigError, match="Unknown LLM task 'poem'"):
        reply_options(ScriptedLLM(), "poem")
    with pytest.raises(ConfigError, match="AW_LLM_MAX_TOKENS_SQL is invalid"):
        llm_section(AW_LLM_MAX_TOKENS_SQL="0")


def test_a_call_naming_no_cap_gets_the_answer_cap_and_may_only_shorten_the_time_limit():
    section = llm_section(AW_LLM_TIMEOUT="30")
    plain = call_bounds(None, section)
    assert (plain.max_tokens, plain.timeout, plain.rest) == (1024, 30.0, {})
    asked = call_bounds({"max_tokens": 7, "timeout_seconds": 5, "seed": 1}, section)
    assert (asked.max_tokens, asked.timeout, asked.rest) == (7, 5.0, {"seed": 1})
    assert call_bounds({"timeout_seconds": 600}, section).timeout == 30.0
    for bad in ({"max_tokens": 0}, {"max_tokens": "many"}, {"max_tokens": True}, {"timeout_seconds": -1}):
        with pytest.raises(InvalidInput):
            call_bounds(bad, section)


def test_availability_is_probed_once_per_ttl_and_a_failure_is_remembered():
    now = [100.0]
    asked = []
    cache = AvailabilityCache(10, clock=lambda: now[0])

    def probe():
        asked.append(now[0])
        return True, "up"

    assert [cache.get(probe) for _ in range(5)] == [(True, "up")] * 5
    assert asked == [100.0] and cache.probes == 1
    cache.mark_down("the server went away mid-answer")
    assert cache.get(probe) == (False, "the server went away mid-answer") and len(asked) == 1
    now[0] += 11
    assert cache.get(probe) == (True, "up") and asked == [100.0, 111.0]
