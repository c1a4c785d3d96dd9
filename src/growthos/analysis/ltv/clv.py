"""Customer lifetime value over a horizon: expected purchases month by month × expected value per purchase,
each month discounted at a monthly rate."""

from __future__ import annotations

import numpy as np

from growthos.analysis.ltv.bgnbd import BgNbdParams, expected_purchases

DAYS_PER_MONTH = 365.25 / 12


def clv(params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, age: np.ndarray, value: np.ndarray,
        horizon_months: int, days_per_period: int, monthly_discount_rate: float = 0.0) -> np.ndarray:
    """Σ_{k=1..H} (E[Y(k·m)] - E[Y((k-1)·m)]) · E[M] / (1 + d)^k with m = periods per month (30.44 days);
    with d = 0 that is E[Y(H·m)] · E[M]."""
    per_month = DAYS_PER_MONTH / days_per_period
    total = np.zeros(np.shape(x))
    before = np.zeros(np.shape(x))
    for k in range(1, horizon_months + 1):
        upto = expected_purchases(params, k * per_month, x, t_x, age)
        total += (upto - before) / (1 + monthly_discount_rate) ** k
        before = upto
    return total * value
