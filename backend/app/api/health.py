"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from app.api.deps import ServicesDep
from app.db import check_database, start_database_deadline

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process serves requests; deliberately checks no dependency."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(svc: ServicesDep) -> JSONResponse:
    start_database_deadline(svc.settings.database_request_timeout_seconds)
    problem = await run_in_threadpool(check_database, svc.engine)
    if problem:
        return JSONResponse({"status": "unavailable", "database": problem}, status_code=503)
    return JSONResponse({"status": "ready", "database": "ok"})
