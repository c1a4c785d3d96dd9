"""Reporting days in America/New_York and the UTC timestamps (ISO-8601 with Z) that fall on them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

REPORTING_TZ = ZoneInfo("America/New_York")


class DayClock:
    """UTC instants of one New York reporting day, for local times between 03:00 and 24:00 (after any
    daylight-saving switch, so one UTC offset holds for the whole span)."""

    def __init__(self, day: date) -> None:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=REPORTING_TZ)
        offset = noon.utcoffset() or timedelta(0)
        self.day = day
        self._midnight_utc = datetime(day.year, day.month, day.day, tzinfo=UTC) - offset

    def at(self, seconds: int) -> datetime:
        """The aware UTC datetime ``seconds`` after local midnight (03:00 <= local time < 24:00)."""
        return self._midnight_utc + timedelta(seconds=seconds)


def iso(ts: datetime) -> str:
    """``2026-01-05T14:03:22Z``."""
    return f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}T{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}Z"
