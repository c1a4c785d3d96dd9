"""/api/aarrr/acquisition (channel KPIs by group, budgets, sign-ups) and /api/budget (response curves per paid
channel and a reallocation of the daily budget by marginal return).

The budget advice reads the marts only and refits 200 bootstraps (about 0.85 s on the demo; 25 ms cached), so
it is kept in the server's result cache (emptied by each build) under its total, limits and the last full day.
The acquisition table counts sign-ups from the collected events, which arrive between builds: nothing cached."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from growthos.analysis.acquisition import acquisition
from growthos.analysis.budget.advice import budget_advice
from growthos.analysis.budget.limits import parse_limits
from growthos.server.api.params import READ, WAREHOUSE_RESPONSES, Range, server_state, warehouse

router = APIRouter(tags=["budget"], dependencies=READ, responses=WAREHOUSE_RESPONSES)


@router.get("/budget", summary="Budget advice: log response curves per paid channel fitted on 90 days, and "
            "daily spends maximising new customers for `total` (default: current daily spend) within "
            "`limit=channel=min:max` (repeatable; default ±50% of current), with 80% intervals "
            "(as `growthos budget --json`)")
def get_budget(
    request: Request,
    total: Annotated[float | None, Query(description="Total daily budget (reporting currency).")] = None,
    limit: Annotated[list[str] | None, Query(description="Per-channel daily limits, channel=min:max.",
                                             examples=["meta=100:400"])] = None,
) -> dict[str, Any]:
    limits = parse_limits(limit)
    state = server_state(request)
    last_full_day = state.workspace.last_full_day

    def compute() -> dict[str, Any]:
        with warehouse(state) as engine:
            return budget_advice(engine, last_full_day, total=total, limits=limits)

    key = ("budget", total, tuple(sorted((c, lim.minimum, lim.maximum) for c, lim in limits.items())),
           last_full_day)
    return state.results.get_or_compute(key, compute)


@router.get("/aarrr/acquisition", summary="Acquisition by channel: the channel KPIs (spend, CPC, CTR, orders, "
            "new customers, conversion rate, nCAC as CPA, ROAS) with group paid/organic/referral/direct, cost per "
            "conversion, impressions, clicks, LTV 90d, monthly budget prorated to the range with utilisation and "
            "remaining, and sign-ups from product events with user quality (as `growthos acquisition --json`)")
def get_acquisition(request: Request, rng: Range) -> dict[str, Any]:
    state = server_state(request)
    with warehouse(state) as engine:
        return acquisition(engine, state.settings, rng, state.workspace.last_full_day)
