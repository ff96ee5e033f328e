"""/api/chat and /api/assistant."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Response

from app.api.deps import ChatServiceDep, ReadSessionDep, SettingsDep, run_db
from app.api.json_only import JsonOnlyRoute
from app.api.responses import BODY_ERRORS, DATABASE_DOWN, RETRY_AFTER_SECONDS
from app.chat.errors import GeminiError
from app.chat.service import ChatBusyError, ConversationNotFoundError, read_conversation
from app.schemas import AssistantInfo, ChatIn, ChatOut, ConversationOut

router = APIRouter(prefix="/api", tags=["chat"], route_class=JsonOnlyRoute)


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
async def chat(body: ChatIn, service: ChatServiceDep) -> Response:
    try:
        # Written once from the ChatOut the turn built (response_model still documents it):
        # FastAPI would dump it to a dict, validate that again and then write it.
        out = await service.turn(body)
        return Response(out.model_dump_json(), media_type="application/json")
    except ChatBusyError:
        raise HTTPException(
            503,
            "The assistant is busy with other conversations; try again in a few seconds.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    except ConversationNotFoundError as err:
        raise HTTPException(404, str(err)) from None
    except GeminiError as err:
        raise HTTPException(err.status, err.message) from None


@router.get("/assistant", response_model=AssistantInfo)
async def assistant(service: ChatServiceDep, settings: SettingsDep) -> AssistantInfo:
    model = settings.gemini_model if service.mode == "gemini" else None
    return AssistantInfo(mode=service.mode, model=model)


@router.get(
    "/chat/conversations/{conversation_id}",
    response_model=ConversationOut,
    operation_id="get_conversation",
    responses={**DATABASE_DOWN, 404: {"description": "Unknown conversation_id"}},  # type: ignore[dict-item]
)
async def get_conversation(conversation_id: uuid.UUID, session: ReadSessionDep) -> ConversationOut:
    """A stored conversation's latest 100 messages, oldest first: what a page shows again
    after a reload. 404 when the id is unknown (start a new conversation)."""
    try:
        return await run_db(session, read_conversation, conversation_id)
    except ConversationNotFoundError as err:
        raise HTTPException(404, str(err)) from None
