"""Time buckets of the telemetry trends: hours (UTC) for windows up to HOURLY_UP_TO, else reporting days in the
workspace's time zone; every bucket of the window is listed, so a quiet hour shows as empty, not missing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlglot
from sqlglot import exp

from growthos.metrics.product.common import local_day

HOURLY_UP_TO = timedelta(hours=48)
_HOUR_US = 3_600_000_000


def bucket_for(since: datetime, until: datetime) -> str:
    """hour for windows up to HOURLY_UP_TO, else day."""
    return "hour" if until - since <= HOURLY_UP_TO else "day"


def bucket_expression(unit: str, tz: ZoneInfo, since: datetime, until: datetime) -> exp.Expression:
    """The bucket of a row's ``timestamp``: its reporting day, or its hour as whole hours since the epoch."""
    if unit == "day":
        return local_day(tz, since, until)
    return sqlglot.parse_one(f'epoch_us("timestamp") // {_HOUR_US}', read="duckdb")


def bucket_label(value: Any, unit: str) -> str:
    """A bucket as the API shows it: the day's ISO date, or the hour's ISO instant (UTC)."""
    if unit == "day":
        return value.isoformat()
    return datetime.fromtimestamp(int(value) * 3600, UTC).isoformat()


def bucket_starts(since: datetime, until: datetime, unit: str, tz: ZoneInfo) -> list[str]:
    """Labels of every hour (UTC) or reporting day meeting [since, until), in order."""
    last = until - timedelta(microseconds=1)
    if unit == "hour":
        first = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hours = int((last.astimezone(UTC) - first) // timedelta(hours=1)) + 1
        return [(first + timedelta(hours=i)).isoformat() for i in range(hours)]
    day: date = since.astimezone(tz).date()
    end = last.astimezone(tz).date()
    out = []
    while day <= end:
        out.append(day.isoformat())
        day += timedelta(days=1)
    return out
