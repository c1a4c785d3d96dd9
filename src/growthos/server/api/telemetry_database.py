"""``GET /api/analytics/database-performance?range=24h|7d|30d``: the app's database queries over the last day,
week or month — queries, executed-query p50/p95/p99/max, slow-query, cache hit and error rates, the slowest
fingerprints (by total time) and the hourly (24h) or daily trend (read scope). Empty or not yet created
telemetry gives zero queries and nulls, not an error. The POST side is in ``telemetry``; the definitions
are in ``growthos.metrics.telemetry.database``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from growthos.metrics.telemetry import database
from growthos.server.api.params import READ, READ_RESPONSES, server_state
from growthos.server.api.telemetry import TelemetryRange, window

router = APIRouter(prefix="/analytics", tags=["telemetry"], dependencies=READ, responses=READ_RESPONSES)

Top = Annotated[int, Query(ge=1, le=database.MAX_TOP, description="How many fingerprints to list.")]


@router.get("/database-performance", summary="Database queries: p50/p95/p99/max duration, slow-query, cache hit "
            "and error rates, the slowest fingerprints and their trend")
async def database_performance(request: Request, range_: TelemetryRange = "24h", top: Top = 20) -> dict[str, Any]:
    state = server_state(request)
    since, until = window(request, range_)

    def read() -> dict[str, Any]:
        with state.reader() as engine:
            report = database.report(engine, since, until, tz=state.settings.timezone, top=top)
        return {"range": range_, **report.to_dict()}

    return await run_in_threadpool(read)
