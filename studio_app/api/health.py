"""``GET /api/health`` (liveness): is the database reachable and its schema at the latest migration.
``GET /api/ready`` (readiness): the database, Redis, storage and the job queue."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from studio_app.database import get_engine, schema_status
from studio_app.services import readiness


def _check() -> tuple[int, dict]:
    try:
        status = schema_status(get_engine())
    except sa.exc.SQLAlchemyError:
        return 503, {"status": "unavailable", "database": "unreachable"}
    body = {
        "status": "ok" if status.up_to_date else "degraded",
        "database": "reachable",
        "migrations": {"current": status.current, "head": status.head, "at_head": status.up_to_date},
    }
    return (200 if status.up_to_date else 503), body


async def health(_request: Request) -> JSONResponse:
    code, body = await run_in_threadpool(_check)
    return JSONResponse(body, status_code=code, headers={"cache-control": "no-store"})


async def ready(_request: Request) -> JSONResponse:
    """``GET /api/ready``: 503 naming each part that fails (``services/readiness.py``), 200 when all work."""
    code, body = readiness.answer(await run_in_threadpool(readiness.check_all))
    return JSONResponse(body, status_code=code, headers={"cache-control": "no-store"})
