"""The Vanna adapter: training data in Chroma and training_items, prompts to the LLM protocol,
generated SQL only through the runner, and Vanna's unguarded paths disabled."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, NotFound, UnsafeSQL, WorkbenchError
from core.sql.certified import parse_parameters
from core.sql.introspect import NoReadableTables, SchemaInfo
from core.sql.training import (BLOCKED_METHODS, TrainingInput, WorkbenchVanna, collection_purpose, length_groups,
                                training_id)
from tests.core.sql.test_service import TODAY, make_demo_workbench, plain
from tests.support.scripted_llm import ScriptedLLM

NO_PLAN = '{"unsupported": true, "reason": "the plan language cannot say it"}'


@pytest.fixture(scope="module")
def scripted(tmp_path_factory, embedder):
    """The trained demo with a scripted LLM standing in for a real model."""
    llm = ScriptedLLM()
    workbench = make_demo_workbench(tmp_path_factory.mktemp("sql-training"), embedder, llm=llm)
    yield workbench, llm
    workbench.close()


@pytest.fixture
def adapter(scripted):
    workbench, _ = scripted
    return workbench.sql._adapter(workbench.sql.connection("default"))


def test_vannas_unguarded_entry_points_are_disabled(adapter):
    assert isinstance(adapter, WorkbenchVanna)
    with pytest.raises(UnsafeSQL, match="read-only runner"):
        adapter.run_sql("SELECT 1")
    with pytest.raises(UnsafeSQL):
        adapter.ask("How many orders?")
    with pytest.raises(UnsafeSQL):
        adapter.connect_to_sqlite("demo.db")
    with pytest.raises(UnsafeSQL):
        adapter.connect_to_postgres(host="127.0.0.1")
    with pytest.raises(UnsafeSQL):
        adapter.get_plotly_figure(plotly_code="import os", df=None)
    with pytest.raises(UnsafeSQL):
        adapter.generate_plotly_code(question="q", sql="SELECT 1")
    with pytest.raises(UnsafeSQL):
        adapter.train(question="q", sql="SELECT 1")
    with pytest.raises(UnsafeSQL, match="cannot be replaced"):
        adapter.run_sql = lambda sql: None
    with pytest.raises(UnsafeSQL, match="intermediate"):
        adapter.generate_sql("How many orders?", allow_llm_to_see_data=True)
    assert adapter.run_sql_is_set is False
    assert {"connect_to_mysql", "connect_to_duckdb", "connect_to_bigquery"} <= BLOCKED_METHODS


def test_training_is_listed_stored_in_chroma_and_removable(scripted, adapter):
    workbench, _ = scripted
    sql = workbench.sql
    ddl = sql.training_items("default", kind="ddl")
    assert sorted(i.content.split()[2] for i in ddl) == ["complaints", "customers", "deliveries", "order_items",
                                                          "orders", "products"]
    assert sql.train_schema("default") and len(sql.training_items("default", kind="ddl")) == 6, "retraining replaces"
    store = workbench.vectors
    for kind in ("ddl", "documentation", "question_sql"):
        listed = {i.id for i in sql.training_items("default", kind=kind)}
        assert set(store.ids("default", collection_purpose(adapter.connection_id, kind))) == listed
    note = sql.add_documentation("default", "Gold customers have spent more than 100000 INR in total.")
    assert note.kind == "documentation" and note in sql.training_items("default", kind="documentation")
    assert sql.add_documentation("default", note.content).id == note.id, "the same note is not stored twice"
    sql.remove_training_item("default", note.id)
    assert note.id not in {i.id for i in sql.training_items("default")}
    assert note.id not in store.ids("default", collection_purpose(adapter.connection_id, "documentation"))
    with pytest.raises(NotFound):
        sql.remove_training_item("default", note.id)
    with pytest.raises(InvalidInput, match="empty"):
        sql.add_documentation("default", "   ")
    frame = adapter.get_training_data()
    assert set(frame["training_data_type"]) == {"ddl", "documentation", "question_sql"}


def test_generated_sql_uses_the_retrieved_context_and_runs_through_the_runner(scripted):
    workbench, llm = scripted
    # Rounding is beyond what the planner reads, so the question reaches the LLM.
    question = "What is the average unit price of products in each category, rounded to cents?"
    llm.enqueue(NO_PLAN)  # the model is first asked for a plan (tests/core/sql/test_llm_plan.py); rounding has none
    llm.enqueue("```sql\nSELECT category, ROUND(AVG(unit_price), 2) AS average_price FROM products "
                "GROUP BY category ORDER BY category;\n```")
    answer = workbench.sql.ask("default", question, today=TODAY)
    assert answer.source == "generated" and not answer.abstained
    assert answer.result.rows == tuple(plain(
        workbench, "SELECT category, ROUND(AVG(unit_price), 2) FROM products GROUP BY category ORDER BY category"))
    prompt = llm.last_call.prompt
    assert "CREATE TABLE products" in prompt and "unit_price REAL" in prompt, "the DDL is in the prompt"
    assert "Revenue is the sum of order_items.quantity" in prompt, "documentation notes are in the prompt"
    assert "What was the revenue by product category last month?" in prompt, "similar trained pairs are in the prompt"
    assert "Never write placeholders" in prompt
    assert llm.last_call.messages[-1].content == question
    entry = workbench.sql.history("default")[0]
    assert (entry.source, entry.question, entry.error) == ("generated", question, "")


def test_a_generated_drop_table_is_refused_and_changes_nothing(scripted, checksum):
    workbench, llm = scripted
    url = f"sqlite:///{workbench.settings.sql.demo_db_path}"
    before = checksum(url)
    llm.enqueue(NO_PLAN)
    llm.enqueue("DROP TABLE customers")
    with pytest.raises(UnsafeSQL, match="DROP") as refused:
        workbench.sql.ask("default", "Please delete the table of customers for me", today=TODAY)
    assert refused.value.sql == "DROP TABLE customers"
    assert checksum(url) == before
    assert plain(workbench, "SELECT COUNT(*) FROM customers")[0][0] > 0
    entry = workbench.sql.history("default")[0]
    assert entry.source == "generated" and entry.sql == "DROP TABLE customers" and "not allowed" in entry.error


def test_a_reply_that_is_not_sql_is_reported_not_run(scripted):
    workbench, llm = scripted
    llm.enqueue(NO_PLAN)
    llm.enqueue("I cannot answer that from the tables I was given.")
    with pytest.raises(WorkbenchError, match="did not write a SQL query"):
        workbench.sql.ask("default", "What is the capital of France?", today=TODAY)


def test_the_certified_path_comes_first_even_with_an_llm(scripted):
    workbench, llm = scripted
    calls_before = len(llm.calls)
    answer = workbench.sql.ask("default", "How many orders came from Chennai this week?", today=TODAY)
    assert answer.source == "certified" and len(llm.calls) == calls_before


def test_summary_and_follow_up_questions_come_from_the_llm(scripted):
    workbench, llm = scripted
    answer = workbench.sql.ask("default", "complaints by category this year", today=TODAY)
    llm.enqueue("Late deliveries are the most common complaint this year.")
    assert workbench.sql.summarize("default", answer) == "Late deliveries are the most common complaint this year."
    assert "late delivery" in llm.last_call.prompt, "the result table is in the prompt"
    llm.enqueue("1. Which carrier caused the late deliveries?\n2. How many complaints came by email?\n\n3. Which city complains most?")
    assert workbench.sql.follow_up_questions("default", answer) == [
        "Which carrier caused the late deliveries?", "How many complaints came by email?", "Which city complains most?"]


def test_training_belongs_to_one_connection(scripted):
    workbench, _ = scripted
    sql = workbench.sql
    copy = sql.add_connection("default", "demo-copy", f"sqlite:///{workbench.settings.sql.demo_db_path}")
    assert sql.training_items("default", copy) == []
    sql.add_documentation("default", "Only the copy knows this note.", connection=copy)
    assert "Only the copy knows this note." not in {i.content for i in sql.training_items("default")}
    sql.remove_connection("default", copy)
    assert workbench.vectors.ids("default", collection_purpose(copy.id, "documentation")) == []


def _stored(workbench, adapter):
    """Everything training left behind: the rows (without their timestamps) and the vector records."""
    rows = sorted((i.id, i.kind, i.question, i.content, i.parameters) for i in adapter.items())
    records = sorted((kind, r.id, r.text, tuple(sorted(r.metadata.items())))
                     for kind in ("ddl", "documentation", "question_sql")
                     for r in workbench.vectors.get("default", collection_purpose(adapter.connection_id, kind)))
    return rows, records


def test_batched_training_stores_exactly_what_adding_one_at_a_time_stored(workbench, sqlite_chinook, monkeypatch):
    sql = workbench.sql
    saved = sql.add_connection("default", "chinook", sqlite_chinook.url)
    adapter = sql._adapter(saved)
    schema = sql.schema("default", saved)
    parameters = parse_parameters("genre: Genre.Name")
    note = "  An invoice line's revenue is UnitPrice * Quantity.  "
    question = "How many tracks are in the  genre Rock?"
    pair_sql = "SELECT COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = :genre"

    ids = [adapter.add_ddl(table.ddl(), table=table.name) for table in schema.tables]
    ids += [adapter.add_documentation(note), adapter.add_question_sql(question, pair_sql, parameters=parameters)]
    one_at_a_time = _stored(workbench, adapter)
    adapter.remove_all()
    assert _stored(workbench, adapter) == ([], [])

    calls = []
    embed = adapter.embedder.embed
    monkeypatch.setattr(adapter.embedder, "embed", lambda texts: calls.append(len(texts)) or embed(texts))
    batched = adapter.add_many([TrainingInput.ddl(table.ddl(), table.name) for table in schema.tables]
                               + [TrainingInput.documentation(note),
                                  TrainingInput.question_sql(question, pair_sql, parameters)])
    count = len(schema.tables) + 2
    assert sum(calls) == count and len(calls) <= count // 2, "a few embedding calls for the whole batch"
    assert batched == ids and _stored(workbench, adapter) == one_at_a_time, "same ids, texts, metadata and rows"
    for kind in ("ddl", "documentation", "question_sql"):
        purpose = collection_purpose(adapter.connection_id, kind)
        for record in workbench.vectors.get("default", purpose):
            nearest = workbench.vectors.query("default", purpose, embed([record.text])[0], 1)[0]
            assert nearest.id == record.id and nearest.distance < 1e-4, "the vector is the text's own embedding"


def test_train_schema_replaces_forgets_and_refuses_an_empty_schema(workbench, sqlite_chinook):
    sql = workbench.sql
    saved = sql.add_connection("default", "chinook", sqlite_chinook.url)
    adapter = sql._adapter(saved)
    schema = sql.schema("default", saved)
    trained = adapter.train_schema(schema)
    assert sorted(i.content.split()[2] for i in trained) == sorted(t.name for t in schema.tables)
    assert [i.id for i in adapter.train_schema(schema)] == [i.id for i in trained], "retraining replaces"
    fewer = SchemaInfo(schema.dialect, schema.tables[1:], scope=schema.scope)
    assert {i.id for i in adapter.train_schema(fewer)} == {i.id for i in trained} - {
        training_id(saved.id, "ddl", schema.tables[0].name)}, "a table that is gone is forgotten"
    assert len(workbench.vectors.ids("default", collection_purpose(saved.id, "ddl"))) == len(schema.tables) - 1
    before = _stored(workbench, adapter)
    with pytest.raises(NoReadableTables, match="has no tables or views"):
        adapter.train_schema(SchemaInfo("sqlite", (), scope=schema.scope))
    assert _stored(workbench, adapter) == before, "a refused training keeps what was trained"


def test_one_bad_item_fails_the_whole_batch_before_anything_is_stored(workbench, sqlite_chinook):
    adapter = workbench.sql._adapter(workbench.sql.add_connection("default", "chinook", sqlite_chinook.url))
    with pytest.raises(InvalidInput, match="empty"):
        adapter.add_many([TrainingInput.documentation("A fine note."), TrainingInput.documentation("  ")])
    with pytest.raises(InvalidInput, match="needs the question"):
        adapter.add_many([TrainingInput.question_sql(" ", "SELECT 1")])
    assert adapter.items() == []
    same = TrainingInput.documentation("Same note.")
    first, again = adapter.add_many([same, same])
    assert first == again and [i.id for i in adapter.items()] == [first], "the same key twice is one item"
    assert adapter.add_many([]) == []


def test_texts_are_embedded_in_groups_of_similar_length():
    lengths = [1662, 106, 842, 197, 436, 247, 1386, 267, 334, 365, 464]  # Chinook's DDL, in characters
    groups = length_groups(["x" * n for n in lengths])
    assert sorted(i for group in groups for i in group) == list(range(len(lengths)))
    flat = [lengths[i] for group in groups for i in group]
    assert flat == sorted(lengths), "shortest first"
    assert all(len(group) * max(lengths[i] for i in group) <= 2000 or len(group) == 1 for group in groups)
    assert [len(group) for group in groups] == [5, 3, 1, 1, 1]
    assert length_groups([]) == []
