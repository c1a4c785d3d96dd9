"""/api/attribution: the range's conversions (a track event, default ``Subscription Started``) and their value
credited to channels by one attribution model or all of them side by side (``model=all``), with a lookback
window. Ranges are reporting days (from/to or range, as /api/product/*)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from growthos.analysis.attribution.conversions import DEFAULT_CONVERSION
from growthos.analysis.attribution.models import MODELS
from growthos.analysis.attribution.service import (
    ALL,
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_LOOKBACK_DAYS,
    attribution_report,
)
from growthos.server.api.params import READ, READ_RESPONSES, Range, server_state

router = APIRouter(tags=["attribution"], dependencies=READ, responses=READ_RESPONSES)


@router.get("/attribution", summary="Conversions and value credited to channels by first touch, last touch, "
            "linear, time decay, position based and data-driven (Markov removal effect) attribution")
def get_attribution(
    request: Request,
    rng: Range,
    model: Annotated[str, Query(description=f"{ALL} (every model side by side) or one of {', '.join(MODELS)}.")]
    = ALL,
    lookback_days: Annotated[int, Query(description="Touches more than this many days before a conversion are "
                                                    "ignored (1-365).")] = DEFAULT_LOOKBACK_DAYS,
    conversion: Annotated[str, Query(max_length=200, description="The track event that is the conversion, e.g. "
                                                                 "'Subscription Started' or 'Signed Up'.")]
    = DEFAULT_CONVERSION,
    half_life_days: Annotated[float, Query(description="Time decay's half-life in days (above 0, at most 365).")]
    = DEFAULT_HALF_LIFE_DAYS,
    value_property: Annotated[str | None, Query(max_length=64, description="The conversion's property holding its "
                                                "value (default: revenue, value, mrr or price).")] = None,
) -> dict[str, Any]:
    state = server_state(request)
    with state.reader() as engine:  # events arrive between builds: nothing cached
        return attribution_report(engine, state.settings, rng, model=model, lookback_days=lookback_days,
                                  conversion=conversion, half_life_days=half_life_days, value_property=value_property)
