"""What the logs say about hostile requests and unexpected errors, through a real uvicorn
server: a request cannot forge log lines, an unexpected error is one record without the
user's text, and nothing internal reaches the client."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import text

from app import todos
from app.factory import create_app
from app.loop_pool import Statement
from tests.conftest import live_server, test_settings

PRIVATE = "my-private-search-words"


def test_logged_paths_cannot_forge_lines(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    forged = '/api/todos/1%0a2026-01-01 INFO app.access 6.6.6.6 "GET /admin" 200 0.1ms'
    with live_server(create_app(test_settings(database_url))) as base:
        for path in (forged, "/x%0d%0aInjected", "/%1b[31mred", '/a"b%00c', "/caf%C3%A9%E2%80%AE"):
            httpx.get(base + path, timeout=10)
    access = [r.getMessage() for r in caplog.records if r.name == "app.access"]
    assert len(access) == 5
    for line in access:
        assert line.isprintable(), repr(line)  # no newline, CR, ESC, NUL or bidi control
        assert line.count('"') == 2, line  # the quoted request cannot be closed early
    assert "/api/todos/1%0A2026-01-01%20INFO" in access[0]
    assert "/a%22b%00c" in access[3]
    assert all("\n" not in r.getMessage() for r in caplog.records)


_INSERT = (
    "INSERT INTO todos (title, notes, priority, done, created_at, updated_at) "
    "VALUES ({q}, '', 'urgent', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


def _database_error(conn, q):  # type: ignore[no-untyped-def]
    # A real database error on a statement that carries the user's text as a parameter
    # (PostgreSQL's message for it even quotes the failing row, user text included).
    conn.execute(text(_INSERT.format(q=":q")), {"q": q})


async def _database_error_on_the_loop(pool, q):  # type: ignore[no-untyped-def]
    # The same on the loop pool, where psycopg's error reaches the app unwrapped.
    await pool.execute(Statement(_INSERT.format(q="%(q)s")), {"q": q})


def _plain_bug(conn, q):  # type: ignore[no-untyped-def]
    raise KeyError("some internal key")


async def _plain_bug_on_the_loop(pool, q):  # type: ignore[no-untyped-def]
    raise KeyError("some internal key")


@pytest.mark.parametrize(
    ("fault", "fault_on_the_loop", "name"),
    [
        (_database_error, _database_error_on_the_loop, "IntegrityError"),
        (_plain_bug, _plain_bug_on_the_loop, "KeyError"),
    ],
)
def test_unexpected_error_is_one_record_without_user_text(
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    fault: object,
    fault_on_the_loop: object,
    name: str,
) -> None:
    # The list's page: from the loop pool on PostgreSQL, from the engine on SQLite.
    def broken_list(conn, status="all", q=None, limit=50, offset=0):  # type: ignore[no-untyped-def]
        fault(conn, q)  # type: ignore[operator]

    async def broken_page(pool, status="all", q=None, limit=50, offset=0):  # type: ignore[no-untyped-def]
        await fault_on_the_loop(pool, q)  # type: ignore[operator]

    monkeypatch.setattr(todos, "list_todos", broken_list)
    monkeypatch.setattr(todos, "page_json", broken_page)
    for logger in ("app", "uvicorn", "sqlalchemy"):
        caplog.set_level(logging.DEBUG, logger=logger)
    with live_server(create_app(test_settings(database_url))) as base:
        r = httpx.get(f"{base}/api/todos", params={"q": PRIVATE}, timeout=10)
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal server error"}
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1, [(e.name, e.getMessage()) for e in errors]
    message = errors[0].getMessage()
    assert name in message
    assert "GET /api/todos" in message
    assert "api/todos.py" in message or errors[0].exc_info is not None  # where it happened
    assert PRIVATE not in caplog.text
    assert caplog.text.count("Traceback (most recent call last)") <= 1
