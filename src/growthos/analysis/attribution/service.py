"""What the API route and the CLI command call: attribution of a range's conversions to channels under one
model or all of them side by side, as a JSON-ready dict.

Days are the workspace's reporting days; touches are read from ``lookback_days`` before the range's first
instant so that early conversions keep their older touches.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from growthos.analysis.attribution.channels import channel_label
from growthos.analysis.attribution.conversions import DEFAULT_CONVERSION, DEFAULT_VALUE_PROPERTIES, conversions
from growthos.analysis.attribution.journeys import converting_journeys, non_converting_journeys
from growthos.analysis.attribution.models import MODEL_LABELS, MODELS, Credit
from growthos.analysis.attribution.touchpoints import person_touches
from growthos.config import Settings
from growthos.core.errors import InvalidInput
from growthos.core.periods import DateRange
from growthos.metrics.product.common import day_bounds, event_name, property_path, zone
from growthos.warehouse.engine import Engine

ALL = "all"
DEFAULT_LOOKBACK_DAYS = 30
MAX_LOOKBACK_DAYS = 365
DEFAULT_HALF_LIFE_DAYS = 7.0


def model_names(model: str) -> list[str]:
    """The models asked for: one registered name, or every one for 'all'."""
    if model == ALL:
        return list(MODELS)
    if model not in MODELS:
        raise InvalidInput(f"model must be one of {ALL}, {', '.join(MODELS)}; got {model!r}", field="model")
    return [model]


def check_options(lookback_days: int, half_life_days: float) -> None:
    if isinstance(lookback_days, bool) or not isinstance(lookback_days, int) \
            or not 1 <= lookback_days <= MAX_LOOKBACK_DAYS:
        raise InvalidInput(f"lookback_days must be an integer from 1 to {MAX_LOOKBACK_DAYS}, got {lookback_days!r}",
                           field="lookback_days")
    if isinstance(half_life_days, bool) or not isinstance(half_life_days, int | float) \
            or not 0 < half_life_days <= MAX_LOOKBACK_DAYS:
        raise InvalidInput(f"half_life_days must be a number above 0 and at most {MAX_LOOKBACK_DAYS}, "
                           f"got {half_life_days!r}", field="half_life_days")


def attribution_report(engine: Engine, settings: Settings, rng: DateRange, *, model: str = ALL,
                       lookback_days: int = DEFAULT_LOOKBACK_DAYS, conversion: str = DEFAULT_CONVERSION,
                       half_life_days: float = DEFAULT_HALF_LIFE_DAYS, value_property: str | None = None
                       ) -> dict[str, Any]:
    """Conversions of ``rng`` credited to channels by each model asked for, with a side-by-side table."""
    names = model_names(model)
    check_options(lookback_days, half_life_days)
    event_name(conversion, "conversion")
    if value_property is not None:
        property_path(value_property, "value_property")
    tz = zone(settings.timezone)
    lo, hi = day_bounds(rng.start, rng.end, tz)
    converting, non_converting = [], []
    if engine.table_exists("events_people"):
        touches = person_touches(engine, lo - timedelta(days=lookback_days), hi, settings.channel_rules)
        found = conversions(engine, conversion, lo, hi, value_property)
        converting = converting_journeys(found, touches, lookback_days)
        non_converting = non_converting_journeys(found, touches, lo, lookback_days)
    credits = {name: MODELS[name](converting, non_converting, float(half_life_days)) for name in names}
    total_conv = float(len(converting))
    total_value = sum(j.value for j in converting)
    channels = _channel_order(credits)
    return {
        "start": rng.start.isoformat(), "end": rng.end.isoformat(), "timezone": settings.timezone,
        "conversion": conversion,
        "value_properties": [value_property] if value_property else list(DEFAULT_VALUE_PROPERTIES),
        "lookback_days": lookback_days, "half_life_days": float(half_life_days), "model": model,
        "conversions": total_conv, "value": total_value,
        "journeys": {"converting": len(converting), "non_converting": len(non_converting),
                     "touches": sum(len(j.touches) for j in converting)},
        "models": [_model_result(name, credits[name], channels, total_conv) for name in names],
        "comparison": [_comparison_row(c, credits, total_conv) for c in channels],
    }


def _channel_order(credits: dict[str, Credit]) -> list[str]:
    """Channels by conversions credited summed over the models, most first (ties by name)."""
    totals: dict[str, float] = {}
    for credit in credits.values():
        for channel, n in credit.conversions.items():
            totals[channel] = totals.get(channel, 0.0) + n
    return sorted(totals, key=lambda c: (-round(totals[c], 9), c))


def _cell(credit: Credit, channel: str, total_conv: float) -> dict[str, float | None]:
    conv = credit.conversions.get(channel, 0.0)
    return {"conversions": conv, "value": credit.value.get(channel, 0.0),
            "share": conv / total_conv if total_conv else None}


def _model_result(name: str, credit: Credit, channels: list[str], total_conv: float) -> dict[str, Any]:
    rows = [{"channel": c, "label": channel_label(c), **_cell(credit, c, total_conv)} for c in channels
            if c in credit.conversions]
    rows.sort(key=lambda r: (-round(r["conversions"], 9), r["channel"]))
    return {"model": name, "label": MODEL_LABELS[name], "channels": rows, **credit.details}


def _comparison_row(channel: str, credits: dict[str, Credit], total_conv: float) -> dict[str, Any]:
    return {"channel": channel, "label": channel_label(channel),
            "models": {name: _cell(credit, channel, total_conv) for name, credit in credits.items()}}
