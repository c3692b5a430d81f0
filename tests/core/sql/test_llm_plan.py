"""With an LLM, the model proposes a plan as JSON, checked against the semantic model and compiled like any
plan; a plan that does not fit falls back to model-written SQL labelled as not verified. A scripted model
proves each path exactly; the real tiny model (SmolLM2 through llamacpp) proves the contract on real output."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from core.errors import WorkbenchError
from core.settings import Settings
from core.workbench import build_workbench
from tests.conftest import clean_env
from tests.support.real_llm import model_env, smollm2_path
from tests.support.scripted_llm import ScriptedLLM

TODAY = dt.date(2026, 1, 15)
# The planner abstains on this wording ("customers who are our most loyal" is not in the schema), so the
# question reaches the model.
QUESTION = "Which of our loyal patrons are in Brazil?"


def scripted_workbench(tmp_path, embedder, sqlite_chinook, *replies):
    llm = ScriptedLLM(*replies)
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"))
    workbench = build_workbench(settings, embedder=embedder, llm=llm)
    workbench.workspace().sql.add_connection("chinook", sqlite_chinook.url)
    return workbench, llm


def plain(sqlite_chinook, sql):
    with sqlite3.connect(f"file:{sqlite_chinook.url.removeprefix('sqlite:///')}?mode=ro", uri=True) as db:
        return db.execute(sql).fetchall()


def test_a_plan_from_the_model_is_checked_compiled_and_labelled(tmp_path, embedder, sqlite_chinook):
    proposed = {"measure": {"kind": "list", "table": "Customer"},
                "filters": [{"column": "Customer.Country", "op": "=", "value": "Brazil"}]}
    workbench, llm = scripted_workbench(tmp_path, embedder, sqlite_chinook, json.dumps(proposed))
    try:
        answer = workbench.workspace().sql.ask(QUESTION, today=TODAY)
    finally:
        workbench.close()
    assert answer.source == "llm_planned"
    assert "Customer.Country is 'Brazil'" in answer.interpretation
    ids = sorted(row[0] for row in answer.result.rows)
    assert ids == sorted(r[0] for r in plain(sqlite_chinook, "SELECT CustomerId FROM Customer WHERE Country = 'Brazil'"))
    call = llm.calls[0]
    assert "Customer.Country" in call.json_schema["properties"]["filters"]["items"]["properties"]["column"]["enum"]
    assert "revenue" in call.prompt and "InvoiceLine" in call.prompt, "tables and derived metrics are in the prompt"


@pytest.mark.parametrize(("proposed", "reason"), [
    ({"measure": {"kind": "sum", "table": "Customer", "column": "Customer.Country"}}, "not a number"),
    ({"measure": {"kind": "count", "table": "Customer"},
      "filters": [{"column": "Customer.Country", "op": "=", "value": "Atlantis"}]}, "does not hold"),
    ({"measure": {"kind": "count", "table": "Customer"}, "group_by": [{"table": "Track"}]}, "counting rows twice"),
    ({"unsupported": True, "reason": "needs a ratio"}, "needs a ratio"),
])
def test_a_plan_that_does_not_fit_falls_back_to_sql_marked_not_verified(tmp_path, embedder, sqlite_chinook,
                                                                         proposed, reason):
    workbench, llm = scripted_workbench(tmp_path, embedder, sqlite_chinook, json.dumps(proposed),
                                        "SELECT COUNT(*) FROM Customer WHERE Country = 'Brazil'")
    try:
        answer = workbench.workspace().sql.ask(QUESTION, today=TODAY)
    finally:
        workbench.close()
    assert answer.source == "generated"
    assert reason in answer.message and "not verified" in answer.message
    assert len(llm.calls) == 2, "one plan, then one SQL"


def test_a_reply_that_is_not_json_falls_back_too(tmp_path, embedder, sqlite_chinook):
    workbench, _llm = scripted_workbench(tmp_path, embedder, sqlite_chinook, "Sure! Here is the plan: customers",
                                         "SELECT COUNT(*) FROM Customer")
    try:
        answer = workbench.workspace().sql.ask(QUESTION, today=TODAY)
    finally:
        workbench.close()
    assert answer.source == "generated" and "not valid JSON" in answer.message


def test_the_real_tiny_model_either_gives_a_checked_plan_or_falls_back(tmp_path, embedder, sqlite_chinook):
    from core.registry import build_chosen

    env = model_env(smollm2_path(), AW_LLM_MAX_TOKENS_SQL="160", AW_LLM_AVAILABILITY_TTL="60")
    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"), **env)
    llm = build_chosen("llm", settings)
    workbench = build_workbench(settings, embedder=embedder, llm=llm)
    try:
        sql = workbench.workspace().sql
        sql.add_connection("chinook", sqlite_chinook.url)
        try:
            answer = sql.ask(QUESTION, today=TODAY)
        except WorkbenchError as refused:  # the model's SQL refused by the guard or the parser: a clear error
            assert str(refused)
            return
    finally:
        workbench.close()
    assert answer.source in {"llm_planned", "generated"}
    if answer.source == "llm_planned":
        assert answer.interpretation and answer.planned is not None  # names all came from the schema's enums
    else:
        assert "not verified" in answer.message


def test_the_sql_prompt_fits_the_context_counted_with_the_models_own_tokenizer(tmp_path, embedder, sqlite_chinook):
    from core.registry import build_chosen

    settings = Settings.from_env(clean_env(), AW_DATA_DIR=str(tmp_path / "data"),
                                 **model_env(smollm2_path(), AW_LLM_NUM_CTX="1024"))
    llm = build_chosen("llm", settings)
    workbench = build_workbench(settings, embedder=embedder, llm=llm)
    try:
        sql = workbench.workspace().sql
        saved = sql.add_connection("chinook", sqlite_chinook.url)
        ddls = [item.content for item in sql.train_schema(saved)]
        adapter = workbench.sql._adapter(saved)
        messages = adapter.get_sql_prompt(None, QUESTION, [], ddls, [])
        context = messages[0].content.split("===Response Guidelines")[0]  # what Vanna trims to its budget
        budget = int(1024 * 0.6)  # the workbench gives SQL prompts 60% of the context
        assert sum(llm.count_tokens(ddl) for ddl in ddls) > budget  # the whole schema would not fit
        assert llm.count_tokens(context) <= budget  # counted with SmolLM2's tokenizer, not 4 characters a token
        kept = [ddl for ddl in ddls if ddl in context]
        assert 0 < len(kept) < len(ddls)
    finally:
        workbench.close()
