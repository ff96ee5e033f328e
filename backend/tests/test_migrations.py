"""Alembic migrations on an empty database: upgrade, downgrade, upgrade again; the schema
they build matches the ORM models; two migrators at once on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, make_url, text

from app.db import make_engine
from app.migrate import LOCK_KEY, downgrade, upgrade
from app.models import Base
from app.settings import Settings

BACKEND = Path(__file__).resolve().parent.parent
TABLES = {"todos", "conversations", "messages"}
HEAD = "0002"


@pytest.fixture
def engine(empty_database_url: str) -> Iterator[Engine]:
    eng = make_engine(Settings(database_url=empty_database_url))
    yield eng
    eng.dispose()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def version(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return conn.scalar(text("SELECT version_num FROM alembic_version"))


def insert_and_read(engine: Engine) -> str:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO todos (title, notes, priority, done, created_at, updated_at) "
                "VALUES ('t', '', 'low', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        return conn.scalar(text("SELECT title FROM todos"))


def test_upgrade_downgrade_upgrade(engine: Engine) -> None:
    assert tables(engine) == set()
    upgrade(engine)
    assert tables(engine) == TABLES
    assert version(engine) == HEAD
    assert insert_and_read(engine) == "t"

    downgrade(engine, "base")
    assert tables(engine) == set()
    assert version(engine) is None

    upgrade(engine)
    assert tables(engine) == TABLES
    assert version(engine) == HEAD
    assert insert_and_read(engine) == "t"
    upgrade(engine)  # at head already: a no-op, not an error
    assert version(engine) == HEAD


def test_migrations_match_the_models(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_constraints_are_enforced(engine: Engine) -> None:
    upgrade(engine)
    with pytest.raises(Exception, match=r"(?i)check|constraint"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO todos (title, notes, priority, done, created_at, updated_at) "
                "VALUES ('t', '', 'urgent', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )


def _migrate_process(url: str, **env_extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_WAIT_SECONDS": "30", **env_extra}
    return subprocess.Popen(
        [sys.executable, "-m", "app.migrate"],
        cwd=BACKEND,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_migrate_command(empty_database_url: str, engine: Engine) -> None:
    proc = _migrate_process(empty_database_url)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "database connected" in out
    assert "Running upgrade  -> 0001" in out
    assert "Running upgrade 0001 -> 0002" in out
    assert "database schema is at head" in out
    assert tables(engine) == TABLES


def test_migrate_command_json_logs(empty_database_url: str) -> None:
    """The chart's migrations container runs with LOG_FORMAT=json too: every line is JSON."""
    proc = _migrate_process(empty_database_url, LOG_FORMAT="json")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    lines = [json.loads(line) for line in out.splitlines()]
    messages = [(line["logger"], line["message"]) for line in lines]
    assert any(
        logger.startswith("alembic") and "Running upgrade  -> 0001" in m for logger, m in messages
    )
    assert any("database schema is at head" in m for _, m in messages)
    password = make_url(empty_database_url).password
    assert not password or password not in out


@pytest.mark.postgres_only
def test_two_migrators_at_once(empty_database_url: str, engine: Engine) -> None:
    """Two replicas' `python3 -m app.migrate` racing: the advisory lock serializes them."""
    procs = [_migrate_process(empty_database_url) for _ in range(3)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], "\n".join(outputs)
    assert tables(engine) == TABLES
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1


@pytest.mark.postgres_only
def test_migrators_without_the_lock_would_collide(empty_database_url: str) -> None:
    """Shows the lock is what makes the race safe: holding it blocks a second migrator."""
    holder = make_engine(Settings(database_url=empty_database_url))
    with holder.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
        conn.commit()
        proc = _migrate_process(empty_database_url)
        with pytest.raises(subprocess.TimeoutExpired):
            proc.communicate(timeout=3)  # waits for the lock
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        conn.commit()
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
    holder.dispose()
