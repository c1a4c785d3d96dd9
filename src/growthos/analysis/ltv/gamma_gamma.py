"""The Gamma-Gamma model of monetary value (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013,
"The Gamma-Gamma model of monetary value"): a customer's purchase amounts are Gamma(p, ν) around their mean
p/ν, and ν ~ Gamma(q, γ) across customers. Fitted on the mean repeat amount z̄ of customers with x ≥ 1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from growthos.analysis.ltv.fitting import maximise
from growthos.core.errors import InvalidInput

NAMES = ("p", "q", "gamma")
MIN_CUSTOMERS = 3


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float

    def as_dict(self) -> dict[str, float]:
        return {name: round(float(getattr(self, name)), 6) for name in NAMES}

    @property
    def population_mean(self) -> float | None:
        """E[M] = γp/(q-1), defined for q > 1: the expected value of a customer with no repeat purchase yet."""
        return self.gamma * self.p / (self.q - 1) if self.q > 1 else None


def log_likelihood(params: GammaGammaParams, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """ln f(z̄ | x) = ln Γ(px+q) - ln Γ(px) - ln Γ(q) + q ln γ + (px-1) ln z̄ + px ln x - (px+q) ln(γ + x z̄)."""
    p, q, g = params.p, params.q, params.gamma
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + (px - 1) * np.log(zbar)
            + px * np.log(x) - (px + q) * np.log(g + x * zbar))


def fittable(x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """The customers the model is fitted on: at least one repeat purchase of positive mean value."""
    return (x > 0) & (zbar > 0)


def fit(x: np.ndarray, zbar: np.ndarray) -> tuple[GammaGammaParams, float]:
    """The maximum likelihood parameters on the fittable customers and the total log-likelihood at them.
    Amounts are rescaled by their mean for the search (γ scales with money; p and q do not)."""
    keep = fittable(x, zbar)
    if keep.sum() < MIN_CUSTOMERS:
        raise InvalidInput(f"Gamma-Gamma needs at least {MIN_CUSTOMERS} customers with a repeat purchase of "
                           f"positive value (there are {int(keep.sum())})", field="transactions")
    xs, zs = x[keep], zbar[keep]
    scale = float(np.mean(zs))

    def mean_ll(theta: np.ndarray) -> float:
        return float(np.mean(log_likelihood(GammaGammaParams(*theta), xs, zs / scale)))

    p, q, g = maximise(mean_ll, NAMES, "Gamma-Gamma")
    params = GammaGammaParams(float(p), float(q), float(g * scale))
    return params, float(log_likelihood(params, xs, zs).sum())


def expected_value(params: GammaGammaParams, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """E[M | x, z̄] = (γ + x z̄) p / (px + q - 1): a weighted mean of the population mean and the customer's
    own z̄ (NaN where px + q ≤ 1, i.e. for customers without repeats when q ≤ 1)."""
    p, q, g = params.p, params.q, params.gamma
    denominator = p * x + q - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, (g + x * zbar) * p / denominator, np.nan)


def frequency_value_correlation(x: np.ndarray, zbar: np.ndarray) -> float | None:
    """Pearson correlation of x and z̄ among the fittable customers: the model assumes it is near 0."""
    keep = fittable(x, zbar)
    if keep.sum() < 3 or np.std(x[keep]) == 0 or np.std(zbar[keep]) == 0:
        return None
    return float(np.corrcoef(x[keep], zbar[keep])[0, 1])
