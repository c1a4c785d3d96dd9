"""KPI evaluation: catalogue metrics over a date range, compared with the previous period of equal
length; daily series; breakdowns by channel and campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from growthos.core.errors import InvalidInput
from growthos.core.periods import DateRange
from growthos.metrics.catalogue import CATALOGUE, Metric
from growthos.metrics.queries import TOTAL_KEY, available_bases, compute_bases, compute_periods
from growthos.warehouse.engine import Engine

PRECISION = 6


def _round(value: float | None) -> float | None:
    if value is None:
        return None
    rounded = round(value, PRECISION)
    return 0.0 if rounded == 0 else rounded


@dataclass(frozen=True)
class Comparison:
    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_pct(self) -> float | None:
        """Relative change; None when the previous value is zero or missing."""
        change = self.change
        if change is None or not self.previous:
            return None
        return change / abs(self.previous)

    def as_dict(self) -> dict[str, float | None]:
        return {
            "value": _round(self.value),
            "previous": _round(self.previous),
            "change": _round(self.change),
            "change_pct": _round(self.change_pct),
        }


# Bases that have no value when nothing was measured; every other base is a sum or count, so 0.
_NO_DEFAULT = frozenset({"payback_days"})


class _Bases(dict):
    """Base aggregates where a sum or count that saw no rows is 0, not missing."""

    def get(self, key: str, default: Any = None) -> Any:
        value = super().get(key)
        if value is None and key not in _NO_DEFAULT:
            return 0.0
        return value


def metric_values(bases: dict[str, float | None], metrics: list[Metric]) -> dict[str, float | None]:
    """Each metric's value from one group's base aggregates."""
    filled = _Bases(bases)
    return {m.name: m.compute(filled) for m in metrics}


def group_metric_values(bases: dict[str, float | None], metrics: list[Metric], by: str
                        ) -> dict[str, float | None]:
    """Each metric's value for one group of ``by``; None where ``by`` does not split the metric's bases
    (ad spend per customer segment)."""
    defined = available_bases(by)
    values = metric_values(bases, metrics)
    return {m.name: values[m.name] if defined.issuperset(m.needs) else None for m in metrics}


def _metrics(names: list[str] | None) -> list[Metric]:
    return [CATALOGUE[n] for n in names] if names else list(CATALOGUE.values())


def _needs(metrics: list[Metric]) -> frozenset[str]:
    """The base aggregates these metrics read."""
    return frozenset(base for m in metrics for base in m.needs)


def summary(
    engine: Engine, rng: DateRange, last_full_day: date, names: list[str] | None = None
) -> dict[str, Any]:
    """`growthos kpis --json` and /api/metrics/summary: every KPI with its previous-period value."""
    metrics = _metrics(names)
    prev = rng.previous()
    both = compute_periods(engine, {"current": rng, "previous": prev}, "total", last_full_day, _needs(metrics))
    current = metric_values(both["current"][TOTAL_KEY], metrics)
    previous = metric_values(both["previous"][TOTAL_KEY], metrics)
    return {
        **_range_fields(rng),
        "kpis": {m.name: Comparison(current[m.name], previous[m.name]).as_dict() for m in metrics},
    }


def breakdown(
    engine: Engine, rng: DateRange, by: str, last_full_day: date, names: list[str] | None = None
) -> dict[str, Any]:
    """KPIs per channel, campaign or segment, each with its previous-period value; rows by net revenue."""
    metrics = _metrics(names)
    both = compute_periods(engine, {"current": rng, "previous": rng.previous()}, by, last_full_day,
                           _needs(metrics))
    current, previous = both["current"], both["previous"]
    rows = []
    for key in sorted(set(current) | set(previous), key=lambda k: (k is None, str(k))):
        now = group_metric_values(current.get(key, {}), metrics, by)
        before = group_metric_values(previous.get(key, {}), metrics, by)
        rows.append(
            {by: key, "kpis": {m.name: Comparison(now[m.name], before[m.name]).as_dict() for m in metrics}}
        )
    rows.sort(key=lambda r: -(r["kpis"].get("net_revenue", {}).get("value") or 0.0) if "net_revenue" in
              r["kpis"] else 0.0)
    return {**_range_fields(rng), "by": by, "rows": rows}


INTERVALS = ("day", "week")


def timeseries(
    engine: Engine, rng: DateRange, last_full_day: date, names: list[str] | None = None, interval: str = "day"
) -> dict[str, Any]:
    """Values of each metric per day or per week (Monday) over the range: every bucket present, None
    where undefined. Weeks cut by the range's ends hold only the range's days."""
    if interval not in INTERVALS:
        raise InvalidInput(f"interval must be day or week, got {interval!r}", field="interval")
    metrics = _metrics(names)
    per_bucket = compute_bases(engine, rng, interval, last_full_day, _needs(metrics))
    if interval == "day":
        buckets = rng.dates()
    else:
        first = rng.start - timedelta(days=rng.start.weekday())
        buckets = [first + timedelta(weeks=i) for i in range((rng.end - first).days // 7 + 1)]
    series: dict[str, list[float | None]] = {m.name: [] for m in metrics}
    for bucket in buckets:
        values = metric_values(per_bucket.get(bucket, {}), metrics)
        for m in metrics:
            series[m.name].append(_round(values[m.name]))
    return {
        "from": rng.start.isoformat(),
        "to": rng.end.isoformat(),
        "interval": interval,
        "dates": [d.isoformat() for d in buckets],
        "series": series,
    }


def _range_fields(rng: DateRange) -> dict[str, str]:
    prev = rng.previous()
    return {
        "from": rng.start.isoformat(),
        "to": rng.end.isoformat(),
        "previous_from": prev.start.isoformat(),
        "previous_to": prev.end.isoformat(),
    }
