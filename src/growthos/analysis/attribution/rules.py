"""The rule-based models: each splits one conversion among its journey's touches with weights summing to 1.

- first_touch: all to the first touch; last_touch: all to the last.
- linear: 1/n to each of the n touches.
- time_decay: a touch d days before the conversion weighs 2^(-d / half-life), normalised.
- position_based (U-shaped): 40% first, 40% last, 20% shared by the touches between; one touch gets 100%,
  two touches 50% each.
"""

from __future__ import annotations

from collections.abc import Callable

from growthos.analysis.attribution.journeys import Journey

FIRST_LAST_SHARE = 0.4
DAY_SECONDS = 86_400.0

Weights = Callable[[Journey, float], list[float]]
"""(journey, half-life in days) -> one weight per touch."""


def first_touch(journey: Journey, half_life_days: float) -> list[float]:
    return [1.0] + [0.0] * (len(journey.touches) - 1)


def last_touch(journey: Journey, half_life_days: float) -> list[float]:
    return [0.0] * (len(journey.touches) - 1) + [1.0]


def linear(journey: Journey, half_life_days: float) -> list[float]:
    n = len(journey.touches)
    return [1.0 / n] * n


def time_decay(journey: Journey, half_life_days: float) -> list[float]:
    raw = [2.0 ** (-((journey.at - t.at).total_seconds() / DAY_SECONDS) / half_life_days) for t in journey.touches]
    total = sum(raw)
    return [w / total for w in raw]


def position_based(journey: Journey, half_life_days: float) -> list[float]:
    n = len(journey.touches)
    if n == 1:
        return [1.0]
    if n == 2:
        return [0.5, 0.5]
    middle = (1.0 - 2 * FIRST_LAST_SHARE) / (n - 2)
    return [FIRST_LAST_SHARE] + [middle] * (n - 2) + [FIRST_LAST_SHARE]


RULES: dict[str, Weights] = {
    "first_touch": first_touch,
    "last_touch": last_touch,
    "linear": linear,
    "time_decay": time_decay,
    "position_based": position_based,
}
