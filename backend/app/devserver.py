"""The backend's server in `make dev`'s live-update mode only (the chart's
liveUpdate.backend.command): uvicorn serving app.main, restarted on a new worker when a .py
file under app/ changes. Production runs `uvicorn app.main:app` (the image's CMD).

Why not `uvicorn --reload`: it starts each new worker as a fresh interpreter, which imports
FastAPI, SQLAlchemy, pydantic and the rest again, about a second on the pod's one CPU and
most of a live edit's time. Here the parent imports them once and forks one worker per
version of the code; a worker forgets the app's own modules and imports them anew, so only
our code runs again (the preloading parent of gunicorn --preload, with the app re-imported
in every fork). The parent polls the files' mtimes (as uvicorn's StatReload does): it runs
no thread, so forking it is safe.

    python3 -m app.devserver --host 0.0.0.0 --port 8000 [--timeout-graceful-shutdown 2]
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import os
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from types import FrameType

CODE_DIR = Path(__file__).resolve().parent
# How often the parent looks at the files: a change is seen within this.
POLL_SECONDS = 0.05
# Modules re-imported by every worker: the app's own.
OWN = "app"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def say(message: str) -> None:
    print(f"devserver: {message}", file=sys.stderr, flush=True)


def snapshot() -> dict[str, tuple[int, int]]:
    """Every .py file under app/ with its mtime and size (the watcher's tar sets mtimes)."""
    files: dict[str, tuple[int, int]] = {}
    for path in CODE_DIR.rglob("*.py"):
        try:
            st = path.stat()
        except FileNotFoundError:  # deleted while listing
            continue
        files[str(path.relative_to(CODE_DIR.parent))] = (st.st_mtime_ns, st.st_size)
    return files


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def preload() -> None:
    """Imports the app once so its libraries are in memory for every fork, then forgets the
    app's own modules (each worker imports them from the files as they are then). A broken
    app (a syntax error being fixed) only costs the preload: the worker reports it."""
    try:
        importlib.import_module("app.main")
    except BaseException as err:  # SystemExit from a bad setting too
        if isinstance(err, KeyboardInterrupt):
            raise
        say(f"preloading app.main failed ({type(err).__name__}); each worker imports it itself")
    forget_own_modules()


def forget_own_modules() -> None:
    for name in [n for n in sys.modules if n == OWN or n.startswith(OWN + ".")]:
        del sys.modules[name]


def die_with_parent() -> None:
    """Asks Linux to SIGTERM this process when its parent dies, so a dev server killed
    outright (SIGKILL) never leaves its worker serving on the port."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the parent's SIGTERM handling still stops it
        pass


def serve(sock: socket.socket, graceful: int, parent: int) -> None:
    """The worker: a uvicorn server on the parent's listening socket, with the app's code
    as the files are now."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took effect
        return
    forget_own_modules()
    import uvicorn

    config = uvicorn.Config(
        "app.main:app", access_log=False, timeout_graceful_shutdown=graceful, lifespan="on"
    )
    uvicorn.Server(config).run(sockets=[sock])


def run_worker(sock: socket.socket, graceful: int, parent: int) -> int:
    """serve() in the forked child, its exit code: a broken app (a syntax error) is printed
    as Python would, and the parent waits for the next change."""
    try:
        serve(sock, graceful, parent)
    except SystemExit as err:
        return err.code if isinstance(err.code, int) else 1
    except BaseException:  # whatever the app raised, shown in full
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def stop(pid: int, graceful: int) -> None:
    """SIGTERM (uvicorn drains its requests), SIGKILL after the graceful time and a second."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + graceful + 1
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m app.devserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--timeout-graceful-shutdown", type=int, default=2, dest="graceful")
    args = parser.parse_args(argv)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)  # connections wait in the backlog while a worker restarts

    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    preload()
    say(f"serving on {args.host}:{args.port}, restarting the worker when {OWN}/**.py changes")

    def start() -> int:
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os._exit(run_worker(sock, args.graceful, parent))  # never return into the parent's loop
        return pid

    files = snapshot()
    worker: int | None = start()
    while not stopping:
        time.sleep(POLL_SECONDS)
        if worker is not None:
            done, status = os.waitpid(worker, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                say(f"worker exited ({code}); the next change starts another")
                worker = None
        now = snapshot()
        if now == files:
            continue
        # A sync writes several files at once (the watcher's tar): restart once, when a
        # poll finds nothing more changing, so the new worker imports the whole sync.
        while True:
            time.sleep(POLL_SECONDS)
            later = snapshot()
            if later == now:
                break
            now = later
        diff = changed(files, now)
        files = now
        say(f"{', '.join(diff[:5])}{' ...' if len(diff) > 5 else ''} changed: new worker")
        if worker is not None:
            stop(worker, args.graceful)
        worker = start()
    if worker is not None:
        stop(worker, args.graceful)


if __name__ == "__main__":
    main()
