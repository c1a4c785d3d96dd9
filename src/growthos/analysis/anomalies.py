"""Anomaly detection on daily KPIs with weekly seasonality.

Method (a robust seasonal baseline with a local robust scale; no model is fitted to the anomalies):

1. Transform. KPIs that are never negative are taken on a log scale, log(x + c) with c = 0 when every value
   is positive, else half the smallest positive value: weekday effects, growth and Poisson-like noise are
   multiplicative, so on the log scale they become additive and a 50% drop weighs the same at any level.
   KPIs that can be negative (margins) stay on their own scale.
2. Baseline = trend + weekday profile, estimated by alternating (three passes):
   trend = centred rolling median (TREND_WINDOW days) of the series minus the weekday profile;
   weekday profile = median per weekday of the series minus the trend (centred to mean 0).
   Medians ignore outliers, so an anomaly does not pull its own baseline.
3. Residual = series − baseline; scale = 1.4826 × the median absolute deviation of the residuals in a centred
   SCALE_WINDOW-day window (a robust standard deviation that follows the level: counts are noisier on the log
   scale while volumes are small).
4. score = residual ÷ scale; a day is anomalous when |score| ≥ threshold (default 4); "critical" from twice
   the threshold. `expected` is the baseline back on the KPI's scale.

Known calendar holidays (US retail: Thanksgiving and the day after, Christmas Eve and Day, New Year's Eve and
Day) are expected departures, not anomalies: they are left out of the baseline and not flagged, and the
result lists them as skipped (``holidays=False`` turns this off).

Ratio KPIs (MER, conversion rate, ...) are scored as their own daily series, like any other KPI.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from growthos.analysis.series import DailySeries, daily_series
from growthos.core.periods import DateRange
from growthos.metrics.catalogue import CATALOGUE, get_metric
from growthos.warehouse.engine import Engine

log = logging.getLogger("growthos.analysis.anomalies")

TREND_WINDOW = 29
SCALE_WINDOW = 57
THRESHOLD = 4.0
MIN_DAYS = 21
"""Fewer days of data than this: no detection (no weekday profile to compare with)."""
ZERO_SHARE_FOR_SQRT = 0.05
"""A non-negative KPI that is 0 on more than this share of days is taken on a square-root scale, not a log one."""
MIN_LOG_SCALE = 0.01
"""Floor of the robust scale on the log scale (1%): a perfectly flat series does not make every wiggle infinite."""

DEFAULT_METRICS = ("net_revenue", "orders", "sessions", "ad_spend", "mer", "conversion_rate")
"""The headline KPIs checked when no metric is named."""


def _thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def retail_holidays(years: Iterable[int]) -> dict[date, str]:
    """US retail holidays of the years: day -> name."""
    days: dict[date, str] = {}
    for y in years:
        t = _thanksgiving(y)
        days[t] = "Thanksgiving"
        days[t + timedelta(days=1)] = "Day after Thanksgiving"
        days[date(y, 12, 24)] = "Christmas Eve"
        days[date(y, 12, 25)] = "Christmas Day"
        days[date(y, 12, 31)] = "New Year's Eve"
        days[date(y, 1, 1)] = "New Year's Day"
    return days


@dataclass(frozen=True)
class Anomaly:
    metric: str
    day: date
    value: float
    expected: float
    direction: str
    """'up' or 'down' relative to the expected value."""
    score: float
    """Robust z-score: (value − expected) in robust standard deviations, on the transformed scale."""
    severity: str
    """'warning' (|score| ≥ threshold) or 'critical' (≥ 2 × threshold)."""
    label: str = ""
    polarity: str = "neutral"

    @property
    def key(self) -> tuple[str, date]:
        return (self.metric, self.day)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["day"] = self.day.isoformat()
        d["value"] = round(self.value, 6)
        d["expected"] = round(self.expected, 6)
        d["score"] = round(self.score, 2)
        d["change_pct"] = None if not self.expected else round((self.value - self.expected) / abs(self.expected), 4)
        return d


@dataclass
class Detection:
    """One metric's detection: the baseline per day and the anomalous days."""

    metric: str
    dates: list[date]
    values: np.ndarray
    expected: np.ndarray
    score: np.ndarray
    anomalies: list[Anomaly] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)


def _rolling(values: np.ndarray, window: int, fn: Callable[[np.ndarray], float]) -> np.ndarray:
    """fn over a centred window of finite values (truncated at the ends)."""
    n, half = len(values), window // 2
    out = np.full(n, math.nan)
    for i in range(n):
        seg = values[max(0, i - half): i + half + 1]
        seg = seg[np.isfinite(seg)]
        if len(seg):
            out[i] = fn(seg)
    return out


def _mad(seg: np.ndarray) -> float:
    return float(np.median(np.abs(seg - np.median(seg))))


def _transform(x: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray], bool]:
    """(transformed series, inverse, log scale?): log for positive KPIs, square root for non-negative ones that
    are often 0 (refunds), none for KPIs that can be negative."""
    finite = x[np.isfinite(x)]
    if len(finite) and finite.min() >= 0:
        zeros = float((finite == 0).mean())
        if zeros > ZERO_SHARE_FOR_SQRT:
            return np.sqrt(x), lambda y: np.square(np.maximum(y, 0.0)), False
        positive = finite[finite > 0]
        offset = 0.0 if len(positive) == len(finite) else (0.5 * positive.min() if len(positive) else 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x + offset), lambda y: np.exp(y) - offset, True
    return x.copy(), lambda y: y, False


def detect_series(
    series: DailySeries, threshold: float = THRESHOLD, holidays: bool = True
) -> Detection:
    """Baseline, scores and anomalous days of one daily series (see the module docstring)."""
    dates, x = series.dates, np.asarray(series.values, dtype=float)
    n = len(x)
    empty = Detection(series.metric, dates, x, np.full(n, math.nan), np.full(n, math.nan))
    if np.isfinite(x).sum() < MIN_DAYS:
        return empty
    y, inverse, logged = _transform(x)
    hol = retail_holidays({d.year for d in dates}) if holidays else {}
    skip = np.array([d in hol for d in dates], dtype=bool)
    fit = np.where(skip, math.nan, y)
    weekday = np.array([d.weekday() for d in dates])
    season = np.zeros(7)
    trend = np.zeros(n)
    for _ in range(3):
        trend = _rolling(fit - season[weekday], TREND_WINDOW, lambda s: float(np.median(s)))
        dev = fit - trend
        season = np.array([np.nanmedian(dev[weekday == k]) if np.isfinite(dev[weekday == k]).any() else 0.0
                           for k in range(7)])
        season -= season.mean()
    baseline = trend + season[weekday]
    resid = y - baseline
    scale = 1.4826 * _rolling(np.where(skip, math.nan, resid), SCALE_WINDOW, _mad)
    if logged:
        floor = MIN_LOG_SCALE
    else:
        level = np.nanmedian(np.abs(y)) if np.isfinite(y).any() else 1.0
        floor = max(MIN_LOG_SCALE * level, 1e-9)
    scale = np.maximum(np.nan_to_num(scale, nan=floor), floor)
    score = resid / scale
    expected = inverse(baseline)
    metric = CATALOGUE.get(series.metric)
    skipped = [d for d, s in zip(dates, skip, strict=True) if s]
    det = Detection(series.metric, dates, x, expected, score, skipped=skipped)
    for i in range(n):
        if skip[i] or not np.isfinite(score[i]) or abs(score[i]) < threshold:
            continue
        det.anomalies.append(Anomaly(
            metric=series.metric, day=dates[i], value=float(x[i]), expected=float(expected[i]),
            direction="up" if score[i] > 0 else "down", score=float(score[i]),
            severity="critical" if abs(score[i]) >= 2 * threshold else "warning",
            label=metric.label if metric else series.metric, polarity=metric.polarity if metric else "neutral",
        ))
    return det


CONTEXT_DAYS = 91
"""Days of history before the range that the baseline looks at (so the range's first days have one)."""


def detect(
    engine: Engine, rng: DateRange, last_full_day: date, metrics: list[str] | None = None,
    threshold: float = THRESHOLD, holidays: bool = True,
) -> dict[str, Any]:
    """Anomalies of each metric on the days of the range, scored against a baseline that also uses up to
    CONTEXT_DAYS days before it. `growthos anomalies --json` and /api/anomalies."""
    names = list(metrics) if metrics else list(DEFAULT_METRICS)
    for name in names:
        get_metric(name)
    context = DateRange(rng.start - timedelta(days=CONTEXT_DAYS), rng.end)
    series = daily_series(engine, names, context, last_full_day)
    found: list[Anomaly] = []
    skipped: set[date] = set()
    for name in names:
        det = detect_series(series[name].trimmed(), threshold, holidays)
        found.extend(a for a in det.anomalies if rng.start <= a.day <= rng.end)
        skipped.update(d for d in det.skipped if rng.start <= d <= rng.end)
    found.sort(key=lambda a: (a.day, names.index(a.metric)))
    hol = retail_holidays({d.year for d in skipped})
    return {
        "from": rng.start.isoformat(),
        "to": rng.end.isoformat(),
        "metrics": names,
        "threshold": threshold,
        "method": "seasonal median baseline (weekly) with a local robust scale; log scale for non-negative KPIs",
        "anomalies": [a.as_dict() for a in found],
        "holidays_skipped": [{"day": d.isoformat(), "name": hol[d]} for d in sorted(skipped)],
    }


RECENT_DAYS = 7
"""After a build, anomalies of the last RECENT_DAYS days are candidates for a live notification."""


class AnomalyNotifier:
    """Pushes newly detected anomalies to open dashboards (event ``anomaly_detected``), each (metric, day) once
    per server process."""

    def __init__(self, publish: Callable[[str, dict[str, Any]], None], metrics: list[str] | None = None) -> None:
        self._publish = publish
        self._metrics = metrics
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def after_build(self, engine: Engine, last_full_day: date) -> list[dict[str, Any]]:
        """Detect on the last RECENT_DAYS days and publish what was not published before; returns those."""
        rng = DateRange(last_full_day - timedelta(days=RECENT_DAYS - 1), last_full_day)
        result = detect(engine, rng, last_full_day, self._metrics)
        new = []
        with self._lock:
            for a in result["anomalies"]:
                key = (a["metric"], a["day"])
                if key not in self._seen:
                    self._seen.add(key)
                    new.append(a)
        for a in new:
            self._publish("anomaly_detected", a)
        return new


def score_against_truth(
    anomalies: list[dict[str, Any]], truth: list[dict[str, Any]], metrics: list[str], days: int
) -> dict[str, Any]:
    """Recall and false alarms of detections (``as_dict`` rows) against known anomalies ({kind, start, end,
    metrics}), over the given metrics and a range of `days` days.

    - pair recall: share of (known anomaly, listed metric in `metrics`) pairs detected on that metric on at
      least one of the anomaly's days;
    - anomaly recall: share of known anomalies (with a listed metric in `metrics`) detected on any of them;
    - false alarm: a detection on a day no known anomaly covers; a detection on a covered day of a metric the
      anomaly does not list (e.g. MER while orders collapse) is 'collateral', neither hit nor false alarm.
    """
    spans = [(date.fromisoformat(t["start"]), date.fromisoformat(t["end"]), t) for t in truth]
    pairs, anomaly_hits = [], []
    for start, end, t in spans:
        listed = [m for m in t["metrics"] if m in metrics]
        if not listed:
            continue
        hits = {m: any(a["metric"] == m and start <= date.fromisoformat(a["day"]) <= end for a in anomalies)
                for m in listed}
        pairs.extend({"kind": t["kind"], "metric": m, "found": hit} for m, hit in hits.items())
        anomaly_hits.append({"kind": t["kind"], "found": any(hits.values())})
    false_alarms, collateral = [], []
    for a in anomalies:
        if a["metric"] not in metrics:
            continue
        day = date.fromisoformat(a["day"])
        covering = [t for start, end, t in spans if start <= day <= end]
        if not covering:
            false_alarms.append(a)
        elif all(a["metric"] not in t["metrics"] for t in covering):
            collateral.append(a)
    found_pairs = sum(p["found"] for p in pairs)
    found_anomalies = sum(h["found"] for h in anomaly_hits)
    return {
        "metrics": metrics,
        "pairs": pairs,
        "pair_recall": found_pairs / len(pairs) if pairs else None,
        "anomaly_recall": found_anomalies / len(anomaly_hits) if anomaly_hits else None,
        "anomalies": anomaly_hits,
        "false_alarms": len(false_alarms),
        "false_alarms_per_180_days": round(len(false_alarms) * 180 / days, 2) if days else None,
        "false_alarm_days": [{"metric": a["metric"], "day": a["day"], "score": a["score"]} for a in false_alarms],
        "collateral": [{"metric": a["metric"], "day": a["day"], "score": a["score"]} for a in collateral],
    }
