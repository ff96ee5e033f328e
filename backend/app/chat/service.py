"""One chat turn: load or start the conversation, let the assistant act, store both
messages. Everything happens in one transaction, committed only when the assistant has
answered, so a failed turn changes neither todos nor the conversation."""

from __future__ import annotations

import time
import uuid
from datetime import date
from functools import partial
from typing import Any, Literal, Protocol

import anyio
import anyio.to_thread
from sqlalchemy import (
    Insert,
    Select,
    bindparam,
    exists,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from app.chat import offline
from app.chat.actions import ActionLog
from app.chat.errors import GeminiError
from app.db import start_database_deadline, utcnow
from app.loop_pool import Statement, Statements
from app.metrics import Metrics, failure_reason
from app.models import Conversation, Message
from app.schemas import ChatIn, ChatOut, ConversationOut, MessageOut

_CONVERSATIONS = Conversation.__table__
_MESSAGES = Message.__table__
_NEW_MESSAGE_COLUMNS = ("conversation_id", "role", "content", "created_at")

# A turn's statements, built once with bound parameters: building an INSERT with its values
# each time cost more CPU than running it (and each new statement object must have its
# cache key computed before the compiled form is found).
_NEW_CONVERSATION = insert(_CONVERSATIONS).values(
    id=bindparam("conv_id"), created_at=bindparam("now"), updated_at=bindparam("now")
)
_TOUCH_CONVERSATION = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conv_id"))
    .values(updated_at=bindparam("now"))
)
_CONVERSATION_EXISTS = select(_CONVERSATIONS.c.id).where(
    _CONVERSATIONS.c.id == bindparam("conv_id")
)


# Both messages of a turn in one statement (not an executemany), as INSERT ... SELECT: an
# INSERT with several VALUES rows is compiled again for every execution (SQLAlchemy does
# not cache it). Ordered, so the user's message gets the lower id on every database.
def _message_row(order: int, role: str, content: str) -> Select[Any]:
    return select(
        literal(order).label("turn_order"),
        bindparam("conv_id", type_=_MESSAGES.c.conversation_id.type).label("conversation_id"),
        literal(role, _MESSAGES.c.role.type).label("role"),
        bindparam(content, type_=_MESSAGES.c.content.type).label("content"),
        bindparam("now", type_=_MESSAGES.c.created_at.type).label("created_at"),
    )


_MESSAGE_ROWS = union_all(
    _message_row(1, "user", "user"), _message_row(2, "assistant", "reply")
).subquery()
_TWO_MESSAGES = insert(_MESSAGES).from_select(
    _NEW_MESSAGE_COLUMNS,
    select(*(_MESSAGE_ROWS.c[name] for name in _NEW_MESSAGE_COLUMNS)).order_by(
        _MESSAGE_ROWS.c.turn_order
    ),
)


# On PostgreSQL the conversation's row and the two messages go in one statement (the
# conversation's INSERT or UPDATE as a data-modifying WITH, which PostgreSQL runs to
# completion before the foreign key is checked): a round trip less per turn. SQLite has
# no data-modifying WITH and runs the two statements.
def turn_writes(messages: Insert) -> dict[bool, Insert]:
    """The one statement of a turn's writes, by whether the conversation is new."""
    return {
        True: messages.add_cte(_NEW_CONVERSATION.cte("conversation")),
        False: messages.add_cte(_TOUCH_CONVERSATION.cte("conversation")),
    }


_WRITE_TURN = turn_writes(_TWO_MESSAGES)

# A turn on the loop pool (an offline turn that changes no todo): whether the conversation
# exists and has messages in one query, and the turn's writes as the one statement above.
_HAS_MESSAGES = Statement.of(
    select(exists().where(_MESSAGES.c.conversation_id == _CONVERSATIONS.c.id)).where(
        _CONVERSATIONS.c.id == bindparam("conv_id")
    )
)
_WRITE_TURN_ON_THE_LOOP = {new: Statement.of(write) for new, write in _WRITE_TURN.items()}

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
        return offline.respond(session, offline.parse(message, today), first_turn=not history)


class _ParsedOffline:
    """The offline assistant for a message already parsed (not parsed a second time)."""

    def __init__(self, cmd: offline.Command) -> None:
        self.cmd = cmd

    def respond(
        self, session: Session, history: list[Message], message: str, today: date
    ) -> tuple[str, ActionLog]:
        return offline.respond(session, self.cmd, first_turn=not history)


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
        # Plain statements for the conversation and its two messages: the ORM's unit of work
        # cost more CPU than everything else in an offline turn. They are written after the
        # assistant has answered, so no write waits on the model (SQLite has one writer).
        if body.conversation_id is None:
            conv_id = str(uuid.uuid4())
            history: list[Message] = []
        else:
            conv_id = str(body.conversation_id)
            if session.scalar(_CONVERSATION_EXISTS, {"conv_id": conv_id}) is None:
                raise ConversationNotFoundError(body.conversation_id)
            history = _history(session, conv_id, history_limit)
        reply, actions = assistant.respond(session, history, body.message, today)
        session.flush()  # what the assistant changed is written first
        new = body.conversation_id is None
        turn = {"conv_id": conv_id, "user": body.message, "reply": reply, "now": utcnow()}
        if session.get_bind().dialect.name == "postgresql":
            session.execute(_WRITE_TURN[new], turn)
        else:
            session.execute(_NEW_CONVERSATION if new else _TOUCH_CONVERSATION, turn)
            session.execute(_TWO_MESSAGES, turn)
        return ChatOut(
            reply=reply,
            conversation_id=conv_id,
            actions=actions.actions,
            mode=mode,  # type: ignore[arg-type]
        )


def read_conversation(session: Session, conversation_id: uuid.UUID) -> ConversationOut:
    conv = _load(session, conversation_id)
    messages = _history(session, conv.id, CONVERSATION_SHOWN)
    return ConversationOut(id=conv.id, messages=[MessageOut.model_validate(m) for m in messages])


class ChatBusyError(RuntimeError):
    """Every chat slot is taken: answered at once (503), never queued."""


class ChatSlots:
    """At most `size` chat turns in flight, on `size` threads of their own. try_acquire
    never waits: a full house is answered at once (503) instead of queueing behind a slow
    model. Used from the event loop thread only, so a plain counter is enough."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.busy = 0
        self._limiter: anyio.CapacityLimiter | None = None

    def try_acquire(self) -> bool:
        if self.busy >= self.size:
            return False
        self.busy += 1
        return True

    def release(self) -> None:
        self.busy -= 1

    def threads(self) -> anyio.CapacityLimiter:
        if self._limiter is None:  # created on first use, inside the event loop
            self._limiter = anyio.CapacityLimiter(self.size)
        return self._limiter


class TimedAssistant:
    """The assistant with its answer time and failures recorded (the database work of the
    turn around it is not part of the latency). Only the model's failures count as the
    assistant's: a database error inside a tool call is the turn's (outcome "error")."""

    def __init__(self, assistant: Assistant, metrics: Metrics) -> None:
        self.assistant = assistant
        self.metrics = metrics

    def respond(
        self, session: Session, history: list[Message], message: str, today: date
    ) -> tuple[str, ActionLog]:
        start = time.perf_counter()
        try:
            return self.assistant.respond(session, history, message, today)
        except GeminiError as err:
            self.metrics.assistant_failures.labels(failure_reason(err.status)).inc()
            raise
        finally:
            self.metrics.assistant_latency.observe(time.perf_counter() - start)


class ChatService:
    """Chat turns with bounded concurrency: what POST /api/chat depends on."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        assistant: Assistant,
        *,
        mode: Literal["gemini", "offline"],
        metrics: Metrics,
        max_concurrent_turns: int,
        history_limit: int,
        database_timeout_s: float,
        loop_pool: Statements | None = None,
    ) -> None:
        self.sessions = sessions
        self.loop_pool = loop_pool
        self.assistant = assistant
        self.metrics = metrics
        self.mode = mode
        self.slots = ChatSlots(max_concurrent_turns)
        self.history_limit = history_limit
        self.database_timeout_s = database_timeout_s

    async def turn(self, body: ChatIn) -> ChatOut:
        """Raises ChatBusyError, ConversationNotFoundError or the assistant's errors."""
        outcome = "error"
        try:
            reply = await self._turn(body)
            outcome = "ok"
            return reply
        except ChatBusyError:
            outcome = "busy"
            self.metrics.reject("chat_busy")
            raise
        except ConversationNotFoundError:
            outcome = "not_found"
            raise
        except GeminiError:
            outcome = "assistant_failed"
            raise
        finally:
            self.metrics.chat_turns.labels(self.mode, outcome).inc()

    async def _turn(self, body: ChatIn) -> ChatOut:
        if not self.slots.try_acquire():
            raise ChatBusyError
        try:
            start_database_deadline(self.database_timeout_s)
            today = date.today()
            assistant = self.assistant
            if isinstance(assistant, OfflineAssistant) and self.loop_pool is not None:
                # An offline turn that changes no todo is one read and one write: on the
                # event loop, as the list is. The others run in a session (below).
                cmd = offline.parse(body.message, today)
                if cmd.kind in offline.CHANGES_NOTHING:
                    return await self._turn_on_the_loop(self.loop_pool, body, cmd)
                assistant = _ParsedOffline(cmd)
            # The whole turn (database and Gemini calls) in one call on the chat's own
            # threads, so turns waiting on Gemini never hold the threads the other requests
            # run on.
            turn = partial(
                chat_turn,
                self.sessions,
                TimedAssistant(assistant, self.metrics),
                body,
                mode=self.mode,
                history_limit=self.history_limit,
                today=today,
            )
            return await anyio.to_thread.run_sync(turn, limiter=self.slots.threads())
        finally:
            self.slots.release()

    async def _turn_on_the_loop(
        self, pool: Statements, body: ChatIn, cmd: offline.Command
    ) -> ChatOut:
        """chat_turn for an offline command that changes no todo: the same reply, actions
        and stored messages, with the conversation and both messages written in one
        statement (all-or-nothing without a transaction)."""
        new = body.conversation_id is None
        if new:
            conv_id, first_turn = str(uuid.uuid4()), True
        else:
            conv_id = str(body.conversation_id)
            found = await pool.fetch(_HAS_MESSAGES, {"conv_id": conv_id})
            if not found:
                raise ConversationNotFoundError(body.conversation_id)
            # As chat_turn: the first turn is one without history (none is read at 0).
            first_turn = self.history_limit == 0 or not found[0][0]
        start = time.perf_counter()
        try:
            reply, actions = await offline.run_changing_nothing(pool, cmd)
        finally:
            self.metrics.assistant_latency.observe(time.perf_counter() - start)
        reply = offline.with_note(reply, first_turn)
        turn = {"conv_id": conv_id, "user": body.message, "reply": reply, "now": utcnow()}
        await pool.execute(_WRITE_TURN_ON_THE_LOOP[new], turn)
        return ChatOut(reply=reply, conversation_id=conv_id, actions=actions, mode=self.mode)  # type: ignore[arg-type]

    def close(self) -> None:
        close = getattr(self.assistant, "close", None)
        if close is not None:
            close()
