"""Daily KPI series over a range of reporting days (the workspace's time zone), as float arrays for the
forecasting and anomaly models. Values come from the metric catalogue (metrics.evaluate.timeseries), so a
day's value is exactly what the dashboards show for that day."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from growthos.core.errors import InvalidInput
from growthos.core.periods import DateRange
from growthos.metrics.catalogue import get_metric
from growthos.metrics.evaluate import timeseries
from growthos.warehouse.engine import Engine


@dataclass(frozen=True)
class DailySeries:
    """One metric's value per reporting day; NaN where the metric is undefined (e.g. a ratio over 0)."""

    metric: str
    dates: list[date]
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.dates)

    def trimmed(self) -> DailySeries:
        """Without the leading days before the data starts (undefined or 0: before the first sync)."""
        finite = np.isfinite(self.values) & (self.values != 0)
        if not finite.any():
            return DailySeries(self.metric, [], self.values[:0])
        first = int(np.argmax(finite))
        return DailySeries(self.metric, self.dates[first:], self.values[first:])

    def tail(self, days: int) -> DailySeries:
        return DailySeries(self.metric, self.dates[-days:], self.values[-days:])


def daily_series(engine: Engine, metrics: list[str], rng: DateRange, last_full_day: date) -> dict[str, DailySeries]:
    """Each metric's value per day of the range (every day present)."""
    for name in metrics:
        get_metric(name)  # InvalidInput for an unknown name
    result = timeseries(engine, rng, last_full_day, metrics, "day")
    dates = [date.fromisoformat(d) for d in result["dates"]]
    out = {}
    for name in metrics:
        values = np.array([math.nan if v is None else float(v) for v in result["series"][name]], dtype=float)
        out[name] = DailySeries(name, dates, values)
    return out


def history_range(last_full_day: date, days: int) -> DateRange:
    """The `days` reporting days ending on the last full day."""
    if days < 1:
        raise InvalidInput(f"history must be at least 1 day, got {days}", field="history")
    return DateRange(last_full_day - timedelta(days=days - 1), last_full_day)
