"""X-Request-ID: a well-formed incoming id is kept, anything else is replaced by a new
uuid4; the id comes back in the response header and is on the request's access record
along with its method, route template, status and duration."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient

from app.factory import create_app
from tests.conftest import live_server, test_settings


def access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "app.access"]


@pytest.mark.parametrize("rid", ["abc", "fe-1a2b.3:4_5", "x" * 128])
def test_well_formed_id_is_kept(
    client: TestClient, caplog: pytest.LogCaptureFixture, rid: str
) -> None:
    caplog.set_level(logging.INFO, logger="app")
    r = client.get("/api/todos", headers={"X-Request-ID": rid})
    assert r.headers["x-request-id"] == rid
    (record,) = access_records(caplog)
    assert record.request_id == rid  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "rid", ["", "x" * 129, "has space", "semi;colon", "new\tline", "ünï", '"quoted"', "a/b"]
)
def test_malformed_id_is_replaced(
    client: TestClient, caplog: pytest.LogCaptureFixture, rid: str
) -> None:
    caplog.set_level(logging.INFO, logger="app")
    r = client.get("/api/todos", headers={"X-Request-ID": rid.encode("utf-8")})
    new = r.headers["x-request-id"]
    assert new != rid
    assert uuid.UUID(new).version == 4
    (record,) = access_records(caplog)
    assert record.request_id == new  # type: ignore[attr-defined]
    assert rid not in caplog.text or rid == ""


def test_missing_id_is_generated_fresh_per_request(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    assert all(uuid.UUID(i).version == 4 for i in ids)


def test_access_record_fields(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="app")
    todo_id = client.post("/api/todos", json={"title": "t"}).json()["id"]
    caplog.clear()
    client.get(f"/api/todos/{todo_id}", headers={"X-Request-ID": "req-1"})
    client.get("/no/such/path", headers={"X-Request-ID": "req-2"})
    found, missing = access_records(caplog)
    assert (found.method, found.route, found.status) == ("GET", "/api/todos/{todo_id}", 200)  # type: ignore[attr-defined]
    assert isinstance(found.duration_ms, float)  # type: ignore[attr-defined]
    assert found.duration_ms >= 0  # type: ignore[attr-defined]
    assert (missing.route, missing.status, missing.request_id) == (None, 404, "req-2")  # type: ignore[attr-defined]
    # The text line people read is unchanged.
    assert f'"GET /api/todos/{todo_id}" 200 ' in found.getMessage()


def test_rejected_and_failed_answers_carry_the_id(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import todos

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(todos, "page_json", broken)  # the list on PostgreSQL
    monkeypatch.setattr(todos, "list_todos", broken)  # and on SQLite
    with live_server(create_app(test_settings(database_url))) as base:
        big = httpx.post(
            f"{base}/api/todos",
            content=b"x" * 70_000,
            headers={"content-type": "application/json", "X-Request-ID": "big-1"},
            timeout=10,
        )
        assert (big.status_code, big.headers["x-request-id"]) == (413, "big-1")
        err = httpx.get(f"{base}/api/todos", headers={"X-Request-ID": "err-1"}, timeout=10)
        assert (err.status_code, err.headers["x-request-id"]) == (500, "err-1")
