"""``GET /api/analytics/resources?range=24h|7d|30d``: each service's resource use and the scaling advice
(analysis/scaling.py: HPA's rule, target CPU 70%, up above 80%, down below 30%, 1–10 instances)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from growthos.analysis.scaling import scaling_report
from growthos.server.api.params import READ, READ_RESPONSES, server_state
from growthos.server.api.telemetry import TelemetryRange, window

router = APIRouter(prefix="/analytics", tags=["telemetry"])


@router.get("/resources", dependencies=READ, responses=READ_RESPONSES,
            summary="Resource use per service with its scaling recommendation (HPA's rule)")
def resources(request: Request, range_: TelemetryRange = "24h") -> dict[str, Any]:
    since, until = window(request, range_)
    with server_state(request).reader() as engine:
        return {"range": range_, **scaling_report(engine, since, until)}
