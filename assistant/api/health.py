"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    checks = await request.app.state.readiness.check()
    not_ready = sorted(name for name, ok in checks.items() if ok is False)
    body = {"status": "ok" if not not_ready else "not_ready", "components": checks}
    if not_ready:
        body["not_ready"] = not_ready
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)
