"""Running database work from async endpoints.

Each endpoint is async and hands all of its database work to the thread pool in one call
(session opened, used, committed and closed in that thread). A sync endpoint with a sync
session dependency would cost several thread hops per request (dependency setup, endpoint,
serialization, dependency teardown), which is most of the time of a small request."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

T = TypeVar("T")


async def in_session(request: Request, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """fn(session, *args, **kwargs) in the thread pool; fn commits if it writes."""

    def call() -> T:
        with request.app.state.sessions() as session:
            return fn(session, *args, **kwargs)

    return await run_in_threadpool(call)


async def in_read_session(
    request: Request, fn: Callable[..., T], *args: object, **kwargs: object
) -> T:
    """Like in_session, for an fn that runs exactly one SELECT (autocommit: no transaction
    to begin and roll back around it)."""

    def call() -> T:
        with request.app.state.read_sessions() as session:
            return fn(session, *args, **kwargs)

    return await run_in_threadpool(call)
