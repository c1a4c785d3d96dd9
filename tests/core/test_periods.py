from datetime import date, timedelta

import pytest

from growthos.core.errors import InvalidInput
from growthos.core.periods import DateRange, parse_date, parse_duration, resolve_range


def test_previous_period_has_equal_length_and_ends_the_day_before():
    rng = DateRange(date(2026, 2, 1), date(2026, 2, 7))
    assert rng.days == 7
    assert rng.previous() == DateRange(date(2026, 1, 25), date(2026, 1, 31))
    # Across a month of 31 days and a leap-free February.
    assert DateRange(date(2026, 3, 1), date(2026, 3, 31)).previous() == DateRange(date(2026, 1, 29),
                                                                                   date(2026, 2, 28))


def test_presets_end_on_the_last_full_day():
    rng = resolve_range(None, None, "30d", today=date(2026, 2, 10))
    assert (rng.start, rng.end) == (date(2026, 1, 11), date(2026, 2, 9))


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        (("2026-02-09", "2026-02-01", None), "from", "after"),
        (("2026-13-01", "2026-02-01", None), "from", "YYYY-MM-DD"),
        (("2026-02-01", "tomorrow", None), "to", "YYYY-MM-DD"),
        (("2026-02-01", None, None), "to", "required"),
        ((None, None, "5d"), "range", "one of"),
        (("2026-02-01", "2026-02-02", "7d"), "range", "not both"),
        (("0001-01-01", "2026-02-02", None), "from", "out of range"),
    ],
)
def test_bad_ranges_name_the_field_and_the_reason(args, field, message):
    with pytest.raises(InvalidInput, match=message) as info:
        resolve_range(*args, today=date(2026, 2, 10))
    assert info.value.field == field


def test_parse_date_accepts_iso_dates():
    assert parse_date("2026-02-09", "from") == date(2026, 2, 9)


@pytest.mark.parametrize(("text", "expected"), [
    ("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)), ("7d", timedelta(days=7)),
    ("2w", timedelta(days=14)), (" 1D ", timedelta(days=1)), ("366d", timedelta(days=366)),
])
def test_durations(text, expected):
    assert parse_duration(text, "window") == expected


@pytest.mark.parametrize("text", ["", "7", "d", "0d", "-1d", "1.5h", "367d", "53w", "7 d", "1y", "٣d", "9999999d"])
def test_bad_durations_name_the_field(text):
    with pytest.raises(InvalidInput) as info:
        parse_duration(text, "window")
    assert info.value.field == "window"
