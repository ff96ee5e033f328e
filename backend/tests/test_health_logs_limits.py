"""Probes, startup behaviour, logs (one line per request, no secrets) and body limits."""

from __future__ import annotations

import logging
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from app.api.deps import services
from app.db import check_database, make_engine, read_engine, wait_for_database
from app.factory import create_app
from app.loop_pool import LoopPool
from app.settings import Settings
from tests.conftest import MakeClient, test_settings

SECRET = "hunter2-s3cret-pw"


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


def test_readyz_ready(client: TestClient) -> None:
    r = client.get("/readyz")
    assert (r.status_code, r.json()) == (200, {"status": "ready", "database": "ok"})


def test_readyz_unmigrated_database_is_503(empty_database_url: str) -> None:
    with TestClient(create_app(test_settings(empty_database_url))) as client:
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json() == {
            "status": "unavailable",
            "database": "schema not migrated: run python3 -m app.migrate",
        }
        assert client.get("/healthz").status_code == 200  # liveness does not depend on it


def test_unreachable_database_check_and_wait() -> None:
    url = f"postgresql://todo:{SECRET}@127.0.0.1:9/todo"  # discard port: connection refused
    engine = make_engine(Settings(database_url=url))
    problem = check_database(engine)
    assert problem is not None
    assert problem.startswith("unreachable (")
    start = time.monotonic()
    with pytest.raises(RuntimeError) as exc:
        wait_for_database(engine, timeout_s=1.0)
    took = time.monotonic() - start
    assert 0.9 <= took < 5, "retries for the bounded time, then gives up"
    assert "not reachable after 1s (host=127.0.0.1 port=9 db=todo)" in str(exc.value)
    assert SECRET not in str(exc.value)
    engine.dispose()


def test_startup_fails_after_bounded_wait(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(
        database_url=f"postgresql://todo:{SECRET}@127.0.0.1:9/todo", database_wait_seconds=0.5
    )
    app = create_app(settings)
    with pytest.raises(RuntimeError, match="not reachable after"), TestClient(app):
        pass
    assert "database not reachable yet (host=127.0.0.1 port=9 db=todo)" in caplog.text
    assert SECRET not in caplog.text


def test_startup_logs_database_host_and_no_secret(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_url(test_settings(database_url).database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(password=SECRET)  # the test server trusts loopback; password is ignored
    caplog.set_level(logging.INFO)
    settings = test_settings(url.render_as_string(hide_password=False), gemini_api_key=SECRET)
    with TestClient(create_app(settings)) as client:
        client.get("/api/todos")
    if url.get_backend_name() == "postgresql":
        expected = f"database connected host={url.host} port={url.port} db={url.database}"
    else:
        expected = f"database connected host=- port=- db={url.database}"
    assert expected in caplog.text
    assert "assistant mode=gemini" in caplog.text
    assert SECRET not in caplog.text


def test_one_access_log_line_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.access")
    client.get("/healthz")
    client.get("/api/todos", params={"q": "private words"})
    client.post("/api/todos", json={"title": ""})
    client.get("/api/todos/777")
    lines = [r.getMessage() for r in caplog.records if r.name == "app.access"]
    assert len(lines) == 4
    assert '"GET /healthz" 200' in lines[0]
    assert '"GET /api/todos" 200' in lines[1]
    assert "private words" not in caplog.text  # query strings are not logged
    assert '"POST /api/todos" 422' in lines[2]
    assert '"GET /api/todos/777" 404' in lines[3]


def test_oversized_body_is_413(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=2048)
    r = client.post("/api/todos", json={"title": "x", "notes": "n" * 5000})
    assert r.status_code == 413
    assert r.json() == {"detail": "Request body too large: the limit is 2048 bytes"}
    assert client.get("/api/todos").json()["total"] == 0


def test_oversized_chunked_body_is_413(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=2048)

    def chunks():  # no Content-Length: the limit is enforced while reading
        yield b'{"title": "x", "notes": "'
        for _ in range(10):
            yield b"n" * 500
        yield b'"}'

    r = client.post("/api/todos", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert client.get("/api/todos").json()["total"] == 0


def test_body_under_limit_is_fine(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=2048)
    r = client.post("/api/todos", json={"title": "x", "notes": "n" * 1500})
    assert r.status_code == 201


def test_database_outage_during_request_is_503(make_client: MakeClient) -> None:
    client = make_client()
    # Point the running app at a dead server: requests fail cleanly, not with a traceback.
    dead = make_engine(Settings(database_url=f"postgresql://u:{SECRET}@127.0.0.1:9/todo"))
    services(client.app).sessions.configure(bind=dead)
    services(client.app).read_sessions.configure(bind=dead)
    # The list reads on a Core connection of the autocommit engine (SQLite), or on the read
    # pool on the event loop (PostgreSQL): that pool keeps trying to connect in the
    # background, and a request waits for it at most the pool timeout.
    object.__setattr__(services(client.app), "reads", read_engine(dead))
    dead_reads = None
    if services(client.app).loop_pool is not None:
        dead_reads = LoopPool(Settings(database_url=dead.url.render_as_string(hide_password=False),
                                       database_pool_timeout_seconds=1))  # fmt: skip
        client.portal.call(dead_reads.open)  # type: ignore[union-attr]
        object.__setattr__(services(client.app), "loop_pool", dead_reads)
    for r in (client.get("/api/todos"), client.post("/api/todos", json={"title": "x"})):
        assert r.status_code == 503
        assert r.json() == {"detail": "The database is unavailable; try again shortly."}
        assert SECRET not in r.text
    dead.dispose()
    if dead_reads is not None:
        client.portal.call(dead_reads.close)  # type: ignore[union-attr]
