"""The budget service: fit each paid channel's curve on its history, then reallocate its daily budget."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from growthos.analysis.budget.allocate import ChannelLimit, allocate
from growthos.analysis.budget.curves import ResponseCurve, fit_curve
from growthos.analysis.budget.history import daily_history
from growthos.core.errors import InvalidInput
from growthos.warehouse.engine import Engine

HISTORY_DAYS = 90
CURRENT_DAYS = 28


def budget_advice(
    engine: Engine,
    last_full_day: date,
    *,
    total: float | None = None,
    limits: dict[str, ChannelLimit] | None = None,
) -> dict[str, Any]:
    """Daily-spend advice: curves fitted on the last 90 days, current spend = mean of the last 28 days;
    channels whose history is too thin are listed under ``rejected`` with the reason."""
    history = daily_history(engine, last_full_day - timedelta(days=HISTORY_DAYS - 1), last_full_day)
    curves: list[ResponseCurve] = []
    rejected: list[dict[str, str]] = []
    current: dict[str, float] = {}
    for channel, (spend, conversions) in sorted(history.items()):
        try:
            curves.append(fit_curve(channel, spend, conversions))
        except InvalidInput as err:
            rejected.append({"channel": channel, "reason": err.message})
            continue
        recent = spend[-CURRENT_DAYS:]
        current[channel] = sum(recent) / len(recent)
    if limits:
        unknown = sorted(set(limits) - set(current))
        if unknown:
            raise InvalidInput(f"unknown channel {unknown[0]!r}; known: {', '.join(sorted(current))}", field="limits")
    result = allocate(curves, current, total=total, limits=limits)
    return {
        "period": "day",
        "total": result.total,
        "effect": result.effect,
        "effect_low": result.effect_low,
        "effect_high": result.effect_high,
        "channels": [asdict(a) for a in result.channels],
        "curves": [{"channel": c.channel, "beta": c.beta, "kappa": c.kappa, "days": c.days} for c in curves],
        "rejected": rejected,
    }
