"""Request and response bodies of the HTTP API (the shared API contract)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictBool, field_validator
from typing_extensions import TypedDict

from app.text import ChatText, Notes, Title

Priority = Literal["low", "medium", "high"]


def _iso_date(v: object) -> object:
    """Only YYYY-MM-DD (or null): pydantic alone would also take timestamps and numbers,
    and its message for a bad string does not say which format is expected."""
    if v is None or isinstance(v, date):
        return v
    if isinstance(v, str) and len(v) == 10:
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise ValueError("must be a date written YYYY-MM-DD, for example 2030-01-31")


class TodoOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    notes: str
    due_date: date | None
    priority: Priority
    done: bool
    created_at: datetime
    updated_at: datetime


class TodoRow(TypedDict):
    """TodoOut's fields as a plain dict: a row of the todo list, serialized without
    building a model (the database's column types already are TodoOut's)."""

    id: int
    title: str
    notes: str
    due_date: date | None
    priority: Priority
    done: bool
    created_at: datetime
    updated_at: datetime


class TodoListRows(TypedDict):
    """TodoList over TodoRow dicts: the same JSON, from rows."""

    items: list[TodoRow]
    total: int
    limit: int
    offset: int


class TodoCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    notes: Notes = ""
    due_date: date | None = None
    priority: Priority = "medium"
    done: StrictBool = False  # "yes", 1 or "true" are refused, not guessed

    _due = field_validator("due_date", mode="before")(_iso_date)


class TodoUpdate(BaseModel):
    """Any subset of the fields; a field left out is left unchanged. Only due_date may be
    cleared with null: the other fields are optional but not nullable (the defaults below
    are never validated nor stored, model_dump(exclude_unset=True) drops them), so the
    OpenAPI document says exactly that."""

    model_config = ConfigDict(extra="forbid")

    title: Title = None  # type: ignore[assignment]
    notes: Notes = None  # type: ignore[assignment]
    due_date: date | None = None
    priority: Priority = None  # type: ignore[assignment]
    done: StrictBool = None  # type: ignore[assignment]

    _due = field_validator("due_date", mode="before")(_iso_date)


class TodoList(BaseModel):
    items: list[TodoOut]
    total: int
    limit: int
    offset: int


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: ChatText
    # The id POST /api/chat returned; left out or null starts a new conversation.
    conversation_id: uuid.UUID | None = None


ActionType = Literal["created", "updated", "completed", "deleted", "listed"]


class Action(BaseModel):
    type: ActionType
    todo_id: int | None = None
    todo: TodoOut | None = None


class ChatOut(BaseModel):
    reply: str
    conversation_id: str
    actions: list[Action]
    mode: Literal["gemini", "offline"]


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: Literal["user", "assistant"]
    content: str
    created_at: datetime


class ConversationOut(BaseModel):
    """A stored conversation, to show it again after a reload: its latest messages, oldest
    first."""

    id: str
    messages: list[MessageOut]


class AssistantInfo(BaseModel):
    mode: Literal["gemini", "offline"]
    model: str | None
