"""Todo changes made on behalf of an assistant, each recorded as an Action for the reply."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app import todos
from app.models import Todo
from app.schemas import Action, TodoOut


def todo_out(todo: Todo) -> TodoOut:
    return TodoOut.model_validate(todo)


class ActionLog:
    """Runs todo operations in the caller's transaction and remembers what was done."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.actions: list[Action] = []

    def _record(self, kind: str, out: TodoOut) -> TodoOut:
        self.actions.append(Action(type=kind, todo_id=out.id, todo=out))  # type: ignore[arg-type]
        return out

    def create(
        self,
        title: str,
        *,
        notes: str = "",
        due_date: date | None = None,
        priority: str = "medium",
    ) -> TodoOut:
        todo = todos.create_todo(
            self.session, title=title, notes=notes, due_date=due_date, priority=priority
        )
        return self._record("created", todo_out(todo))

    def list(
        self, status: todos.Status = "all", q: str | None = None, limit: int = 50
    ) -> todos.Page:
        page = todos.list_todos(self.session, status=status, q=q, limit=limit)
        self.actions.append(Action(type="listed"))
        return page

    def update(self, todo_id: int, changes: dict[str, Any]) -> TodoOut:
        todo = todos.update_todo(self.session, todo_id, changes)
        kind = "completed" if changes.get("done") is True and len(changes) == 1 else "updated"
        return self._record(kind, todo_out(todo))

    def delete(self, todo_id: int) -> TodoOut:
        snapshot = todo_out(todos.get_todo(self.session, todo_id, for_update=True))
        todos.delete_todo(self.session, todo_id)
        return self._record("deleted", snapshot)
