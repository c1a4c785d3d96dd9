"""Forecasts: interval shape, beating seasonal naive on a known pattern, MASE by hand, holiday effects,
calibrated intervals."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from growthos.analysis import forecast
from growthos.analysis.anomalies import retail_holidays
from growthos.analysis.forecast import backtest_series, fit_predict, holiday_adjustment, mase, seasonal_naive

WEEK = np.array([1.2, 1.0, 0.95, 0.9, 0.75, 0.9, 1.3])


def synthetic(days: int = 168, seed: int = 7, start: date = date(2025, 3, 3)) -> tuple[np.ndarray, list[date]]:
    """Weekly pattern × linear growth × 5% noise; `start` a Monday (the default range has no holidays)."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    values = (100 + 0.8 * t) * WEEK[t % 7] * rng.normal(1, 0.05, days)
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


def test_holiday_adjustment_uses_the_same_holiday_else_the_mean_of_those_seen():
    effects = {date(2024, 12, 25): -1.0, date(2025, 11, 27): -0.4, date(2025, 11, 28): -0.1}
    days = [date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 26)]
    shift, extra = holiday_adjustment(effects, days)
    assert list(shift) == pytest.approx([-0.5, -1.0, 0.0])  # Christmas Eve not seen: the mean of the three
    spread = float(np.std([-1.0, -0.4, -0.1]))
    assert list(extra) == pytest.approx([spread, spread, 0.0])
    assert not holiday_adjustment({}, days)[0].any()  # no holiday in the history: no effect


def test_holiday_in_the_horizon_gets_the_effect_of_the_holidays_in_the_history():
    # Every holiday at half the normal demand; the history holds Thanksgiving and the day after, the horizon
    # Christmas Eve and Day, New Year's Eve and Day.
    values, dates = synthetic(134, start=date(2025, 8, 4))  # through Sunday 2025-12-14
    holidays = retail_holidays({2025, 2026})
    values = np.array([v * (0.5 if d in holidays else 1.0) for v, d in zip(values, dates, strict=True)])
    model = fit_predict(values, 28, dates)
    horizon = [dates[-1] + timedelta(days=i + 1) for i in range(28)]
    at = {d: i for i, d in enumerate(horizon)}
    for day in (date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 31), date(2026, 1, 1)):
        week_before, week_after = day - timedelta(days=7), day + timedelta(days=7)
        normal_day = week_after if week_before in holidays else week_before
        assert model.points[at[day]] / model.points[at[normal_day]] == pytest.approx(0.5, abs=0.08)
    normal = [i for i in range(21) if horizon[i] not in holidays and horizon[i + 7] not in holidays]
    assert np.all(np.abs(model.points[[i + 7 for i in normal]] / model.points[normal] - 1) < 0.05)


def test_intervals_widen_when_the_history_shifts_level_more_than_the_model_expects(monkeypatch):
    values, dates = synthetic(168)
    rng = np.random.default_rng(3)
    level = np.repeat(np.exp(np.cumsum(rng.choice([-0.15, 0.15], 8))), 21)  # a ±15% step every three weeks
    values = values * level
    calibrated = fit_predict(values, 28, dates)
    monkeypatch.setattr(forecast, "CALIBRATION_FOLDS", 0)
    analytic = fit_predict(values, 28, dates)
    assert np.allclose(calibrated.points, analytic.points)
    for level_ in (80, 95):
        wide = np.log(calibrated.bands[level_][1] / calibrated.bands[level_][0])
        narrow = np.log(analytic.bands[level_][1] / analytic.bands[level_][0])
        assert np.all(wide >= narrow - 1e-9)
    assert np.mean(np.log(calibrated.bands[80][1] / calibrated.bands[80][0])) > \
        1.2 * np.mean(np.log(analytic.bands[80][1] / analytic.bands[80][0]))
