"""/api/metrics/*: KPIs over a date range compared with the previous period of equal length; series;
channels and campaigns; the purchase funnel; unit economics; cohorts."""

from __future__ import annotations

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

router = APIRouter(prefix="/metrics", tags=["metrics"], dependencies=READ, responses=WAREHOUSE_RESPONSES)


@router.get("/summary", summary="KPIs for a period, with the previous period (as `growthos kpis --json`)")
def metrics_summary(request: Request, rng: Range, metrics: MetricsParam = None) -> dict[str, Any]:
    names = parse_metric_list(metrics)
    state = server_state(request)
    with warehouse(state) as engine:
        return summary(engine, rng, state.workspace.last_full_day, names)


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
    state = server_state(request)
    with warehouse(state) as engine:
        return timeseries(engine, rng, state.workspace.last_full_day, names, interval)


@router.get("/channels", summary="KPIs per marketing channel, with label and paid flag")
def metrics_channels(request: Request, rng: Range) -> dict[str, Any]:
    state = server_state(request)
    with warehouse(state) as engine:
        return channels(engine, rng, state.workspace.last_full_day)


@router.get("/campaigns", summary="KPIs per campaign, with its name and channel")
def metrics_campaigns(request: Request, rng: Range) -> dict[str, Any]:
    state = server_state(request)
    with warehouse(state) as engine:
        return campaigns(engine, rng, state.workspace.last_full_day)


@router.get("/funnel", summary="Purchase funnel: sessions, add to cart, checkout, purchase")
def metrics_funnel(request: Request, rng: Range) -> dict[str, Any]:
    with warehouse(server_state(request)) as engine:
        return funnel(engine, rng)


@router.get("/unit-economics", summary="The average order's waterfall from gross sales to contribution")
def metrics_unit_economics(request: Request, rng: Range) -> dict[str, Any]:
    state = server_state(request)
    with warehouse(state) as engine:
        return unit_economics(engine, rng, state.workspace.last_full_day)


@router.get("/cohorts", summary="Monthly cohorts: retention, LTV, CAC and payback (all cohorts by default)")
def metrics_cohorts(request: Request, rng: OptionalRange) -> dict[str, Any]:
    with warehouse(server_state(request)) as engine:
        return cohorts(engine, rng)
