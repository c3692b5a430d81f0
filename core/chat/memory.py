"""Conversations and their messages, per workspace and user, in the metadata store."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.errors import InvalidInput, NotFound
from core.metadata import MetadataStore, chat_messages, conversations, new_id, now_iso
from core.records import Source


@dataclass(frozen=True)
class StoredMessage:
    id: str
    role: str  # user | assistant
    content: str
    sources: tuple[Source, ...]
    mode: str
    feedback: int
    created_at: str


@dataclass(frozen=True)
class ConversationSummary:
    id: str  # the external id callers use
    title: str
    user_id: str
    messages: int
    updated_at: str


class ConversationStore:
    def __init__(self, metadata: MetadataStore):
        self.metadata = metadata

    def ensure(self, workspace: str, conversation_id: str, *, user_id: str = "", title: str = "") -> str:
        """The internal id of a conversation, created on first use."""
        if not conversation_id or len(conversation_id) > 128:
            raise InvalidInput("A conversation id must be 1-128 characters.")
        for _attempt in range(2):
            with self.metadata.begin() as conn:
                row = conn.execute(select(conversations.c.id, conversations.c.user_id).where(
                    conversations.c.workspace == workspace, conversations.c.external_id == conversation_id)).first()
                if row:
                    if row.user_id and user_id and row.user_id != user_id:
                        raise InvalidInput("That conversation id belongs to someone else: start a new conversation.")
                    return row.id
            internal = new_id()
            try:
                with self.metadata.begin() as conn:
                    conn.execute(conversations.insert().values(
                        id=internal, workspace=workspace, external_id=conversation_id, user_id=user_id,
                        title=title[:120], summary="", created_at=now_iso(), updated_at=now_iso()))
                return internal
            except IntegrityError:
                continue  # created by a concurrent request a moment ago: read it again
        raise InvalidInput("The conversation could not be started; try again.")

    def _internal(self, conn, workspace: str, conversation_id: str) -> str:
        row = conn.execute(select(conversations.c.id).where(
            conversations.c.workspace == workspace, conversations.c.external_id == conversation_id)).first()
        if row is None:
            raise NotFound(f"No conversation {conversation_id} in workspace {workspace}.")
        return row.id

    def append(self, workspace: str, conversation_id: str, role: str, content: str, *,
               sources: tuple[Source, ...] = (), mode: str = "") -> str:
        message_id = new_id()
        with self.metadata.begin() as conn:
            internal = self._internal(conn, workspace, conversation_id)
            # Serialise writers of this conversation (SQLite: the write lock; others: the row lock).
            conn.execute(update(conversations).where(conversations.c.id == internal).values(updated_at=now_iso()))
            last = conn.execute(select(func.max(chat_messages.c.seq)).where(chat_messages.c.conversation_id == internal)).scalar()
            conn.execute(chat_messages.insert().values(
                id=message_id, conversation_id=internal, seq=(last or 0) + 1, role=role, content=content,
                sources=json.dumps([_source_to_dict(s) for s in sources], default=str), mode=mode, feedback=0,
                created_at=now_iso()))
        return message_id

    def messages(self, workspace: str, conversation_id: str) -> list[StoredMessage]:
        with self.metadata.connect() as conn:
            internal = self._internal(conn, workspace, conversation_id)
            rows = conn.execute(select(chat_messages).where(chat_messages.c.conversation_id == internal)
                                .order_by(chat_messages.c.seq)).all()
        return [StoredMessage(r.id, r.role, r.content, tuple(_source_from_dict(s) for s in json.loads(r.sources)), r.mode, r.feedback, r.created_at)
                for r in rows]

    def list(self, workspace: str, *, user_id: str | None = None) -> list[ConversationSummary]:
        counts = select(chat_messages.c.conversation_id, func.count().label("n")).group_by(chat_messages.c.conversation_id).subquery()
        query = (select(conversations, counts.c.n).outerjoin(counts, counts.c.conversation_id == conversations.c.id)
                 .where(conversations.c.workspace == workspace).order_by(conversations.c.updated_at.desc()))
        if user_id is not None:
            query = query.where(conversations.c.user_id == user_id)
        with self.metadata.connect() as conn:
            rows = conn.execute(query).all()
        return [ConversationSummary(r.external_id, r.title, r.user_id, int(r.n or 0), r.updated_at) for r in rows]

    def set_feedback(self, workspace: str, message_id: str, value: int) -> None:
        if value not in (-1, 0, 1):
            raise InvalidInput("Feedback is -1, 0 or 1.")
        with self.metadata.begin() as conn:
            owned = conn.execute(select(chat_messages.c.id).join(conversations, conversations.c.id == chat_messages.c.conversation_id)
                                 .where(chat_messages.c.id == message_id, conversations.c.workspace == workspace)).first()
            if owned is None:
                raise NotFound(f"No message {message_id} in workspace {workspace}.")
            conn.execute(update(chat_messages).where(chat_messages.c.id == message_id).values(feedback=value))

    def summary(self, workspace: str, conversation_id: str) -> str:
        with self.metadata.connect() as conn:
            internal = self._internal(conn, workspace, conversation_id)
            return conn.execute(select(conversations.c.summary).where(conversations.c.id == internal)).scalar_one()

    def set_summary(self, workspace: str, conversation_id: str, summary: str) -> None:
        with self.metadata.begin() as conn:
            internal = self._internal(conn, workspace, conversation_id)
            conn.execute(update(conversations).where(conversations.c.id == internal).values(summary=summary))


def _source_to_dict(source: Source) -> dict:
    return {"index": source.index, "kind": source.kind, "title": source.title, "text": source.text, "reference": source.reference}


def _source_from_dict(data: dict) -> Source:
    return Source(int(data["index"]), data["kind"], data["title"], data["text"], data.get("reference") or {})
