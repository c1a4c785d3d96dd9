"""A snapshot's context breakdowns: how one period and the period before it split by marketing channel,
campaign, customer segment, traffic source and product feature.

Each breakdown is a list of rows ``{key, label, kpis: {name -> {value, previous, change, growth_rate}}}``
and comes with the description of its columns (``BreakdownColumn``), so a reader needs no other table:

- ``channel`` and ``campaign``: the channel table's KPIs (metrics/channels.CHANNEL_METRICS), rows by net
  revenue;
- ``segment``: the order KPIs of new customers (their first order), returning customers and guest
  checkouts (fact_orders.customer_segment), rows by net revenue;
- ``traffic_source``: GA4 sessions, engagement rate, purchases, purchase revenue and conversion rate per
  session source / medium, the TOP_SOURCES with most sessions in the period and the rest as "(other)";
- ``feature_usage``: people using each product feature (the workspace's ``product_features``, else each of
  the most frequent track events), its adoption (users ÷ people active in the period), events and repeat
  users (people who used it on two or more days), from the collected events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from growthos.analysis.rounding import rounded
from growthos.core.periods import DateRange
from growthos.metrics.catalogue import CATALOGUE, ratio
from growthos.metrics.channels import CHANNEL_METRICS
from growthos.metrics.evaluate import group_metric_values
from growthos.metrics.group_labels import group_labels, label_of
from growthos.metrics.product.features import chosen_features, feature_usage
from growthos.metrics.queries import compute_periods
from growthos.warehouse.engine import Engine

SEGMENT_METRICS: tuple[str, ...] = ("net_revenue", "orders", "aov", "gross_margin", "refund_rate")
"""The KPIs of the customer-segment table."""

TOP_SOURCES = 15
OTHER = "(other)"


@dataclass(frozen=True)
class BreakdownColumn:
    """One KPI of a breakdown's rows."""

    name: str
    label: str
    format: str
    """currency, integer, percent or multiple (as the dashboard formats it)."""
    polarity: str
    """up (higher is better), down or neutral."""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class PeriodPair:
    """What a breakdown reads: the snapshot's period, the one before and the workspace's context."""

    engine: Engine
    current: DateRange
    previous: DateRange
    last_full_day: date
    timezone: str
    product_features: Mapping[str, list[str]]


def _comparison(value: float | None, previous: float | None) -> dict[str, float | None]:
    change = None if value is None or previous is None else value - previous
    growth = None if change is None or not previous else change / abs(previous)
    return {"value": rounded(value), "previous": rounded(previous), "change": rounded(change),
            "growth_rate": rounded(growth)}


def _rows(now: Mapping[Any, Mapping[str, float | None]], before: Mapping[Any, Mapping[str, float | None]],
          labels: Mapping[Any, str], order_by: str) -> list[dict[str, Any]]:
    """Rows from per-key values of both periods, the largest ``order_by`` now first."""
    rows = []
    for key in set(now) | set(before):
        values, previous = now.get(key, {}), before.get(key, {})
        names = list(values) or list(previous)
        rows.append({"key": key, "label": label_of(labels, key),
                     "kpis": {n: _comparison(values.get(n), previous.get(n)) for n in names}})
    rows.sort(key=lambda r: (-(r["kpis"][order_by]["value"] or 0.0), r["label"]))
    return rows


# -- catalogue KPIs per channel, campaign, segment -----------------------------------------------------------


def catalogue_columns(names: tuple[str, ...]) -> list[BreakdownColumn]:
    return [BreakdownColumn(n, CATALOGUE[n].label, CATALOGUE[n].format, CATALOGUE[n].polarity) for n in names]


def _by_grouping(by: str, names: tuple[str, ...]) -> Callable[[PeriodPair], list[dict[str, Any]]]:
    def rows(p: PeriodPair) -> list[dict[str, Any]]:
        metrics = [CATALOGUE[n] for n in names]
        needs = frozenset(b for m in metrics for b in m.needs)
        both = compute_periods(p.engine, {"current": p.current, "previous": p.previous}, by, p.last_full_day,
                               needs)
        now = {k: group_metric_values(v, metrics, by) for k, v in both["current"].items()}
        before = {k: group_metric_values(v, metrics, by) for k, v in both["previous"].items()}
        return _rows(now, before, group_labels(p.engine, by), "net_revenue")
    return rows


# -- GA4 traffic per source / medium ------------------------------------------------------------------------

_TRAFFIC_SQL = """
SELECT coalesce(source, '(not set)') || ' / ' || coalesce(medium, '(not set)') AS key,
       date BETWEEN $start AND $end AS is_current,
       sum(sessions) AS sessions, sum(engaged_sessions) AS engaged_sessions, sum(purchases) AS purchases,
       sum(purchase_revenue) AS purchase_revenue
FROM fact_traffic
WHERE date BETWEEN $prev_start AND $prev_end OR date BETWEEN $start AND $end
GROUP BY ALL
"""

TRAFFIC_COLUMNS = [
    BreakdownColumn("sessions", "Sessions", "integer", "up"),
    BreakdownColumn("engagement_rate", "Engagement rate", "percent", "up"),
    BreakdownColumn("purchases", "Purchases (GA4)", "integer", "up"),
    BreakdownColumn("purchase_revenue", "Purchase revenue (GA4)", "currency", "up"),
    BreakdownColumn("conversion_rate", "Conversion rate", "percent", "up"),
]

_TRAFFIC_PARTS = ("sessions", "engaged_sessions", "purchases", "purchase_revenue")


def _traffic_values(parts: Mapping[str, float]) -> dict[str, float | None]:
    return {"sessions": parts["sessions"], "engagement_rate": ratio(parts["engaged_sessions"], parts["sessions"]),
            "purchases": parts["purchases"], "purchase_revenue": parts["purchase_revenue"],
            "conversion_rate": ratio(parts["purchases"], parts["sessions"])}


def traffic_sources(p: PeriodPair) -> list[dict[str, Any]]:
    """GA4 traffic per session source / medium (the TOP_SOURCES by sessions now, the rest as one row)."""
    params = {"start": p.current.start, "end": p.current.end, "prev_start": p.previous.start,
              "prev_end": p.previous.end}
    parts: dict[bool, dict[str, dict[str, float]]] = {True: {}, False: {}}
    for row in p.engine.query(_TRAFFIC_SQL, params).to_pylist():
        parts[bool(row["is_current"])][row["key"]] = {n: float(row[n] or 0) for n in _TRAFFIC_PARTS}
    ranked = sorted(set(parts[True]) | set(parts[False]),
                    key=lambda k: (-parts[True].get(k, {}).get("sessions", 0.0),
                                   -parts[False].get(k, {}).get("sessions", 0.0), k))
    kept = set(ranked[:TOP_SOURCES])
    merged: dict[bool, dict[str, dict[str, float]]] = {True: {}, False: {}}
    for period, by_key in parts.items():
        for key, values in by_key.items():
            bucket = merged[period].setdefault(key if key in kept else OTHER, dict.fromkeys(_TRAFFIC_PARTS, 0.0))
            for n in _TRAFFIC_PARTS:
                bucket[n] += values[n]
    now = {k: _traffic_values(v) for k, v in merged[True].items()}
    before = {k: _traffic_values(v) for k, v in merged[False].items()}
    return _rows(now, before, {}, "sessions")


# -- product feature usage ----------------------------------------------------------------------------------

FEATURE_COLUMNS = [
    BreakdownColumn("users", "Users", "integer", "up"),
    BreakdownColumn("adoption", "Adoption", "percent", "up"),
    BreakdownColumn("events", "Events", "integer", "up"),
    BreakdownColumn("repeat_users", "Repeat users", "integer", "up"),
]


def feature_use(p: PeriodPair) -> list[dict[str, Any]]:
    """Users, adoption, events and repeat users of each product feature (none without collected events)."""
    if not p.engine.table_exists("events_people"):
        return []
    features = chosen_features(p.engine, events=None, configured=p.product_features, start=p.current.start,
                               end=p.current.end, tz=p.timezone)
    if not features:
        return []

    def usage(rng: DateRange) -> dict[str, dict[str, float | None]]:
        result = feature_usage(p.engine, features=features, start=rng.start, end=rng.end, tz=p.timezone)
        return {f.feature: {"users": f.users, "adoption": f.adoption, "events": f.event_count,
                            "repeat_users": f.repeat_users} for f in result.features}

    return _rows(usage(p.current), usage(p.previous), {}, "users")


# -- the registry --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    columns: list[BreakdownColumn]
    rows: Callable[[PeriodPair], list[dict[str, Any]]]


BREAKDOWNS: dict[str, Breakdown] = {
    "channel": Breakdown(catalogue_columns(CHANNEL_METRICS), _by_grouping("channel", CHANNEL_METRICS)),
    "campaign": Breakdown(catalogue_columns(CHANNEL_METRICS), _by_grouping("campaign", CHANNEL_METRICS)),
    "segment": Breakdown(catalogue_columns(SEGMENT_METRICS), _by_grouping("segment", SEGMENT_METRICS)),
    "traffic_source": Breakdown(TRAFFIC_COLUMNS, traffic_sources),
    "feature_usage": Breakdown(FEATURE_COLUMNS, feature_use),
}
"""Breakdown name -> its columns and how to compute its rows."""


def breakdown_columns() -> dict[str, list[dict[str, str]]]:
    """Each breakdown's columns, as a snapshot stores them."""
    return {name: [c.to_dict() for c in b.columns] for name, b in BREAKDOWNS.items()}


def snapshot_breakdowns(pair: PeriodPair) -> dict[str, list[dict[str, Any]]]:
    """Every breakdown's rows for the pair of periods."""
    return {name: b.rows(pair) for name, b in BREAKDOWNS.items()}
