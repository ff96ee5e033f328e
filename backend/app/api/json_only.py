"""415 for a state-changing request whose body is not JSON, as a route class (FastAPI's
way to act on a route's requests before its body is read): every body the API reads is
application/json (UTF-8), and refusing the rest also stops the "simple" cross-site requests
(text/plain, forms) that browsers send without asking first. A request without a body
(DELETE, restore) needs no content type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def body_type_problem(headers: Headers) -> str | None:
    ctype = headers.get("content-type")
    if ctype is None:
        length = headers.get("content-length")
        has_body = "transfer-encoding" in headers or (
            length is not None and length.strip() not in ("0", "")
        )
        return "Content-Type must be application/json for a request body" if has_body else None
    media, *params = ctype.split(";")
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


class JsonOnlyRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def json_only(request: Request) -> Response:
            if request.method in STATE_CHANGING:
                problem = body_type_problem(request.headers)
                if problem:
                    request.app.state.metrics.reject("unsupported_media_type")
                    return JSONResponse({"detail": problem}, 415)
            return await handler(request)

        return json_only
