"""Single statements on the event loop: a pool of async psycopg connections (psycopg_pool) in
autocommit, for work that is one statement at a time and needs no transaction around it:
the list endpoint's SELECT, and an offline chat turn that changes no todo (its one write,
the conversation and both messages, is a single statement and so all-or-nothing by
itself). That work then needs no hop to a thread and no SQLAlchemy execution layers around
the query; together those were about half of the list's CPU time (bench/backend.sh). The
SQL is still built by SQLAlchemy Core and compiled once per statement (Statement.of).

The engine's bounds hold here too:
- each round trip must finish within DATABASE_STATEMENT_TIMEOUT_SECONDS, and within what is
  left of the request's database deadline;
- waiting for a pooled connection is bounded by the pool timeout and the same deadline;
- a connection that sat idle longer than PING_IDLE_AFTER_SECONDS is pinged before use, so
  after a database restart the dead connections are replaced instead of failing requests.

A failure is raised as psycopg.OperationalError or psycopg_pool.PoolTimeout, which the app
answers with 503 and Retry-After, as it does for the engine's."""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import make_url
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.sql import ClauseElement

from app.db import PING_IDLE_AFTER_SECONDS, bounded_wait, database_time_left
from app.settings import Settings

_DIALECT = PGDialect_psycopg()
# psycopg_pool retries a failed connect with a delay that doubles without a cap (1, 2, 4, 8,
# 16 s...), so after a 20 s outage it could take another half minute to notice the database
# is back. Giving a series of attempts up after this long makes the next request start a new
# one from a 1 s delay: its work recovers within about 2 s of the database.
RECONNECT_SECONDS = 3.0


Params = dict[str, Any]
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Statement:
    """A Core statement compiled once for psycopg: its SQL and the constants it binds."""

    sql: str
    constants: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, statement: ClauseElement) -> Statement:
        compiled = statement.compile(dialect=_DIALECT)
        # The values SQLAlchemy bound itself (literals); a bindparam without a value is one
        # every execution gives.
        constants = {k: v for k, v in compiled.params.items() if v is not None}
        return cls(str(compiled), constants)


class Statements(Protocol):
    """What runs statements: LoopPool, or in tests a single connection."""

    async def fetch(self, statement: Statement, params: Params) -> list[Row]: ...

    async def execute(self, statement: Statement, params: Params) -> None: ...


class BoundedWaitAsyncConnection(psycopg.AsyncConnection):  # type: ignore[type-arg]
    """app.db.BoundedWaitConnection for the event loop: every round trip gives up after
    `wait_limit` seconds or when the request's database deadline comes, and then closes the
    connection (its protocol state is unknown). Cancelling the task instead would not do:
    psycopg then asks the server to cancel the query and waits for it, which a frozen server
    never answers."""

    wait_limit: float | None = None
    idle_since: float | None = None

    async def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is not None or len(args) >= 2:
            return await super().wait(gen, *args, **kwargs)  # psycopg's own bounded waits
        with bounded_wait(self.pgconn, self.wait_limit) as limit:
            return await super().wait(gen, *args, timeout=limit, **kwargs)


class LoopPool:
    """The pool. `open()` and `close()` run in the app's lifespan, on the loop that serves."""

    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.database_url)
        params: dict[str, Any] = url.translate_connect_args(username="user", database="dbname")
        params.update({k: v for k, v in url.query.items() if isinstance(v, str)})
        params.update(
            connect_timeout=settings.database_connect_timeout_seconds,
            application_name="todo-backend",
            autocommit=True,  # one statement at a time: no BEGIN/COMMIT around it
        )
        self._statement_s = settings.database_statement_timeout_seconds
        self._checkout_s = min(
            settings.database_pool_timeout_seconds, settings.database_request_timeout_seconds
        )
        self.pool: AsyncConnectionPool[BoundedWaitAsyncConnection] = AsyncConnectionPool(
            kwargs=params,
            connection_class=BoundedWaitAsyncConnection,
            min_size=1,
            max_size=settings.database_loop_pool_size,
            open=False,
            configure=self._configure,
            check=self._ping_if_idle,
            reset=self._mark_idle,
            timeout=self._checkout_s,
            reconnect_timeout=RECONNECT_SECONDS,
            name="loop",
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    async def _configure(self, conn: BoundedWaitAsyncConnection) -> None:
        conn.wait_limit = self._statement_s
        # As app.db.use_utc: the session in UTC, whatever the server's default zone.
        await conn.execute("SET TIME ZONE 'UTC'")

    async def _mark_idle(self, conn: BoundedWaitAsyncConnection) -> None:
        conn.idle_since = time.monotonic()

    async def _ping_if_idle(self, conn: BoundedWaitAsyncConnection) -> None:
        since = conn.idle_since
        conn.idle_since = None
        if since is not None and time.monotonic() - since >= PING_IDLE_AFTER_SECONDS:
            await conn.execute("SELECT 1")  # a failure makes the pool take another one

    async def fetch(self, statement: Statement, params: Params) -> list[Row]:
        """The rows `statement` returns."""
        async with self._connection() as conn:
            cur = await conn.execute(statement.sql, {**statement.constants, **params})
            return await cur.fetchall()

    async def execute(self, statement: Statement, params: Params) -> None:
        async with self._connection() as conn:
            await conn.execute(statement.sql, {**statement.constants, **params})

    def _connection(self) -> AbstractAsyncContextManager[BoundedWaitAsyncConnection]:
        left = database_time_left()
        wait = self._checkout_s if left is None else max(min(self._checkout_s, left), 0.001)
        return self.pool.connection(timeout=wait)

    def stats(self) -> dict[str, int]:
        return self.pool.get_stats()
