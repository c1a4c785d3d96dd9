"""Feature usage: for named features (each a set of track events), who used them in a range.

Semantics: ``active`` people = people with any track, page or screen event in [start, end] (reporting
days in ``tz``). Per feature: ``users`` = people with at least one of its events, ``adoption`` = users /
active, ``events`` = its events, ``repeat_users`` = users who used it on at least two different
reporting days. An event may belong to several features and then counts for each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlglot import exp

from growthos.core.errors import InvalidInput
from growthos.metrics.product.common import (
    ACTIVE_TYPES,
    MAX_NAMES,
    Result,
    check_dates,
    day_bounds,
    event_names,
    in_list,
    local_day,
    ratio,
    render,
    zone,
)
from growthos.metrics.product.events_summary import event_counts
from growthos.warehouse.engine import Engine

MAX_FEATURES = 100


@dataclass(frozen=True)
class FeatureUsage(Result):
    feature: str
    """Feature name as given."""
    events: tuple[str, ...]
    """Its track events."""
    users: int
    """People who used it."""
    adoption: float | None
    """users / active people."""
    event_count: int
    """Its events in the range."""
    repeat_users: int
    """Users who used it on two or more reporting days."""


@dataclass(frozen=True)
class FeatureUsageResult(Result):
    start: date
    """First reporting day."""
    end: date
    """Last reporting day (inclusive)."""
    tz: str
    """Reporting time zone."""
    active: int
    """People with any action in the range (the adoption denominator)."""
    features: tuple[FeatureUsage, ...]
    """In the order given."""


_USAGE = """
WITH base AS (
    SELECT person_id, event, $day AS day
    FROM events_people
    WHERE $types_filter AND "timestamp" >= $lo AND "timestamp" < $hi
), features AS (
    SELECT unnest($feature_names) AS feature, unnest($feature_events) AS event
), per_person AS (
    SELECT f.feature, b.person_id, count(*) AS n, count(DISTINCT b.day) AS days
    FROM base b JOIN features f ON f.event = b.event
    GROUP BY ALL
)
SELECT feature, count(*) AS users, sum(n) AS event_count, count(*) FILTER (WHERE days >= 2) AS repeat_users
FROM per_person GROUP BY feature
UNION ALL
SELECT NULL AS feature, count(DISTINCT person_id) AS users, count(*) AS event_count, 0 AS repeat_users FROM base
"""


def _check_features(features: Mapping[str, list[str]]) -> dict[str, list[str]]:
    if not isinstance(features, Mapping) or not features:
        raise InvalidInput("features needs at least one feature (name -> event names)", field="features")
    if len(features) > MAX_FEATURES:
        raise InvalidInput(f"at most {MAX_FEATURES} features", field="features")
    out = {}
    for name, events in features.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise InvalidInput("a feature name must be a non-empty string of at most 200 characters",
                               field="features")
        out[name] = event_names(events, f"features[{name!r}]")
    if sum(len(v) for v in out.values()) > MAX_NAMES * 4:
        raise InvalidInput(f"at most {MAX_NAMES * 4} feature events in all", field="features")
    return out


def features_from_events(engine: Engine, *, start: date, end: date, tz: str,
                         limit: int = 20) -> dict[str, list[str]]:
    """Each of the ``limit`` most frequent track events of [start, end] as a feature of its own (the default
    when the workspace names no features)."""
    check_dates(start, end)
    lo, hi = day_bounds(start, end, zone(tz))
    return {row["event"]: [row["event"]] for row in event_counts(engine, since=lo, until=hi)[:limit]}


def chosen_features(engine: Engine, *, events: list[str] | None, configured: Mapping[str, list[str]], start: date,
                    end: date, tz: str) -> dict[str, list[str]]:
    """The features to measure: each of ``events`` if given, else the workspace's ``configured`` features, else
    the most frequent events of the range (empty when the range has no track events)."""
    if events:
        return {name: [name] for name in events}
    return dict(configured) or features_from_events(engine, start=start, end=end, tz=tz)


def feature_usage(engine: Engine, *, features: Mapping[str, list[str]], start: date, end: date,
                  tz: str) -> FeatureUsageResult:
    """Users, adoption, events and repeat users of each feature in [start, end]."""
    checked = _check_features(features)
    check_dates(start, end)
    zone_info = zone(tz)
    lo, hi = day_bounds(start, end, zone_info)
    params: dict[str, Any] = {"lo": lo, "hi": hi}
    params["feature_names"] = [name for name, events in checked.items() for _ in events]
    params["feature_events"] = [event for events in checked.values() for event in events]
    text = render(_USAGE, day=local_day(zone_info, lo, hi),
                    types_filter=in_list(exp.column("type"), list(ACTIVE_TYPES), "type", params))
    rows = {row["feature"]: row for row in engine.query(text, params).to_pylist()}
    active = int(rows[None]["users"]) if None in rows else 0
    usage = []
    for name, events in checked.items():
        row = rows.get(name, {})
        users = int(row.get("users") or 0)
        usage.append(FeatureUsage(name, tuple(events), users, ratio(users, active), int(row.get("event_count") or 0),
                                  int(row.get("repeat_users") or 0)))
    return FeatureUsageResult(start, end, tz, active, tuple(usage))
