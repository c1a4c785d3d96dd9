"""GET /api/health: warehouse and app database status, last build, version (no credentials needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from growthos.server.health import health_report

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service health")
def health(request: Request) -> JSONResponse:
    report: dict[str, Any] = health_report(request.app.state.growthos)
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)
