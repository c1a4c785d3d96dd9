"""/api/ltv: predicted customer lifetime value of the shop's customers (BG/NBD + Gamma-Gamma), beside the
cohort LTV observed so far (as `growthos ltv --json`, with the top customers only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from growthos.analysis.ltv.predict import MAX_HORIZON_MONTHS
from growthos.analysis.ltv.shop import shop_ltv
from growthos.server.api.params import READ, WAREHOUSE_RESPONSES, server_state, warehouse

router = APIRouter(tags=["ltv"], dependencies=READ, responses=WAREHOUSE_RESPONSES)


@router.get("/ltv", summary="Predicted customer lifetime value: both models' parameters, a summary, the top "
            "customers and the observed cohort LTV beside it")
def get_ltv(
    request: Request,
    horizon: Annotated[int, Query(ge=1, le=MAX_HORIZON_MONTHS, description="Months ahead.")] = 12,
    time_unit: Annotated[Literal["day", "week"], Query(description="The models' unit of time.")] = "week",
    discount_rate: Annotated[float, Query(ge=0, lt=1, description="Monthly discount rate of the CLV.")] = 0.0,
    top: Annotated[int, Query(ge=0, le=1000, description="How many customers to list, highest CLV first.")] = 20,
) -> dict[str, Any]:
    state = server_state(request)
    last_full_day = state.workspace.last_full_day

    def compute() -> dict[str, Any]:
        with warehouse(state) as engine:
            return shop_ltv(engine, last_full_day, time_unit, horizon, discount_rate, top)

    return state.results.get_or_compute(("ltv", horizon, time_unit, discount_rate, top, last_full_day), compute)
