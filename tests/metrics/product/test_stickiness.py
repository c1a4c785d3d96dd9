"""Stickiness on the active-days fixture of test_trends (New York days):

  A1 04-10, 05-01, 05-06    A2 05-06, 05-07    A3 04-07    A4 05-08    A5 05-02, 05-08 (one person)

Week of Monday 05-06 (range 05-06..05-14): A1 1 day, A2 2 days, A4 1, A5 1 → [3, 1, 0, 0, 0, 0, 0];
4 people, 5 person-days over 7 days → avg 5/7, stickiness 5/7 / 4 = 5/28.
Week of 05-13 cut to 05-13..05-14: nobody; days 2.
Daily DAU/MAU: 05-06 2/4, 05-07 1/3, 05-08 2/4, 05-09..05-14 0 (MAU > 0) → mean (1/2 + 1/3 + 1/2) / 9 = 4/27.
"""

from __future__ import annotations

from datetime import date

import pytest
from fixtures.events import write
from test_trends import active_events

from growthos.core.errors import InvalidInput
from growthos.metrics.product import stickiness

TZ = "America/New_York"


def test_weekly_active_day_histogram(engine) -> None:
    write(engine, active_events())
    result = stickiness(engine, start=date(2024, 5, 6), end=date(2024, 5, 14), tz=TZ, interval="week")
    first, second = result.buckets
    assert (first.bucket, first.days, first.people, first.active_days) == (date(2024, 5, 6), 7, 4,
                                                                            (3, 1, 0, 0, 0, 0, 0))
    assert first.avg_daily_active == pytest.approx(5 / 7) and first.stickiness == pytest.approx(5 / 28)
    assert (second.bucket, second.days, second.people, second.stickiness) == (date(2024, 5, 13), 2, 0, None)
    assert result.average_dau_mau == pytest.approx(4 / 27)


def test_monthly_buckets_cut_to_the_range(engine) -> None:
    write(engine, active_events())
    # May cut to 05-06..05-08: A1's 05-01 is outside → same histogram, 31 entries; 5 person-days / 3 days
    result = stickiness(engine, start=date(2024, 5, 6), end=date(2024, 5, 8), tz=TZ, interval="month")
    (may,) = result.buckets
    assert (may.bucket, may.days, may.people) == (date(2024, 5, 1), 3, 4)
    assert may.active_days == (3, 1) + (0,) * 29
    assert may.stickiness == pytest.approx((5 / 3) / 4)


def test_one_event_as_activity(engine) -> None:
    write(engine, active_events())
    # Open only: A5's 05-02 was a page view; in 05-06..05-08 A1 1, A2 2, A4 1, A5 1 (05-08 Open) → same
    # histogram; with 05-01..05-08 the page views drop out but A1's 05-01 Open adds a day: A1 2 days
    result = stickiness(engine, start=date(2024, 5, 1), end=date(2024, 5, 8), tz=TZ, interval="month", event="Open")
    assert result.buckets[0].active_days[:3] == (2, 2, 0)  # 1 day: A4 A5; 2 days: A1 A2


def test_unknown_interval(engine) -> None:
    with pytest.raises(InvalidInput) as err:
        stickiness(engine, start=date(2024, 5, 6), end=date(2024, 5, 8), tz=TZ, interval="day")
    assert err.value.field == "interval"
