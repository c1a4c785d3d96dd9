"""/api/forecast and /api/anomalies: forecasts of a daily KPI with prediction intervals; anomalous days."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from growthos.analysis.anomalies import detect
from growthos.analysis.forecast import MAX_HORIZON, forecast
from growthos.metrics.catalogue import parse_metric_list
from growthos.server.api.params import READ, WAREHOUSE_RESPONSES, Range, server_state, warehouse

router = APIRouter(tags=["forecasts"], dependencies=READ, responses=WAREHOUSE_RESPONSES)


@router.get("/forecast", summary="A daily KPI forecast with 80% and 95% prediction intervals "
            "(as `growthos forecast --json`)")
def get_forecast(
    request: Request,
    metric: Annotated[str, Query(description="Catalogue metric name.", examples=["net_revenue"])],
    horizon: Annotated[int, Query(ge=1, le=MAX_HORIZON, description="Days ahead.")] = 28,
    backtest: Annotated[bool, Query(description="Add a rolling-origin backtest (MASE).")] = False,
) -> dict[str, Any]:
    state = server_state(request)
    last_full_day = state.workspace.last_full_day

    def compute() -> dict[str, Any]:
        with warehouse(state) as engine:
            return forecast(engine, last_full_day, metric, horizon, with_backtest=backtest).as_dict()

    return state.results.get_or_compute(("forecast", metric, horizon, backtest, last_full_day), compute)


@router.get("/anomalies", summary="Anomalous days of daily KPIs (as `growthos anomalies --json`)")
def get_anomalies(
    request: Request,
    rng: Range,
    metric: Annotated[str | None, Query(description="Comma-separated metric names (default: headline KPIs).",
                                        examples=["net_revenue,orders"])] = None,
) -> dict[str, Any]:
    names = parse_metric_list(metric, field="metric") if metric else None
    state = server_state(request)
    last_full_day = state.workspace.last_full_day

    def compute() -> dict[str, Any]:
        with warehouse(state) as engine:
            return detect(engine, rng, last_full_day, names)

    return state.results.get_or_compute(("anomalies", rng, tuple(names or ()), last_full_day), compute)
