"""/api/todos: the REST resource."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app import todos
from app.api.deps import ReadSessionDep, SessionDep, run_db, run_read, services
from app.api.json_only import JsonOnlyRoute
from app.api.responses import BODY_ERRORS, BODYLESS_ERRORS, DATABASE_DOWN, NOT_FOUND
from app.db import start_database_deadline
from app.schemas import TodoCreate, TodoList, TodoOut, TodoUpdate
from app.text import SearchText

router = APIRouter(
    prefix="/api/todos", tags=["todos"], responses=DATABASE_DOWN, route_class=JsonOnlyRoute
)


def _list(conn: Connection, status_: todos.Status, q: str | None, limit: int, offset: int) -> bytes:
    return todos.list_todos(conn, status=status_, q=q, limit=limit, offset=offset).json()


def _create(session: Session, fields: dict[str, Any]) -> TodoOut:
    todo = todos.create_todo(session, **fields)
    session.commit()
    return TodoOut.model_validate(todo)


def _get(session: Session, todo_id: int) -> TodoOut:
    return TodoOut.model_validate(todos.get_todo(session, todo_id))


def _update(session: Session, todo_id: int, changes: dict[str, Any]) -> TodoOut:
    todo = todos.update_todo(session, todo_id, changes)
    session.commit()
    return TodoOut.model_validate(todo)


def _delete(session: Session, todo_id: int) -> None:
    todos.delete_todo(session, todo_id)
    session.commit()


def _replace(session: Session, todo_id: int, fields: dict[str, Any]) -> TodoOut:
    todo = todos.replace_todo(session, todo_id, fields)
    session.commit()
    return TodoOut.model_validate(todo)


@router.get("", response_model=TodoList)
async def list_todos(
    request: Request,
    status_: Annotated[Literal["all", "active", "done"], Query(alias="status")] = "all",
    q: Annotated[SearchText | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    # The page's JSON is written once; response_model still documents it. On PostgreSQL the
    # database writes it, read on the event loop (todos.page_json); on SQLite Python writes
    # it from the rows, on the thread pool. The services are taken from the request, not
    # through a dependency: a second dependency to solve cost more than the lookup.
    svc = services(request.app)
    start_database_deadline(svc.settings.database_request_timeout_seconds)
    if svc.loop_pool is not None:
        body = await todos.page_json(svc.loop_pool, status_, q, limit, offset)
    else:
        body = await run_read(svc.reads, _list, status_, q, limit, offset)
    return Response(body, media_type="application/json")


@router.post(
    "",
    response_model=TodoOut,
    status_code=status.HTTP_201_CREATED,
    responses=BODY_ERRORS,  # type: ignore[arg-type]
)
async def create_todo(body: TodoCreate, session: SessionDep) -> TodoOut:
    return await run_db(session, _create, body.model_dump())


@router.get("/{todo_id}", response_model=TodoOut, responses=NOT_FOUND)  # type: ignore[arg-type]
async def get_todo(todo_id: int, session: ReadSessionDep) -> TodoOut:
    return await run_db(session, _get, todo_id)


@router.patch(
    "/{todo_id}",
    response_model=TodoOut,
    responses={**NOT_FOUND, **BODY_ERRORS},  # type: ignore[arg-type]
)
async def update_todo(todo_id: int, body: TodoUpdate, session: SessionDep) -> TodoOut:
    return await run_db(session, _update, todo_id, body.model_dump(exclude_unset=True))


@router.delete(
    "/{todo_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_FOUND, **BODYLESS_ERRORS},  # type: ignore[arg-type]
)
async def delete_todo(todo_id: int, session: SessionDep) -> Response:
    """Deletes the todo; PUT /api/todos/{id} with its fields undoes it for 7 days."""
    await run_db(session, _delete, todo_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{todo_id}",
    response_model=TodoOut,
    responses={**NOT_FOUND, **BODY_ERRORS},  # type: ignore[arg-type]
)
async def replace_todo(todo_id: int, body: TodoCreate, session: SessionDep) -> TodoOut:
    """Replaces every field (those left out take their defaults, as in POST). On a deleted
    todo this is the undo: it comes back with its id and place in the list. Deleted todos
    can be brought back for 7 days; after that, and for ids that never existed, 404."""
    return await run_db(session, _replace, todo_id, body.model_dump())
