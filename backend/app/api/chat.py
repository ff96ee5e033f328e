"""/api/chat and /api/assistant."""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial

import anyio
import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request

from app.api.deps import in_read_session
from app.api.responses import BODY_ERRORS, DATABASE_DOWN, RETRY_AFTER_SECONDS
from app.chat.gemini import GeminiError
from app.chat.service import ConversationNotFoundError, chat_turn, read_conversation
from app.schemas import AssistantInfo, ChatIn, ChatOut, ConversationOut

router = APIRouter(prefix="/api", tags=["chat"])


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


ERROR_RESPONSES = {
    **BODY_ERRORS,
    **DATABASE_DOWN,
    404: {"description": "Unknown conversation_id"},
    429: {"description": "Gemini rate limited the request"},
    502: {"description": "Gemini failed or sent a malformed function call"},
    504: {"description": "Gemini timed out"},
}


# Tells clients (and the API fuzzer's stateful phase) that a reply's conversation_id is
# what GET /api/chat/conversations/{conversation_id} and the next turn take.
CONVERSATION_LINKS = {
    "links": {
        "ReadConversation": {
            "operationId": "get_conversation",
            "parameters": {"conversation_id": "$response.body#/conversation_id"},
        },
        "ContinueConversation": {
            "operationId": "chat",
            "requestBody": {
                "message": "show my todos",
                "conversation_id": "$response.body#/conversation_id",
            },
        },
    }
}


@router.post(
    "/chat",
    response_model=ChatOut,
    operation_id="chat",
    responses={**ERROR_RESPONSES, 200: CONVERSATION_LINKS},  # type: ignore[dict-item]
)
async def chat(body: ChatIn, request: Request) -> ChatOut:
    state = request.app.state
    slots: ChatSlots = state.chat_slots
    if not slots.try_acquire():
        raise HTTPException(
            503,
            "The assistant is busy with other conversations; try again in a few seconds.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    try:
        # The whole turn (database and Gemini calls) in one call on the chat's own threads,
        # so turns waiting on Gemini never hold the threads the other requests run on.
        turn = partial(
            chat_turn,
            state.sessions,
            state.assistant,
            body,
            mode=state.assistant_mode,
            history_limit=state.settings.chat_history_messages,
            today=date.today(),
        )
        return await anyio.to_thread.run_sync(turn, limiter=slots.threads())
    except ConversationNotFoundError as err:
        raise HTTPException(404, str(err)) from None
    except GeminiError as err:
        raise HTTPException(err.status, err.message) from None
    finally:
        slots.release()


@router.get("/assistant", response_model=AssistantInfo)
async def assistant(request: Request) -> AssistantInfo:
    state = request.app.state
    model = state.settings.gemini_model if state.assistant_mode == "gemini" else None
    return AssistantInfo(mode=state.assistant_mode, model=model)


@router.get(
    "/chat/conversations/{conversation_id}",
    response_model=ConversationOut,
    operation_id="get_conversation",
    responses={**DATABASE_DOWN, 404: {"description": "Unknown conversation_id"}},  # type: ignore[dict-item]
)
async def get_conversation(conversation_id: uuid.UUID, request: Request) -> ConversationOut:
    """A stored conversation's latest 100 messages, oldest first: what a page shows again
    after a reload. 404 when the id is unknown (start a new conversation)."""
    try:
        return await in_read_session(request, read_conversation, conversation_id)
    except ConversationNotFoundError as err:
        raise HTTPException(404, str(err)) from None
