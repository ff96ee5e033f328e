"""Builds the FastAPI app from Settings; app.main calls it with the environment's."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from psycopg_pool import PoolTimeout
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.api import chat, health
from app.api import todos as todos_api
from app.api.deps import Services, services
from app.api.responses import RETRY_AFTER_SECONDS
from app.chat.service import Assistant, ChatService, OfflineAssistant
from app.db import (
    make_engine,
    make_read_sessionmaker,
    make_sessionmaker,
    read_engine,
    short_reason,
    wait_for_database,
)
from app.logging_setup import configure_logging, mark_logged
from app.loop_pool import LoopPool
from app.metrics import Metrics
from app.middleware import AccessLogMiddleware, BodySizeLimitMiddleware, log_unexpected
from app.request_id import HEADER as REQUEST_ID_HEADER
from app.request_id import current_request_id
from app.settings import Settings, load_settings
from app.todos import TodoNotFoundError

log = logging.getLogger("app")
FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"
# Client errors counted in todo_requests_rejected_total, by the reason they stand for.
REJECT_REASONS = {400: "unreadable_body", 413: "body_too_large", 415: "unsupported_media_type"}
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
    configure_logging(settings.log_level, log_format=settings.log_format)
    engine = make_engine(settings)
    loop_pool = None if settings.is_sqlite else LoopPool(settings)
    metrics = Metrics(engine, loop_pool)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(wait_for_database, engine, settings.database_wait_seconds)
        if settings.should_migrate_on_startup:
            # Alembic is imported only when this server migrates (the chart runs migrations
            # in an init container): it is a third of a second of every start otherwise.
            from app.migrate import upgrade

            # Unbounded statements: a migration may wait for another replica's lock.
            migrate_engine = make_engine(settings, bounded=False)
            try:
                await run_in_threadpool(upgrade, migrate_engine)
            finally:
                migrate_engine.dispose()
            log.info("migrations applied at startup (MIGRATE_ON_STARTUP)")
        if loop_pool is not None:
            await loop_pool.open()
        if settings.metrics_port:
            metrics.serve(settings.metrics_port)
            log.info("metrics served on port %d at /metrics", settings.metrics_port)
        log.info(
            "assistant mode=%s%s",
            services(app).chat.mode,
            f" model={settings.gemini_model}"
            if settings.gemini_enabled
            else " (GEMINI_API_KEY not set: the built-in offline assistant answers)",
        )
        yield
        # Uvicorn has stopped accepting requests and drained the in-flight ones.
        log.info("shutting down: closing database connections")
        services(app).chat.close()
        metrics.close()
        if loop_pool is not None:
            await loop_pool.close()
        engine.dispose()

    app = FastAPI(title="Todo Chatbot API", version="1.0.0", lifespan=lifespan)
    app.state.metrics = metrics
    sessions = make_sessionmaker(engine)
    assistant: Assistant = OfflineAssistant()
    if settings.gemini_enabled:
        # Imported only here: google-genai is slow to import and the offline assistant
        # does not need it.
        from app.chat.gemini import GeminiAssistant

        assistant = GeminiAssistant(settings)
    app.state.services = Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        read_sessions=make_read_sessionmaker(engine),
        reads=read_engine(engine),
        loop_pool=loop_pool,
        chat=ChatService(
            sessions,
            assistant,
            mode="gemini" if settings.gemini_enabled else "offline",
            metrics=metrics,
            max_concurrent_turns=settings.chat_max_concurrent_turns,
            history_limit=settings.chat_history_messages,
            database_timeout_s=settings.database_request_timeout_seconds,
            loop_pool=loop_pool,
        ),
    )
    routers = [health.router, todos_api.router, chat.router]
    for router in routers:
        app.include_router(router)
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]

    @app.exception_handler(TodoNotFoundError)
    async def todo_not_found(_: Request, err: TodoNotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, 404)

    # The database went away, or every pooled connection stayed busy for pool_timeout (the
    # engine's errors, and the loop pool's, which psycopg raises unwrapped).
    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(PoolTimeout)
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
        if err.status_code in REJECT_REASONS:
            metrics.reject(REJECT_REASONS[err.status_code])
        elif err.status_code == 405:
            # The router names the methods of the first route whose path matches; a path
            # served by several routes (GET and POST /api/todos) has them all.
            allowed = {
                method
                for route in routes
                if route.matches(request.scope)[0] != Match.NONE
                for method in route.methods
            }
            err = StarletteHTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        return await http_exception_handler(request, err)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, err: RequestValidationError) -> JSONResponse:
        metrics.reject("invalid_input")
        return AsciiJSONResponse({"detail": jsonable_encoder(err.errors())}, 422)

    # Whatever nothing else handled: Starlette's outermost layer answers 500 with this and
    # then re-raises for the server to log, which logging_setup drops as already logged.
    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, err: Exception) -> JSONResponse:
        log_unexpected(err, request.scope)
        mark_logged(err)
        # Answered outside AccessLogMiddleware, which adds the header to every other answer.
        rid = current_request_id.get()
        return JSONResponse(
            {"detail": "Internal server error"},
            500,
            headers={REQUEST_ID_HEADER: rid} if rid else None,
        )

    # Added last = outermost: the access log sees every answer.
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        on_reject=lambda: metrics.reject("body_too_large"),
    )
    # Outside the body limit, so its 413s are logged and counted by route too.
    app.add_middleware(
        AccessLogMiddleware,
        routes=routes,
        observe=metrics.observe_request if settings.metrics_port else None,
    )
    return app
