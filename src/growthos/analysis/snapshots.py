"""Snapshots: every catalogue KPI and the AARRR counts of one complete period, frozen as plain JSON.

A period is a complete reporting day, Monday–Sunday week, calendar month or calendar quarter in the
workspace's reporting time zone (``period_bounds``); the default is the last complete one. The previous
period is the calendar period before it (a month's previous period is the month before, whatever its
length), so counts are compared per day of exposure (significance.poisson_test).

Each KPI carries its value, unit, polarity, previous value, change and growth rate, the counts behind a
rate (numerator and denominator) and a *sample* for each period: what the KPI's significance test needs
(``test`` names it: see analysis/significance.py). The breakdowns split both periods by channel, campaign,
customer segment, traffic source and product feature (analysis/breakdowns.py).

AARRR (from the collected product events, people counted once per merged identity):

- ``new_users`` (acquisition): people whose first ``Signed Up`` falls in the period;
- ``activated_users`` (activation): new users of the period who created a meal plan in it, and
  ``activation_rate`` = activated ÷ new users;
- ``active_users``: people with any tracked event, page or screen view in the period;
- ``retained_users`` (retention): people active in both the previous period and this one, and
  ``retention_rate`` = retained ÷ people active in the previous period;
- ``referred_users`` (referral): people who accepted an invite in the period, and ``referral_rate`` =
  new users of the period who accepted an invite in it ÷ new users (the share of sign-ups that came by
  invitation);
- ``revenue``: the catalogue's net revenue of the period.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from growthos.analysis.breakdowns import PeriodPair, breakdown_columns, snapshot_breakdowns
from growthos.core.errors import InvalidInput
from growthos.core.periods import DateRange
from growthos.metrics.catalogue import CATALOGUE, ratio
from growthos.metrics.evaluate import metric_values
from growthos.metrics.queries import TOTAL_KEY, compute_periods
from growthos.warehouse.engine import Engine

PERIOD_KINDS: tuple[str, ...] = ("day", "week", "month", "quarter")
SCHEMA_VERSION = 1

AARRR_EVENTS: dict[str, str] = {
    "signup": "Signed Up",
    "activation": "Meal Plan Created",
    "referral": "Invite Accepted",
}
"""The product events behind the AARRR counts (the demo recipe app's names)."""

PRECISION = 6


def _round(value: float | None) -> float | None:
    if value is None:
        return None
    rounded = round(value, PRECISION)
    return 0.0 if rounded == 0 else rounded


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


# -- samples: what each KPI's significance test needs -------------------------------------------------------

Sampler = Callable[[Mapping[str, float | None], Mapping[str, float | None], int], dict[str, float] | None]


def _num(value: float | None) -> float:
    return 0.0 if value is None else float(value)


def _proportion(successes: str, trials: str) -> Sampler:
    def sample(b: Mapping[str, float | None], _s: Mapping[str, float | None], _d: int) -> dict[str, float] | None:
        x, n = _num(b.get(successes)), _num(b.get(trials))
        return {"successes": x, "trials": n} if n > 0 and 0 <= x <= n else None
    return sample


def _poisson(count: str) -> Sampler:
    def sample(b: Mapping[str, float | None], _s: Mapping[str, float | None], days: int) -> dict[str, float] | None:
        return {"count": _num(b.get(count)), "exposure": float(days)}
    return sample


def _compound_total(value: Callable[[Mapping[str, float | None]], float | None], sum_sq: str) -> Sampler:
    """A total of order amounts (minus a fixed part such as spend): variance Σ x² (compound Poisson)."""
    def sample(b: Mapping[str, float | None], s: Mapping[str, float | None], _d: int) -> dict[str, float] | None:
        v = value(b)
        return None if v is None or s.get(sum_sq) is None else {"value": v, "variance": _num(s.get(sum_sq))}
    return sample


def _aov(b: Mapping[str, float | None], s: Mapping[str, float | None], _d: int) -> dict[str, float] | None:
    n = _num(b.get("orders"))
    if n < 2 or s.get("var_net") is None:
        return None
    return {"mean": _num(b.get("net_revenue")) / n, "variance": _num(s.get("var_net")), "n": n}


def _log_random_numerator(value: Callable[[Mapping[str, float | None]], float | None], total: str,
                          sum_sq: str) -> Sampler:
    """A ratio random in its numerator only (a total of order amounts over a fixed amount): var(log v) =
    Σ x² / total²."""
    def sample(b: Mapping[str, float | None], s: Mapping[str, float | None], _d: int) -> dict[str, float] | None:
        v, t = value(b), _num(b.get(total))
        if v is None or v <= 0 or t <= 0 or s.get(sum_sq) is None:
            return None
        return {"value": v, "log_variance": _num(s.get(sum_sq)) / (t * t)}
    return sample


def _log_poisson_denominator(value: Callable[[Mapping[str, float | None]], float | None], count: str) -> Sampler:
    """A fixed amount over a Poisson count (nCAC, CPM, CPC): var(log v) = 1 / count."""
    def sample(b: Mapping[str, float | None], _s: Mapping[str, float | None], _d: int) -> dict[str, float] | None:
        v, n = value(b), _num(b.get(count))
        return None if v is None or v <= 0 or n <= 0 else {"value": v, "log_variance": 1.0 / n}
    return sample


def _metric(name: str) -> Callable[[Mapping[str, float | None]], float | None]:
    return lambda b: metric_values(dict(b), [CATALOGUE[name]])[name]


SAMPLERS: dict[str, tuple[str, Sampler]] = {
    "gross_sales": ("normal", _compound_total(_metric("gross_sales"), "sq_gross")),
    "discounts": ("normal", _compound_total(_metric("discounts"), "sq_discounts")),
    "refunds": ("normal", _compound_total(_metric("refunds"), "sq_refunds")),
    "net_revenue": ("normal", _compound_total(_metric("net_revenue"), "sq_net")),
    "orders": ("poisson", _poisson("orders")),
    "aov": ("welch", _aov),
    "new_customers": ("poisson", _poisson("new_customers")),
    "returning_customer_rate": ("proportion", _proportion("returning_customers", "customers")),
    "repeat_purchase_rate": ("proportion", _proportion("repeat_customers", "customers")),
    "refund_rate": ("log_normal", _log_random_numerator(_metric("refund_rate"), "refunds", "sq_refunds")),
    "mer": ("log_normal", _log_random_numerator(_metric("mer"), "net_revenue", "sq_net")),
    "ncac": ("log_normal", _log_poisson_denominator(_metric("ncac"), "new_customers")),
    "impressions": ("poisson", _poisson("impressions")),
    "clicks": ("poisson", _poisson("clicks")),
    "cpm": ("log_normal", _log_poisson_denominator(_metric("cpm"), "impressions")),
    "cpc": ("log_normal", _log_poisson_denominator(_metric("cpc"), "clicks")),
    "ctr": ("proportion", _proportion("clicks", "impressions")),
    "sessions": ("poisson", _poisson("sessions")),
    "conversion_rate": ("proportion", _proportion("orders", "sessions")),
    "cogs": ("normal", _compound_total(_metric("cogs"), "sq_cogs")),
    "gross_margin": ("normal", _compound_total(_metric("gross_margin"), "sq_margin")),
    "contribution_margin": ("normal", _compound_total(_metric("contribution_margin"), "sq_contribution")),
    # AARRR
    "new_users": ("poisson", _poisson("new_users")),
    "activated_users": ("poisson", _poisson("activated_users")),
    "activation_rate": ("proportion", _proportion("activated_users", "new_users")),
    "active_users": ("poisson", _poisson("active_users")),
    "retained_users": ("poisson", _poisson("retained_users")),
    "retention_rate": ("proportion", _proportion("retained_users", "active_previous")),
    "referred_users": ("poisson", _poisson("referred_users")),
    "referral_rate": ("proportion", _proportion("referred_new_users", "new_users")),
    "revenue": ("normal", _compound_total(_metric("net_revenue"), "sq_net")),
}
"""KPI -> (significance test, how to build its sample from the period's bases and order statistics).
KPIs not listed have no sampling model (see significance.py's conservative fallback)."""

RATE_PARTS: dict[str, tuple[str, str]] = {
    "aov": ("net_revenue", "orders"),
    "returning_customer_rate": ("returning_customers", "customers"),
    "repeat_purchase_rate": ("repeat_customers", "customers"),
    "platform_roas": ("platform_purchase_value", "ad_spend"),
    "mer": ("net_revenue", "ad_spend"),
    "ncac": ("ad_spend", "new_customers"),
    "cpm": ("ad_spend", "impressions"),
    "cpc": ("ad_spend", "clicks"),
    "ctr": ("clicks", "impressions"),
    "conversion_rate": ("orders", "sessions"),
    "ltv_30": ("ltv_30_revenue", "ltv_30_customers"),
    "ltv_90": ("ltv_90_revenue", "ltv_90_customers"),
    "ltv_180": ("ltv_180_revenue", "ltv_180_customers"),
    "ltv_cac": ("ltv_90_contribution", "ltv_90_acquisition_spend"),
    "activation_rate": ("activated_users", "new_users"),
    "retention_rate": ("retained_users", "active_previous"),
    "referral_rate": ("referred_new_users", "new_users"),
}
"""Ratio KPI -> (numerator base, denominator base): the counts behind a rate, kept in the snapshot."""


def _rate_parts(name: str, bases: Mapping[str, float | None]) -> tuple[float | None, float | None]:
    if name == "refund_rate":
        return bases.get("refunds"), _num(bases.get("gross_sales")) - _num(bases.get("discounts"))
    if name in ("gross_margin_pct", "contribution_margin_pct"):
        top = metric_values(dict(bases), [CATALOGUE[name.removesuffix("_pct")]])[name.removesuffix("_pct")]
        return top, bases.get("net_revenue")
    if name not in RATE_PARTS:
        return None, None
    num, den = RATE_PARTS[name]
    return _num(bases.get(num)), _num(bases.get(den))


def _entry(name: str, label: str, unit: str, polarity: str, fmt: str, value: float | None, previous: float | None,
           bases: Mapping[str, float | None], prev_bases: Mapping[str, float | None],
           stats: Mapping[str, float | None], prev_stats: Mapping[str, float | None], days: int, prev_days: int
           ) -> dict[str, Any]:
    change = None if value is None or previous is None else value - previous
    growth = None if change is None or not previous else change / abs(previous)
    numerator, denominator = _rate_parts(name, bases)
    prev_num, prev_den = _rate_parts(name, prev_bases)
    test, sampler = SAMPLERS.get(name, (None, None))
    sample = sampler(bases, stats, days) if sampler else None
    previous_sample = sampler(prev_bases, prev_stats, prev_days) if sampler else None
    return {
        "name": name, "label": label, "unit": unit, "polarity": polarity, "format": fmt,
        "value": _round(value), "previous": _round(previous), "change": _round(change), "growth_rate": _round(growth),
        "numerator": _round(numerator), "denominator": _round(denominator),
        "previous_numerator": _round(prev_num), "previous_denominator": _round(prev_den),
        "test": test if sample is not None else None,
        "sample": _clean(sample), "previous_sample": _clean(previous_sample),
    }


def _clean(sample: dict[str, float] | None) -> dict[str, float] | None:
    if sample is None or any(not math.isfinite(v) for v in sample.values()):
        return None
    return {k: float(v) for k, v in sample.items()}


# -- warehouse reads ----------------------------------------------------------------------------------------

_ORDER_STATS_SQL = """
SELECT count(*) AS n,
       var_samp(CAST(net_revenue AS DOUBLE)) AS var_net,
       sum(CAST(net_revenue AS DOUBLE) * CAST(net_revenue AS DOUBLE)) AS sq_net,
       sum(CAST(gross_sales AS DOUBLE) * CAST(gross_sales AS DOUBLE)) AS sq_gross,
       sum(CAST(discounts AS DOUBLE) * CAST(discounts AS DOUBLE)) AS sq_discounts,
       sum(CAST(refunds AS DOUBLE) * CAST(refunds AS DOUBLE)) AS sq_refunds,
       sum(CAST(cogs AS DOUBLE) * CAST(cogs AS DOUBLE)) AS sq_cogs,
       sum(CAST(net_revenue - cogs AS DOUBLE) * CAST(net_revenue - cogs AS DOUBLE)) AS sq_margin,
       sum(CAST(contribution_before_marketing AS DOUBLE) * CAST(contribution_before_marketing AS DOUBLE))
           AS sq_contribution
FROM fact_orders
WHERE order_date BETWEEN $start AND $end
"""


def order_statistics(engine: Engine, rng: DateRange) -> dict[str, float | None]:
    """Per-order dispersion of a period's orders: sample variance of net revenue and sums of squares."""
    row = engine.query(_ORDER_STATS_SQL, {"start": rng.start, "end": rng.end}).to_pylist()[0]
    return {k: (None if v is None else float(v)) for k, v in row.items()}


_AARRR_SQL = """
WITH signups AS (
    SELECT person_id FROM events_people WHERE type = 'track' AND event = $signup
    GROUP BY person_id HAVING min("timestamp") >= $lo AND min("timestamp") < $hi
),
activated AS (
    SELECT DISTINCT person_id FROM events_people
    WHERE type = 'track' AND event = $activation AND "timestamp" >= $lo AND "timestamp" < $hi
),
active AS (
    SELECT DISTINCT person_id FROM events_people
    WHERE type IN ('track', 'page', 'screen') AND "timestamp" >= $lo AND "timestamp" < $hi
),
active_before AS (
    SELECT DISTINCT person_id FROM events_people
    WHERE type IN ('track', 'page', 'screen') AND "timestamp" >= $prev_lo AND "timestamp" < $lo
),
referred AS (
    SELECT DISTINCT person_id FROM events_people
    WHERE type = 'track' AND event = $referral AND "timestamp" >= $lo AND "timestamp" < $hi
)
SELECT (SELECT count(*) FROM signups) AS new_users,
       (SELECT count(*) FROM signups JOIN activated USING (person_id)) AS activated_users,
       (SELECT count(*) FROM active) AS active_users,
       (SELECT count(*) FROM active_before) AS active_previous,
       (SELECT count(*) FROM active JOIN active_before USING (person_id)) AS retained_users,
       (SELECT count(*) FROM referred) AS referred_users,
       (SELECT count(*) FROM referred JOIN signups USING (person_id)) AS referred_new_users
"""


def aarrr_counts(engine: Engine, rng: DateRange, previous: DateRange, tz: str) -> dict[str, float | None]:
    """The AARRR counts of ``rng`` (retention against ``previous``); empty without collected events."""
    if not engine.table_exists("events_people") and not engine.table_exists("events"):
        return {}
    zone = ZoneInfo(tz)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=zone)

    params = {"lo": midnight(rng.start), "hi": midnight(rng.end + timedelta(days=1)),
              "prev_lo": midnight(previous.start), **AARRR_EVENTS}
    row = engine.query(_AARRR_SQL, params).to_pylist()[0]
    return {k: float(v or 0) for k, v in row.items()}


# -- taking a snapshot --------------------------------------------------------------------------------------

AARRR_METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("new_users", "New users (sign-ups)", "count", "up"),
    ("activated_users", "Activated users", "count", "up"),
    ("activation_rate", "Activation rate", "ratio", "up"),
    ("active_users", "Active users", "count", "up"),
    ("retained_users", "Retained users", "count", "up"),
    ("retention_rate", "Retention rate", "ratio", "up"),
    ("referred_users", "Referred users", "count", "up"),
    ("referral_rate", "Referral rate", "ratio", "up"),
    ("revenue", "Revenue (net)", "currency", "up"),
)
_FORMATS = {"currency": "currency", "count": "integer", "ratio": "percent"}


def _aarrr_value(name: str, counts: Mapping[str, float | None], bases: Mapping[str, float | None]) -> float | None:
    if name == "revenue":
        return _num(bases.get("net_revenue"))
    if not counts:
        return None
    if name in RATE_PARTS:
        num, den = RATE_PARTS[name]
        return ratio(counts.get(num), counts.get(den))
    return counts.get(name)


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
        m.name: _entry(m.name, m.label, m.unit, m.polarity, m.format, now[m.name], before[m.name], bases, prev_bases,
                       stats, prev_stats, days, prev_days)
        for m in metrics
    }
    counts = aarrr_counts(engine, rng, prev, settings.timezone)
    prev_counts = aarrr_counts(engine, prev, previous_period(period_kind, prev), settings.timezone)
    aarrr = {}
    for name, label, unit, polarity in AARRR_METRICS:
        source, prev_source = ({**bases, **counts}, {**prev_bases, **prev_counts}) if name == "revenue" \
            else (counts, prev_counts)
        aarrr[name] = _entry(name, label, unit, polarity, _FORMATS[unit], _aarrr_value(name, counts, bases),
                             _aarrr_value(name, prev_counts, prev_bases), source, prev_source, stats, prev_stats,
                             days, prev_days)
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


# -- kept in the app database -------------------------------------------------------------------------------

REFS = ("latest", "previous")


def take_due_snapshots(engine: Engine, settings: Any, store: Any) -> list[Snapshot]:
    """Store the snapshot of the last complete day, week, month and quarter where none of that period is
    stored yet; returns the new ones. The server runs it after every successful build, so each period gets
    its snapshot once it is complete (with the scheduler's daily build: the morning after it ends)."""
    last_full_day = settings.today() - timedelta(days=1)
    taken = []
    for kind in PERIOD_KINDS:
        rng = period_bounds(kind, last_full_day)
        stored = store.list_snapshots(period_kind=kind, limit=1000)
        if not any(s.period_start == rng.start and s.period_end == rng.end for s in stored):
            taken.append(save_snapshot(store, take_snapshot(engine, settings, kind)))
    return taken


def _by_period(stored: list[Any]) -> list[Any]:
    """Stored snapshots, the most recent period first (the newest taken first within a period)."""
    return sorted(stored, key=lambda s: (s.period_end, s.taken_at, s.id), reverse=True)


def save_snapshot(store: Any, snapshot: Snapshot) -> Snapshot:
    """Store a snapshot (immutably) and return it with its id."""
    stored = store.create_snapshot(snapshot.period_kind, snapshot.period_start, snapshot.period_end,
                                   snapshot.payload(), taken_at=snapshot.taken_at)
    return Snapshot.from_dict(stored.payload, id=stored.id)


def load_snapshot(store: Any, ref: str | int, field: str = "id") -> Snapshot:
    """A stored snapshot by id, or ``latest`` (of the most recent period; the newest taken of it) or
    ``previous`` (of the period before the latest one, same kind). NotFound when there is none;
    InvalidInput naming ``field`` for anything else."""
    from growthos.core.errors import NotFound

    if isinstance(ref, str) and ref in REFS:
        stored = _by_period(store.list_snapshots(limit=1000))
        if ref == "previous" and stored:
            latest = stored[0]
            stored = [s for s in stored if s.period_kind == latest.period_kind and s.period_end < latest.period_start]
        if not stored:
            hint = "take one with `growthos snapshot create`" if ref == "latest" else (
                "take one of the period before the latest with `growthos snapshot create --end`")
            raise NotFound(f"there is no {ref} snapshot ({hint})", field=field)
        return Snapshot.from_dict(stored[0].payload, id=stored[0].id)
    if isinstance(ref, str):
        if not ref.isascii() or not ref.isdigit() or len(ref) > 18:
            raise InvalidInput(f"{field} must be a snapshot id, latest or previous; got {ref!r}", field=field)
        ref = int(ref)
    stored = store.get_snapshot(ref)
    return Snapshot.from_dict(stored.payload, id=stored.id)
