"""Ask the Database: connections, schema browser, training, questions in plain language, SQL, history."""

from __future__ import annotations


import streamlit as st

from core.errors import WorkbenchError
from core.sql.charts import altair_chart, metric_value
from core.text_safety import escape_markdown, safe_markdown
from ui import ask_flow, plan_chips, semantic_tab
from ui.state import current_workspace, show_error, take_sql_handoff

database = current_workspace().sql
workspace = database.workspace
st.title("Ask the Database")
if database.allow_privileged:
    st.warning("AW_SQL_ALLOW_PRIVILEGED is on: connections may use roles that can write or read server files. "
               "Only the read-only transaction and the query check stand between a mistake and your data.",
               icon=":material/warning:")

try:
    connections = database.connections()
except WorkbenchError as exc:
    show_error(exc)
    connections = []
names = [c.name for c in connections]
state = st.session_state
handoff = take_sql_handoff()  # "Open in Ask the Database" on the Chat page: before the widgets it fills are drawn
if handoff is not None:
    ask_flow.open_handoff(database, state, workspace, handoff, names)
default_index = next((i for i, c in enumerate(connections) if c.is_default), 0)
connection = None
if names:
    chosen = st.selectbox("Database", names, index=ask_flow.selected_index(state, names, default_index),
                          key=ask_flow.CONNECTION)
    connection = next(c for c in connections if c.name == chosen)
    st.caption(f"Workspace **{workspace}** · `{connection.url}` · {connection.dialect} · always read-only")
else:
    st.info("No database is connected in this workspace yet: add one in the Connections tab.")

ask_tab, schema_tab, model_tab, training_tab, history_tab, connections_tab = st.tabs(
    ["Ask", "Schema", "Semantic model", "Training", "History", "Connections"])
MAX_CELL_CHARS = 2000


def _remember_error(exc: WorkbenchError) -> None:
    ask_flow.show_error(state, exc, keep_base=True)


def ask_question() -> None:
    ask_flow.ask(database, state, workspace)


def ask_closest(question: str) -> None:
    ask_flow.ask(database, state, workspace, question)


def change_plan(change, *args) -> None:
    ask_flow.change_plan(database, state, workspace, change, *args)


def change_from_widget(change, widget_key: str) -> None:
    change_plan(change, state.get(widget_key))


def run_editor() -> None:
    ask_flow.run_editor(database, state, workspace)


def save_as_correct(question: str, sql: str, plan=None) -> None:
    state.pop("sql_error", None)
    try:
        database.save_as_correct(question, sql, connection=state.get("sql_connection"), plan=plan)
        state["sql_notice"] = f"Saved as correct: {question!r} is now a trained question."
    except WorkbenchError as exc:
        _remember_error(exc)


def record_feedback(history_id: str) -> None:
    choice = state.get(f"sql_feedback_{history_id}")
    try:
        database.record_feedback(history_id, 0 if choice is None else (1 if choice == 1 else -1))
    except WorkbenchError as exc:
        _remember_error(exc)


def render_chips(row: plan_chips.ChipRow) -> None:
    """One chip per part of the plan: an x removes a part, the inputs change the period or the N."""
    with st.container(horizontal=True, vertical_alignment="center", key="sql_chips"):
        for chip in row.chips:
            label = escape_markdown(chip.label)  # labels hold column names and data values
            if chip.removable:
                st.button(label, key=f"sql_chip_{row.widget_id}_{chip.key}", icon=":material/close:",
                          on_click=change_plan, args=(plan_chips.remove_part, chip.key),
                          help="Remove this part and run the plan again")
            else:
                st.badge(label, color="gray")
    if not row.period and row.limit is None:
        return
    col_period, col_limit = st.columns([3, 1])
    if row.period:
        period_key = f"sql_chip_period_{row.widget_id}"
        col_period.text_input("Another period", key=period_key, placeholder="e.g. 2023, Q2 2024, March 2023, last quarter",
                              help=f"Now: {escape_markdown(row.period)}", on_change=change_from_widget,
                              args=(plan_chips.change_period, period_key))
    if row.limit is not None:
        limit_key = f"sql_chip_limit_{row.widget_id}"
        col_limit.number_input("Top N", min_value=1, step=1, value=row.limit, key=limit_key,
                               on_change=change_from_widget, args=(plan_chips.change_limit, limit_key))


def render_answer(answer) -> None:
    if answer.abstained:
        st.warning(answer.message, icon=":material/help:")
        if answer.suggestions:
            st.markdown("**Did you mean …?**")
            for index, (question, meaning) in enumerate(answer.suggestions):
                st.button(escape_markdown(question), key=f"sql_suggestion_{index}", on_click=ask_closest,
                          args=(question,), help=f"Read as: {escape_markdown(meaning)}")
        if answer.closest:
            st.markdown("**Questions this database can answer:**")
            for index, question in enumerate(answer.closest):
                st.button(question, key=f"sql_closest_{index}", on_click=ask_closest, args=(question,))
        return
    result = answer.result
    if answer.source == "certified":
        st.success(ask_flow.certified_label(answer), icon=":material/verified:")
    elif answer.source == "planned":
        st.info(f"Read from the question over the database's schema: {escape_markdown(answer.interpretation)}. "
                "Change a part below to run it again; check the SQL; Save as correct to certify it.",
                icon=":material/account_tree:")
    elif answer.source == "llm_planned":
        st.warning(f"Read by the model as a plan over the database's schema: {escape_markdown(answer.interpretation)}. "
                   "The plan was checked against the schema, but check that it is what you asked.",
                   icon=":material/psychology:")
    elif answer.source == "generated":
        st.warning("SQL written by the model, not verified: check it before relying on it. "
                   + escape_markdown(answer.message), icon=":material/warning:")
    else:
        st.caption(f"Your SQL ({answer.source}).")
    if answer.described:
        st.caption(" · ".join(f"{name}: {value}" for name, value in answer.described.items()))
    row = plan_chips.chip_row(answer)
    if row is not None:
        render_chips(row)
    if state.get("sql_chip_error") is not None:
        show_error(state["sql_chip_error"])  # the change was refused or failed: no stale result under it
        return
    chart = answer.chart
    if chart.kind == "metric":
        st.metric(chart.y, metric_value(result, chart))
    elif chart.drawable:
        st.altair_chart(altair_chart(result, chart), width="stretch")
    # A cell of megabytes would stall the browser; the CSV download keeps every value whole.
    st.dataframe(result.to_frame(max_cell_chars=MAX_CELL_CHARS), hide_index=True, width="stretch")
    rows = f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''} in {result.elapsed * 1000:.0f} ms"
    if result.truncated:
        cut = result.truncated_reason or "more rows than the row cap (AW_SQL_ROW_CAP)"
        st.warning(f"{rows}: the result was cut because it had {cut}.")
    else:
        st.caption(rows)
    col_csv, col_feedback = st.columns([1, 1])
    col_csv.download_button("Download CSV", result.to_frame().to_csv(index=False), file_name="result.csv",
                            mime="text/csv", key="sql_csv")
    with col_feedback:
        st.feedback("thumbs", key=f"sql_feedback_{answer.history_id}", on_change=record_feedback,
                    args=(answer.history_id,))


def render_semantic_model(connection) -> None:
    """What questions are read over, and the analyst's YAML additions with their versions (ui.semantic_tab)."""
    st.markdown(semantic_tab.EXPLANATION)
    connection_id = connection.id  # the selected database, as every other tab uses it
    try:
        model = database.semantic_model(connection)
        versions = database.semantic_versions(connection)
        saved_text = database.semantic_yaml(connection)
    except WorkbenchError as exc:
        show_error(exc)
        return
    problem = semantic_tab.saved_problem(database, connection_id, versions)
    if problem:
        st.warning(problem, icon=":material/warning:")
    in_use = f"version {versions[0].version}" if versions and not problem else "no additions"
    with st.expander(f"What questions are read over ({in_use}): {len(model.entities)} tables, "
                     f"{len(model.metrics)} metrics", expanded=True):
        st.dataframe(semantic_tab.metric_rows(model), hide_index=True, width="stretch")
        if model.synonyms:
            st.dataframe(semantic_tab.synonym_rows(model), hide_index=True, width="stretch")
        st.dataframe(semantic_tab.table_rows(model), hide_index=True, width="stretch")
    semantic_tab.prepare_editor(state, connection_id, saved_text)
    st.text_area("Your additions (YAML)", key=semantic_tab.editor_key(connection_id), height=320,
                 on_change=semantic_tab.remember_draft, args=(state, connection_id))
    col_check, col_save, col_download = st.columns([1, 1, 1])
    col_check.button("Check", key=f"sql_model_check_{connection_id}", on_click=semantic_tab.check,
                     args=(database, state, connection_id))
    col_save.button("Save as new version", type="primary", key=f"sql_model_save_{connection_id}",
                    on_click=semantic_tab.save, args=(database, state, connection_id),
                    help="Checked first: a text with a problem is not saved and stays here with the reason.")
    col_download.download_button("Download YAML", saved_text, key=f"sql_model_download_{connection_id}",
                                 file_name=semantic_tab.download_name(workspace, connection.name),
                                 mime="application/yaml", on_click="ignore",
                                 help="The newest saved version (the starting file when nothing is saved yet).")
    outcome = state.get(semantic_tab.outcome_key(connection_id))
    if outcome is not None:
        (st.success if outcome.ok else st.error)(outcome.message)
    st.subheader(f"Versions ({len(versions)})")
    if not versions:
        st.caption("Nothing saved yet: questions are read over what is derived from the schema.")
    for number, version in enumerate(versions):
        col_text, col_load = st.columns([5, 1])
        newest = " · newest, in use" if number == 0 and not problem else ""
        with col_text.expander(f"Version {version.version} · {version.created_at.replace('T', ' ')[:19]}{newest}"):
            st.code(version.content, language="yaml")
        col_load.button("Load into editor", key=f"sql_model_load_{connection_id}_{version.version}",
                        on_click=semantic_tab.load_version, args=(database, state, connection_id, version.version))


with ask_tab:
    if connection is not None:
        llm_ready, llm_reason = database.llm_status()
        if not llm_ready:
            st.caption(f"Answers come from certified questions and your SQL. {llm_reason}")
        st.text_input("Question", key="sql_question", placeholder="e.g. How many orders came from Chennai this week?")
        st.button("Ask", type="primary", key="sql_ask", on_click=ask_question)
        if state.get(ask_flow.NOTICE):
            st.success(state.pop(ask_flow.NOTICE))
        if state.get(ask_flow.NOTE):
            st.info(state.pop(ask_flow.NOTE), icon=":material/info:")
        shown = ask_flow.result_area(state, workspace, connection.name)
        answer = shown.answer  # None while an error holds the result area
        if shown.error is not None:
            show_error(shown.error)
        elif answer is not None:
            render_answer(answer)
        st.text_area("SQL", key="sql_editor", height=160, help="Edit and run again, or write your own read-only query.")
        col_run, col_save = st.columns([1, 1])
        col_run.button("Run SQL", key="sql_run", on_click=run_editor)
        if answer is not None and answer.question and answer.result is not None and answer.source != "certified":
            col_save.button("Save as correct", key="sql_save", on_click=save_as_correct,
                            args=(answer.question, answer.sql, answer.planned),
                            help="Train this question with the SQL that produced the result above.")
        if llm_ready and answer is not None and answer.result is not None:
            if st.button("Summarize and suggest follow-up questions", key="sql_llm_extras"):
                try:
                    state["sql_extras"] = (database.summarize(answer),
                                           database.follow_up_questions(answer))
                except WorkbenchError as exc:
                    show_error(exc)
            if state.get("sql_extras"):
                summary, follow_ups = state["sql_extras"]
                # Model text can carry image Markdown; labels render Markdown (images included) too.
                st.markdown(safe_markdown(summary))
                for index, question in enumerate(follow_ups):
                    st.button(escape_markdown(question), key=f"sql_follow_up_{index}", on_click=ask_closest,
                              args=(question,))

with schema_tab:
    if connection is not None:
        refresh = st.button("Refresh schema", key="sql_schema_refresh")
        try:
            schema = database.schema(connection, refresh=refresh)
        except WorkbenchError as exc:
            show_error(exc)
        else:
            st.caption(f"{len(schema.tables)} tables and views" + (" (first ones only)" if schema.truncated else ""))
            for table in schema.tables:
                count = "?" if table.row_count is None else f"{table.row_count:,}"
                with st.expander(f"{table.name} · {count} rows" + (" · view" if table.kind == "view" else "")):
                    keys = {c: f"→ {fk.referred_table}.{r}" for fk in table.foreign_keys
                            for c, r in zip(fk.columns, fk.referred_columns)}
                    st.dataframe([{"column": c.name, "type": c.type, "key": ("PK " if c.primary_key else "") + keys.get(c.name, ""),
                                   "nullable": c.nullable, "values": ", ".join(c.values)} for c in table.columns],
                                 hide_index=True, width="stretch")
                    if table.note:
                        st.caption(table.note)

with model_tab:
    if connection is not None:
        render_semantic_model(connection)

with training_tab:
    if connection is not None:
        if st.button("Train the schema (one DDL item per table)", key="sql_train_schema"):
            try:
                st.success(f"Trained {len(database.train_schema(connection))} tables.")
            except WorkbenchError as exc:
                show_error(exc)
        with st.form("sql_doc_form", clear_on_submit=True):
            note = st.text_area("Documentation note", key="sql_doc_note",
                                placeholder="e.g. A late delivery is delivered_date > promised_date.")
            if st.form_submit_button("Add note"):
                try:
                    database.add_documentation(note, connection=connection)
                    st.success("Note added.")
                except WorkbenchError as exc:
                    show_error(exc)
        with st.form("sql_pair_form"):
            question = st.text_input("Question", key="sql_pair_question",
                                     placeholder="e.g. How many orders came from Chennai this week?")
            sql_text = st.text_area("SQL", key="sql_pair_sql", placeholder="SELECT COUNT(*) FROM orders ... WHERE c.city = :city")
            parameters = st.text_area("Parameters (one per line)", key="sql_pair_params",
                                      placeholder="city: customers.city\nperiod: dates | default: all time\nlimit: number | default: 10",
                                      help="A value of a column, a period bound to :start and :end, or a number.")
            if st.form_submit_button("Add question/SQL pair"):
                try:
                    database.add_question_sql(question, sql_text, parameters=parameters, connection=connection)
                    st.success("Question/SQL pair added.")
                except WorkbenchError as exc:
                    show_error(exc)
        items = database.training_items(connection)
        st.subheader(f"Training data ({len(items)})")
        labels = {"ddl": "Table", "documentation": "Note", "question_sql": "Question"}
        for item in items:
            col_text, col_remove = st.columns([6, 1])
            title = item.question or item.content.splitlines()[0][:120]
            with col_text.expander(f"{labels[item.kind]}: {title}"):
                st.code(item.content, language="sql" if item.kind != "documentation" else None)
                for parameter in item.parameters:
                    st.caption(parameter.describe())
            if col_remove.button("Remove", key=f"sql_remove_{item.id}"):
                try:
                    database.remove_training_item(item.id, connection=connection)
                except WorkbenchError as exc:
                    show_error(exc)
                else:
                    st.rerun()

with history_tab:
    entries = database.history()
    if not entries:
        st.info("No queries yet.")
    else:
        st.dataframe([{"when": e.created_at.replace("T", " ")[:19], "source": e.source, "question": e.question,
                       "sql": e.sql, "rows": e.row_count, "error": e.error,
                       "feedback": {1: "👍", -1: "👎"}.get(e.feedback, "")} for e in entries],
                     hide_index=True, width="stretch")

with connections_tab:
    if state.get("sql_conn_notice"):
        st.success(state.pop("sql_conn_notice"))
    if connections:
        st.dataframe([{"name": c.name, "url": c.url, "engine": c.dialect, "default": c.is_default} for c in connections],
                     hide_index=True, width="stretch")
    if connection is not None:
        col_test, col_default, col_remove = st.columns(3)
        if col_test.button(f"Test {connection.name}", key="sql_conn_test"):
            try:
                st.success(database.test_connection(connection))
            except WorkbenchError as exc:
                show_error(exc)
        if col_default.button("Make default", key="sql_conn_default", disabled=connection.is_default):
            try:
                database.set_default_connection(connection)
            except WorkbenchError as exc:
                show_error(exc)
            else:
                st.rerun()
        if col_remove.button(f"Remove {connection.name}", key="sql_conn_remove"):
            state["sql_confirm_remove"] = connection.id
        if state.get("sql_confirm_remove") == connection.id:
            st.warning(f"Remove **{connection.name}** with its training data? Query history stays.")
            if st.button("Yes, remove", type="primary", key="sql_conn_remove_yes"):
                try:
                    database.remove_connection(connection)
                except WorkbenchError as exc:
                    show_error(exc)
                else:
                    state.pop("sql_confirm_remove", None)
                    state["sql_conn_notice"] = f"Removed {connection.name}."
                    st.rerun()
    with st.form("sql_add_connection", clear_on_submit=True):
        st.markdown("**Add a connection** (tested before it is saved)")
        new_name = st.text_input("Name", key="sql_conn_name", placeholder="e.g. sales")
        new_url = st.text_input("SQLAlchemy URL", key="sql_conn_url",
                                placeholder="postgresql+psycopg://analyst@db:5432/sales · mysql+pymysql://... · sqlite:////path/file.db")
        new_password = st.text_input("Password", key="sql_conn_password", type="password",
                                     help="Stored apart from the URL in a file only you can read; never shown again.")
        make_default = st.checkbox("Make it the default", key="sql_conn_make_default")
        if st.form_submit_button("Test and save"):
            try:
                saved = database.add_connection(new_name, new_url, password=new_password or None,
                                               make_default=make_default)
            except WorkbenchError as exc:
                show_error(exc)
            else:
                state["sql_conn_notice"] = f"Connected and saved {saved.name} ({saved.url})."
                st.rerun()
