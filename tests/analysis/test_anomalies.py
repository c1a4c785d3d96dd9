"""Anomaly detection: planted spikes and drops in a weekly series, not the weekend dips; scoring."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from growthos.analysis.anomalies import detect_series, retail_holidays, score_against_truth
from growthos.analysis.series import DailySeries

WEEK = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.4])  # deep weekend dips


def series(days: int = 140, seed: int = 4) -> DailySeries:
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    start = date(2025, 3, 3)  # Monday; no retail holiday in the range
    values = 1000 * (1 + 0.002 * t) * WEEK[t % 7] * rng.normal(1, 0.04, days)
    return DailySeries("orders", [start + timedelta(days=i) for i in range(days)], values)


def test_finds_planted_spikes_and_drops_not_weekends():
    s = series()
    values = s.values.copy()
    planted = {40: 2.0, 75: 0.5, 76: 0.5, 110: 0.3}  # spike, a two-day drop, a weekday crash
    for i, factor in planted.items():
        values[i] *= factor
    det = detect_series(DailySeries("orders", s.dates, values))
    found = {s.dates.index(a.day) for a in det.anomalies}
    assert found == set(planted)
    by_day = {s.dates.index(a.day): a for a in det.anomalies}
    assert by_day[40].direction == "up" and by_day[75].direction == "down"
    assert by_day[110].severity == "critical"
    assert abs(by_day[40].expected - values[40] / 2) / (values[40] / 2) < 0.15


def test_clean_series_has_no_anomalies():
    assert detect_series(series(seed=11)).anomalies == []


def test_holidays_are_skipped():
    start = date(2025, 11, 1)
    days = [start + timedelta(days=i) for i in range(70)]
    values = np.array([100.0 * WEEK[d.weekday()] for d in days])
    values[days.index(date(2025, 12, 25))] = 20.0
    det = detect_series(DailySeries("orders", days, values))
    assert det.anomalies == []
    assert date(2025, 12, 25) in det.skipped
    assert retail_holidays([2025])[date(2025, 11, 27)] == "Thanksgiving"


def test_score_against_truth():
    truth = [{"kind": "a", "start": "2025-01-10", "end": "2025-01-11", "metrics": ["orders", "refunds"]},
             {"kind": "b", "start": "2025-02-01", "end": "2025-02-01", "metrics": ["sessions"]}]
    found = [{"metric": "orders", "day": "2025-01-11", "score": -5.0},
             {"metric": "mer", "day": "2025-01-10", "score": -5.0},
             {"metric": "sessions", "day": "2025-03-01", "score": 6.0}]
    s = score_against_truth(found, truth, ["orders", "sessions", "mer"], 90)
    assert s["pair_recall"] == 0.5 and s["anomaly_recall"] == 0.5
    assert s["false_alarms"] == 1 and s["false_alarms_per_180_days"] == 2.0
    assert [c["metric"] for c in s["collateral"]] == ["mer"]
