"""GET /api/health: warehouse, app database and collector status, last build, version (no credentials needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service health")
async def health(request: Request) -> JSONResponse:
    """From memory, on the event loop: no query and no worker thread on this path (see server.health)."""
    report: dict[str, Any] = request.app.state.growthos.health.report()
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)
