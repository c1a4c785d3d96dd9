"""Cohort retention: people grouped by the day/week of their first ``start_event``, and how many of them
do ``return_event`` in each later day/week.

Semantics:
- A person's cohort is the reporting day (or Monday week) of their FIRST ``start_event`` ever; only
  people whose first one falls in [start, end] are counted (someone who started before ``start`` is not
  new in the range).
- Period k (1..periods) of a cohort is the k-th calendar day/week after the cohort's own; a person
  "returns" in period k with at least one ``return_event`` in it (events after ``as_of`` are ignored).
  Period 0 is the cohort itself: its size.
- A period is complete when its last day has ended (in ``tz``) at ``as_of``. The rate of a period divides
  by the people of cohorts whose period k is complete; for a cohort whose period k is not complete the
  returning people are still reported but the rate is None. The overall row adds, per period, the
  returning people and the sizes of the cohorts whose period is complete (a size-weighted average).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from growthos.metrics.product.common import (
    UNIT_DAYS,
    Result,
    aware,
    check_dates,
    choice,
    day_bounds,
    event_name,
    local_day,
    local_midnight,
    positive_int,
    ratio,
    render,
    truncated,
    zone,
)
from growthos.warehouse.engine import Engine

MAX_PERIODS = 366


@dataclass(frozen=True)
class RetentionPeriod(Result):
    period: int
    """k: days or weeks after the cohort's own."""
    returning: int
    """Cohort people with a return event in period k (so far, if incomplete)."""
    eligible: int
    """People of cohorts whose period k is complete at as_of (the denominator)."""
    rate: float | None
    """Returning people of the eligible cohorts / eligible; None when nobody is eligible."""


@dataclass(frozen=True)
class RetentionCohort(Result):
    cohort: date
    """First day of the cohort (a Monday for weeks)."""
    size: int
    """People whose first start event is in the cohort."""
    periods: tuple[RetentionPeriod, ...]
    """Periods 1..N."""


@dataclass(frozen=True)
class RetentionResult(Result):
    start_event: str
    """Event that puts a person in a cohort (first occurrence)."""
    return_event: str
    """Event that counts as a return."""
    interval: str
    """day or week."""
    start: date
    """First reporting day a cohort may start on."""
    end: date
    """Last reporting day a cohort may start on (inclusive)."""
    tz: str
    """Reporting time zone."""
    as_of: datetime
    """The instant completeness is judged at."""
    cohorts: tuple[RetentionCohort, ...]
    """Cohorts with at least one person, in time order."""
    overall: RetentionCohort
    """Size-weighted over cohorts: size = all cohort people; per period only complete cohorts count."""


_RETENTION = """
WITH firsts AS (
    SELECT person_id, min("timestamp") AS first_ts
    FROM events_people WHERE event = $start_event AND "timestamp" <= $as_of
    GROUP BY person_id
), cohort AS (
    SELECT person_id, $cohort_bucket AS cohort FROM firsts WHERE first_ts >= $lo AND first_ts < $hi
), returns AS (
    SELECT DISTINCT person_id, $return_bucket AS bucket
    FROM events_people
    WHERE event = $return_event AND "timestamp" >= $lo AND "timestamp" < $ret_hi AND "timestamp" <= $as_of
)
SELECT cohort, 0 AS period, count(*) AS people FROM cohort GROUP BY cohort
UNION ALL
SELECT c.cohort, date_diff('day', c.cohort, r.bucket) // $unit_days AS period, count(*) AS people
FROM cohort c JOIN returns r ON r.person_id = c.person_id
WHERE r.bucket > c.cohort AND r.bucket <= c.cohort + $last_offset
GROUP BY ALL
"""


def retention(engine: Engine, *, start_event: str, return_event: str, interval: str, periods: int, start: date,
              end: date, tz: str, as_of: datetime) -> RetentionResult:
    """Retention of the cohorts of first ``start_event`` in [start, end] over ``periods`` days/weeks."""
    event_name(start_event, "start_event")
    event_name(return_event, "return_event")
    choice(interval, tuple(UNIT_DAYS), "interval")
    positive_int(periods, "periods", MAX_PERIODS)
    check_dates(start, end)
    aware(as_of, "as_of")
    zone_info = zone(tz)
    unit = UNIT_DAYS[interval]
    lo, hi = day_bounds(start, end, zone_info)
    last_cohort = end - timedelta(days=end.weekday()) if interval == "week" else end
    ret_hi = local_midnight(last_cohort + timedelta(days=unit * (periods + 1)), zone_info)
    params: dict[str, Any] = {"start_event": start_event, "return_event": return_event, "lo": lo,
                              "hi": hi, "ret_hi": ret_hi, "as_of": as_of, "unit_days": unit,
                              "last_offset": unit * periods}
    text = render(_RETENTION, cohort_bucket=truncated(local_day(zone_info, lo, ret_hi, "first_ts"), interval),
                    return_bucket=truncated(local_day(zone_info, lo, ret_hi), interval))
    counts: dict[date, dict[int, int]] = {}
    for row in engine.query(text, params).to_pylist():
        counts.setdefault(row["cohort"], {})[int(row["period"])] = int(row["people"])

    def complete(cohort: date, k: int) -> bool:
        return local_midnight(cohort + timedelta(days=unit * (k + 1)), zone_info) <= as_of

    cohorts = []
    totals = {k: [0, 0] for k in range(1, periods + 1)}  # k -> [returning in eligible cohorts, eligible]
    for cohort in sorted(counts):
        size = counts[cohort].get(0, 0)
        rows = []
        for k in range(1, periods + 1):
            returning = counts[cohort].get(k, 0)
            eligible = size if complete(cohort, k) else 0
            if eligible:
                totals[k][0] += returning
                totals[k][1] += eligible
            rows.append(RetentionPeriod(k, returning, eligible, ratio(returning, eligible)))
        cohorts.append(RetentionCohort(cohort, size, tuple(rows)))
    overall = RetentionCohort(
        start, sum(c.size for c in cohorts),
        tuple(RetentionPeriod(k, r, e, ratio(r, e)) for k, (r, e) in totals.items()),
    )
    return RetentionResult(start_event, return_event, interval, start, end, tz, as_of, tuple(cohorts), overall)
