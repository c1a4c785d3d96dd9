"""Date ranges in the reporting time zone, and the previous period of equal length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from growthos.core.errors import InvalidInput

RANGE_PRESETS = {"7d": 7, "14d": 14, "30d": 30, "90d": 90, "180d": 180}


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of reporting days."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InvalidInput(
                f"'from' ({self.start}) is after 'to' ({self.end})", field="from"
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> DateRange:
        """The period of equal length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return DateRange(end - timedelta(days=self.days - 1), end)

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def parse_date(value: str, field: str) -> date:
    """A YYYY-MM-DD date, or InvalidInput naming the field."""
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a date as YYYY-MM-DD, got {value!r}", field=field) from None
    if not (date(1970, 1, 1) <= parsed <= date(2200, 12, 31)):
        raise InvalidInput(f"{field} is out of range (1970-01-01 .. 2200-12-31): {value}", field=field)
    return parsed


def resolve_range(
    start: str | None, end: str | None, preset: str | None, today: date, default_days: int = 30
) -> DateRange:
    """A range from explicit dates or a preset like '30d'; presets end on the last full day."""
    last_full_day = today - timedelta(days=1)
    if preset is not None:
        if start or end:
            raise InvalidInput("give either 'range' or 'from'/'to', not both", field="range")
        if preset not in RANGE_PRESETS:
            choices = ", ".join(RANGE_PRESETS)
            raise InvalidInput(f"range must be one of {choices}, got {preset!r}", field="range")
        days = RANGE_PRESETS[preset]
        return DateRange(last_full_day - timedelta(days=days - 1), last_full_day)
    if start is None and end is None:
        return DateRange(last_full_day - timedelta(days=default_days - 1), last_full_day)
    if start is None or end is None:
        missing = "from" if start is None else "to"
        raise InvalidInput(f"'{missing}' is required when the other bound is given", field=missing)
    return DateRange(parse_date(start, "from"), parse_date(end, "to"))


_DURATION_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
                   "w": timedelta(weeks=1)}
MAX_DURATION = timedelta(days=366)


def parse_duration(value: str, field: str) -> timedelta:
    """A duration such as '30m', '12h', '7d' or '2w' (up to 366 days), or InvalidInput naming the field."""
    text = value.strip().lower() if isinstance(value, str) else ""
    number, unit = text[:-1], text[-1:]
    if unit not in _DURATION_UNITS or not number.isascii() or not number.isdigit() or len(number) > 6:
        raise InvalidInput(f"{field} must be a duration such as 30m, 12h, 7d or 2w, got {value!r}", field=field)
    duration = int(number) * _DURATION_UNITS[unit]
    if not timedelta(0) < duration <= MAX_DURATION:
        raise InvalidInput(f"{field} must be more than 0 and at most 366 days, got {value!r}", field=field)
    return duration
