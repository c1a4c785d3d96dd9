"""BG/NBD and Gamma-Gamma on the CDNOW 1/10 sample reproduce the published estimates.

Published (weeks; calibration 1997-01-01 .. 1997-09-30, 2,357 customers):
- BG/NBD, Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science 24(2):
  r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4; for a customer with x = 2, t_x = 30.43,
  T = 38.86 the expected purchases in the next 39 weeks are 1.226.
- Gamma-Gamma, Fader & Hardie (2013), "The Gamma-Gamma model of monetary value" (946 customers with repeat
  purchases, z̄ = mean repeat transaction value): p = 6.25, q = 3.74, gamma = 15.44; corr(x, z̄) = 0.11.

Tolerances: every estimate lies within half a unit of the last published digit (it rounds to the published
value: our q = 3.7442, gamma = 15.4435 are the largest gaps); asserted with 0.001 for r, alpha, a, b, 0.01 for
p, q, gamma and 0.05 for LL."""

from __future__ import annotations

import numpy as np
import pytest
from analysis.ltv.cdnow import CALIBRATION_END, cdnow_transactions, published_summary

from growthos.analysis.ltv import bgnbd, gamma_gamma, predict_ltv, summarise

HALF_CENT = 0.005 + 1e-9


@pytest.fixture(scope="module")
def summaries():
    return summarise(cdnow_transactions(), CALIBRATION_END, "week")


def test_summary_matches_the_published_calibration_summary(summaries):
    published = published_summary()
    assert len(summaries) == len(published) == 2357
    assert int((summaries.frequency > 0).sum()) == 946
    for i, customer in enumerate(summaries.customer_ids):
        ref = published[customer]
        assert summaries.frequency[i] == ref["x"]
        # the published summary is rounded to 2 decimals (half a unit, plus float error at exact halves)
        assert summaries.recency[i] == pytest.approx(ref["t_x"], abs=HALF_CENT)
        assert summaries.age[i] == pytest.approx(ref["T"], abs=HALF_CENT)
        assert summaries.monetary_value[i] == pytest.approx(ref["zbar"], abs=HALF_CENT)


def test_bgnbd_reproduces_the_published_estimates(summaries):
    params, log_likelihood = bgnbd.fit(summaries.frequency, summaries.recency, summaries.age)
    assert params.r == pytest.approx(0.243, abs=0.001)
    assert params.alpha == pytest.approx(4.414, abs=0.001)
    assert params.a == pytest.approx(0.793, abs=0.001)
    assert params.b == pytest.approx(2.426, abs=0.001)
    assert log_likelihood == pytest.approx(-9582.4, abs=0.05)
    expected = bgnbd.expected_purchases(params, 39, np.array([2.0]), np.array([30.43]), np.array([38.86]))
    assert expected[0] == pytest.approx(1.226, abs=0.0005)


def test_gamma_gamma_reproduces_the_published_estimates(summaries):
    params, _ = gamma_gamma.fit(summaries.frequency, summaries.monetary_value)
    assert params.p == pytest.approx(6.25, abs=0.01)
    assert params.q == pytest.approx(3.74, abs=0.01)
    assert params.gamma == pytest.approx(15.44, abs=0.01)
    corr = gamma_gamma.frequency_value_correlation(summaries.frequency, summaries.monetary_value)
    assert corr == pytest.approx(0.11, abs=0.005)


def test_time_unit_changes_alpha_only_and_no_prediction():
    """In days every time is 7× larger: alpha (a time scale) is 7× larger, r, a, b and every prediction are
    the same (an independent check of the scaling in the fit and in the CLV's months)."""
    weeks = predict_ltv(cdnow_transactions(), CALIBRATION_END, "week", horizon_months=12)
    days = predict_ltv(cdnow_transactions(), CALIBRATION_END, "day", horizon_months=12)
    assert days.bg_nbd.alpha == pytest.approx(7 * weeks.bg_nbd.alpha, rel=1e-4)
    for name in ("r", "a", "b"):
        assert getattr(days.bg_nbd, name) == pytest.approx(getattr(weeks.bg_nbd, name), rel=1e-4)
    np.testing.assert_allclose(days.p_alive, weeks.p_alive, rtol=1e-4)
    np.testing.assert_allclose(days.clv, weeks.clv, rtol=1e-3)
