"""`python3 -m app.devserver`, make dev's backend server (the chart's liveUpdate mode): a
saved file is served by a new worker forked from the preloading parent, a broken file costs
the worker but not the server, and SIGTERM stops both."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_server_process import BACKEND, free_port

HEALTH = Path("app/api/health.py")


def eventually(what: str, check: Callable[[], bool], log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, (
            f"{what} within {seconds}s; server log:\n{log.read_text()}"
        )
        time.sleep(0.05)


def healthz(base: str) -> str:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).text
    except httpx.TransportError:
        return ""


def gone(pid: str) -> bool:
    """The process has exited (a zombie waiting for init to reap it counts)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


def workers(pid: int) -> set[str]:
    return set(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())


@pytest.fixture
def code(tmp_path: Path) -> Path:
    """A copy of the backend's code to edit, as the live-code volume is in the pod."""
    for name in ("app", "alembic", "alembic.ini"):
        src = BACKEND / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    return tmp_path


@pytest.fixture
def server(code: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": f"sqlite:///{code / 'todos.db'}",
        "GEMINI_API_KEY": "",
        "METRICS_PORT": "0",
    }
    log = code / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.devserver", "--host", "127.0.0.1", "--port", str(port)],
            cwd=code, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        eventually("the dev server answers", lambda: '"ok"' in healthz(base), log)
        yield proc, base, log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # a worker, should one have outlived it


def edit(code: Path, old: str, new: str) -> None:
    path = code / HEALTH
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_saved_file_is_served_by_a_new_worker(
    code: Path, server: tuple[subprocess.Popen[bytes], str, Path]
) -> None:
    proc, base, log = server
    before = workers(proc.pid)
    assert len(before) == 1, before
    edit(code, 'return {"status": "ok"}', 'return {"status": "ok, edited"}')
    eventually("the edited code answers", lambda: "ok, edited" in healthz(base), log)
    after = workers(proc.pid)
    assert len(after) == 1, after
    assert after != before, "the same worker still serves"
    assert proc.poll() is None
    assert "app/api/health.py changed: new worker" in log.read_text()


def test_files_saved_together_restart_the_worker_once(
    code: Path, server: tuple[subprocess.Popen[bytes], str, Path]
) -> None:
    # As the watcher's tar writes them: one file, a moment, then another the new code needs.
    _, base, log = server
    (code / "app/api/marker.py").write_text('MARKER = "ok, both files"\n')
    time.sleep(0.02)
    edit(code, "from fastapi", "from app.api.marker import MARKER\nfrom fastapi")
    edit(code, 'return {"status": "ok"}', 'return {"status": MARKER}')
    eventually("the synced code answers", lambda: "ok, both files" in healthz(base), log)
    restarts = [line for line in log.read_text().splitlines() if "new worker" in line]
    assert len(restarts) == 1, restarts
    assert "app/api/marker.py" in restarts[0]


def test_a_broken_file_stops_the_worker_until_it_is_fixed(
    code: Path, server: tuple[subprocess.Popen[bytes], str, Path]
) -> None:
    proc, base, log = server
    edit(code, 'return {"status": "ok"}', 'return {"status": "ok"')  # a syntax error
    # Not "no worker" alone: the old worker is gone for a moment before the new one forks.
    eventually("the broken worker exits", lambda: "worker exited (1)" in log.read_text(), log)
    assert not workers(proc.pid)
    assert proc.poll() is None, "the dev server itself must keep running"
    assert "SyntaxError" in log.read_text()
    edit(code, 'return {"status": "ok"', 'return {"status": "ok, fixed"}')
    eventually("the fixed code answers", lambda: "ok, fixed" in healthz(base), log)


def test_a_killed_server_takes_its_worker_along(
    server: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    proc, base, log = server
    (worker,) = workers(proc.pid)
    proc.kill()
    proc.wait()
    eventually("the worker follows its killed parent", lambda: gone(worker), log)
    assert healthz(base) == ""


def test_sigterm_stops_the_server_and_its_worker(
    server: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    proc, base, log = server
    (worker,) = workers(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0, log.read_text()
    assert gone(worker), "the worker outlived the server"
    assert healthz(base) == ""
