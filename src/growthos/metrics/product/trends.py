"""Event trends (count and unique people per interval, optionally broken down by a property) and active
people per day (DAU, trailing-7-day WAU, trailing-30-day MAU).

Semantics:
- ``trends`` counts track events named in ``events`` whose reporting day is in [start, end]. Buckets are
  reporting days, Monday weeks or calendar months (the first and last may be partial: only days in
  [start, end] count); a bucket without events is reported with zeros. ``people`` is distinct persons.
- Breakdown by ``properties ->> name``: per event, the ``limit_breakdown`` values with the most events over
  the whole range (ties by value) keep their label, the rest are summed into "(other)" (people in
  "(other)" are distinct across those values); events without the property are "(not set)".
- ``active_users``: a person is active on a day with any track, page or screen event (identify, group and
  alias are calls an SDK makes, not actions). WAU on day d = people active on d-6..d; MAU = d-29..d.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlglot import exp

from growthos.metrics.product.common import (
    ACTIVE_TYPES,
    NOT_SET,
    OTHER,
    Result,
    bucket_starts,
    check_dates,
    choice,
    day_bounds,
    event_names,
    in_list,
    local_day,
    positive_int,
    property_path,
    ratio,
    render,
    truncated,
    zone,
)
from growthos.warehouse.engine import Engine

INTERVALS = ("day", "week", "month")
ACTIVE_WINDOWS = {"dau": 1, "wau": 7, "mau": 30}


@dataclass(frozen=True)
class TrendPoint(Result):
    bucket: date
    """First day of the bucket (a Monday for weeks, the 1st for months)."""
    events: int
    """Events in the bucket."""
    people: int
    """Distinct people with such an event in the bucket."""


@dataclass(frozen=True)
class TrendSeries(Result):
    event: str
    """The track event name."""
    value: str | None
    """The breakdown value ("(other)", "(not set)"), None without breakdown."""
    points: tuple[TrendPoint, ...]
    """One point per bucket, in time order, zeros included."""
    total_events: int
    """Events over the whole range."""


@dataclass(frozen=True)
class TrendsResult(Result):
    start: date
    """First reporting day."""
    end: date
    """Last reporting day (inclusive)."""
    interval: str
    """day, week or month."""
    tz: str
    """Reporting time zone."""
    breakdown: str | None
    """Property broken down by, if any."""
    series: tuple[TrendSeries, ...]
    """Per event (in the order asked), per breakdown value (most events first, "(other)" last)."""


@dataclass(frozen=True)
class ActiveUsersDay(Result):
    day: date
    """Reporting day."""
    dau: int
    """People active that day."""
    wau: int
    """People active in the 7 days ending that day."""
    mau: int
    """People active in the 30 days ending that day."""
    dau_mau: float | None
    """dau / mau (None when mau is 0)."""


@dataclass(frozen=True)
class ActiveUsersResult(Result):
    start: date
    """First reporting day."""
    end: date
    """Last reporting day (inclusive)."""
    tz: str
    """Reporting time zone."""
    days: tuple[ActiveUsersDay, ...]
    """One row per day of [start, end]."""


_TRENDS = """
SELECT event, $bucket AS bucket, count(*) AS events, count(DISTINCT person_id) AS people
FROM events_people
WHERE $events_filter AND "timestamp" >= $lo AND "timestamp" < $hi
GROUP BY ALL
"""

_TRENDS_BY_VALUE = """
WITH base AS (
    SELECT event, $bucket AS bucket, person_id, coalesce(properties ->> $prop, $not_set) AS value
    FROM events_people
    WHERE $events_filter AND "timestamp" >= $lo AND "timestamp" < $hi
), ranked AS (
    SELECT event, value, row_number() OVER (PARTITION BY event ORDER BY count(*) DESC, value) AS value_rank
    FROM base GROUP BY event, value
)
SELECT event, bucket, CASE WHEN value_rank <= $top THEN value ELSE $other END AS value,
       count(*) AS events, count(DISTINCT person_id) AS people
FROM base JOIN ranked USING (event, value)
GROUP BY ALL
"""


def trends(engine: Engine, *, events: list[str], start: date, end: date, interval: str, tz: str,
           breakdown: str | None = None, limit_breakdown: int = 10) -> TrendsResult:
    """Per event and interval: events and distinct people, optionally per value of a property."""
    names = event_names(events, "events")
    check_dates(start, end)
    choice(interval, INTERVALS, "interval")
    zone_info = zone(tz)
    lo, hi = day_bounds(start, end, zone_info)
    params: dict[str, Any] = {"lo": lo, "hi": hi}
    pieces = {"bucket": truncated(local_day(zone_info, lo, hi), interval),
              "events_filter": in_list(exp.column("event"), names, "event", params)}
    if breakdown is None:
        text = render(_TRENDS, **pieces)
    else:
        positive_int(limit_breakdown, "limit_breakdown", 1000)
        params.update(prop=property_path(breakdown, "breakdown"), top=limit_breakdown, not_set=NOT_SET, other=OTHER)
        text = render(_TRENDS_BY_VALUE, **pieces)
    rows = engine.query(text, params).to_pylist()

    buckets = bucket_starts(start, end, interval)
    cells: dict[tuple[str, str | None], dict[date, tuple[int, int]]] = defaultdict(dict)
    for row in rows:
        cells[(row["event"], row.get("value"))][row["bucket"]] = (int(row["events"]), int(row["people"]))
    series = []
    for name in names:
        keys = [key for key in cells if key[0] == name] or ([(name, None)] if breakdown is None else [])
        keys.sort(key=lambda k: (k[1] == OTHER, -sum(e for e, _ in cells[k].values()), k[1] or ""))
        for key in keys:
            points = tuple(TrendPoint(b, *cells[key].get(b, (0, 0))) for b in buckets)
            series.append(TrendSeries(name, key[1], points, sum(p.events for p in points)))
    return TrendsResult(start, end, interval, tz, breakdown, tuple(series))


_ACTIVE_SPANS = """
WITH days AS (
    SELECT DISTINCT person_id, $day AS day
    FROM events_people
    WHERE $types_filter AND "timestamp" >= $lo AND "timestamp" < $hi
), spans AS (
    SELECT day, lead(day) OVER (PARTITION BY person_id ORDER BY day) AS next_day FROM days
), windows AS (
    SELECT unnest($windows) AS w
)
SELECT w, day, sum(delta) AS delta FROM (
    SELECT w, day, 1 AS delta FROM spans, windows
    UNION ALL
    SELECT w, least(coalesce(next_day, day + w), day + w) AS day, -1 AS delta FROM spans, windows
)
GROUP BY ALL
"""


def active_users(engine: Engine, *, start: date, end: date, tz: str) -> ActiveUsersResult:
    """DAU, WAU and MAU for every reporting day of [start, end].

    Computed from each person's active days in one pass: an active day ``a`` followed by the next active
    day ``n`` keeps the person in a w-day window ending on every day of [a, min(n, a + w)), so adding +1 at
    ``a`` and -1 at ``min(n, a + w)`` and summing in day order gives the w-day active count of every day."""
    check_dates(start, end)
    zone_info = zone(tz)
    first = start - timedelta(days=max(ACTIVE_WINDOWS.values()) - 1)
    lo, hi = day_bounds(first, end, zone_info)
    params: dict[str, Any] = {"lo": lo, "hi": hi, "windows": list(ACTIVE_WINDOWS.values())}
    text = render(_ACTIVE_SPANS, day=local_day(zone_info, lo, hi),
                    types_filter=in_list(exp.column("type"), list(ACTIVE_TYPES), "type", params))
    deltas: dict[int, dict[date, int]] = defaultdict(dict)
    for row in engine.query(text, params).to_pylist():
        deltas[row["w"]][row["day"]] = int(row["delta"])
    running = dict.fromkeys(ACTIVE_WINDOWS.values(), 0)
    days = []
    day = first
    while day <= end:
        for w in running:
            running[w] += deltas[w].get(day, 0)
        if day >= start:
            dau, wau, mau = (running[w] for w in ACTIVE_WINDOWS.values())
            days.append(ActiveUsersDay(day, dau, wau, mau, ratio(dau, mau)))
        day += timedelta(days=1)
    return ActiveUsersResult(start, end, tz, tuple(days))
