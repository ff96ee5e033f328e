"""/api/todos: the REST resource."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from sqlalchemy.orm import Session

from app import todos
from app.api.deps import get_session
from app.schemas import TodoCreate, TodoList, TodoOut, TodoUpdate

router = APIRouter(prefix="/api/todos", tags=["todos"])
SessionDep = Annotated[Session, Depends(get_session)]


def _not_found(err: todos.TodoNotFoundError) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, str(err))


@router.get("", response_model=TodoList)
def list_todos(
    session: SessionDep,
    status_: Annotated[Literal["all", "active", "done"], Query(alias="status")] = "all",
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TodoList:
    page = todos.list_todos(session, status=status_, q=q, limit=limit, offset=offset)
    return TodoList(
        items=[TodoOut.model_validate(t) for t in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("", response_model=TodoOut, status_code=status.HTTP_201_CREATED)
def create_todo(body: TodoCreate, session: SessionDep) -> TodoOut:
    todo = todos.create_todo(session, **body.model_dump())
    session.commit()
    return TodoOut.model_validate(todo)


@router.get("/{todo_id}", response_model=TodoOut)
def get_todo(todo_id: int, session: SessionDep) -> TodoOut:
    try:
        return TodoOut.model_validate(todos.get_todo(session, todo_id))
    except todos.TodoNotFoundError as err:
        raise _not_found(err) from None


@router.patch("/{todo_id}", response_model=TodoOut)
def update_todo(todo_id: int, body: TodoUpdate, session: SessionDep) -> TodoOut:
    try:
        todo = todos.update_todo(session, todo_id, body.model_dump(exclude_unset=True))
    except todos.TodoNotFoundError as err:
        raise _not_found(err) from None
    session.commit()
    return TodoOut.model_validate(todo)


@router.delete("/{todo_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_todo(todo_id: int, session: SessionDep) -> Response:
    try:
        todos.delete_todo(session, todo_id)
    except todos.TodoNotFoundError as err:
        raise _not_found(err) from None
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
