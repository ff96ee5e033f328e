"""A slow dependency must not starve the rest: with a Gemini endpoint that never answers
(a local stand-in, tests/fake_gemini.SilentServer), chat turns get their own bounded
concurrency, extra turns are refused at once with 503 and Retry-After, and listing todos
and health checks stay fast. Served by a real uvicorn server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from app.factory import create_app
from tests import fake_gemini as fg
from tests.conftest import live_server, test_settings

SLOTS = 4
CHATS = 45  # more than the server's default thread pool (40)


@pytest.fixture
def silent() -> Iterator[fg.SilentServer]:
    server = fg.SilentServer()
    yield server
    server.close()


def test_hanging_gemini_does_not_starve_crud(
    clean_database_url: str, silent: fg.SilentServer, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = test_settings(
        clean_database_url,
        gemini_api_key="test-key",
        gemini_base_url=silent.base_url,
        gemini_timeout_seconds=12,
        gemini_retry_attempts=1,
        chat_max_concurrent_turns=SLOTS,
    )
    app = create_app(settings)
    results: list[httpx.Response | Exception] = []

    def chat(base: str) -> None:
        try:
            results.append(httpx.post(f"{base}/api/chat", json={"message": "hi"}, timeout=30))
        except Exception as err:
            results.append(err)

    with live_server(app) as base:
        httpx.post(f"{base}/api/todos", json={"title": "still here"}, timeout=10)
        threads = [threading.Thread(target=chat, args=(base,)) for _ in range(CHATS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while silent.accepted < SLOTS and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # every other chat request has arrived by now

        latencies = []
        for _ in range(10):
            start = time.monotonic()
            r = httpx.get(f"{base}/api/todos", timeout=30)
            latencies.append(time.monotonic() - start)
            assert r.status_code == 200
            assert r.json()["total"] == 1
        start = time.monotonic()
        assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
        health = time.monotonic() - start
        # On a busy machine the last refusals can still be on their way: wait for them (the
        # hung turns never answer, so a correct server stops this at CHATS - SLOTS results).
        deadline = time.monotonic() + 10
        while len(results) < CHATS - SLOTS and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # a hung turn that wrongly answered would be counted by now
        accepted = silent.accepted
        refused = [r for r in results if isinstance(r, httpx.Response) and r.status_code == 503]
        in_flight = CHATS - len(results)
        silent.close()  # the hung turns fail now (a 502/504), the server can stop
        for t in threads:
            t.join(timeout=30)

    with capsys.disabled():
        print(
            f"\n[stand-in: never-answering Gemini] list latency while {SLOTS} chats hang: "
            f"max {max(latencies) * 1000:.0f} ms, median {sorted(latencies)[5] * 1000:.0f} ms; "
            f"healthz {health * 1000:.0f} ms; {len(refused)} chats refused with 503"
        )
    # Without the bound each list waited for a hung chat to time out (12 s here).
    assert max(latencies) < 3.0, latencies
    assert health < 3.0
    assert accepted == SLOTS, "only the allowed chat turns reached the stand-in"
    assert in_flight == SLOTS
    assert len(refused) == CHATS - SLOTS
    for r in refused:
        assert r.headers["retry-after"].isdigit()
        assert "busy" in r.json()["detail"]
    assert all(isinstance(r, httpx.Response) for r in results), results
