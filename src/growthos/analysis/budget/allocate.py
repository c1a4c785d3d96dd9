"""Reallocate a total budget across channels by equalising marginal returns.

For log curves the optimum of sum_i beta_i*log(1+s_i/kappa_i) subject to sum s_i = B and
min_i <= s_i <= max_i satisfies (KKT): s_i = clip(beta_i/lam - kappa_i, min_i, max_i) for one
multiplier lam > 0, found by bisection so that the spends add up to B. The expected effect carries
an 80% interval from the curves' bootstrap refits (10th and 90th percentiles).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from growthos.analysis.budget.curves import ResponseCurve
from growthos.core.errors import InvalidInput

DEFAULT_BAND = 0.5


@dataclass(frozen=True)
class ChannelLimit:
    minimum: float
    maximum: float


@dataclass(frozen=True)
class ChannelAdvice:
    channel: str
    current_spend: float
    recommended_spend: float
    marginal_current: float
    marginal_recommended: float
    conversions_current: float
    conversions_recommended: float
    effect: float
    effect_low: float
    effect_high: float


@dataclass(frozen=True)
class Allocation:
    total: float
    channels: list[ChannelAdvice]
    effect: float
    effect_low: float
    effect_high: float


def _spends(curves: list[ResponseCurve], lam: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    raw = np.array([c.beta / lam - c.kappa for c in curves])
    return np.clip(raw, lo, hi)


def _limits(
    curves: list[ResponseCurve], current: dict[str, float], limits: dict[str, ChannelLimit]
) -> tuple[np.ndarray, np.ndarray]:
    names = {c.channel for c in curves}
    for name in limits:
        if name not in names:
            raise InvalidInput(f"unknown channel {name!r}; known: {', '.join(sorted(names))}", field="limits")
    lo, hi = [], []
    for curve in curves:
        spend = current[curve.channel]
        limit = limits.get(curve.channel, ChannelLimit(spend * (1 - DEFAULT_BAND), spend * (1 + DEFAULT_BAND)))
        if limit.minimum < 0:
            raise InvalidInput(f"{curve.channel}: minimum must not be negative", field=f"min.{curve.channel}")
        if limit.minimum > limit.maximum:
            raise InvalidInput(f"{curve.channel}: minimum exceeds maximum", field=f"limits.{curve.channel}")
        lo.append(limit.minimum)
        hi.append(limit.maximum)
    return np.array(lo), np.array(hi)


def solve(curves: list[ResponseCurve], total: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Spends maximising predicted conversions with sum == total and lo <= s <= hi (bisection on lam)."""
    low, high = 1e-12, max(c.beta / c.kappa for c in curves) * 2 + 1e-9
    for _ in range(200):
        mid = (low * high) ** 0.5
        if _spends(curves, mid, lo, hi).sum() > total:
            low = mid
        else:
            high = mid
    spends = _spends(curves, (low * high) ** 0.5, lo, hi)
    gap = total - spends.sum()
    if abs(gap) > 1e-9:  # channels pinned at a bound absorb no rounding: spread it on free ones
        free = (spends > lo + 1e-9) & (spends < hi - 1e-9)
        if free.any():
            spends[free] += gap / free.sum()
    return spends


def allocate(
    curves: list[ResponseCurve],
    current: dict[str, float],
    *,
    total: float | None = None,
    limits: dict[str, ChannelLimit] | None = None,
) -> Allocation:
    """Recommend spends for ``total`` (default: current total) within per-channel limits."""
    if not curves:
        raise InvalidInput("no channel has a fitted response curve", field="channels")
    missing = [c.channel for c in curves if c.channel not in current]
    if missing:
        raise InvalidInput(f"no current spend for {', '.join(missing)}", field="current")
    budget = float(sum(current[c.channel] for c in curves)) if total is None else float(total)
    if budget < 0:
        raise InvalidInput("total budget must not be negative", field="total")
    lo, hi = _limits(curves, current, limits or {})
    if lo.sum() > budget + 1e-9 or hi.sum() < budget - 1e-9:
        raise InvalidInput(
            f"total {budget:.2f} is outside the limits' range {lo.sum():.2f}–{hi.sum():.2f}", field="total"
        )
    spends = solve(curves, budget, lo, hi)
    draws = _effect_draws(curves, current, spends)
    advice = []
    for i, curve in enumerate(curves):
        now, rec = current[curve.channel], float(spends[i])
        d = draws[:, i] if draws.size else np.array([curve.predict(rec) - curve.predict(now)])
        advice.append(
            ChannelAdvice(
                channel=curve.channel,
                current_spend=now,
                recommended_spend=rec,
                marginal_current=curve.marginal(now),
                marginal_recommended=curve.marginal(rec),
                conversions_current=curve.predict(now),
                conversions_recommended=curve.predict(rec),
                effect=curve.predict(rec) - curve.predict(now),
                effect_low=float(np.percentile(d, 10)),
                effect_high=float(np.percentile(d, 90)),
            )
        )
    totals = draws.sum(axis=1) if draws.size else np.array([sum(a.effect for a in advice)])
    return Allocation(
        total=budget,
        channels=advice,
        effect=sum(a.effect for a in advice),
        effect_low=float(np.percentile(totals, 10)),
        effect_high=float(np.percentile(totals, 90)),
    )


def _effect_draws(curves: list[ResponseCurve], current: dict[str, float], spends: np.ndarray) -> np.ndarray:
    """Per bootstrap draw and channel, the predicted change in conversions (rows: draws)."""
    n = min((len(c.boot) for c in curves), default=0)
    if n == 0:
        return np.empty((0, len(curves)))
    out = np.empty((n, len(curves)))
    for j, curve in enumerate(curves):
        for k, (beta, kappa) in enumerate(curve.boot[:n]):
            out[k, j] = beta * (np.log1p(spends[j] / kappa) - np.log1p(current[curve.channel] / kappa))
    return out
