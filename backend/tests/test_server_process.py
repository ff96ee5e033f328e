"""The real server process (uvicorn app.main:app, as the image runs it): environment in,
startup log line, and graceful shutdown that finishes an in-flight chat turn on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from tests import fake_gemini as fg

BACKEND = Path(__file__).resolve().parent.parent
SECRET_KEY = "AIza-not-a-real-key-but-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fake() -> Iterator[fg.FakeGemini]:
    server = fg.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_sigterm_finishes_in_flight_request(
    database_url: str, fake: fg.FakeGemini, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "GEMINI_API_KEY": SECRET_KEY,
        "GEMINI_BASE_URL": fake.base_url,
        "GEMINI_MODEL": "gemini-test",
        "GEMINI_RETRY_ATTEMPTS": "1",
        "METRICS_PORT": "0",
    }
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log", "--timeout-graceful-shutdown", "20"],
            cwd=BACKEND, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "server did not become ready"
                time.sleep(0.1)

            # Gemini answers slowly; SIGTERM arrives while the turn is in flight.
            fake.script(fg.Reply(200, fg.text_answer("slow but complete").body, delay=1.5))
            result: dict[str, httpx.Response] = {}
            t = threading.Thread(
                target=lambda: result.setdefault(
                    "r", httpx.post(f"{base}/api/chat", json={"message": "hi"}, timeout=15)
                )
            )
            t.start()
            while not fake.requests:  # the turn has reached Gemini
                time.sleep(0.02)
            proc.send_signal(signal.SIGTERM)
            t.join(timeout=15)
            # uvicorn re-raises the signal once it has shut down cleanly, so the exit status
            # says "terminated by SIGTERM" (as Kubernetes expects), not a crash.
            assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    output = log_path.read_text()
    assert result["r"].status_code == 200, output
    assert result["r"].json()["reply"] == "slow but complete"
    assert "Shutting down" in output
    assert "shutting down: closing database connections" in output
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        assert f"database connected host={url.host} port={url.port} db={url.database}" in output
    else:
        assert f"database connected host=- port=- db={url.database}" in output
    assert output.count('"POST /api/chat" 200') == 1  # one access line per request
    assert SECRET_KEY not in output


def test_json_logs_and_metrics_listener(
    database_url: str, fake: fg.FakeGemini, tmp_path: Path
) -> None:
    """LOG_FORMAT=json: every line the process writes (uvicorn's included) is one JSON
    object; request lines carry the request fields; no secret in any line. METRICS_PORT
    serves /metrics, the API port does not."""
    port, metrics_port = free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "GEMINI_API_KEY": SECRET_KEY,
        "GEMINI_BASE_URL": fake.base_url,
        "GEMINI_MODEL": "gemini-test",
        "GEMINI_RETRY_ATTEMPTS": "1",
        "LOG_FORMAT": "json",
        "METRICS_PORT": str(metrics_port),
    }
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log"],
            cwd=BACKEND, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "server did not become ready"
                time.sleep(0.1)
            made = httpx.post(
                f"{base}/api/todos", json={"title": "json"}, headers={"X-Request-ID": "fe-42"}
            )
            assert made.headers["x-request-id"] == "fe-42"
            fake.script(fg.error(429, "RESOURCE_EXHAUSTED", "quota"))
            assert httpx.post(f"{base}/api/chat", json={"message": "hi"}).status_code == 429
            assert httpx.get(f"{base}/metrics").status_code == 404
            scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics")
            assert scraped.status_code == 200
            assert 'todo_assistant_failures_total{reason="rate_limited"} 1.0' in scraped.text
            assert SECRET_KEY not in scraped.text
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    output = log_path.read_text()
    lines = [json.loads(line) for line in output.splitlines()]  # each line is one object
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys(), line
        assert line["time"].endswith("+00:00"), line  # RFC 3339, UTC
    access = [line for line in lines if line["logger"] == "app.access"]
    assert [(a["method"], a["route"], a["status"]) for a in access] == [
        ("GET", "/readyz", 200),
        ("POST", "/api/todos", 201),
        ("POST", "/api/chat", 429),
        ("GET", None, 404),
    ]  # polls before the server listened never reached the app
    assert access[1]["request_id"] == "fe-42"
    assert all(isinstance(a["duration_ms"], float) for a in access)
    assert any(line["logger"] == "uvicorn.error" for line in lines)  # uvicorn's lines too
    assert any("metrics served on port" in line["message"] for line in lines)
    assert SECRET_KEY not in output
    password = make_url(database_url).password
    assert not password or password not in output


@pytest.mark.parametrize(("gemini_key", "loaded"), [("", []), (SECRET_KEY, ["google.genai"])])
def test_importing_the_app_loads_the_gemini_sdk_only_with_a_key_and_never_alembic(
    gemini_key: str, loaded: list[str], tmp_path: Path
) -> None:
    # Each is a large part of every start (pods; make dev's dev server preloads what the app
    # imports): the offline assistant needs no SDK, and migrations import Alembic when they
    # run, not before.
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'todos.db'}",
        "GEMINI_API_KEY": gemini_key,
        "METRICS_PORT": "0",
    }
    probe = (
        "import sys, app.main; print([m for m in ('alembic', 'google.genai') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=BACKEND, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(loaded)
