"""Builds the FastAPI app from Settings; app.main calls it with the environment's."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api import chat, health
from app.api import todos as todos_api
from app.api.responses import RETRY_AFTER_SECONDS
from app.chat.gemini import GeminiAssistant
from app.chat.service import OfflineAssistant
from app.db import (
    make_engine,
    make_read_sessionmaker,
    make_sessionmaker,
    short_reason,
    wait_for_database,
)
from app.logging_setup import configure_logging
from app.middleware import (
    AccessLogMiddleware,
    BodySizeLimitMiddleware,
    JsonOnlyMiddleware,
    MethodNotAllowedMiddleware,
    UnexpectedErrorMiddleware,
)
from app.migrate import upgrade
from app.settings import Settings, load_settings
from app.todos import TodoNotFoundError

log = logging.getLogger("app")
FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"
BODY_PARSE_ERROR = (
    "body: could not be read as JSON text in UTF-8 (invalid UTF-8, nesting too deep or a "
    "number too long); nothing was stored"
)


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: a validation error echoes the input, which may hold a
    lone surrogate that has no UTF-8 encoding (JSON's \\ud800 escape can still carry it)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(wait_for_database, engine, settings.database_wait_seconds)
        if settings.should_migrate_on_startup:
            # Unbounded statements: a migration may wait for another replica's lock.
            migrate_engine = make_engine(settings, bounded=False)
            try:
                await run_in_threadpool(upgrade, migrate_engine)
            finally:
                migrate_engine.dispose()
            log.info("migrations applied at startup (MIGRATE_ON_STARTUP)")
        log.info(
            "assistant mode=%s%s",
            app.state.assistant_mode,
            f" model={settings.gemini_model}"
            if settings.gemini_enabled
            else " (GEMINI_API_KEY not set: the built-in offline assistant answers)",
        )
        yield
        # Uvicorn has stopped accepting requests and drained the in-flight ones.
        log.info("shutting down: closing database connections")
        if isinstance(app.state.assistant, GeminiAssistant):
            app.state.assistant.close()
        engine.dispose()

    app = FastAPI(title="Todo Chatbot API", version="1.0.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.read_sessions = make_read_sessionmaker(engine)
    if settings.gemini_enabled:
        app.state.assistant, app.state.assistant_mode = GeminiAssistant(settings), "gemini"
    else:
        app.state.assistant, app.state.assistant_mode = OfflineAssistant(), "offline"

    app.state.chat_slots = chat.ChatSlots(settings.chat_max_concurrent_turns)
    app.include_router(health.router)
    app.include_router(todos_api.router)
    app.include_router(chat.router)

    @app.exception_handler(TodoNotFoundError)
    async def todo_not_found(_: Request, err: TodoNotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, 404)

    # The database went away, or every pooled connection stayed busy for pool_timeout.
    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def database_down(_: Request, err: Exception) -> JSONResponse:
        log.error("database error: %s", short_reason(err))
        return JSONResponse(
            {"detail": "The database is unavailable; try again shortly."},
            503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> Response:
        if err.status_code == 400 and err.detail == FASTAPI_BODY_PARSE_ERROR:
            # FastAPI's words for a body it could not decode say neither what nor where.
            err = StarletteHTTPException(400, BODY_PARSE_ERROR)
        return await http_exception_handler(request, err)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, err: RequestValidationError) -> JSONResponse:
        return AsciiJSONResponse({"detail": jsonable_encoder(err.errors())}, 422)

    # Added last = outermost: the access log sees every answer, the error middleware
    # catches whatever the inner layers raise.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(JsonOnlyMiddleware)
    app.add_middleware(MethodNotAllowedMiddleware, routes=app.router.routes)
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(AccessLogMiddleware)
    return app
