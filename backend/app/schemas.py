"""Request and response bodies of the HTTP API (the shared API contract)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.models import TITLE_MAX

Priority = Literal["low", "medium", "high"]
NOTES_MAX = 10_000


def _strip_title(v: object) -> object:
    return v.strip() if isinstance(v, str) else v


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


class TodoCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    notes: str = Field(default="", max_length=NOTES_MAX)
    due_date: date | None = None
    priority: Priority = "medium"
    done: bool = False

    _title = field_validator("title", mode="before")(_strip_title)
    _due = field_validator("due_date", mode="before")(_iso_date)


class TodoUpdate(BaseModel):
    """Any subset of the fields; a field left out is left unchanged."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    notes: str | None = Field(default=None, max_length=NOTES_MAX)
    due_date: date | None = None
    priority: Priority | None = None
    done: bool | None = None

    _title = field_validator("title", mode="before")(_strip_title)
    _due = field_validator("due_date", mode="before")(_iso_date)

    @field_validator("title", "notes", "priority", "done")
    @classmethod
    def _not_null(cls, v: object) -> object:
        # Only due_date may be cleared with null; the other columns always have a value.
        if v is None:
            raise ValueError("may be left out but not null")
        return v


class TodoList(BaseModel):
    items: list[TodoOut]
    total: int
    limit: int
    offset: int


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=2000)
    conversation_id: str | None = Field(default=None, max_length=36)

    @field_validator("message")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must contain some text")
        return v


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


class AssistantInfo(BaseModel):
    mode: Literal["gemini", "offline"]
    model: str | None
