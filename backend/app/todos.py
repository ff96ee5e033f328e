"""Todo operations shared by the REST API and both assistants. Functions take a Session and
never commit: the caller owns the transaction, so a chat turn is all-or-nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any, Literal, get_args

from pydantic import TypeAdapter
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Text,
    bindparam,
    case,
    cast,
    delete,
    extract,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from app.db import utcnow
from app.loop_pool import Statement, Statements
from app.models import Todo
from app.schemas import TodoListRows, TodoOut, TodoRow

Status = Literal["all", "active", "done"]
STATUSES: tuple[Status, ...] = get_args(Status)
# A deleted todo can be restored this long; after that it is purged for good.
RESTORE_WINDOW = timedelta(days=7)
LIVE = Todo.deleted_at.is_(None)
# The order of every listing: newest first, the id breaking ties.
NEWEST_FIRST = (Todo.created_at.desc(), Todo.id.desc())


class TodoNotFoundError(LookupError):
    def __init__(self, todo_id: int) -> None:
        super().__init__(f"Todo {todo_id} not found")
        self.todo_id = todo_id


# The columns a TodoOut shows, and its validator for a whole page.
_TODO_OUT_NAMES = tuple(TodoOut.model_fields)
_TODO_OUT_COLUMNS = [Todo.__table__.c[name] for name in _TODO_OUT_NAMES]
_TODOS_OUT = TypeAdapter(list[TodoOut])
# The JSON of a page, written from the rows as they are (see Page.json).
_PAGE_JSON = TypeAdapter(TodoListRows)
if list(TodoRow.__annotations__) != list(TodoOut.model_fields):  # pragma: no cover
    raise TypeError("schemas.TodoRow must have TodoOut's fields, in TodoOut's order")


@dataclass
class Page:
    """A page of todos as the database returned them (plain dicts with TodoOut's fields,
    typed by their columns): `json()` writes the API's answer from them in one step,
    `items` gives them as TodoOut models to the code that reads them."""

    rows: list[TodoRow]
    total: int
    limit: int
    offset: int

    @cached_property
    def items(self) -> list[TodoOut]:
        return _TODOS_OUT.validate_python(self.rows)

    def json(self) -> bytes:
        """What TodoList(items=self.items, ...) serializes to, byte for byte, without
        building the models first (validating 50 rows cost as much as writing them)."""
        return _PAGE_JSON.dump_json(
            {"items": self.rows, "total": self.total, "limit": self.limit, "offset": self.offset}
        )


def _search_term(q: str | None) -> str | None:
    """The text to search for, or None when there is nothing to search for."""
    return q.strip() if q and q.strip() else None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _pattern(q: str) -> str:
    return f"%{_escape_like(q)}%"


def _conditions(status: Status, searching: bool) -> list[ColumnElement[bool]]:
    """The filter of a listing; with searching, the title or notes must match the bound
    `pattern` (see _pattern), so one statement serves every search term."""
    conds = [LIVE]
    if status == "active":
        conds.append(Todo.done.is_(False))
    elif status == "done":
        conds.append(Todo.done.is_(True))
    if searching:
        pattern = bindparam("pattern", type_=Text)
        conds.append(
            or_(Todo.title.ilike(pattern, escape="\\"), Todo.notes.ilike(pattern, escape="\\"))
        )
    return conds


def _params(q: str | None, limit: int, offset: int) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if q is not None:
        params["pattern"] = _pattern(q)
    return params


def _page_query(status: Status, searching: bool) -> Select[Any]:
    # One round trip for page and total (a window count); a second only for a page past the end.
    return (
        select(*_TODO_OUT_COLUMNS, func.count().over().label("total"))
        .where(*_conditions(status, searching))
        .order_by(*NEWEST_FIRST)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


# Every listing's statements, built once (building one costs as much as running it), by
# status and whether a search term is bound.
_LISTINGS = [(status, searching) for status in STATUSES for searching in (False, True)]
_PAGE_QUERIES = {key: _page_query(*key) for key in _LISTINGS}


def _iso_utc(column: Any) -> ColumnElement[str]:
    """A timestamp as pydantic writes a UTC datetime: seconds, then six digits of
    microseconds only when there are any, then Z (whatever zone the session is in)."""
    utc = column.op("AT TIME ZONE")(literal_column("'UTC'"))
    return case(
        (extract("microseconds", utc) % 1_000_000 == 0,
         func.to_char(utc, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"))),
        else_=func.to_char(utc, literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'")),
    )  # fmt: skip


def _page_json_query(status: Status, searching: bool) -> Select[Any]:
    """The page's items as JSON text written by PostgreSQL (row_to_json: compact, fields in
    TodoOut's order, strings escaped as pydantic escapes them), and the total. The rows never
    become Python values: converting and serializing 50 of them cost the list endpoint as
    much CPU as everything else it does."""
    shown = [
        _iso_utc(column).label(column.name) if column.name.endswith("_at") else column
        for column in _TODO_OUT_COLUMNS
    ]
    page = (
        select(
            *shown,
            func.count().over().label("total"),
            func.row_number().over(order_by=NEWEST_FIRST).label("n"),
        )
        .where(*_conditions(status, searching))
        .order_by(*NEWEST_FIRST)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("page")
    )
    # The item is the page's row without total and n: a lateral subquery of just its fields.
    item = select(*(page.c[name] for name in _TODO_OUT_NAMES)).correlate(page).lateral("item")
    items = func.string_agg(
        cast(func.row_to_json(literal_column(item.name)), Text),
        aggregate_order_by(literal_column("','"), page.c.n),
    )
    return select(items, func.max(page.c.total)).select_from(page.join(item, true()))


def _count_query(status: Status, searching: bool) -> Select[Any]:
    return select(func.count()).select_from(Todo).where(*_conditions(status, searching))


_COUNT_QUERIES = {key: _count_query(*key) for key in _LISTINGS}
# The statements of the listings on PostgreSQL, compiled once for the loop pool.
_PAGE_STATEMENTS = {key: Statement.of(query) for key, query in _PAGE_QUERIES.items()}
_PAGE_JSON_STATEMENTS = {key: Statement.of(_page_json_query(*key)) for key in _LISTINGS}
_COUNT_STATEMENTS = {key: Statement.of(query) for key, query in _COUNT_QUERIES.items()}


async def page_json(
    pool: Statements, status: Status = "all", q: str | None = None, limit: int = 50, offset: int = 0
) -> bytes:
    """GET /api/todos's answer on PostgreSQL: what list_todos(...).json() writes, byte for
    byte (a test holds them together), with the items written by the database."""
    q = _search_term(q)
    key, params = (status, q is not None), _params(q, limit, offset)
    [(items, total)] = await pool.fetch(_PAGE_JSON_STATEMENTS[key], params)
    if total is None:  # no row on this page: count them only past the end
        total = (await pool.fetch(_COUNT_STATEMENTS[key], params))[0][0] if offset else 0
    return (
        f'{{"items":[{items or ""}],"total":{total},"limit":{limit},"offset":{offset}}}'
    ).encode()


def list_todos(
    db: Session | Connection,
    status: Status = "all",
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """A page of todos, on a Session (a chat turn's transaction) or on a plain Connection
    (GET /api/todos: one autocommit SELECT, none of a Session's bookkeeping)."""
    q = _search_term(q)
    key, params = (status, q is not None), _params(q, limit, offset)
    # Plain rows, validated in one go: loading ORM objects (and SQLAlchemy's row-to-dict)
    # cost more than the query itself. A session's connection does not autoflush: changes
    # made earlier in a chat turn are flushed first.
    if isinstance(db, Session):
        db.flush()
        conn = db.connection()
    else:
        conn = db
    fetched = conn.execute(_PAGE_QUERIES[key], params).all()  # one fetch, not 50
    if fetched:
        total = fetched[0][-1]
    elif offset:
        total = conn.scalar(_COUNT_QUERIES[key], params) or 0
    else:
        total = 0
    return Page(rows=_rows(fetched), total=total, limit=limit, offset=offset)


async def list_page(
    pool: Statements, status: Status = "all", q: str | None = None, limit: int = 50, offset: int = 0
) -> Page:
    """list_todos on the loop pool: the same statement, the same Page."""
    q = _search_term(q)
    key, params = (status, q is not None), _params(q, limit, offset)
    fetched = await pool.fetch(_PAGE_STATEMENTS[key], params)
    if fetched:
        total = fetched[0][-1]
    elif offset:
        total = (await pool.fetch(_COUNT_STATEMENTS[key], params))[0][0]
    else:
        total = 0
    return Page(rows=_rows(fetched), total=total, limit=limit, offset=offset)


def _rows(fetched: Sequence[Sequence[Any]]) -> list[TodoRow]:
    """A page's rows (TodoOut's columns, then the total) as TodoRows."""
    return [dict(zip(_TODO_OUT_NAMES, row, strict=False)) for row in fetched]  # type: ignore[misc]


# Ids are 32-bit integer columns; an id outside that range cannot exist, and asking the
# database about it would be an overflow error instead of a clean "not found".
MAX_ID = 2**31 - 1


def get_todo(
    session: Session, todo_id: int, *, for_update: bool = False, include_deleted: bool = False
) -> Todo:
    if not 1 <= todo_id <= MAX_ID:
        raise TodoNotFoundError(todo_id)
    stmt = select(Todo).where(Todo.id == todo_id)
    if not include_deleted:
        stmt = stmt.where(LIVE)
    if for_update:
        stmt = stmt.with_for_update()  # no-op on SQLite, row lock on Postgres
    todo = session.scalar(stmt)
    if todo is None:
        raise TodoNotFoundError(todo_id)
    return todo


def create_todo(
    session: Session,
    *,
    title: str,
    notes: str = "",
    due_date: date | None = None,
    priority: str = "medium",
    done: bool = False,
) -> Todo:
    now = utcnow()  # one instant, so a new todo has created_at == updated_at
    todo = Todo(
        title=title,
        notes=notes,
        due_date=due_date,
        priority=priority,
        done=done,
        created_at=now,
        updated_at=now,
    )
    session.add(todo)
    session.flush()  # assigns the id and timestamps inside the caller's transaction
    return todo


def update_todo(session: Session, todo_id: int, changes: dict[str, Any]) -> Todo:
    todo = get_todo(session, todo_id, for_update=True)
    for field, value in changes.items():
        setattr(todo, field, value)
    session.flush()
    return todo


def delete_todo(session: Session, todo_id: int) -> Todo:
    """Hides the todo (replace_todo brings it back) and purges those deleted long ago."""
    todo = get_todo(session, todo_id, for_update=True)
    now = utcnow()
    todo.deleted_at = now
    session.flush()
    session.execute(delete(Todo).where(Todo.deleted_at < now - RESTORE_WINDOW))
    return todo


def replace_todo(session: Session, todo_id: int, fields: dict[str, Any]) -> Todo:
    """Sets every field. A deleted todo (not yet purged) comes back: the same id, created_at
    and place in the list, which is how a delete is undone."""
    todo = get_todo(session, todo_id, for_update=True, include_deleted=True)
    for field, value in fields.items():
        setattr(todo, field, value)
    todo.deleted_at = None
    session.flush()
    return todo


def find_by_text(session: Session, text: str, *, include_done: bool = True) -> list[Todo]:
    """Todos whose title contains text (case-insensitive), newest first, at most 10."""
    stmt = select(Todo).where(LIVE, Todo.title.ilike(_pattern(text.strip()), escape="\\"))
    if not include_done:
        stmt = stmt.where(Todo.done.is_(False))
    return list(session.scalars(stmt.order_by(*NEWEST_FIRST).limit(10)))


def find_by_words(session: Session, words: list[str]) -> list[Todo]:
    """Todos whose title contains every one of words (case-insensitive), newest first."""
    conds = [Todo.title.ilike(_pattern(w), escape="\\") for w in words]
    stmt = select(Todo).where(LIVE, *conds).order_by(*NEWEST_FIRST)
    return list(session.scalars(stmt.limit(10)))
