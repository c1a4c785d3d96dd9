"""Response curves: conversions = beta * log(1 + spend / kappa), fitted on daily history.

The log curve is concave (diminishing returns): its marginal return is beta / (kappa + spend).
Fitted by scipy least squares on (beta, kappa) in log space (both stay positive); the parameter
uncertainty comes from a bootstrap over days (refits on days resampled with replacement).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from growthos.core.errors import InvalidInput

MIN_DAYS = 14
MIN_DISTINCT_SPEND = 3
LOG_BOUND = 12.0  # log-parameters stay within e^±12 of their scale


@dataclass(frozen=True)
class ResponseCurve:
    """A fitted log response curve; ``boot`` holds bootstrap (beta, kappa) pairs."""

    channel: str
    beta: float
    kappa: float
    days: int
    boot: tuple[tuple[float, float], ...] = field(default=())

    def predict(self, spend: float) -> float:
        return self.beta * float(np.log1p(max(spend, 0.0) / self.kappa))

    def marginal(self, spend: float) -> float:
        return self.beta / (self.kappa + max(spend, 0.0))


def _fit_params(spend: np.ndarray, conversions: np.ndarray) -> tuple[float, float]:
    scale = max(float(np.median(spend[spend > 0])) if np.any(spend > 0) else 1.0, 1e-9)

    def residuals(theta: np.ndarray) -> np.ndarray:
        beta, kappa = np.exp(theta[0]), np.exp(theta[1]) * scale
        return beta * np.log1p(spend / kappa) - conversions

    start = np.array([np.log(max(float(conversions.mean()), 1e-3) / np.log(2.0)), 0.0])
    start = np.clip(start, -LOG_BOUND + 1, LOG_BOUND - 1)
    result = least_squares(residuals, start, bounds=(-LOG_BOUND, LOG_BOUND), max_nfev=2000)
    return float(np.exp(result.x[0])), float(np.exp(result.x[1]) * scale)


def fit_curve(
    channel: str,
    spend: list[float] | np.ndarray,
    conversions: list[float] | np.ndarray,
    *,
    bootstrap: int = 200,
    seed: int = 7,
) -> ResponseCurve:
    """Fit ``conversions = beta*log(1+spend/kappa)`` on daily pairs; reject thin histories clearly."""
    x = np.asarray(spend, dtype=float)
    y = np.asarray(conversions, dtype=float)
    if x.shape != y.shape:
        raise InvalidInput("spend and conversions must have one value per day each", field="history")
    if np.any(x < 0) or np.any(y < 0):
        raise InvalidInput(f"{channel}: spend and conversions must not be negative", field="history")
    if len(x) < MIN_DAYS:
        raise InvalidInput(f"{channel}: {len(x)} days of history, at least {MIN_DAYS} needed", field="history")
    if len(np.unique(np.round(x, 2))) < MIN_DISTINCT_SPEND:
        raise InvalidInput(f"{channel}: spend barely varies, a curve cannot be fitted", field="history")
    beta, kappa = _fit_params(x, y)
    rng = np.random.default_rng(seed)
    boot: list[tuple[float, float]] = []
    for _ in range(bootstrap):
        idx = rng.integers(0, len(x), len(x))
        if len(np.unique(np.round(x[idx], 2))) < MIN_DISTINCT_SPEND:
            continue
        boot.append(_fit_params(x[idx], y[idx]))
    return ResponseCurve(channel=channel, beta=beta, kappa=kappa, days=len(x), boot=tuple(boot))
