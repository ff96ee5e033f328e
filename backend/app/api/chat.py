"""/api/chat and /api/assistant."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from app.api.deps import in_read_session
from app.api.responses import BODY_ERRORS, DATABASE_DOWN
from app.chat.gemini import GeminiError
from app.chat.service import ConversationNotFoundError, chat_turn, read_conversation
from app.schemas import AssistantInfo, ChatIn, ChatOut, ConversationOut

router = APIRouter(prefix="/api", tags=["chat"])

ERROR_RESPONSES = {
    **BODY_ERRORS,
    **DATABASE_DOWN,
    404: {"description": "Unknown conversation_id"},
    429: {"description": "Gemini rate limited the request"},
    502: {"description": "Gemini failed or sent a malformed function call"},
    504: {"description": "Gemini timed out"},
}


@router.post("/chat", response_model=ChatOut, responses=ERROR_RESPONSES)  # type: ignore[arg-type]
async def chat(body: ChatIn, request: Request) -> ChatOut:
    state = request.app.state
    try:
        # The whole turn (database and Gemini calls) in one thread-pool call.
        return await run_in_threadpool(
            chat_turn,
            state.sessions,
            state.assistant,
            body,
            mode=state.assistant_mode,
            history_limit=state.settings.chat_history_messages,
            today=date.today(),
        )
    except ConversationNotFoundError as err:
        raise HTTPException(404, str(err)) from None
    except GeminiError as err:
        raise HTTPException(err.status, err.message) from None


@router.get("/assistant", response_model=AssistantInfo)
async def assistant(request: Request) -> AssistantInfo:
    state = request.app.state
    model = state.settings.gemini_model if state.assistant_mode == "gemini" else None
    return AssistantInfo(mode=state.assistant_mode, model=model)


@router.get(
    "/chat/conversations/{conversation_id}",
    response_model=ConversationOut,
    responses={**DATABASE_DOWN, 404: {"description": "Unknown conversation_id"}},  # type: ignore[dict-item]
)
async def get_conversation(conversation_id: uuid.UUID, request: Request) -> ConversationOut:
    """A stored conversation's latest 100 messages, oldest first: what a page shows again
    after a reload. 404 when the id is unknown (start a new conversation)."""
    try:
        return await in_read_session(request, read_conversation, conversation_id)
    except ConversationNotFoundError as err:
        raise HTTPException(404, str(err)) from None
