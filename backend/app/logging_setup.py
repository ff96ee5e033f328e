"""Log format for the app's own loggers. Uvicorn configures only its own loggers, so the
app's need a handler; uvicorn's access log is switched off because AccessLogMiddleware
writes exactly one line per request, however the server is started, and uvicorn's second
record of an unexpected error the app has already logged is dropped.

LOG_FORMAT=text (the default) is for people; json writes one JSON object per line (time in
RFC 3339 UTC, level, logger, message, and the request fields the access log adds) for log
collectors, uvicorn's own lines included."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from app.request_id import current_request_id

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_LOGGED = "_todo_logged"
# Uvicorn's loggers that write lines of their own (uvicorn.error propagates to uvicorn).
_SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def mark_logged(err: BaseException) -> None:
    """The app logged err (one record, without user data): the server need not repeat it."""
    setattr(err, _LOGGED, True)


def _not_logged_before(record: logging.LogRecord) -> bool:
    err = record.exc_info[1] if record.exc_info else None
    return not getattr(err, _LOGGED, False)


def _with_request_id(record: logging.LogRecord) -> bool:
    """Every record written while a request is served carries its id."""
    if not hasattr(record, "request_id"):
        rid = current_request_id.get()
        if rid is not None:
            record.request_id = rid
    return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",  # ISO 8601 / RFC 3339 in UTC
    )


def _formatter(log_format: str) -> logging.Formatter:
    return json_formatter() if log_format == "json" else logging.Formatter(FORMAT)


def _attach(name: str, level: str, log_format: str) -> None:
    """The app's handler (once) and format on the logger `name`, at `level`."""
    logger = logging.getLogger(name)
    logger.setLevel(level)
    ours = [h for h in logger.handlers if getattr(h, "_todo_handler", False)]
    if not ours:
        handler = logging.StreamHandler(sys.stderr)
        handler._todo_handler = True  # type: ignore[attr-defined]
        handler.addFilter(_with_request_id)
        logger.addHandler(handler)
        ours = [handler]
    for handler in ours:
        handler.setFormatter(_formatter(log_format))


def configure_logging(level: str, *also: str, log_format: str = "text") -> None:
    """Handler, level and format for the "app" logger and any other logger named in `also`."""
    for name in ("app", *also):
        _attach(name, level, log_format)
    # The loop pool's psycopg_pool says at WARNING when it cannot connect or drops a broken
    # connection: in the app's format (JSON in the chart). Its INFO lines come per request.
    _attach("psycopg.pool", "WARNING", log_format)
    if log_format == "json":
        # Uvicorn set up its handlers before it imported the app; their lines become JSON too.
        for name in _SERVER_LOGGERS:
            for handler in logging.getLogger(name).handlers:
                handler.setFormatter(json_formatter())
                if _with_request_id not in handler.filters:
                    handler.addFilter(_with_request_id)
    logging.getLogger("uvicorn.access").disabled = True
    # Starlette re-raises an error after its 500 handler answered, so that servers log it;
    # the handler has logged it already, without the user data a traceback can carry.
    server_errors = logging.getLogger("uvicorn.error")
    if _not_logged_before not in server_errors.filters:
        server_errors.addFilter(_not_logged_before)
    # The SDK logs each retry at INFO with the URL; keep its noise at warnings.
    logging.getLogger("google_genai").setLevel(logging.WARNING)
