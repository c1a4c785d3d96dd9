"""Column types shared by the app-database tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the store's default clock)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware datetime converted to UTC (what reading it back from the database gives); naive ones unchanged,
    for UTCDateTime to refuse."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC and always read back as an aware UTC datetime.

    PostgreSQL stores ``timestamptz`` and returns it in the session time zone; SQLite has no time
    zones, so the value is written as naive UTC text. Both are normalised to ``tzinfo=UTC`` on read.
    Naive datetimes are refused on write: their meaning depends on the machine that made them.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused; pass an aware (UTC) datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
