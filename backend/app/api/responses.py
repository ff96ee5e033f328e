"""Error responses the OpenAPI document lists, so it says what the server really answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorOut(BaseModel):
    detail: str


# What a 503 tells clients to wait before retrying.
RETRY_AFTER_SECONDS = 5


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# Every operation that reads a JSON body.
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("The body is not valid UTF-8 JSON"),
    413: _error("The body is larger than MAX_BODY_BYTES"),
    415: _error("The body is not application/json (UTF-8)"),
}
# State-changing operations without a body still refuse a non-JSON or oversized one.
BODYLESS_ERRORS: dict[int | str, dict[str, Any]] = {k: BODY_ERRORS[k] for k in (413, 415)}
# Every operation that uses the database.
DATABASE_DOWN: dict[int | str, dict[str, Any]] = {
    503: {
        **_error(
            "The database is unavailable or too slow (or, for chat, too many turns are in "
            "flight); retry after Retry-After seconds"
        ),
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        },
    },
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _error("No todo with this id")}
