"""Response-curve fitting recovers planted parameters."""

from __future__ import annotations

import numpy as np
import pytest

from growthos.analysis.budget.curves import fit_curve
from growthos.core.errors import InvalidInput


def _planted_spend() -> np.ndarray:
    return np.linspace(20.0, 400.0, 40)


def test_noiseless_series_recovers_beta_and_kappa() -> None:
    spend = _planted_spend()
    conversions = 30.0 * np.log1p(spend / 80.0)  # planted beta=30, kappa=80
    curve = fit_curve("meta", spend, conversions, bootstrap=0)
    assert curve.beta == pytest.approx(30.0, rel=1e-4)
    assert curve.kappa == pytest.approx(80.0, rel=1e-4)
    # marginal at spend 120: 30 / (80 + 120) = 0.15
    assert curve.marginal(120.0) == pytest.approx(0.15, rel=1e-4)


def test_noisy_series_lands_near_planted_values_and_boot_brackets_them() -> None:
    rng = np.random.default_rng(3)
    spend = np.tile(_planted_spend(), 3)
    conversions = 30.0 * np.log1p(spend / 80.0) + rng.normal(0.0, 1.5, spend.size)
    curve = fit_curve("meta", spend, conversions, bootstrap=150)
    assert curve.beta == pytest.approx(30.0, rel=0.15)
    assert curve.kappa == pytest.approx(80.0, rel=0.3)
    betas = np.array([b for b, _ in curve.boot])
    assert np.percentile(betas, 2.5) < 30.0 < np.percentile(betas, 97.5)


@pytest.mark.parametrize(
    ("spend", "conversions", "reason"),
    [
        ([10.0] * 5, [1.0] * 5, "at least 14"),
        ([10.0] * 20, [1.0] * 20, "barely varies"),
        ([-1.0] + [10.0] * 19, [1.0] * 20, "negative"),
    ],
)
def test_thin_or_bad_history_is_rejected_with_a_reason(spend, conversions, reason) -> None:
    with pytest.raises(InvalidInput, match=reason) as err:
        fit_curve("google", spend, conversions)
    assert err.value.field == "history"
