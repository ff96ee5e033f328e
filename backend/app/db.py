"""Engine, sessions and the database checks used at startup and by /readyz."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.settings import Settings, describe_database

log = logging.getLogger("app.db")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on Postgres and on SQLite
    (which stores it without a zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        engine = create_engine(
            settings.database_url,
            # FastAPI runs sync endpoints in a thread pool; SQLite must allow that.
            connect_args={"check_same_thread": False, "timeout": 15},
            hide_parameters=True,  # SQL errors must not carry user text into logs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(
        settings.database_url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,  # survive a database restart without failing the next request
        pool_recycle=1800,
        hide_parameters=True,  # SQL errors must not carry user text into logs
        connect_args={"connect_timeout": 5, "application_name": "todo-backend"},
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for requests that only read with a single statement: autocommit, so there
    is no BEGIN/ROLLBACK round trip around the one query (same pool as the writers)."""
    return sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


def short_reason(err: BaseException) -> str:
    """A one-line reason for logs and /readyz without the URL, user or password."""
    orig = err.orig if isinstance(err, DBAPIError) and err.orig is not None else err
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    # psycopg's messages name host and port (useful) but never the password; cut long ones.
    return f"{type(orig).__name__}: {first}"[:200]


def wait_for_database(engine: Engine, timeout_s: float) -> None:
    """Retries `SELECT 1` with backoff until it works or timeout_s passes, so a pod that
    starts before its database does not crash-loop. Raises RuntimeError when time is up."""
    deadline = time.monotonic() + timeout_s
    delay = 0.25
    target = describe_database(engine.url)
    while True:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            log.info("database connected %s", target)
            return
        except SQLAlchemyError as err:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(
                    f"database not reachable after {timeout_s:g}s ({target}): {short_reason(err)}"
                ) from None
            log.warning("database not reachable yet (%s): %s; retrying", target, short_reason(err))
            time.sleep(min(delay, left))
            delay = min(delay * 2, 5.0)


def check_database(engine: Engine) -> str | None:
    """None when the database answers and its schema is migrated, else a short reason."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                conn.execute(text("SELECT version_num FROM alembic_version"))
            except SQLAlchemyError:
                return "schema not migrated: run python3 -m app.migrate"
    except SQLAlchemyError as err:
        return f"unreachable ({type(getattr(err, 'orig', None) or err).__name__})"
    return None


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        yield session
