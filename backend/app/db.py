"""Engine, sessions and the database checks used at startup and by /readyz."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
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


class BoundedWaitConnection(psycopg.Connection):  # type: ignore[type-arg]
    """A psycopg connection that gives up on the server after `wait_limit` seconds per round
    trip (query, commit, rollback, the pool's ping). A server that is frozen (SIGSTOP, a
    hung host, a stalled network) still has its TCP stack acknowledging our packets, so no
    socket or server-side timeout fires; only the client can notice. On expiry the
    connection is closed (its protocol state is unknown) and an OperationalError raised,
    which SQLAlchemy treats as a disconnect and the app answers with 503."""

    wait_limit: float | None = None

    def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None and len(args) < 2:
            kwargs["timeout"] = self.wait_limit
        try:
            return super().wait(gen, *args, **kwargs)
        except psycopg.OperationalError as err:
            # psycopg raises its _WaitTimeout (an OperationalError) when timeout expires.
            if type(err).__name__ != "_WaitTimeout":
                raise
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database did not answer within {self.wait_limit:g}s; connection closed"
            ) from None


def make_engine(settings: Settings, *, bounded: bool = True) -> Engine:
    """The app's engine. bounded=False (migrations) lifts the per-statement limits: a
    migration may rightly wait minutes for the advisory lock or build an index."""
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
    connect_args: dict[str, Any] = {
        # Bounds the whole connection setup (TCP, TLS, authentication), also against a
        # frozen server whose kernel still accepts the TCP connection.
        "connect_timeout": settings.database_connect_timeout_seconds,
        "application_name": "todo-backend",
    }
    # Enforced by the client only (no server-side statement_timeout startup option, which
    # connection poolers such as PgBouncer may refuse): it also covers a frozen server.
    statement_s = settings.database_statement_timeout_seconds if bounded else None
    engine = create_engine(
        settings.database_url,
        pool_size=10,
        max_overflow=10,
        pool_timeout=settings.database_pool_timeout_seconds,
        pool_pre_ping=True,  # survive a database restart without failing the next request
        pool_recycle=1800,
        hide_parameters=True,  # SQL errors must not carry user text into logs
        connect_args=connect_args,
    )

    @event.listens_for(engine, "do_connect")
    def _bounded_connect(dialect, conn_rec, cargs, cparams):  # type: ignore[no-untyped-def]
        conn = BoundedWaitConnection.connect(*cargs, **cparams)
        conn.wait_limit = statement_s
        return conn

    return engine


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


# Answers from the server that waiting will not change: fail at once, naming the cause.
# (psycopg reports connection failures without a SQLSTATE, so the server's text it is.)
_PERMANENT = [
    (re.compile(r"password authentication failed|authentication failed", re.I),
     "the user or password in DATABASE_URL is wrong"),
    (re.compile(r'database "[^"]*" does not exist', re.I),
     "the database named in DATABASE_URL does not exist"),
    (re.compile(r'role "[^"]*" does not exist', re.I),
     "the user named in DATABASE_URL does not exist"),
    (re.compile(r"no pg_hba\.conf entry", re.I),
     "the server does not accept this user/database from this host (pg_hba.conf)"),
    (re.compile(r"permission denied for database", re.I),
     "the user in DATABASE_URL may not connect to this database"),
]  # fmt: skip


def permanent_cause(err: BaseException) -> str | None:
    """Why connecting can never work as configured, or None for what may pass (refused,
    timed out, the server starting up or out of connection slots)."""
    orig = err.orig if isinstance(err, DBAPIError) and err.orig is not None else err
    for pattern, cause in _PERMANENT:
        if pattern.search(str(orig)):
            return cause
    return None


def wait_for_database(engine: Engine, timeout_s: float) -> None:
    """Retries `SELECT 1` with backoff until it works or timeout_s passes, so a pod that
    starts before its database does not crash-loop. A wrong password or a missing database
    is not retried. Raises RuntimeError naming the cause."""
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
            cause = permanent_cause(err)
            if cause:
                raise RuntimeError(
                    f"cannot use the database ({target}): {cause} ({short_reason(err)})"
                ) from None
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
