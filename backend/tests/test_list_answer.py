"""The list answer is written straight from the rows (todos.Page.json) and PostgreSQL
sessions run in UTC: what clients receive must be exactly what the models wrote before,
timestamps in UTC with "Z" included."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url, select, text

from app import todos
from app.db import make_engine, make_read_sessionmaker
from app.loop_pool import Statement
from app.models import Todo
from app.schemas import ChatOut, TodoList, TodoOut
from app.settings import Settings

FIELDS = ["id", "title", "notes", "due_date", "priority", "done", "created_at", "updated_at"]


def _some_todos(client: TestClient) -> None:
    bodies = [
        {"title": "plain"},
        {"title": "with all", "notes": "n\u00e9\u2603 \"q\"", "due_date": "2030-01-31",
         "priority": "high", "done": True},
        {"title": "low one", "priority": "low"},
        {"title": "emoji \U0001f600", "notes": "line\nbreak"},
    ]  # fmt: skip
    for body in bodies:
        assert client.post("/api/todos", json=body).status_code == 201


def _is_utc_z(stamp: str) -> bool:
    return stamp.endswith("Z") and datetime.fromisoformat(stamp).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "params",
    [{}, {"limit": 2}, {"limit": 2, "offset": 1}, {"status": "done"}, {"q": "one"},
     {"offset": 10}, {"status": "active", "limit": 1}],
)  # fmt: skip
def test_list_answer_is_the_models_json_byte_for_byte(
    client: TestClient, params: dict[str, object]
) -> None:
    _some_todos(client)
    r = client.get("/api/todos", params=params)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    # Exactly what TodoList(...) serializes to: same keys, order, separators and formats.
    assert r.content == TodoList.model_validate_json(r.content).model_dump_json().encode()
    body = r.json()
    assert list(body) == ["items", "total", "limit", "offset"]
    for item in body["items"]:
        assert list(item) == FIELDS
        # Each item is byte for byte what GET /api/todos/{id} answers for it.
        one = client.get(f"/api/todos/{item['id']}")
        assert one.content == json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode()


def test_timestamps_are_utc_with_z_everywhere(client: TestClient) -> None:
    _some_todos(client)
    listed = client.get("/api/todos").json()["items"]
    one = client.get(f"/api/todos/{listed[0]['id']}").json()
    chat = client.post("/api/chat", json={"message": "add buy milk"}).json()
    stamps = [t[k] for t in [*listed, one, chat["actions"][0]["todo"]] for k in
              ("created_at", "updated_at")]  # fmt: skip
    assert stamps
    assert all(_is_utc_z(s) for s in stamps), stamps


def test_page_rows_and_items_agree(clean_database_url: str, client: TestClient) -> None:
    _some_todos(client)
    engine = make_engine(Settings(database_url=clean_database_url))
    try:
        with make_read_sessionmaker(engine)() as session:
            page = todos.list_todos(session, limit=3)
        assert [list(row) for row in page.rows] == [FIELDS] * 3
        assert all(isinstance(t, TodoOut) for t in page.items)
        assert all(t.created_at.tzinfo is UTC for t in page.items)
        expected = TodoList(items=page.items, total=page.total, limit=3, offset=0)
        assert page.json() == expected.model_dump_json().encode()
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_postgres_sessions_run_in_utc(clean_database_url: str, client: TestClient) -> None:
    _some_todos(client)
    engine = make_engine(Settings(database_url=clean_database_url))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW TimeZone")).scalar() == "UTC"
            assert conn.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
            raw = conn.exec_driver_sql("SELECT created_at FROM todos LIMIT 1").scalar()
            # psycopg gives datetime.UTC itself: UTCDateTime has nothing to convert.
            assert raw.tzinfo is UTC
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_a_session_in_another_zone_still_reads_utc(
    clean_database_url: str, client: TestClient
) -> None:
    """Should a session end up in another zone (a pooler resetting it), values stay UTC."""
    _some_todos(client)
    engine = make_engine(Settings(database_url=clean_database_url))
    try:
        with engine.connect() as conn:
            utc_rows = conn.execute(select(Todo.id, Todo.created_at).order_by(Todo.id)).all()
            conn.exec_driver_sql("SET TIME ZONE 'Asia/Kolkata'")
            raw = conn.exec_driver_sql("SELECT created_at FROM todos LIMIT 1").scalar()
            assert raw.utcoffset() == timedelta(hours=5, minutes=30)
            rows = conn.execute(select(Todo.id, Todo.created_at).order_by(Todo.id)).all()
            assert rows == utc_rows
            assert all(created.tzinfo is UTC for _, created in rows)
            with make_read_sessionmaker(engine)(bind=conn) as session:
                page = todos.list_todos(session)
            stamps = [item["created_at"] for item in json.loads(page.json())["items"]]
            assert stamps
            assert all(_is_utc_z(s) for s in stamps), stamps
            conn.rollback()
    finally:
        engine.dispose()


class _OneConnection:
    """todos.Statements on one connection whose session is in `zone` (the app's pool is
    in UTC)."""

    def __init__(self, conn: psycopg.AsyncConnection) -> None:  # type: ignore[type-arg]
        self.conn = conn

    async def fetch(self, statement: Statement, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        cur = await self.conn.execute(statement.sql, {**statement.constants, **params})
        return await cur.fetchall()

    async def execute(self, statement: Statement, params: dict[str, Any]) -> None:
        await self.conn.execute(statement.sql, {**statement.constants, **params})


async def _pages_on_the_loop(
    url: str, zone: str, cases: list[dict]
) -> tuple[list[bytes], list[todos.Page]]:
    """Each case's page_json and list_page, on one connection in `zone`."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute(f"SET TIME ZONE '{zone}'")
        one = _OneConnection(conn)
        written = [await todos.page_json(one, **params) for params in cases]
        return written, [await todos.list_page(one, **params) for params in cases]


@pytest.mark.postgres_only
def test_postgres_writes_the_page_as_the_models_would(
    clean_database_url: str, client: TestClient
) -> None:
    """On PostgreSQL the database writes the page's items (todos.page_json, with the
    statements the loop pool runs): byte for byte the models' JSON, for text that JSON must
    escape, whole-second timestamps (no fraction, as pydantic writes them), ties in
    created_at, and a session in another zone."""
    _some_todos(client)
    for body in [{"title": 'back\\slash "quoted" \u00e9\u4e2d', "notes": "tab\there\r\nnext"},
                 {"title": "tie one"}, {"title": "tie two"}]:  # fmt: skip
        assert client.post("/api/todos", json=body).status_code == 201
    engine = make_engine(Settings(database_url=clean_database_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE todos SET created_at = date_trunc('second', created_at), "
                    "updated_at = '2030-01-01T00:00:00.000100Z' WHERE title LIKE 'tie%'"
                )
            )
            conn.execute(text(
                "UPDATE todos SET created_at = (SELECT created_at FROM todos WHERE title = "
                "'tie one') WHERE title = 'tie two'"))  # fmt: skip
        cases = [{}, {"limit": 2}, {"limit": 3, "offset": 2}, {"offset": 50},
                 {"q": "\\"}, {"q": "TIE", "status": "active"}]  # fmt: skip
        for zone in ("UTC", "America/St_Johns"):
            with engine.connect() as conn:
                expected = [todos.list_todos(conn, **params) for params in cases]  # type: ignore[arg-type]
            written, pages = asyncio.run(_pages_on_the_loop(clean_database_url, zone, cases))
            assert written == [page.json() for page in expected], zone
            # list_page (an offline listing on the loop) reads the same rows as list_todos.
            assert pages == expected, zone
        stamps = [t["created_at"] for t in client.get("/api/todos").json()["items"]]
        assert any("." not in s for s in stamps), stamps  # a whole second was among them
    finally:
        engine.dispose()


def test_chat_answer_is_what_fastapi_wrote_from_the_model(client: TestClient) -> None:
    """POST /api/chat writes its ChatOut itself: the same bytes FastAPI's response_model
    path rendered (the model's JSON-mode dump through Starlette's JSONResponse)."""
    _some_todos(client)
    first = client.post("/api/chat", json={"message": 'add call \u00e9mile "now"'})
    later = client.post(
        "/api/chat",
        json={"message": "show my todos", "conversation_id": first.json()["conversation_id"]},
    )
    for r in (first, later):
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        out = ChatOut.model_validate_json(r.content)
        rendered = json.dumps(
            out.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")
        )
        assert r.content == rendered.encode()
    conversation = client.get(f"/api/chat/conversations/{first.json()['conversation_id']}")
    assert [m["role"] for m in conversation.json()["messages"]] == ["user", "assistant"] * 2
