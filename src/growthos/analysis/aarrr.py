"""AARRR counts of a period from the collected product events (people counted once per merged identity).

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

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from growthos.analysis.samples import RATE_PARTS, number
from growthos.core.periods import DateRange
from growthos.metrics.catalogue import ratio
from growthos.warehouse.engine import Engine

AARRR_EVENTS: dict[str, str] = {
    "signup": "Signed Up",
    "activation": "Meal Plan Created",
    "referral": "Invite Accepted",
}
"""The product events behind the AARRR counts (the demo recipe app's names)."""

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
FORMATS = {"currency": "currency", "count": "integer", "ratio": "percent"}
"""An AARRR metric's unit -> its display format."""


def aarrr_value(name: str, counts: Mapping[str, float | None], bases: Mapping[str, float | None]) -> float | None:
    """An AARRR metric from the period's counts (revenue from its catalogue bases); None without events."""
    if name == "revenue":
        return number(bases.get("net_revenue"))
    if not counts:
        return None
    if name in RATE_PARTS:
        num, den = RATE_PARTS[name]
        return ratio(counts.get(num), counts.get(den))
    return counts.get(name)
