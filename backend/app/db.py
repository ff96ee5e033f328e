"""Engine, sessions and the database checks used at startup and by /readyz."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import DateTime, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, InvalidatePoolError, SQLAlchemyError
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
        if value is None or value.tzinfo is UTC:  # PostgreSQL in UTC: nothing to convert
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Deadline:
    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


# The deadline of the current request's database work. A context variable because the work
# runs on worker threads, which start with a copy of the request's context (the same
# _Deadline object, so a pause on one thread moves it for all).
_deadline: ContextVar[_Deadline | None] = ContextVar("database_deadline", default=None)


def start_database_deadline(seconds: float) -> None:
    """From now on the current request's database waits (pooled connection, connect, every
    round trip) share `seconds` in all: one frozen step cannot be followed by another full
    wait. Set once per request in its own task, whose context ends with it."""
    _deadline.set(_Deadline(time.monotonic() + seconds))


def database_time_left() -> float | None:
    deadline = _deadline.get()
    return None if deadline is None else deadline.at - time.monotonic()


@contextmanager
def database_deadline_paused() -> Iterator[None]:
    """Time spent inside (a call to Gemini, with its own timeout) is not database time."""
    deadline = _deadline.get()
    start = time.monotonic()
    try:
        yield
    finally:
        if deadline is not None:
            deadline.at += time.monotonic() - start


class DatabaseTimeoutError(psycopg.OperationalError):
    """The database did not answer in time; SQLAlchemy sees a disconnect, the app a 503."""


class BoundedWaitConnection(psycopg.Connection):  # type: ignore[type-arg]
    """A psycopg connection that gives up on the server after `wait_limit` seconds per round
    trip (query, commit, rollback, the pool's ping), or sooner when the request's database
    deadline comes first. A server that is frozen (SIGSTOP, a hung host, a stalled network)
    still has its TCP stack acknowledging our packets, so no socket or server-side timeout
    fires; only the client can notice. On expiry the connection is closed (its protocol
    state is unknown) and an OperationalError raised, which SQLAlchemy treats as a
    disconnect and the app answers with 503."""

    wait_limit: float | None = None

    def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is not None or len(args) >= 2:
            return super().wait(gen, *args, **kwargs)  # psycopg's own bounded waits
        with bounded_wait(self.pgconn, self.wait_limit) as limit:
            return super().wait(gen, *args, timeout=limit, **kwargs)


@contextmanager
def bounded_wait(pgconn: Any, wait_limit: float | None) -> Iterator[float | None]:
    """The timeout of one round trip on pgconn: wait_limit, or what is left of the request's
    database deadline when that is less (None: no bound). When it expires the connection is
    closed and DatabaseTimeoutError raised."""
    limit = wait_limit
    left = database_time_left() if limit is not None else None
    if left is not None and limit is not None and left < limit:
        if left <= 0:
            pgconn.finish()
            raise DatabaseTimeoutError("the request's database time is used up; connection closed")
        limit = left
    try:
        yield limit
    except psycopg.OperationalError as err:
        # psycopg raises its _WaitTimeout (an OperationalError) when timeout expires.
        if type(err).__name__ != "_WaitTimeout":
            raise
        pgconn.finish()
        raise DatabaseTimeoutError(
            f"the database did not answer within {limit:g}s; connection closed"
        ) from None


def use_utc(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    """Puts a new connection's session in UTC, once (a SET, not a startup option, which
    connection poolers such as PgBouncer may refuse). psycopg then reads every timestamptz
    as a datetime in datetime.UTC: its C loader's fast path (a named zone such as Etc/UTC
    goes through zoneinfo for every value) and UTCDateTime's, which has nothing to convert.
    Should a session end up in another zone anyway, UTCDateTime still converts: the values
    stay UTC, only slower."""
    autocommit = conn.autocommit
    conn.autocommit = True  # no transaction left open for SQLAlchemy to find
    try:
        conn.execute("SET TIME ZONE 'UTC'")
    finally:
        conn.autocommit = autocommit


# psycopg (like libpq) waits at least 2 s for a connection whatever connect_timeout says.
MIN_CONNECT_SECONDS = 2


def connect_timeout_within_deadline(configured: int) -> int:
    """The connect timeout that keeps a new connection inside the request's deadline;
    raises DatabaseTimeoutError when too little is left to try at all."""
    left = database_time_left()
    if left is None or left >= configured:
        return configured
    if left < MIN_CONNECT_SECONDS:
        raise DatabaseTimeoutError(
            f"{max(left, 0):.1f}s of the request's database time left: too little to connect"
        )
    return int(left)


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
        # Kept open: under load the thread pool runs many requests' database work at once,
        # and an overflow connection is a new PostgreSQL process per request.
        pool_size=20,
        max_overflow=10,
        # A request's whole database work fits in the request bound, the wait for a pooled
        # connection included.
        pool_timeout=min(
            settings.database_pool_timeout_seconds, settings.database_request_timeout_seconds
        ),
        pool_recycle=1800,
        hide_parameters=True,  # SQL errors must not carry user text into logs
        connect_args=connect_args,
    )

    _ping_when_idle(engine)

    @event.listens_for(engine, "do_connect")
    def _bounded_connect(dialect, conn_rec, cargs, cparams):  # type: ignore[no-untyped-def]
        # Outside a request (startup, migrations) there is no deadline: the configured value.
        cparams = {
            **cparams,
            "connect_timeout": connect_timeout_within_deadline(cparams["connect_timeout"]),
        }
        conn = BoundedWaitConnection.connect(*cargs, **cparams)
        conn.wait_limit = statement_s
        use_utc(conn)
        return conn

    return engine


# A pooled connection that sat idle longer than this is pinged before use; one used more
# recently is taken as alive (connection pools such as HikariCP do the same). SQLAlchemy's
# pool_pre_ping pings before every use: a round trip per request, about a tenth of the
# list endpoint's CPU time under load.
PING_IDLE_AFTER_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """After a database restart, the first use of any idle pooled connection notices it,
    and the whole pool is renewed instead of failing requests one dead connection at a
    time. A restart within a second of a connection's last use can still fail that one
    request (503 with Retry-After; the pool is then renewed)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, proxy):  # type: ignore[no-untyped-def]
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_IDLE_AFTER_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as err:
            if engine.dialect.is_disconnect(err, dbapi_conn, None):
                raise InvalidatePoolError() from None
            raise


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_engine(engine: Engine) -> Engine:
    """The engine for work that only reads with a single statement: autocommit, so there
    is no BEGIN/ROLLBACK round trip around the one query (same pool as the writers)."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions on read_engine, for reads that load ORM objects."""
    return sessionmaker(read_engine(engine))


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
