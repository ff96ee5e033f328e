"""Typed dependencies (FastAPI's `Annotated` idiom): what an endpoint needs is in its
signature, taken from the app's typed services.

Every dependency here is async on purpose: FastAPI runs a sync dependency on the thread
pool, and each thread hop costs about as much as a small request. The database work of an
endpoint is one call on the thread pool (`run_db`), which also gives the connection back to
the pool there, so nothing that can block on the database runs on the event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.chat.service import ChatService
from app.db import start_database_deadline
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
    chat: ChatService


def services(app: FastAPI) -> Services:
    found: Services = app.state.services
    return found


async def get_services(request: Request) -> Services:
    return services(request.app)


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(svc: ServicesDep) -> Settings:
    return svc.settings


async def get_chat_service(svc: ServicesDep) -> ChatService:
    return svc.chat


@asynccontextmanager
async def _request_session(factory: sessionmaker[Session], svc: Services) -> AsyncIterator[Session]:
    start_database_deadline(svc.settings.database_request_timeout_seconds)
    session = factory()
    try:
        yield session
    finally:
        if session.in_transaction():  # still holds a connection: closing is database I/O
            await run_in_threadpool(session.close)


async def get_session(svc: ServicesDep) -> AsyncIterator[Session]:
    """A session for one request; its database waits share DATABASE_REQUEST_TIMEOUT_SECONDS."""
    async with _request_session(svc.sessions, svc) as session:
        yield session


async def get_read_session(svc: ServicesDep) -> AsyncIterator[Session]:
    """Like get_session, for work that runs exactly one SELECT (autocommit: no transaction
    to begin and roll back around it)."""
    async with _request_session(svc.read_sessions, svc) as session:
        yield session


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
