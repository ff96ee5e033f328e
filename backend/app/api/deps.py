"""Typed dependencies (FastAPI's `Annotated` idiom): what an endpoint needs is in its
signature, taken from the app's typed services.

Every dependency here is async on purpose: FastAPI runs a sync dependency on the thread
pool, and each thread hop costs about as much as a small request. The database work of an
endpoint is one call on the thread pool (`run_db`), which also gives the connection back to
the pool there, so nothing that blocks on the database runs on the event loop. The work
that is one statement at a time (the list, an offline chat turn that changes no todo) runs
on the event loop instead, on app.loop_pool's async connections, which never block it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from app.chat.service import ChatService
from app.db import start_database_deadline
from app.loop_pool import LoopPool
from app.settings import Settings

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class Services:
    """Everything the endpoints use, built once by create_app."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]  # autocommit: for a single SELECT
    reads: Engine  # the engine in autocommit, for a single SELECT without a Session
    loop_pool: LoopPool | None  # reads on the event loop (PostgreSQL only)
    chat: ChatService


def services(app: FastAPI) -> Services:
    found: Services = app.state.services
    return found


async def get_services(request: Request) -> Services:
    return services(request.app)


async def get_settings(request: Request) -> Settings:
    return services(request.app).settings


async def get_chat_service(request: Request) -> ChatService:
    return services(request.app).chat


def _request_session(request: Request, read: bool) -> Session:
    svc = services(request.app)
    start_database_deadline(svc.settings.database_request_timeout_seconds)
    return (svc.read_sessions if read else svc.sessions)()


async def get_session(request: Request) -> Session:
    """A session for one request, for run_db: its database waits share
    DATABASE_REQUEST_TIMEOUT_SECONDS. Not a generator dependency: run_db closes it on the
    worker thread, where giving the connection back to the pool belongs, and a session
    that ran nothing holds no connection (a generator dependency's setup and teardown
    cost about as much CPU as a whole /healthz request)."""
    return _request_session(request, read=False)


async def get_read_session(request: Request) -> Session:
    """Like get_session, for work that runs exactly one SELECT (autocommit: no transaction
    to begin and roll back around it)."""
    return _request_session(request, read=True)


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
ChatServiceDep = Annotated[ChatService, Depends(get_chat_service)]


async def run_db(
    session: Session, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """fn(session, ...) on the thread pool, the session closed there afterwards (fn commits
    if it writes)."""

    def call() -> T:
        with session:
            return fn(session, *args, **kwargs)

    return await run_in_threadpool(call)


async def run_read(
    engine: Engine, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """fn(connection, ...) on the thread pool, on a pooled connection checked out and given
    back there; for one SELECT (the engine is in autocommit)."""

    def call() -> T:
        with engine.connect() as conn:
            return fn(conn, *args, **kwargs)

    return await run_in_threadpool(call)
