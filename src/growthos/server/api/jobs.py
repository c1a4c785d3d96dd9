"""GET /api/jobs, /api/jobs/{job_id}: job runs (builds, ingestions...); GET /api/checks: the latest
data-quality checks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from growthos.server.api.params import AUTH_RESPONSES, INT64_MAX, READ, READ_RESPONSES, problem_response, server_state
from growthos.store.records import JOB_STATUSES

router = APIRouter(tags=["jobs"], dependencies=READ, responses=AUTH_RESPONSES)

MAX_LIMIT = 1000


@router.get("/jobs", summary="Job runs, newest first", responses=READ_RESPONSES)
def list_jobs(
    request: Request,
    kind: Annotated[str | None, Query(max_length=64, description="Only jobs of this kind (build, ingest...).")]
    = None,
    status: Annotated[str | None, Query(description=f"Only jobs with this status: {', '.join(JOB_STATUSES)}.")]
    = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many jobs.")] = 100,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX, description="Skip this many jobs first.")] = 0,
) -> dict[str, Any]:
    # An empty filter (as an HTML form sends it) means no filter; an unknown status is a 422 from the store.
    runs = server_state(request).workspace.store.list_jobs(kind=kind or None, status=status or None, limit=limit,
                                                           offset=offset)
    return {"jobs": [r.to_dict() for r in runs], "limit": limit, "offset": offset}


@router.get("/jobs/{job_id}", summary="One job run",
            responses={**READ_RESPONSES, 404: problem_response("No job with this id")})
def get_job(request: Request, job_id: Annotated[int, Path(ge=1, le=INT64_MAX)]) -> dict[str, Any]:
    return server_state(request).workspace.store.get_job(job_id).to_dict()


@router.get("/checks", summary="Data-quality checks of the latest build")
def checks(request: Request) -> dict[str, Any]:
    results = server_state(request).workspace.store.latest_check_results()
    return {"checks": [c.to_dict() for c in results]}
