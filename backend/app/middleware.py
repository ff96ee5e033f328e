"""Pure ASGI middleware (no buffering of bodies): one access-log line per request, one log
record per unexpected error, 405 with the path's real methods, 415 for non-JSON bodies, and
a cap on request body size."""

from __future__ import annotations

import json
import logging
import time
import traceback
from urllib.parse import quote

from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class AccessLogMiddleware:
    """Logs `METHOD PATH STATUS DURATIONms`. The query string is left out on purpose: it
    carries user text (search terms) that does not belong in logs; headers are never logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        tracked = StartTracker(send)
        try:
            await self.app(scope, receive, tracked)
        finally:
            client = scope.get("client")
            access_log.info(
                '%s "%s %s" %d %.1fms',
                client[0] if client else "-",
                scope["method"],
                loggable_path(scope),
                tracked.status or 500,  # 500: what the client gets if nothing answered
                (time.perf_counter() - start) * 1000,
            )


class BodyTooLargeError(HTTPException):
    """An HTTPException, so FastAPI's body parsing re-raises it as is (it turns any other
    exception while reading the body into a 400) and its handler answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"Request body too large: the limit is {max_bytes} bytes")


class BodySizeLimitMiddleware:
    """Answers 413 when a request body is larger than max_bytes: at once from Content-Length,
    or while reading a chunked body, before the app has parsed any of it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _reject(self, send: Send) -> None:
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


def log_unexpected(err: Exception, scope: Scope) -> None:
    """One record. A database error's message can quote user data (PostgreSQL's DETAIL
    repeats a failing row), so for those only the class, SQLSTATE and the app's frames are
    logged; any other error keeps its full traceback."""
    request = f"{scope['method']} {loggable_path(scope)}"
    if isinstance(err, DBAPIError):
        orig = err.orig if err.orig is not None else err
        frames = [
            f"{f.filename.rsplit('/app/', 1)[-1]}:{f.lineno} {f.name}"
            for f in traceback.extract_tb(err.__traceback__)
            if "/app/" in f.filename
            and "/site-packages/" not in f.filename
            and not f.filename.endswith("/middleware.py")
        ]
        error_log.error(
            "unhandled database error %s/%s (SQLSTATE %s) in %s; app frames: %s",
            type(err).__name__,
            type(orig).__name__,
            getattr(orig, "sqlstate", None) or "-",
            request,
            " <- ".join(reversed(frames)) or "-",
        )
        return
    error_log.error("unhandled %s in %s", type(err).__name__, request, exc_info=err)


class UnexpectedErrorMiddleware:
    """Answers 500 for an exception nothing else handled and logs it exactly once (with its
    traceback). Starlette's own last-resort handler re-raises after answering so that the
    server logs the error a second time; catching it here, inside that handler, avoids it.
    The engine is created with hide_parameters, so SQL errors carry no user text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = StartTracker(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception as err:
            log_unexpected(err, scope)
            if not tracked.started:
                await send_json(send, 500, {"detail": "Internal server error"})


class MethodNotAllowedMiddleware:
    """405 with an Allow header listing every method the path supports. Starlette answers
    405 from the first route whose path matches, so for a path served by several routes
    (GET and POST /api/todos) its Allow header would name only one of them."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = list(_flatten(routes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            allowed: set[str] = set()
            for route in self.routes:
                match, _ = route.matches(scope)
                if match == Match.FULL:
                    break
                if match == Match.PARTIAL:
                    allowed |= getattr(route, "methods", None) or set()
            else:
                if allowed:
                    allow = ", ".join(sorted(allowed)).encode()
                    await send_json(
                        send, 405, {"detail": "Method Not Allowed"}, [(b"allow", allow)]
                    )
                    return
        await self.app(scope, receive, send)


def _flatten(routes: list[BaseRoute]):  # type: ignore[no-untyped-def]
    """The routes themselves: FastAPI keeps an included router as one entry."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flatten(inner.routes)
        else:
            yield route


STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


class JsonOnlyMiddleware:
    """415 for a state-changing request whose body is not JSON: every body the API reads is
    application/json (UTF-8), and refusing the rest also stops the "simple" cross-site
    requests (text/plain, forms) that browsers send without asking first. A request without
    a body (DELETE, restore) needs no content type."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in STATE_CHANGING:
            problem = self._problem(scope)
            if problem:
                await send_json(send, 415, {"detail": problem})
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _problem(scope: Scope) -> str | None:
        ctype = _header(scope, b"content-type")
        if ctype is None:
            length = _header(scope, b"content-length")
            has_body = _header(scope, b"transfer-encoding") is not None or (
                length is not None and length.strip() not in (b"0", b"")
            )
            if has_body:
                return "Content-Type must be application/json for a request body"
            return None
        media, *params = ctype.decode("latin-1").split(";")
        if media.strip().lower() != "application/json":
            return "Content-Type must be application/json (UTF-8)"
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
                "utf-8",
                "utf8",
            ):
                return "Content-Type must be application/json (UTF-8)"
        return None
