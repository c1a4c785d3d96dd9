"""Gamma-Gamma formulas against hand arithmetic and against numerical integration over ν."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from growthos.analysis.ltv import FitDidNotConverge
from growthos.analysis.ltv.gamma_gamma import GammaGammaParams, expected_value, fit, fittable, log_likelihood
from growthos.core.errors import InvalidInput

PARAMS = GammaGammaParams(6.0, 4.0, 15.0)


def test_expected_value_by_hand():
    """(γ + x z̄) p / (px + q - 1): x = 2, z̄ = 40 → (15 + 80) · 6 / (12 + 3) = 38;
    x = 0 → γp/(q-1) = 90 / 3 = 30, the population mean."""
    values = expected_value(PARAMS, np.array([2.0, 0.0]), np.array([40.0, 0.0]))
    assert values == pytest.approx([38.0, 30.0])
    assert PARAMS.population_mean == pytest.approx(30.0)


def test_no_population_mean_when_q_is_at_most_one():
    params = GammaGammaParams(2.0, 0.8, 10.0)
    assert params.population_mean is None
    values = expected_value(params, np.array([0.0, 1.0]), np.array([0.0, 20.0]))
    assert np.isnan(values[0]) and values[1] == pytest.approx((10 + 20) * 2 / (2 + 0.8 - 1))


@pytest.mark.parametrize(("x", "zbar"), [(1, 12.0), (3, 35.5), (10, 80.0)])
def test_density_matches_integrating_over_nu(x, zbar):
    """z̄ | ν ~ Gamma(shape px, rate νx) (mean of x Gamma(p, ν) amounts), ν ~ Gamma(shape q, rate γ)."""
    p, q, g = PARAMS.p, PARAMS.q, PARAMS.gamma

    def joint(nu: float) -> float:
        log_zbar = (p * x * math.log(nu * x) + (p * x - 1) * math.log(zbar) - nu * x * zbar - math.lgamma(p * x))
        log_nu = q * math.log(g) + (q - 1) * math.log(nu) - g * nu - math.lgamma(q)
        return math.exp(log_zbar + log_nu)

    density, _ = integrate.quad(joint, 0, np.inf, limit=200, epsrel=1e-10)
    assert log_likelihood(PARAMS, np.array([float(x)]), np.array([zbar]))[0] == pytest.approx(math.log(density),
                                                                                              rel=1e-7)


def test_fitted_on_repeat_customers_of_positive_value_only():
    assert list(fittable(np.array([0, 1, 2, 3.0]), np.array([0, 0, 5, 9.0]))) == [False, False, True, True]


def test_fit_fails_clearly():
    with pytest.raises(InvalidInput) as few:
        fit(np.array([1.0, 0.0, 2.0]), np.array([10.0, 0.0, 0.0]))
    assert "at least 3" in few.value.message and few.value.field == "transactions"
    with pytest.raises(FitDidNotConverge) as error:  # identical amounts: no spread to estimate
        fit(np.array([1.0, 1, 1, 1]), np.array([10.0, 10, 10, 10]))
    assert "Gamma-Gamma" in error.value.message
