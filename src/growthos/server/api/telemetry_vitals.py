"""``GET /api/analytics/performance?range=24h|7d|30d``: Core Web Vitals over the last day, week or month —
p75 per metric with Google's ratings and the shares of good / needs-improvement / poor samples, p75 per route,
the hourly or daily trend, and the routes that got worse than in the window before (read scope). Empty or not
yet created telemetry gives samples 0 and nulls, not an error. The POST side is in ``telemetry``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from growthos.metrics.telemetry import vitals
from growthos.server.api.params import READ, READ_RESPONSES, server_state
from growthos.server.api.telemetry import TelemetryRange, window

router = APIRouter(prefix="/analytics", tags=["telemetry"], dependencies=READ, responses=READ_RESPONSES)


@router.get("/performance", summary="Core Web Vitals: p75 per metric and route, trend and routes that got worse")
async def web_vitals(
    request: Request,
    range_: TelemetryRange = "7d",
    min_samples: Annotated[int, Query(ge=1, le=vitals.MAX_MIN_SAMPLES, description="Samples a route's metric "
                                      "needs to be listed (in each window, for the worse routes).")]
    = vitals.DEFAULT_MIN_SAMPLES,
    limit_routes: Annotated[int, Query(ge=1, le=vitals.MAX_ROUTES, description="Routes listed, most sampled "
                                       "first.")] = vitals.DEFAULT_ROUTES,
) -> dict[str, Any]:
    state = server_state(request)
    since, until = window(request, range_)

    def read() -> dict[str, Any]:
        with state.reader() as engine:
            report = vitals.report(engine, since, until, tz=state.settings.timezone, min_samples=min_samples,
                                   limit_routes=limit_routes)
        return {"range": range_, **report.to_dict()}

    return await run_in_threadpool(read)
