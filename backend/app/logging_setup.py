"""Log format for the app's own loggers. Uvicorn configures only its own loggers, so the
app's need a handler; uvicorn's access log is switched off because AccessLogMiddleware
writes exactly one line per request, however the server is started, and uvicorn's second
record of an unexpected error the app has already logged is dropped."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_LOGGED = "_todo_logged"


def mark_logged(err: BaseException) -> None:
    """The app logged err (one record, without user data): the server need not repeat it."""
    setattr(err, _LOGGED, True)


def _not_logged_before(record: logging.LogRecord) -> bool:
    err = record.exc_info[1] if record.exc_info else None
    return not getattr(err, _LOGGED, False)


def configure_logging(level: str, *also: str) -> None:
    """Handler and level for the "app" logger and any other logger named in `also`."""
    for name in ("app", *also):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not any(getattr(h, "_todo_handler", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter(FORMAT))
            handler._todo_handler = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
    logging.getLogger("uvicorn.access").disabled = True
    # Starlette re-raises an error after its 500 handler answered, so that servers log it;
    # the handler has logged it already, without the user data a traceback can carry.
    server_errors = logging.getLogger("uvicorn.error")
    if _not_logged_before not in server_errors.filters:
        server_errors.addFilter(_not_logged_before)
    # The SDK logs each retry at INFO with the URL; keep its noise at warnings.
    logging.getLogger("google_genai").setLevel(logging.WARNING)
