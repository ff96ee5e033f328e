"""Log format for the app's own loggers. Uvicorn configures only its own loggers, so the
app's need a handler; uvicorn's access log is switched off because AccessLogMiddleware
writes exactly one line per request, however the server is started."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


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
    # The SDK logs each retry at INFO with the URL; keep its noise at warnings.
    logging.getLogger("google_genai").setLevel(logging.WARNING)
