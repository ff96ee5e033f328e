"""One chat turn: load or start the conversation, let the assistant act, store both
messages. Everything happens in one transaction, committed only when the assistant has
answered, so a failed turn changes neither todos nor the conversation."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.chat import offline
from app.chat.actions import ActionLog
from app.db import utcnow
from app.models import Conversation, Message
from app.schemas import ChatIn, ChatOut, ConversationOut, MessageOut

# What GET /api/chat/conversations/{id} returns at most: the latest messages.
CONVERSATION_SHOWN = 100


class ConversationNotFoundError(LookupError):
    def __init__(self, conversation_id: object) -> None:
        super().__init__(
            f"Conversation {conversation_id} not found; "
            "leave conversation_id out to start a new one"
        )


class Assistant(Protocol):
    def respond(
        self, session: Session, history: list[Message], message: str, today: date
    ) -> tuple[str, ActionLog]: ...


class OfflineAssistant:
    def respond(
        self, session: Session, history: list[Message], message: str, today: date
    ) -> tuple[str, ActionLog]:
        return offline.respond(session, message, today, first_turn=not history)


def _load(session: Session, conversation_id: uuid.UUID | None) -> Conversation:
    if conversation_id is None:
        conv = Conversation(id=str(uuid.uuid4()))
        session.add(conv)
        return conv
    conv = session.get(Conversation, str(conversation_id))
    if conv is None:
        raise ConversationNotFoundError(conversation_id)
    return conv


def _history(session: Session, conversation_id: str, limit: int) -> list[Message]:
    if limit == 0:
        return []
    rows = session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def chat_turn(
    factory: sessionmaker[Session],
    assistant: Assistant,
    body: ChatIn,
    *,
    mode: str,
    history_limit: int,
    today: date,
) -> ChatOut:
    with factory() as session, session.begin():
        conv = _load(session, body.conversation_id)
        history = _history(session, conv.id, history_limit) if body.conversation_id else []
        reply, actions = assistant.respond(session, history, body.message, today)
        session.add_all(
            [
                Message(conversation_id=conv.id, role="user", content=body.message),
                Message(conversation_id=conv.id, role="assistant", content=reply),
            ]
        )
        conv.updated_at = utcnow()
        return ChatOut(
            reply=reply,
            conversation_id=conv.id,
            actions=actions.actions,
            mode=mode,  # type: ignore[arg-type]
        )


def read_conversation(session: Session, conversation_id: uuid.UUID) -> ConversationOut:
    conv = _load(session, conversation_id)
    messages = _history(session, conv.id, CONVERSATION_SHOWN)
    return ConversationOut(id=conv.id, messages=[MessageOut.model_validate(m) for m in messages])
