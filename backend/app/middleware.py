"""What no framework layer can do, as pure ASGI middleware (no buffering of bodies): one
access-log line and one metrics observation per request, whatever answered it, and a cap
on request body size that refuses a declared length before anything runs and stops
reading a streamed body as soon as it passes the cap. Also the log record of an
unexpected error (used by the app's exception handler)."""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable
from urllib.parse import quote

import psycopg
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import request_id

access_log = logging.getLogger("app.access")
error_log = logging.getLogger("app.error")

# What a logged path may show as is: RFC 3986 path characters. Everything else (control
# characters such as a decoded %0a, quotes, spaces, non-ASCII) is percent-encoded, so a
# request can never forge or break a log line.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def loggable_path(scope: Scope) -> str:
    return quote(scope.get("path", ""), safe=_PATH_SAFE)


async def send_json(
    send: Send, status: int, body: dict[str, object], headers: list[tuple[bytes, bytes]] = ()
) -> None:  # type: ignore[assignment]
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class StartTracker:
    """A send that remembers whether the response has started, and its status (once it
    has started, an error can no longer be answered with a status of its own)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status: int | None = None

    @property
    def started(self) -> bool:
        return self.status is not None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self.send(message)


def route_template(scope: Scope, routes: list[BaseRoute]) -> str | None:
    """The path template of the route that served scope (`/api/todos/{todo_id}`), None when
    no route matches: a raw path would give every todo id a log field value of its own.
    The router records the route it chose in the scope; an answer given before routing (a
    413 from the body limit) is matched against `routes`: a full match, else the first
    route whose path matches with another method."""
    route = scope.get("route")
    if route is not None:
        return getattr(route, "path", None)
    partial = None
    for candidate in routes:
        match, _ = candidate.matches(scope)
        if match is Match.FULL:
            return getattr(candidate, "path", None)
        if match is Match.PARTIAL and partial is None:
            partial = getattr(candidate, "path", None)
    return partial


# observe(route template or None, method, status, seconds): the request metrics.
Observe = Callable[[str | None, str, int, float], None]


class AccessLogMiddleware:
    """Logs `METHOD PATH STATUS DURATIONms`. The query string is left out on purpose: it
    carries user text (search terms) that does not belong in logs; headers are never logged.
    Also gives each request its id (X-Request-ID, returned in the response); the record
    carries the id, method, route template, status and duration as fields of their own,
    which the JSON log format writes out. `observe` (the metrics) gets the same figures, so
    logs and metrics name routes alike and the route is resolved once."""

    def __init__(
        self, app: ASGIApp, routes: list[BaseRoute], observe: Observe | None = None
    ) -> None:
        self.app = app
        self.routes = routes
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = request_id.accept_or_generate(scope["headers"])
        # Not reset afterwards: the 500 handler runs outside this middleware and still needs
        # it; each request runs in a task (and so a context) of its own.
        request_id.current_request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), request_id.header(rid)]
            await send(message)

        tracked = StartTracker(send_with_id)
        try:
            await self.app(scope, receive, tracked)
        finally:
            client = scope.get("client")
            status = tracked.status or 500  # 500: what the client gets if nothing answered
            seconds = time.perf_counter() - start
            duration_ms = seconds * 1000
            route = route_template(scope, self.routes)
            if self.observe is not None:
                self.observe(route, scope["method"], status, seconds)
            access_log.info(
                '%s "%s %s" %d %.1fms',
                client[0] if client else "-",
                scope["method"],
                loggable_path(scope),
                status,
                duration_ms,
                extra={
                    "request_id": rid,
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration_ms, 1),
                },
            )


class BodyTooLargeError(HTTPException):
    """An HTTPException, so FastAPI's body parsing re-raises it as is (it turns any other
    exception while reading the body into a 400) and its handler answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"Request body too large: the limit is {max_bytes} bytes")


class BodySizeLimitMiddleware:
    """Answers 413 when a request body is larger than max_bytes: at once from Content-Length,
    or while reading a chunked body, before the app has parsed any of it."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, on_reject: Callable[[], None] = lambda: None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.on_reject = on_reject

    async def _reject(self, send: Send) -> None:
        self.on_reject()
        await send_json(
            send,
            413,
            {"detail": f"Request body too large: the limit is {self.max_bytes} bytes"},
            [(b"connection", b"close")],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False  # the server rejects a malformed length itself
                if too_big:
                    await self._reject(send)
                    return
        received = 0
        tracked = StartTracker(send)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        try:
            await self.app(scope, limited_receive, tracked)
        except BodyTooLargeError:
            if not tracked.started:
                await self._reject(send)


def _dbapi_class(err: Exception) -> str:
    """The DB-API class of a database error (IntegrityError, ...), as SQLAlchemy names its
    wrappers; psycopg's own errors (the loop pool's) are subclasses of those."""
    if isinstance(err, DBAPIError):
        return type(err).__name__
    for cls in type(err).__mro__:
        if cls.__module__ == "psycopg" and cls.__name__ in psycopg.__all__:
            return cls.__name__
    return type(err).__name__


def log_unexpected(err: Exception, scope: Scope) -> None:
    """One record. A database error's message can quote user data (PostgreSQL's DETAIL
    repeats a failing row), so for those only the class, SQLSTATE and the app's frames are
    logged; any other error keeps its full traceback."""
    request = f"{scope['method']} {loggable_path(scope)}"
    if isinstance(err, DBAPIError | psycopg.Error):
        orig = err.orig if isinstance(err, DBAPIError) and err.orig is not None else err
        frames = [
            f"{f.filename.rsplit('/app/', 1)[-1]}:{f.lineno} {f.name}"
            for f in traceback.extract_tb(err.__traceback__)
            if "/app/" in f.filename
            and "/site-packages/" not in f.filename
            and not f.filename.endswith("/middleware.py")
        ]
        error_log.error(
            "unhandled database error %s/%s (SQLSTATE %s) in %s; app frames: %s",
            _dbapi_class(err),
            type(orig).__name__,
            getattr(orig, "sqlstate", None) or "-",
            request,
            " <- ".join(reversed(frames)) or "-",
        )
        return
    error_log.error("unhandled %s in %s", type(err).__name__, request, exc_info=err)
