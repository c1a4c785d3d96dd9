"""Trends of Open and Buy on 2024-05-06..05-08 and DAU/WAU/MAU, New York days (EDT, UTC-4).

Trends fixture (plan property on Open):
  T1  anon t1a Open 05-06 09:00 (pro); identify t1a→t1; Open 05-06 18:00 (pro); Buy 05-07 12:00
  T2  Open 05-06 23:30 (free) — 05-07 03:30 in UTC, but 05-06 in New York
  T3  Open 05-07 10:00 (free); Open 05-08 10:00 (no plan); Buy 05-08 11:00
  T4  Open 05-05 23:00 (out of range; 05-06 in UTC); Open 05-08 21:00 (team; 05-09 in UTC)
Open per day: 05-06 T1 ×2 + T2 = 3 events, 2 people; 05-07 T3: 1, 1; 05-08 T3 + T4: 2, 2
Buy: 05-06 0; 05-07 T1: 1, 1; 05-08 T3: 1, 1
"""

from __future__ import annotations

from datetime import date

import pytest
from fixtures.events import identify, ny, page, track, write

from growthos.core.errors import InvalidInput
from growthos.metrics.product import active_users, trends

START, END = date(2024, 5, 6), date(2024, 5, 8)
TZ = "America/New_York"


def trend_events():
    return [
        track("Open", ny(5, 6, 9), anon="t1a", props={"plan": "pro"}), identify(ny(5, 6, 10), anon="t1a", user="t1"),
        track("Open", ny(5, 6, 18), user="t1", props={"plan": "pro"}), track("Buy", ny(5, 7, 12), user="t1"),
        track("Open", ny(5, 6, 23, 30), user="t2", props={"plan": "free"}),
        track("Open", ny(5, 7, 10), user="t3", props={"plan": "free"}), track("Open", ny(5, 8, 10), user="t3"),
        track("Buy", ny(5, 8, 11), user="t3"),
        track("Open", ny(5, 5, 23), user="t4", props={"plan": "pro"}),
        track("Open", ny(5, 8, 21), user="t4", props={"plan": "team"}),
    ]


def points(series) -> list[tuple[date, int, int]]:
    return [(p.bucket, p.events, p.people) for p in series.points]


def test_daily_counts_and_unique_people(engine) -> None:
    write(engine, trend_events())
    result = trends(engine, events=["Open", "Buy"], start=START, end=END, interval="day", tz=TZ)
    opened, bought = result.series
    assert (opened.event, opened.value, bought.event) == ("Open", None, "Buy")
    assert points(opened) == [(date(2024, 5, 6), 3, 2), (date(2024, 5, 7), 1, 1), (date(2024, 5, 8), 2, 2)]
    assert points(bought) == [(date(2024, 5, 6), 0, 0), (date(2024, 5, 7), 1, 1), (date(2024, 5, 8), 1, 1)]
    assert opened.total_events == 6


def test_weekly_and_monthly_buckets_count_people_once(engine) -> None:
    write(engine, trend_events())
    # 05-06 is a Monday: one weekly bucket; Open 6 events by T1 T2 T3 T4 = 4 people (not 2 + 1 + 2)
    week = trends(engine, events=["Open"], start=START, end=END, interval="week", tz=TZ).series[0]
    assert points(week) == [(date(2024, 5, 6), 6, 4)]
    month = trends(engine, events=["Open"], start=START, end=END, interval="month", tz=TZ).series[0]
    assert points(month) == [(date(2024, 5, 1), 6, 4)]


def test_breakdown_keeps_the_top_values_and_sums_the_rest(engine) -> None:
    write(engine, trend_events())
    # Open by plan over the range: pro 2 (T1), free 2 (T2, T3), (not set) 1, team 1.
    # Top 1 (ties by name): free. (other) = pro + (not set) + team.
    result = trends(engine, events=["Open", "Buy"], start=START, end=END, interval="day", tz=TZ,
                    breakdown="plan", limit_breakdown=1)
    got = {(s.event, s.value): points(s) for s in result.series}
    d6, d7, d8 = date(2024, 5, 6), date(2024, 5, 7), date(2024, 5, 8)
    assert got == {
        ("Open", "free"): [(d6, 1, 1), (d7, 1, 1), (d8, 0, 0)],
        ("Open", "(other)"): [(d6, 2, 1), (d7, 0, 0), (d8, 2, 2)],  # T1 ×2; T3 (not set) + T4 team
        ("Buy", "(not set)"): [(d6, 0, 0), (d7, 1, 1), (d8, 1, 1)],
    }
    assert [(s.event, s.value) for s in result.series] == [("Open", "free"), ("Open", "(other)"),
                                                           ("Buy", "(not set)")]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"events": []}, "events"),
    ({"interval": "hour"}, "interval"),
    ({"breakdown": "a'b"}, "breakdown"),
    ({"tz": "Nowhere/Town"}, "tz"),
])
def test_invalid_input_names_the_field(engine, overrides, field) -> None:
    args = dict(events=["Open"], start=START, end=END, interval="day", tz=TZ)
    args.update(overrides)
    with pytest.raises(InvalidInput) as err:
        trends(engine, **args)
    assert err.value.field == field


def active_events():
    """Active days (New York) of five people; identify calls are not activity.

    A1 04-10 (page), 05-01, 05-06     A2 05-06, 05-07; identify only on 05-08     A3 04-07
    A4 05-08 23:30 (05-09 in UTC)     A5 anon a5x 05-02; identify a5x→a5 05-07; a5 05-08
    """
    return [
        page(ny(4, 10), user="a1"), track("Open", ny(5, 1), user="a1"), track("Open", ny(5, 6), user="a1"),
        track("Open", ny(5, 6), user="a2"), track("Open", ny(5, 7), user="a2"),
        identify(ny(5, 8), user="a2", traits={"plan": "pro"}),
        track("Open", ny(4, 7, 9), user="a3"),
        track("Open", ny(5, 8, 23, 30), user="a4"),
        page(ny(5, 2), anon="a5x"), identify(ny(5, 7), anon="a5x", user="a5"), track("Open", ny(5, 8), user="a5"),
    ]


def test_dau_wau_mau(engine) -> None:
    write(engine, active_events())
    days = active_users(engine, start=START, end=END, tz=TZ).days
    # DAU: 05-06 A1 A2 = 2; 05-07 A2 = 1; 05-08 A4 A5 = 2 (A2's identify is not activity)
    # WAU: 05-06 (04-30..05-06) A1 A2 A5 = 3; 05-07 (05-01..) A1 A2 A5 = 3; 05-08 (05-02..) A1 A2 A4 A5 = 4
    #      (A5's anonymous 05-02 and identified 05-08 are one person, else 05-08 would say 5)
    # MAU: 05-06 (04-07..05-06) A1 A2 A3 A5 = 4; 05-07 (04-08..) A3 drops out = 3; 05-08 A1 A2 A4 A5 = 4
    assert [(d.day, d.dau, d.wau, d.mau) for d in days] == [
        (date(2024, 5, 6), 2, 3, 4), (date(2024, 5, 7), 1, 3, 3), (date(2024, 5, 8), 2, 4, 4)]
    assert [d.dau_mau for d in days] == [0.5, pytest.approx(1 / 3), 0.5]
