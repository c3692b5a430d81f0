"""Chat: one assistant over documents, graph and database, with numbered, expandable sources."""

from __future__ import annotations

import uuid

import streamlit as st

from core.errors import WorkbenchError
from core.records import Answer
from core.text_safety import escape_markdown, safe_markdown
from ui.state import current_workspace, hand_off_document, hand_off_graph_entity, hand_off_sql, show_error

chat = current_workspace().chat
workspace = chat.workspace
CHAT_KEY = f"chat_id::{workspace}"  # each workspace keeps its own current conversation

st.title("Chat")

generation_on, reason = chat.generation_status()
if not generation_on:
    st.info(f"Evidence mode: {reason} Answers show the retrieved passages, graph facts and query results.", icon=":material/info:")

if CHAT_KEY not in st.session_state:
    st.session_state[CHAT_KEY] = f"st-{uuid.uuid4()}"

col_new, col_past = st.columns([1, 3])
if col_new.button("New chat", icon=":material/add:"):
    st.session_state[CHAT_KEY] = f"st-{uuid.uuid4()}"
    st.rerun()
past = [c for c in chat.conversations(user_id="streamlit") if c.messages]
if past:
    labels = {c.id: f"{c.title[:60] or 'Untitled'} · {c.messages // 2} question(s) · {c.updated_at[:16].replace('T', ' ')}" for c in past}
    current = st.session_state[CHAT_KEY]
    options = list(labels) if current in labels else [current, *labels]
    labels.setdefault(current, "Current chat (new)")
    chosen = col_past.selectbox("Past chats", options, index=options.index(current), format_func=labels.get)
    if chosen != current:
        st.session_state[CHAT_KEY] = chosen
        st.rerun()

conversation_id = st.session_state[CHAT_KEY]


def open_source(source, question: str) -> None:
    """Jump to the page that shows a source in full (``question``: what was asked, for the database's page)."""
    ref = source.reference
    if source.kind == "passage":
        hand_off_document(ref.get("document_id"))
        st.switch_page("pages/documents.py")
    elif source.kind == "graph":
        hand_off_graph_entity(ref.get("subject_key"))
        st.switch_page("pages/knowledge_graph.py")
    elif source.kind == "sql":
        hand_off_sql(ref.get("sql", ""), ref.get("connection", ""), question)
        st.switch_page("pages/ask_database.py")


def render_sources(message_key: str, sources, question: str) -> None:
    if not sources:
        return
    with st.expander(f"Sources ({len(sources)})"):
        for source in sources:
            st.markdown(f"**[{source.index}] {escape_markdown(source.title)}**")
            fitted = source.reference.get("budget") or {}  # set when the prompt had to be cut to fit the model
            if fitted:
                st.caption("left out to fit the model" if fitted.get("action") == "dropped" else "shortened to fit the model")
            if source.kind == "sql":
                plan = source.reference.get("plan")  # how the question was read; absent for certified or typed SQL
                if plan:
                    st.caption(f"Read as: {escape_markdown(plan.get('interpretation', ''))}")
                st.code(source.reference.get("sql", ""), language="sql")
                st.dataframe({c: [r[i] for r in source.reference.get("rows", [])] for i, c in enumerate(source.reference.get("columns", []))}, hide_index=True)
            else:
                st.caption(safe_markdown(source.text))
            target = {"passage": "Open document", "graph": "Open in graph", "sql": "Open in Ask the Database"}[source.kind]
            if st.button(target, key=f"open::{message_key}::{source.index}"):
                open_source(source, question)


def render_feedback(message_id: str, current: int) -> None:
    if not message_id:
        return
    value = st.feedback("thumbs", key=f"feedback::{message_id}")
    if value is not None:
        wanted = 1 if value == 1 else -1
        if wanted != current:
            try:
                chat.set_feedback(message_id, wanted)
            except WorkbenchError as exc:
                show_error(exc)


try:
    history = chat.messages(conversation_id)
except WorkbenchError:
    history = []  # a conversation exists only once its first question is asked

asked = ""  # the question each answer replies to
for message in history:
    with st.chat_message(message.role):
        st.markdown(safe_markdown(message.content))
        if message.role == "user":
            asked = message.content
        else:
            render_sources(message.id, message.sources, asked)
            render_feedback(message.id, message.feedback)

question = st.chat_input("Ask about your documents, graph or database")
if question:
    with st.chat_message("user"):
        st.markdown(safe_markdown(question))
    with st.chat_message("assistant"):
        final: dict[str, Answer] = {}

        def text_pieces():
            for item in chat.ask_stream(question, conversation_id=conversation_id, user_id="streamlit"):
                if isinstance(item, Answer):
                    final["answer"] = item
                else:
                    yield item

        try:
            streamed = st.empty()
            text = ""
            for piece in text_pieces():
                text += piece
                # Sanitise the whole text so far: an image's syntax may arrive split across pieces.
                streamed.markdown(safe_markdown(text))
        except WorkbenchError as exc:
            show_error(exc)
        else:
            answer = final["answer"]
            render_sources(answer.message_id or "latest", answer.sources, question)
            render_feedback(answer.message_id, 0)
