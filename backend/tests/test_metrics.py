"""GET /metrics on the separate METRICS_PORT listener, scraped over HTTP like Prometheus
does: each metric family moves with the requests that should move it, requests are counted
by route template, and the API port never serves metrics."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, make_url, text

from app.factory import create_app
from tests import fake_gemini as fg
from tests.conftest import MakeClient, live_server, test_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Scraper:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/metrics"

    def samples(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        r = httpx.get(self.url, timeout=10)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/plain")
        return {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text)
            for s in family.samples
        }

    def value(self, name: str, **labels: str) -> float:
        return self.samples().get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metered(make_client: MakeClient) -> tuple[TestClient, Scraper]:
    port = free_port()
    return make_client(metrics_port=port), Scraper(port)


def test_metrics_listener_is_separate_from_the_api_port(database_url: str) -> None:
    port = free_port()
    with live_server(create_app(test_settings(database_url, metrics_port=port))) as base:
        assert httpx.get(f"{base}/metrics", timeout=10).status_code == 404
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
        r = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert r.status_code == 200
        assert "todo_db_pool_in_use" in r.text
    with pytest.raises(httpx.TransportError):  # the listener stops with the app
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_metrics_port_zero_turns_metrics_off(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404


def test_requests_counted_by_route_template(metered: tuple[TestClient, Scraper]) -> None:
    client, scraper = metered
    todo_id = client.post("/api/todos", json={"title": "count me"}).json()["id"]
    for _ in range(3):
        assert client.get(f"/api/todos/{todo_id}").status_code == 200
    assert client.get("/api/todos/999999").status_code == 404
    samples = scraper.samples()
    handlers = {dict(labels).get("handler") for (_, labels) in samples}
    assert f"/api/todos/{todo_id}" not in handlers  # never a raw path
    template = "/api/todos/{todo_id}"
    count = scraper.value
    assert count("http_requests_total", handler=template, method="GET", status="200") == 3
    assert count("http_requests_total", handler=template, method="GET", status="404") == 1
    assert count("http_requests_total", handler="/api/todos", method="POST", status="201") == 1
    assert count("http_request_duration_seconds_count", handler=template, method="GET") == 4
    # Buckets are cumulative and end in +Inf holding every observation.
    buckets = sorted(
        (float(dict(labels)["le"]), v)
        for (name, labels), v in samples.items()
        if name == "http_request_duration_seconds_bucket"
        and dict(labels).get("handler") == template
    )
    assert buckets[-1] == (float("inf"), 4)
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    # Probes are left out: they would dominate the counts.
    client.get("/readyz")
    assert "/readyz" not in {dict(labels).get("handler") for (_, labels) in scraper.samples()}


def test_rejected_requests_by_reason(metered: tuple[TestClient, Scraper]) -> None:
    client, scraper = metered
    big = b'{"title": "' + b"x" * 70_000 + b'"}'
    headers = {"content-type": "application/json"}
    assert client.post("/api/todos", content=big, headers=headers).status_code == 413
    assert client.post("/api/todos", content=b"title=x").status_code == 415
    assert (
        client.post(
            "/api/todos", content=b"title=x", headers={"content-type": "text/plain"}
        ).status_code
        == 415
    )
    assert client.post("/api/todos", json={"title": ""}).status_code == 422
    assert client.post("/api/todos", content=b'{"title": "\xff"}', headers=headers).status_code in (
        400,
        422,
    )
    service = client.app.state.services.chat  # type: ignore[attr-defined]
    service.slots.busy = service.slots.size  # every chat slot taken
    try:
        assert client.post("/api/chat", json={"message": "hi"}).status_code == 503
    finally:
        service.slots.busy = 0
    value = scraper.value
    assert value("todo_requests_rejected_total", reason="body_too_large") == 1
    assert value("todo_requests_rejected_total", reason="unsupported_media_type") == 2
    assert (
        value("todo_requests_rejected_total", reason="invalid_input")
        + value("todo_requests_rejected_total", reason="unreadable_body")
        == 2
    )
    assert value("todo_requests_rejected_total", reason="chat_busy") == 1
    assert value("todo_chat_turns_total", assistant="offline", outcome="busy") == 1


def test_offline_chat_turns_and_latency(metered: tuple[TestClient, Scraper]) -> None:
    client, scraper = metered
    r = client.post("/api/chat", json={"message": "add buy milk"})
    assert r.status_code == 200, r.text
    unknown = {"message": "hi", "conversation_id": "00000000-0000-4000-8000-000000000000"}
    assert client.post("/api/chat", json=unknown).status_code == 404
    value = scraper.value
    assert value("todo_chat_turns_total", assistant="offline", outcome="ok") == 1
    assert value("todo_chat_turns_total", assistant="offline", outcome="not_found") == 1
    assert value("todo_assistant_latency_seconds_count") == 1
    assert value("todo_assistant_latency_seconds_sum") > 0


@pytest.fixture
def fake() -> Iterator[fg.FakeGemini]:
    server = fg.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_assistant_failures_by_reason(make_client: MakeClient, fake: fg.FakeGemini) -> None:
    port = free_port()
    client = make_client(
        metrics_port=port,
        gemini_api_key="test-key-not-a-secret",
        gemini_base_url=fake.base_url,
        gemini_retry_attempts=1,
    )
    scraper = Scraper(port)
    fake.script(fg.error(429, "RESOURCE_EXHAUSTED", "quota"), fg.error(500, "INTERNAL", "boom"))
    assert client.post("/api/chat", json={"message": "hi"}).status_code == 429
    assert client.post("/api/chat", json={"message": "hi"}).status_code == 502
    value = scraper.value
    assert value("todo_assistant_failures_total", reason="rate_limited") == 1
    assert value("todo_assistant_failures_total", reason="upstream_error") == 1
    assert value("todo_chat_turns_total", assistant="gemini", outcome="assistant_failed") == 2
    assert value("todo_assistant_latency_seconds_count") == 2


def test_pool_gauges_follow_connections(metered: tuple[TestClient, Scraper]) -> None:
    client, scraper = metered
    engine = client.app.state.services.engine  # type: ignore[attr-defined]
    assert scraper.value("todo_db_pool_in_use") == 0
    held = [engine.connect()]
    try:
        assert scraper.value("todo_db_pool_in_use") == 1
        # Take every connection the pool allows, then one more thread has to wait.
        limit = engine.pool.size() + engine.pool._max_overflow
        held += [engine.connect() for _ in range(limit - 1)]
        assert scraper.value("todo_db_pool_in_use") == limit
        got: list[object] = []
        waiter = threading.Thread(target=lambda: got.append(engine.connect()), daemon=True)
        waiter.start()
        deadline = threading.Event()
        for _ in range(100):
            if scraper.value("todo_db_pool_waiting") == 1:
                break
            deadline.wait(0.05)
        assert scraper.value("todo_db_pool_waiting") == 1
        held.pop().close()  # the waiter gets this one
        waiter.join(timeout=10)
        assert got
        assert scraper.value("todo_db_pool_waiting") == 0
        held.extend(got)  # type: ignore[arg-type]
    finally:
        for conn in held:
            conn.close()  # type: ignore[attr-defined]
    assert scraper.value("todo_db_pool_in_use") == 0


@pytest.mark.postgres_only
def test_loop_pool_gauges_follow_its_connections(database_url: str) -> None:
    """The list's loop pool: a list waiting for a table lock holds its one connection, and
    the next list waits for it."""
    port = free_port()
    scraper = Scraper(port)
    settings = test_settings(database_url, metrics_port=port, database_loop_pool_size=1)
    admin = create_engine(make_url(database_url))
    with live_server(create_app(settings)) as base:
        assert httpx.get(f"{base}/api/todos", timeout=10).status_code == 200
        assert scraper.value("todo_db_loop_pool_in_use") == 0
        with admin.connect() as locker, ThreadPoolExecutor(2) as pool:
            locker.execute(text("LOCK TABLE todos IN ACCESS EXCLUSIVE MODE"))
            first = pool.submit(httpx.get, f"{base}/api/todos", timeout=15)
            _wait_for(lambda: scraper.value("todo_db_loop_pool_in_use") == 1)
            second = pool.submit(httpx.get, f"{base}/api/todos", timeout=15)
            _wait_for(lambda: scraper.value("todo_db_loop_pool_waiting") == 1)
            locker.rollback()
            assert [first.result().status_code, second.result().status_code] == [200, 200]
        assert scraper.value("todo_db_loop_pool_in_use") == 0
        assert scraper.value("todo_db_loop_pool_waiting") == 0
    admin.dispose()


def _wait_for(condition: Callable[[], bool], seconds: float = 3) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the gauge never read so"
        time.sleep(0.05)
