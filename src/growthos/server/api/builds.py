"""POST /api/builds: start a warehouse build on the server's writer thread (admin scope)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from growthos.server.api.params import ADMIN, AUTH_RESPONSES, problem_response, server_state

router = APIRouter(tags=["builds"], dependencies=ADMIN, responses=AUTH_RESPONSES)


@router.post(
    "/builds",
    status_code=202,
    summary="Start a warehouse build and data-quality checks (build_finished arrives on /api/stream)",
    responses={202: {"description": "The build was queued"}, 409: problem_response("A build is already running")},
)
def start_build(request: Request) -> JSONResponse:
    server_state(request).start_build()
    return JSONResponse({"status": "started"}, status_code=202)
