"""``GET /api/analytics/ai-performance?range=24h|7d|30d``: the app's AI / LLM calls over the last day, week or
month — calls, model-call latency p50/p95, tokens, cost, cache hit rate and error rate overall, per model and
per endpoint, errors by type, and the hourly (24h) or daily trend (read scope). Empty or not yet created
telemetry gives zero calls and nulls, not an error. The POST side is in ``telemetry``; the definitions are in
``growthos.metrics.telemetry.ai``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from growthos.metrics.telemetry import ai
from growthos.server.api.params import READ, READ_RESPONSES, server_state
from growthos.server.api.telemetry import TelemetryRange, window

router = APIRouter(prefix="/analytics", tags=["telemetry"], dependencies=READ, responses=READ_RESPONSES)


@router.get("/ai-performance", summary="AI calls: latency p50/p95, tokens, cost, cache hit and error rates per "
            "model and endpoint, and their trend")
async def ai_performance(request: Request, range_: TelemetryRange = "24h") -> dict[str, Any]:
    state = server_state(request)
    since, until = window(request, range_)

    def read() -> dict[str, Any]:
        with state.reader() as engine:
            report = ai.report(engine, since, until, tz=state.settings.timezone)
        return {"range": range_, **report.to_dict()}

    return await run_in_threadpool(read)
