"""Planted daily series for the alert rules: a shop with a strong weekly pattern (weekends +30-40%) and ±4%
deterministic noise, 8 weeks ending on LAST_DAY; tests scale chosen bases over the last days to plant a drop or a
spike, and an AlertContext that serves them without a warehouse."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from growthos.store.records import CheckOutcome, JobRun

LAST_DAY = date(2026, 2, 8)  # a Sunday
WEEKDAY_FACTOR = (1.0, 0.9, 0.95, 1.0, 1.1, 1.4, 1.3)  # Monday .. Sunday


def shop_series(days: int = 56, scale: float = 1.0, seed: int = 7) -> dict[date, dict[str, float]]:
    rnd = random.Random(seed)
    series = {}
    for i in range(days):
        day = LAST_DAY - timedelta(days=i)
        f = WEEKDAY_FACTOR[day.weekday()] * scale

        def noisy(x: float) -> float:
            return x * (1 + rnd.uniform(-0.04, 0.04))

        orders = noisy(100 * f)
        gross = orders * 60
        discounts = gross * 0.05
        refunds = noisy(gross * 0.02)
        series[day] = {
            "orders": orders, "gross_sales": gross, "discounts": discounts, "refunds": refunds,
            "net_revenue": gross - discounts - refunds, "sessions": noisy(4000 * f),
            "ad_spend": noisy(1500 * f), "new_customers": noisy(40 * f), "impressions": noisy(200_000 * f),
            "clicks": noisy(3000 * f),
        }
    return series


def plant(series: dict[date, dict[str, float]], factors: dict[str, float], days: int = 7,
          end: date = LAST_DAY) -> dict[date, dict[str, float]]:
    """A copy with the given bases multiplied by their factor over the last ``days`` days up to ``end``."""
    out = {day: dict(values) for day, values in series.items()}
    for i in range(days):
        for name, factor in factors.items():
            out[end - timedelta(days=i)][name] *= factor
    return out


@dataclass
class PlantedContext:
    """An AlertContext over planted series, checks and jobs."""

    series: dict[date, dict[str, float]] = field(default_factory=shop_series)
    checks: list[CheckOutcome] = field(default_factory=list)
    jobs: list[JobRun] = field(default_factory=list)
    last_full_day: date = LAST_DAY
    now: datetime = datetime(2026, 2, 9, 8, 0, tzinfo=UTC)
    currency: str = "USD"
    measures: dict[str, float | None] = field(default_factory=dict)
    """Telemetry measures and sample counts (none: the performance rules are skipped)."""
    dau: dict[date, int] = field(default_factory=dict)
    telemetry_windows: list[tuple[datetime, datetime]] = field(default_factory=list)

    def daily_bases(self, start: date, end: date, needs: frozenset[str]) -> dict[date, dict[str, float | None]]:
        return {d: {k: v for k, v in bases.items() if k in needs} for d, bases in self.series.items()
                if start <= d <= end}

    def check_results(self) -> list[CheckOutcome]:
        return self.checks

    def last_job(self, kind: str, status: str | None = None) -> JobRun | None:
        jobs = [j for j in self.jobs if j.kind == kind and (status is None or j.status == status)]
        return max(jobs, key=lambda j: (j.started_at, j.id)) if jobs else None

    @property
    def data_now(self) -> datetime:
        return self.now

    def telemetry(self, since: datetime, until: datetime) -> dict[str, float | None]:
        self.telemetry_windows.append((since, until))
        return dict(self.measures)

    def active_users(self, start: date, end: date) -> dict[date, int]:
        return {d: n for d, n in self.dau.items() if start <= d <= end}
