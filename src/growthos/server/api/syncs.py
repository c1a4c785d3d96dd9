"""POST /api/syncs: queue connector syncs on the server's writer thread (admin scope).

Each connection's sync is a job run (kind ``sync``), recorded as running at once; follow it with
GET /api/jobs/{id}, and ``sync_finished`` arrives on /api/stream when it ends.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from growthos.server.api.params import ADMIN, AUTH_RESPONSES, problem_response, server_state

router = APIRouter(tags=["syncs"], dependencies=ADMIN, responses=AUTH_RESPONSES)


class SyncRequest(BaseModel):
    """What to sync; an empty body syncs every connection."""

    model_config = ConfigDict(extra="forbid")

    connection: str | None = Field(default=None, max_length=64,
                                   description="A connection's name, or a connector kind (all its connections); "
                                               "omit for every connection.", examples=["main-shop"])
    full: bool = Field(default=False, description="Ignore saved cursors and read everything again.")


@router.post(
    "/syncs",
    status_code=202,
    summary="Queue the sync of one connection or of all (each a job run; sync_finished arrives on /api/stream)",
    responses={
        202: {"description": "Queued: the job runs, one per connection"},
        404: problem_response("No such connection or connector kind, or no connection at all"),
        409: problem_response("A sync of the connection is already queued or running"),
        422: problem_response("Invalid input; invalid_params names the field"),
    },
)
def start_sync(request: Request, body: Annotated[SyncRequest | None, Body()] = None) -> JSONResponse:
    body = body or SyncRequest()
    queued = server_state(request).start_sync(body.connection, full=body.full)
    jobs = [{"job_id": p.job_id, "connection": p.connection} for p in queued.jobs]
    return JSONResponse({"status": "queued", "job_ids": queued.job_ids, "jobs": jobs}, status_code=202)
