"""The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
customer buys as a Poisson process of rate λ ~ Gamma(r, α); after each purchase they drop out with probability
p ~ Beta(a, b). Fitted on (x, t_x, T) per customer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, expit, gammaln, hyp2f1

from growthos.analysis.ltv.fitting import maximise
from growthos.core.errors import InvalidInput

NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return {name: round(float(getattr(self, name)), 6) for name in NAMES}


def log_likelihood(params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """ln L per customer (FHL 2005, eq. 6), computed with log-gamma, log-beta and a log-sum of its two terms:
    L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + [x > 0] · B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    still_alive = betaln(a, b + x) - (r + x) * np.log(alpha + age)
    repeat = x > 0
    dropped = np.full_like(still_alive, -np.inf)
    dropped[repeat] = betaln(a + 1, b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    return common + np.logaddexp(still_alive, dropped)


def fit(x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> tuple[BgNbdParams, float]:
    """The maximum likelihood parameters and the total log-likelihood at them. Times are rescaled by their
    mean age for the search (α scales with time; r, a, b do not), identical customers are counted once."""
    if len(x) < 2 or not np.any(x > 0):
        raise InvalidInput("BG/NBD needs at least two customers and one repeat purchase", field="transactions")
    scale = float(np.mean(age)) or 1.0
    rows, weights = np.unique(np.column_stack([x, t_x / scale, age / scale]), axis=0, return_counts=True)
    ux, ut, ua = rows[:, 0], rows[:, 1], rows[:, 2]
    total = weights.sum()

    def mean_ll(theta: np.ndarray) -> float:
        return float(np.dot(weights, log_likelihood(BgNbdParams(*theta), ux, ut, ua)) / total)

    r, alpha, a, b = maximise(mean_ll, NAMES, "BG/NBD")
    params = BgNbdParams(float(r), float(alpha * scale), float(a), float(b))
    return params, float(log_likelihood(params, x, t_x, age).sum())


def probability_alive(params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + [x > 0] · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x))  (FHL 2005, eq. 11)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_odds_dead = np.full(np.shape(x), -np.inf)
    repeat = x > 0
    xr = x[repeat]
    log_odds_dead[repeat] = (np.log(a) - np.log(b + xr - 1)
                             + (r + xr) * (np.log(alpha + age[repeat]) - np.log(alpha + t_x[repeat])))
    return expit(-log_odds_dead)


def expected_purchases(params: BgNbdParams, t: float, x: np.ndarray, t_x: np.ndarray,
                       age: np.ndarray) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: purchases expected in the next t periods (FHL 2005, eq. 10):
    (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))] · P(alive)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if t <= 0:
        return np.zeros(np.shape(x))
    a_minus_1 = a - 1 if abs(a - 1) > 1e-9 else 1e-9  # the formula's removable singularity at a = 1
    ratio = np.exp((r + x) * (np.log(alpha + age) - np.log(alpha + age + t)))
    tail = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + age + t))
    return (a + b + x - 1) / a_minus_1 * (1 - ratio * tail) * probability_alive(params, x, t_x, age)


def expected_purchases_new(params: BgNbdParams, t: float) -> float:
    """E[X(t)] for a customer just acquired (FHL 2005, eq. 9):
    (a+b-1)/(a-1) · [1 - (α/(α+t))^r · 2F1(r, b; a+b-1; t/(α+t))]."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    return float((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t))))
