"""The real server process (uvicorn app.main:app, as the image runs it): environment in,
startup log line, and graceful shutdown that finishes an in-flight chat turn on SIGTERM."""

from __future__ import annotations

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
