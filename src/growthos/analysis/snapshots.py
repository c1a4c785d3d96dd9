"""Snapshots: every catalogue KPI and the AARRR counts of one complete period, frozen as plain JSON.

A period is a complete reporting day, Monday–Sunday week, calendar month or calendar quarter in the
workspace's reporting time zone (``period_bounds``); the default is the last complete one. The previous
period is the calendar period before it (a month's previous period is the month before, whatever its
length), so counts are compared per day of exposure (significance.poisson_test).

Each KPI carries its value, unit, polarity, previous value, change and growth rate, the counts behind a
rate (numerator and denominator) and a *sample* for each period: what the KPI's significance test needs
(``test`` names it: see analysis/significance.py). The breakdowns split both periods by channel, campaign,
customer segment, traffic source and product feature (analysis/breakdowns.py).

The AARRR metrics (analysis/aarrr.py) come from the collected product events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from growthos.analysis.aarrr import AARRR_METRICS, FORMATS, aarrr_counts, aarrr_value
from growthos.analysis.breakdowns import PeriodPair, breakdown_columns, snapshot_breakdowns
from growthos.analysis.samples import metric_entry, order_statistics
from growthos.core.errors import InvalidInput
from growthos.core.periods import DateRange
from growthos.metrics.catalogue import CATALOGUE
from growthos.metrics.evaluate import metric_values
from growthos.metrics.queries import TOTAL_KEY, compute_periods
from growthos.warehouse.engine import Engine

PERIOD_KINDS: tuple[str, ...] = ("day", "week", "month", "quarter")
SCHEMA_VERSION = 1


# -- periods ------------------------------------------------------------------------------------------------


def _period_containing(kind: str, day: date) -> DateRange:
    if kind == "day":
        return DateRange(day, day)
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return DateRange(start, start + timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
    elif kind == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    else:
        raise InvalidInput(f"period must be one of {', '.join(PERIOD_KINDS)}; got {kind!r}", field="period")
    months = 1 if kind == "month" else 3
    year, month = divmod(start.month - 1 + months, 12)
    return DateRange(start, date(start.year + year, month + 1, 1) - timedelta(days=1))


def period_bounds(kind: str, last_full_day: date, end: date | None = None) -> DateRange:
    """The complete period of ``kind`` containing ``end`` (default: the last complete one by
    ``last_full_day``); InvalidInput when it is not complete yet."""
    if kind not in PERIOD_KINDS:
        raise InvalidInput(f"period must be one of {', '.join(PERIOD_KINDS)}; got {kind!r}", field="period")
    if end is None:
        rng = _period_containing(kind, last_full_day)
        if rng.end > last_full_day:
            rng = _period_containing(kind, rng.start - timedelta(days=1))
        return rng
    rng = _period_containing(kind, end)
    if rng.end > last_full_day:
        raise InvalidInput(f"the {kind} {rng.start} – {rng.end} is not complete yet (last full day "
                           f"{last_full_day})", field="end")
    return rng


def previous_period(kind: str, rng: DateRange) -> DateRange:
    """The calendar period of the same kind just before ``rng``."""
    return _period_containing(kind, rng.start - timedelta(days=1))


# -- the snapshot -------------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """One period's KPIs, AARRR counts and breakdowns; ``to_dict``/``from_dict`` round-trip through JSON."""

    period_kind: str
    period_start: date
    period_end: date
    previous_start: date
    previous_end: date
    taken_at: datetime
    timezone: str
    currency: str
    kpis: dict[str, dict[str, Any]]
    """name -> {name, label, unit, polarity, format, value, previous, change, growth_rate, numerator,
    denominator, test, sample, previous_sample}."""
    aarrr: dict[str, dict[str, Any]]
    """new_users, activated_users, activation_rate, active_users, retained_users, retention_rate,
    referred_users, referral_rate, revenue: the same fields as a KPI."""
    breakdowns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """channel|campaign|segment|traffic_source|feature_usage -> rows {key, label, kpis: {name -> {value,
    previous, change, growth_rate}}} (analysis/breakdowns.py)."""
    breakdown_columns: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    """Breakdown -> its KPIs [{name, label, format, polarity}] in display order."""
    id: int | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days + 1

    def metric(self, name: str) -> dict[str, Any] | None:
        """A KPI or AARRR entry by name."""
        return self.kpis.get(name) or self.aarrr.get(name)

    def all_metrics(self) -> dict[str, dict[str, Any]]:
        return {**self.kpis, **{k: v for k, v in self.aarrr.items() if k not in self.kpis}}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("period_start", "period_end", "previous_start", "previous_end", "taken_at"):
            data[key] = data[key].isoformat()
        return data

    def payload(self) -> dict[str, Any]:
        """What the store keeps as JSON (everything but the id)."""
        data = self.to_dict()
        data.pop("id")
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], id: int | None = None) -> Snapshot:
        values = dict(data)
        for key in ("period_start", "period_end", "previous_start", "previous_end"):
            values[key] = date.fromisoformat(values[key])
        taken = datetime.fromisoformat(values["taken_at"])
        values["taken_at"] = taken if taken.tzinfo else taken.replace(tzinfo=UTC)
        if id is not None:
            values["id"] = id
        return cls(**values)


# -- taking a snapshot --------------------------------------------------------------------------------------

def take_snapshot(engine: Engine, settings: Any, period_kind: str, period_end: date | None = None, *,
                  taken_at: datetime | None = None) -> Snapshot:
    """Snapshot of the complete ``period_kind`` period containing ``period_end`` (default: the last complete
    one by the workspace's last full day), compared with the calendar period before it."""
    last_full_day = settings.today() - timedelta(days=1)
    rng = period_bounds(period_kind, last_full_day, period_end)
    prev = previous_period(period_kind, rng)
    both = compute_periods(engine, {"current": rng, "previous": prev}, "total", last_full_day)
    bases, prev_bases = both["current"][TOTAL_KEY], both["previous"][TOTAL_KEY]
    stats, prev_stats = order_statistics(engine, rng), order_statistics(engine, prev)
    days, prev_days = rng.days, prev.days
    metrics = list(CATALOGUE.values())
    now, before = metric_values(bases, metrics), metric_values(prev_bases, metrics)
    kpis = {
        m.name: metric_entry(m.name, m.label, m.unit, m.polarity, m.format, now[m.name], before[m.name], bases,
                             prev_bases, stats, prev_stats, days, prev_days)
        for m in metrics
    }
    counts = aarrr_counts(engine, rng, prev, settings.timezone)
    prev_counts = aarrr_counts(engine, prev, previous_period(period_kind, prev), settings.timezone)
    aarrr = {}
    for name, label, unit, polarity in AARRR_METRICS:
        source, prev_source = ({**bases, **counts}, {**prev_bases, **prev_counts}) if name == "revenue" \
            else (counts, prev_counts)
        aarrr[name] = metric_entry(name, label, unit, polarity, FORMATS[unit], aarrr_value(name, counts, bases),
                                   aarrr_value(name, prev_counts, prev_bases), source, prev_source, stats,
                                   prev_stats, days, prev_days)
        if not counts and name != "revenue":
            aarrr[name].update(test=None, sample=None, previous_sample=None)
    breakdowns = snapshot_breakdowns(PeriodPair(engine, rng, prev, last_full_day, settings.timezone,
                                                settings.product_features))
    return Snapshot(
        period_kind=period_kind, period_start=rng.start, period_end=rng.end, previous_start=prev.start,
        previous_end=prev.end, taken_at=(taken_at or datetime.now(UTC)).astimezone(UTC),
        timezone=settings.timezone, currency=settings.currency, kpis=kpis, aarrr=aarrr, breakdowns=breakdowns,
        breakdown_columns=breakdown_columns(),
    )


