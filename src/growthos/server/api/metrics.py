"""/api/metrics/*: KPIs over a date range compared with the previous period of equal length; series;
channels and campaigns; the purchase funnel; unit economics; cohorts.

Every answer here reads the marts only, which change when a build finishes: answers are kept in the server's
result cache (emptied by each build) under the route, its parameters and the last full day, so a dashboard's
repeated reads do not queue behind the collector's loader for DuckDB's threads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from growthos.core.errors import InvalidInput
from growthos.metrics.catalogue import parse_metric_list
from growthos.metrics.channels import campaigns, channels
from growthos.metrics.cohorts import cohorts
from growthos.metrics.evaluate import summary, timeseries
from growthos.metrics.funnel import funnel
from growthos.metrics.unit_economics import unit_economics
from growthos.server.api.params import (
    READ,
    WAREHOUSE_RESPONSES,
    MetricsParam,
    OptionalRange,
    Range,
    server_state,
    warehouse,
)
from growthos.warehouse.engine import Engine

router = APIRouter(prefix="/metrics", tags=["metrics"], dependencies=READ, responses=WAREHOUSE_RESPONSES)


def _from_marts(request: Request, key: tuple, compute: Callable[[Engine, date], dict[str, Any]]) -> dict[str, Any]:
    """``compute(engine, last_full_day)``, from the result cache when this question was answered since the build."""
    state = server_state(request)
    last_full_day = state.workspace.last_full_day

    def run() -> dict[str, Any]:
        with warehouse(state) as engine:
            return compute(engine, last_full_day)

    return state.results.get_or_compute(("metrics", *key, last_full_day), run)


@router.get("/summary", summary="KPIs for a period, with the previous period (as `growthos kpis --json`)")
def metrics_summary(request: Request, rng: Range, metrics: MetricsParam = None) -> dict[str, Any]:
    names = parse_metric_list(metrics)
    return _from_marts(request, ("summary", rng, tuple(names or ())),
                       lambda engine, day: summary(engine, rng, day, names))


@router.get("/timeseries", summary="Metric values per day or per week (Monday weeks)")
def metrics_timeseries(
    request: Request,
    rng: Range,
    metrics: Annotated[str, Query(description="Comma-separated catalogue metric names (at least one).",
                                  examples=["orders,net_revenue"])],
    interval: Annotated[Literal["day", "week"], Query(description="Bucket size.")] = "day",
) -> dict[str, Any]:
    if not metrics.strip(" ,"):
        raise InvalidInput("metrics must name at least one metric", field="metrics")
    names = parse_metric_list(metrics)
    return _from_marts(request, ("timeseries", rng, tuple(names), interval),
                       lambda engine, day: timeseries(engine, rng, day, names, interval))


@router.get("/channels", summary="KPIs per marketing channel, with label and paid flag")
def metrics_channels(request: Request, rng: Range) -> dict[str, Any]:
    return _from_marts(request, ("channels", rng), lambda engine, day: channels(engine, rng, day))


@router.get("/campaigns", summary="KPIs per campaign, with its name and channel")
def metrics_campaigns(request: Request, rng: Range) -> dict[str, Any]:
    return _from_marts(request, ("campaigns", rng), lambda engine, day: campaigns(engine, rng, day))


@router.get("/funnel", summary="Purchase funnel: sessions, add to cart, checkout, purchase")
def metrics_funnel(request: Request, rng: Range) -> dict[str, Any]:
    return _from_marts(request, ("funnel", rng), lambda engine, _day: funnel(engine, rng))


@router.get("/unit-economics", summary="The average order's waterfall from gross sales to contribution")
def metrics_unit_economics(request: Request, rng: Range) -> dict[str, Any]:
    return _from_marts(request, ("unit_economics", rng), lambda engine, day: unit_economics(engine, rng, day))


@router.get("/cohorts", summary="Monthly cohorts: retention, LTV, CAC and payback (all cohorts by default)")
def metrics_cohorts(request: Request, rng: OptionalRange) -> dict[str, Any]:
    return _from_marts(request, ("cohorts", rng), lambda engine, _day: cohorts(engine, rng))
