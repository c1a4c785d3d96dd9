"""Stickiness: per week (or month), how many people were active on exactly 1, 2, ... N of its days.

Semantics: active = any track, page or screen event (or, with ``event``, that track event), days in the
reporting time zone. Buckets are Monday weeks or calendar months, cut to [start, end]: a bucket's
``days`` counts only its days inside the range. Per bucket, ``avg_daily_active`` = active person-days /
``days`` and ``stickiness`` = avg_daily_active / people active in the bucket (DAU/WAU for weeks,
DAU/MAU for months). ``average_dau_mau`` is the mean over the range's days of DAU / trailing-30-day MAU
(see trends.active_users), the usual product-wide stickiness figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlglot import exp

from growthos.metrics.product.common import (
    ACTIVE_TYPES,
    Result,
    bucket_starts,
    check_dates,
    choice,
    day_bounds,
    event_name,
    in_list,
    local_day,
    next_bucket,
    param,
    ratio,
    render,
    truncated,
    zone,
)
from growthos.metrics.product.trends import active_users
from growthos.warehouse.engine import Engine

INTERVALS = ("week", "month")


@dataclass(frozen=True)
class StickinessBucket(Result):
    bucket: date
    """First day of the week (Monday) or month."""
    days: int
    """Days of the bucket inside [start, end]."""
    people: int
    """People active on at least one of those days."""
    active_days: tuple[int, ...]
    """active_days[i] = people active on exactly i+1 days (length 7 for weeks, the month's length)."""
    avg_daily_active: float | None
    """Active person-days / days."""
    stickiness: float | None
    """avg_daily_active / people."""


@dataclass(frozen=True)
class StickinessResult(Result):
    start: date
    """First reporting day."""
    end: date
    """Last reporting day (inclusive)."""
    interval: str
    """week or month."""
    tz: str
    """Reporting time zone."""
    event: str | None
    """The track event counted as activity, None for any action."""
    buckets: tuple[StickinessBucket, ...]
    """In time order."""
    average_dau_mau: float | None
    """Mean of the daily DAU / MAU over the days of [start, end] with a MAU (any action)."""


_STICKINESS = """
WITH days AS (
    SELECT DISTINCT person_id, $day AS day
    FROM events_people
    WHERE $activity AND "timestamp" >= $lo AND "timestamp" < $hi
), per_person AS (
    SELECT $bucket AS bucket, person_id, count(*) AS n FROM days GROUP BY ALL
)
SELECT bucket, n, count(*) AS people FROM per_person GROUP BY ALL
"""


def stickiness(engine: Engine, *, start: date, end: date, tz: str, interval: str = "week",
               event: str | None = None) -> StickinessResult:
    """Distribution of active days per person in each week or month of [start, end]."""
    check_dates(start, end)
    choice(interval, INTERVALS, "interval")
    zone_info = zone(tz)
    lo, hi = day_bounds(start, end, zone_info)
    params: dict[str, Any] = {"lo": lo, "hi": hi}
    if event is None:
        activity = in_list(exp.column("type"), list(ACTIVE_TYPES), "type", params)
    else:
        params["event"] = event_name(event, "event")
        activity = exp.EQ(this=exp.column("event"), expression=param("event"))
    text = render(_STICKINESS, day=local_day(zone_info, lo, hi), activity=activity,
                  bucket=truncated(exp.column("day"), interval))
    hist: dict[date, dict[int, int]] = {}
    for row in engine.query(text, params).to_pylist():
        hist.setdefault(row["bucket"], {})[int(row["n"])] = int(row["people"])

    buckets = []
    for first in bucket_starts(start, end, interval):
        after = next_bucket(first, interval)
        length = (after - first).days
        days = (min(after, end + timedelta(days=1)) - max(first, start)).days
        counts = hist.get(first, {})
        people = sum(counts.values())
        person_days = sum(n * c for n, c in counts.items())
        avg = person_days / days
        buckets.append(StickinessBucket(first, days, people, tuple(counts.get(i, 0) for i in range(1, length + 1)),
                                        avg, ratio(avg, people)))
    daily = active_users(engine, start=start, end=end, tz=tz).days
    ratios = [d.dau_mau for d in daily if d.dau_mau is not None]
    average = sum(ratios) / len(ratios) if ratios else None
    return StickinessResult(start, end, interval, tz, event, tuple(buckets), average)
