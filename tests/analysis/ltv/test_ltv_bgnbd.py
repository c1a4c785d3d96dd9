"""BG/NBD formulas against hand arithmetic and against numerical integration over the individual λ and p."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from growthos.analysis.ltv import FitDidNotConverge
from growthos.analysis.ltv.bgnbd import (
    BgNbdParams,
    expected_purchases,
    expected_purchases_new,
    fit,
    log_likelihood,
    probability_alive,
)
from growthos.core.errors import InvalidInput

ONES = BgNbdParams(1.0, 1.0, 1.0, 1.0)
CDNOW = BgNbdParams(0.243, 4.414, 0.793, 2.426)
A_ABOVE_ONE = BgNbdParams(1.8, 9.0, 2.5, 6.0)


def arr(*values: float) -> np.ndarray:
    return np.array(values, dtype=float)


def test_log_likelihood_by_hand():
    """r = α = a = b = 1, so B(1, 1) = 1, B(1, 2) = B(2, 1) = 1/2, Γ(1) = Γ(2) = 1:
    x = 0, T = 1:          L = 1 / (1 + T) = 1/2
    x = 1, t_x = 1, T = 2: L = B(1,2) · 1/(1+2)² + B(2,1) · 1/(1+1)² = 1/18 + 1/8 = 13/72."""
    ll = log_likelihood(ONES, arr(0, 1), arr(0, 1), arr(1, 2))
    assert ll == pytest.approx([math.log(1 / 2), math.log(13 / 72)])


def test_probability_alive_by_hand():
    """x = 1, t_x = 1, T = 2 with all ones: 1 / (1 + a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)) = 1 / (1 + 9/4) = 4/13,
    the share of the 'still alive' term in the likelihood above: (1/18) / (13/72) = 4/13. No repeat: alive."""
    assert probability_alive(ONES, arr(1, 0), arr(1, 0), arr(2, 5)) == pytest.approx([4 / 13, 1.0])


def integrated_expectation(params: BgNbdParams, t: float, x: float, t_x: float, age: float) -> float:
    """P(alive) from the likelihood's two terms, times E[purchases in t | alive] over the posterior
    λ ~ Gamma(r+x, α+T), p ~ Beta(a, b+x): E[(1 - e^(-λpt)) / p] = ∫ (1 - ((α+T)/(α+T+pt))^(r+x)) / p dBeta(p)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_alive = math.lgamma(a) + math.lgamma(b + x) - math.lgamma(a + b + x) - (r + x) * math.log(alpha + age)
    alive = math.exp(log_alive)
    dropped = 0.0
    if x > 0:
        dropped = math.exp(math.lgamma(a + 1) + math.lgamma(b + x - 1) - math.lgamma(a + b + x)
                           - (r + x) * math.log(alpha + t_x))
    p_alive = alive / (alive + dropped)

    def integrand(p: float) -> float:
        return (1 - ((alpha + age) / (alpha + age + p * t)) ** (r + x)) / p * stats.beta.pdf(p, a, b + x)

    value, _ = integrate.quad(integrand, 0, 1, limit=200, epsabs=1e-11, epsrel=1e-10)
    return p_alive * value


@pytest.mark.parametrize("params", [CDNOW, A_ABOVE_ONE, BgNbdParams(0.5, 2.0, 1.3, 0.9)])
@pytest.mark.parametrize(("t", "x", "t_x", "age"), [(39, 2, 30.43, 38.86), (10, 0, 0, 20), (52, 7, 12, 40),
                                                      (5, 1, 1, 1)])
def test_expected_purchases_match_numerical_integration(params, t, x, t_x, age):
    closed = expected_purchases(params, t, arr(x), arr(t_x), arr(age))[0]
    assert closed == pytest.approx(integrated_expectation(params, t, x, t_x, age), rel=1e-6)


def test_a_new_customer_expects_the_unconditional_purchases():
    """E[Y(t) | x = 0, t_x = 0, T = 0] is E[X(t)] (eq. 9)."""
    for params in (CDNOW, A_ABOVE_ONE):
        conditional = expected_purchases(params, 26.0, arr(0), arr(0), arr(0))[0]
        assert conditional == pytest.approx(expected_purchases_new(params, 26.0), rel=1e-9)


def test_fit_fails_clearly():
    with pytest.raises(InvalidInput):
        fit(arr(0, 0, 0), arr(0, 0, 0), arr(5, 6, 7))  # nobody came back: nothing pins the dropout down
    with pytest.raises(FitDidNotConverge) as error:
        # everyone buys every period until the end and never drops out: b runs off to infinity
        fit(arr(3, 3, 3, 3, 3), arr(10, 10, 10, 10, 10), arr(10, 10, 10, 10, 10))
    assert error.value.status == 422 and "BG/NBD" in error.value.message
