"""Forecasts: interval shape, beating seasonal naive on a known pattern, MASE by hand."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from growthos.analysis.forecast import backtest_series, fit_predict, mase, seasonal_naive

WEEK = np.array([1.2, 1.0, 0.95, 0.9, 0.75, 0.9, 1.3])


def synthetic(days: int = 168, seed: int = 7) -> tuple[np.ndarray, list[date]]:
    """Weekly pattern × linear growth × 5% noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    values = (100 + 0.8 * t) * WEEK[t % 7] * rng.normal(1, 0.05, days)
    start = date(2025, 3, 3)  # a Monday: no holidays in the range
    return values, [start + timedelta(days=i) for i in range(days)]


def test_intervals_nest_and_cover_the_horizon():
    values, dates = synthetic()
    model = fit_predict(values, 28, dates)
    assert len(model.points) == 28
    lo80, hi80 = model.bands[80]
    lo95, hi95 = model.bands[95]
    assert all(len(b) == 28 for b in (lo80, hi80, lo95, hi95))
    assert np.all(lo95 <= lo80) and np.all(lo80 <= model.points) and np.all(model.points <= hi80)
    assert np.all(hi80 <= hi95) and np.all(lo95 > 0)
    assert np.all(hi95 - lo95 > hi80 - lo80)


def test_beats_seasonal_naive_on_weekly_pattern_with_trend():
    values, dates = synthetic(196)
    train, actual = values[:168], values[168:]
    model = fit_predict(train, 28, dates[:168])
    naive = seasonal_naive(train, 28)
    assert mase(actual, model.points, train) < mase(actual, naive, train)
    result = backtest_series(values, 28, 3, dates)
    assert result["folds"] == 3
    assert result["relative_to_naive"] < 1


def test_mase_by_hand():
    # season 2: in-sample naive errors |3-1|, |4-2|, |5-3| -> scale 2; forecast errors 1 and 3 -> MAE 2 -> MASE 1
    train = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert mase(np.array([6.0, 7.0]), np.array([5.0, 10.0]), train, season=2) == pytest.approx(1.0)
    assert mase(np.array([6.0, 7.0]), np.array([6.0, 8.0]), train, season=2) == pytest.approx(0.25)
    assert list(seasonal_naive(np.arange(10.0), 5)) == [3.0, 4.0, 5.0, 6.0, 7.0]
