"""Track events by name over an instant range: how many, by how many people (GET /api/analytics/events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from growthos.core.errors import InvalidInput
from growthos.metrics.product.common import Result, aware, choice, render
from growthos.warehouse.engine import Engine

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
"""The ranges the events endpoint offers, ending now."""


@dataclass(frozen=True)
class EventCount(Result):
    event: str
    """Track event name."""
    count: int
    """Events in the range."""
    users: int
    """Distinct people who sent it."""


_COUNTS = """
SELECT event, count(*) AS count, count(DISTINCT person_id) AS users
FROM events_people
WHERE type = 'track' AND "timestamp" >= $since AND "timestamp" < $until
GROUP BY event
ORDER BY count DESC, event
"""


def event_counts(engine: Engine, *, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """[{"event", "count", "users"}] for track events in [since, until), most frequent first."""
    aware(since, "since")
    aware(until, "until")
    if since >= until:
        raise InvalidInput(f"since ({since.isoformat()}) must be before until ({until.isoformat()})", field="since")
    rows = engine.query(render(_COUNTS), {"since": since, "until": until}).to_pylist()
    return [EventCount(r["event"], int(r["count"]), int(r["users"])).to_dict() for r in rows]


def event_counts_for_range(engine: Engine, range_: str, now: datetime) -> list[dict[str, Any]]:
    """event_counts over the last 24h, 7d or 30d before ``now`` (InvalidInput naming ``range``)."""
    choice(range_, tuple(RANGES), "range")
    aware(now, "now")
    return event_counts(engine, since=now - RANGES[range_], until=now)
