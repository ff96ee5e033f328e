"""Fixtures: a real database per test session (PostgreSQL from TEST_DATABASE_URL, or a
SQLite file), an app client on it, and a fresh empty database for migration tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from app.db import make_engine
from app.factory import create_app
from app.migrate import upgrade
from app.settings import Settings, normalize_database_url

# The environment of the test process must not configure the app behind the tests' back.
_BASE_URL = os.environ.pop("TEST_DATABASE_URL", None) or os.environ.get("DATABASE_URL")
for _name in list(os.environ):
    if _name.startswith(
        ("GEMINI_", "DATABASE_", "MIGRATE_", "CHAT_", "MAX_BODY", "LOG_", "METRICS_")
    ):
        os.environ.pop(_name)

IS_POSTGRES = bool(_BASE_URL) and not _BASE_URL.startswith("sqlite")


def pytest_report_header() -> str:
    if not IS_POSTGRES:
        return "database: sqlite"
    where = make_url(normalize_database_url(_BASE_URL))
    return f"database: postgresql {where.host}:{where.port}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IS_POSTGRES:
        return
    if os.environ.get("BACKEND_TESTS_REQUIRE_POSTGRES"):
        raise pytest.UsageError("BACKEND_TESTS_REQUIRE_POSTGRES is set but no TEST_DATABASE_URL")
    # Tests of PostgreSQL-only features (advisory locks, password auth) do not apply to SQLite.
    pg_only = [i for i in items if i.get_closest_marker("postgres_only")]
    if pg_only:
        config.hook.pytest_deselected(items=pg_only)
        items[:] = [i for i in items if not i.get_closest_marker("postgres_only")]


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """An empty database: a new PostgreSQL database on the test server, or a new SQLite file."""
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_dir / f'{uuid.uuid4().hex}.db'}"
        return
    base = make_url(normalize_database_url(_BASE_URL))
    name = f"todo_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's migrated database."""
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        engine = make_engine(Settings(database_url=url))
        upgrade(engine)
        engine.dispose()
        yield url


def _wipe(url: str) -> None:
    engine = make_engine(Settings(database_url=url))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE messages, conversations, todos RESTART IDENTITY CASCADE"))
        else:
            for table in ("messages", "conversations", "todos"):
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
    engine.dispose()


def test_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "database_wait_seconds": 5,
        "migrate_on_startup": False,
        # Metrics off unless a test asks: many apps run in one test process, and the default
        # port is the same for all of them.
        "metrics_port": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test

MakeClient = Callable[..., TestClient]


@pytest.fixture
def clean_database_url(database_url: str) -> str:
    """The session's database, emptied for this test."""
    _wipe(database_url)
    return database_url


@pytest.fixture
def make_client(clean_database_url: str) -> Iterator[MakeClient]:
    """make_client(**settings overrides) -> a started TestClient on a wiped database."""
    database_url = clean_database_url
    stack: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        client = TestClient(create_app(test_settings(database_url, **overrides)))
        client.__enter__()
        stack.append(client)
        return client

    yield make
    for client in reversed(stack):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


@contextmanager
def live_server(app: object) -> Iterator[str]:
    """The app served by a real uvicorn server on a free loopback port (in a thread of this
    process, so tests can patch the app and read its logs); yields the base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, access_log=False, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped during startup"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
