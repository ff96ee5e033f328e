"""The request id (header X-Request-ID): a well-formed incoming one is kept, so the
frontend's id follows a request into the backend's logs; anything else is replaced by a new
uuid4, so a client can never put arbitrary text into log lines through it."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode()
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# Set for the task that serves a request; each request runs in a task of its own.
current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def accept_or_generate(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == _HEADER_KEY:
            text = value.decode("latin-1")
            return text if _WELL_FORMED.fullmatch(text) else str(uuid.uuid4())
    return str(uuid.uuid4())


def header(request_id: str) -> tuple[bytes, bytes]:
    return (_HEADER_KEY, request_id.encode())
