"""The CLV over a horizon (months, discounted) and the predictions' JSON, on the CDNOW sample."""

from __future__ import annotations

import numpy as np
import pytest
from analysis.ltv.cdnow import CALIBRATION_END, cdnow_transactions

from growthos.analysis.ltv import predict_ltv
from growthos.analysis.ltv.bgnbd import BgNbdParams, expected_purchases
from growthos.analysis.ltv.clv import DAYS_PER_MONTH, clv
from growthos.core.errors import InvalidInput

PARAMS = BgNbdParams(0.243, 4.414, 0.793, 2.426)
X, T_X, AGE, VALUE = np.array([2.0, 0.0]), np.array([30.43, 0.0]), np.array([38.86, 20.0]), np.array([30.0, 35.0])


def test_undiscounted_clv_is_purchases_times_value():
    """d = 0: Σ of the monthly increments telescopes to E[Y(3 months)] · E[M]; 3 months = 3 · 30.4375 / 7 weeks."""
    weeks = 3 * DAYS_PER_MONTH / 7
    expected = expected_purchases(PARAMS, weeks, X, T_X, AGE) * VALUE
    assert clv(PARAMS, X, T_X, AGE, VALUE, 3, 7) == pytest.approx(expected)


def test_discounted_clv_by_hand():
    """d = 10% a month over 2 months: (E[Y(m)] · 1/1.1 + (E[Y(2m)] - E[Y(m)]) · 1/1.21) · E[M]."""
    m = DAYS_PER_MONTH / 7
    one, two = expected_purchases(PARAMS, m, X, T_X, AGE), expected_purchases(PARAMS, 2 * m, X, T_X, AGE)
    by_hand = (one / 1.1 + (two - one) / 1.21) * VALUE
    assert clv(PARAMS, X, T_X, AGE, VALUE, 2, 7, 0.1) == pytest.approx(by_hand)


@pytest.fixture(scope="module")
def cdnow_result():
    return predict_ltv(cdnow_transactions(), CALIBRATION_END, "week", horizon_months=12)


def test_json_has_both_models_and_every_customer(cdnow_result):
    body = cdnow_result.as_dict()
    assert set(body["bg_nbd"]) >= {"r", "alpha", "a", "b"} and set(body["gamma_gamma"]) >= {"p", "q", "gamma"}
    assert body["bg_nbd"]["customers"] == 2357 and body["gamma_gamma"]["customers"] == 946
    assert len(body["customers"]) == 2357
    clvs = [c["clv"] for c in body["customers"]]
    assert clvs == sorted(clvs, reverse=True)
    for c in body["customers"][:50]:
        assert c["clv"] == pytest.approx(c["expected_purchases"] * c["expected_value"], rel=1e-5)
    summary = body["summary"]
    assert sum(b["customers"] for b in summary["p_alive_histogram"]) == 2357
    assert summary["expected_purchases"] == pytest.approx(sum(c["expected_purchases"] for c in body["customers"]),
                                                          rel=1e-6)
    assert summary["mean_clv"] == pytest.approx(np.mean(clvs), rel=1e-6)
    assert body["horizon_periods"] == pytest.approx(12 * 30.4375 / 7, abs=1e-6)


def test_bad_horizon_and_discount():
    with pytest.raises(InvalidInput) as horizon:
        predict_ltv(cdnow_transactions(), CALIBRATION_END, horizon_months=0)
    assert horizon.value.field == "horizon"
    with pytest.raises(InvalidInput) as rate:
        predict_ltv(cdnow_transactions(), CALIBRATION_END, monthly_discount_rate=1.0)
    assert rate.value.field == "discount_rate"
