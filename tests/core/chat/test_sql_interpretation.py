"""A database source in the chat carries the plan it was read as: in its reference (for the doors that
return JSON), at the head of its text (for a prompt) and in the evidence-mode answer, and a stored
conversation keeps it."""

from __future__ import annotations


def test_a_planned_database_source_carries_its_plan_and_interpretation(chinook_chat):
    question = "How many tracks are in the Jazz genre?"
    expected = chinook_chat.sql.ask(question)
    answer = chinook_chat.chat.ask(question, conversation_id="plan-1")
    source = next(s for s in answer.sources if s.kind == "sql")
    assert source.reference["plan"] == expected.plan and "Jazz" in expected.interpretation
    assert source.text.startswith(f"Read as: {expected.interpretation}\n")
    assert "(read as: number of Track" in answer.text and "Jazz" in answer.text
    stored = next(m for m in chinook_chat.chat.messages("plan-1") if m.role == "assistant")
    assert next(s for s in stored.sources if s.kind == "sql").reference["plan"] == expected.plan
