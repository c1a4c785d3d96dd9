"""Snapshot breakdowns by traffic source, product feature and customer segment, on fixtures counted by hand.

Traffic (GA4 rows; this week 2026-02-02..02-08, the previous week 01-26..02-01; sessions / engaged /
purchases / purchase revenue):

  facebook / paid_social  now 50/30/2/80.00 (02-02) + 30/20/1/45.50 (02-04) = 80/50/3/125.50; before 40/10/0/0
  google / organic        now 40/30/2/60.00;  before 60/40/3/90.00
  bing / cpc              now 10/5/1/20.00;   before none
  (direct) / (none)       now 5/1/0/0;        before 20/8/1/30.00

With two sources kept, bing and direct fold into "(other)": now 15/6/1/20.00, before 20/8/1/30.00.
"""

from __future__ import annotations

from datetime import date

import pytest
from fixtures.events import ny, page, track, write
from fixtures.shopify import customer, ga4_row, order

from growthos.analysis import breakdowns
from growthos.analysis.breakdowns import BREAKDOWNS, PeriodPair, feature_use, snapshot_breakdowns, traffic_sources
from growthos.core.periods import DateRange

WEEK = DateRange(date(2026, 2, 2), date(2026, 2, 8))
BEFORE = DateRange(date(2026, 1, 26), date(2026, 2, 1))


def traffic():
    return [
        ga4_row("2026-02-02", "facebook", "paid_social", "Prospecting", 50, engaged=30, purchases=2, revenue="80.00"),
        ga4_row("2026-02-04", "facebook", "paid_social", "Prospecting", 30, engaged=20, purchases=1, revenue="45.50"),
        ga4_row("2026-01-27", "facebook", "paid_social", "Prospecting", 40, engaged=10),
        ga4_row("2026-02-05", "google", "organic", "(organic)", 40, engaged=30, purchases=2, revenue="60.00"),
        ga4_row("2026-01-26", "google", "organic", "(organic)", 60, engaged=40, purchases=3, revenue="90.00"),
        ga4_row("2026-02-06", "bing", "cpc", "Brand", 10, engaged=5, purchases=1, revenue="20.00"),
        ga4_row("2026-02-07", "(direct)", "(none)", "(direct)", 5, engaged=1),
        ga4_row("2026-02-01", "(direct)", "(none)", "(direct)", 20, engaged=8, purchases=1, revenue="30.00"),
        ga4_row("2026-01-25", "google", "organic", "(organic)", 99, engaged=99),  # before both weeks: ignored
    ]


def pair(engine, features=None, current=WEEK, previous=BEFORE) -> PeriodPair:
    return PeriodPair(engine, current, previous, date(2026, 2, 9), "America/New_York", features or {})


def kpis(rows):
    return {r["label"]: {n: (v["value"], v["previous"]) for n, v in r["kpis"].items()} for r in rows}


def test_traffic_sources_by_hand(engine, build_from, monkeypatch) -> None:
    build_from(traffic())
    monkeypatch.setattr(breakdowns, "TOP_SOURCES", 2)
    rows = traffic_sources(pair(engine))
    assert [r["label"] for r in rows] == ["facebook / paid_social", "google / organic", "(other)"]
    got = kpis(rows)
    assert got["facebook / paid_social"] == {
        "sessions": (80, 40), "engagement_rate": (50 / 80, 10 / 40), "purchases": (3, 0),
        "purchase_revenue": (125.50, 0), "conversion_rate": (3 / 80, 0.0)}
    assert got["google / organic"]["conversion_rate"] == (pytest.approx(2 / 40), pytest.approx(3 / 60))
    assert got["(other)"] == {
        "sessions": (15, 20), "engagement_rate": (0.4, 0.4), "purchases": (1, 1), "purchase_revenue": (20.0, 30.0),
        "conversion_rate": (pytest.approx(1 / 15, abs=1e-6), 0.05)}
    facebook = rows[0]["kpis"]["sessions"]
    assert (facebook["change"], facebook["growth_rate"]) == (40, 1.0)


def test_all_sources_when_few(engine, build_from) -> None:
    build_from(traffic())
    labels = [r["label"] for r in traffic_sources(pair(engine))]
    assert labels == ["facebook / paid_social", "google / organic", "bing / cpc", "(direct) / (none)"]


# Feature usage (New York days, May 2024; this week 05-06..05-12, the week before 04-29..05-05):
#   u1 Search 05-06, Search 05-07; u2 Search 05-08, Export CSV 05-08; u3 page view 05-09 (active, no feature)
#   before: u1 Search 05-01; u4 Export CSV 05-02 and 05-03
# now: active 3; search users 2 (adoption 2/3), events 3, repeat 1 (u1); export users 1 (1/3), events 1, repeat 0
# before: active 2; search 1 (1/2), events 1, repeat 0; export 1 (1/2), events 2, repeat 1 (u4)
MAY = DateRange(date(2024, 5, 6), date(2024, 5, 12))
APRIL = DateRange(date(2024, 4, 29), date(2024, 5, 5))


def usage_events():
    return [
        track("Search", ny(5, 6), user="u1"), track("Search", ny(5, 7), user="u1"),
        track("Search", ny(5, 8), user="u2"), track("Export CSV", ny(5, 8, 13), user="u2"), page(ny(5, 9), user="u3"),
        track("Search", ny(5, 1), user="u1"),
        track("Export CSV", ny(5, 2), user="u4"), track("Export CSV", ny(5, 3), user="u4"),
    ]


def test_feature_usage_of_named_features(engine) -> None:
    write(engine, usage_events())
    rows = feature_use(pair(engine, {"search": ["Search"], "export": ["Export CSV"]}, MAY, APRIL))
    assert [r["label"] for r in rows] == ["search", "export"]
    got = kpis(rows)
    assert got["search"] == {"users": (2, 1), "adoption": (pytest.approx(2 / 3, abs=1e-6), 0.5), "events": (3, 1),
                             "repeat_users": (1, 0)}
    assert got["export"] == {"users": (1, 1), "adoption": (pytest.approx(1 / 3, abs=1e-6), 0.5), "events": (1, 2),
                             "repeat_users": (0, 1)}


def test_feature_usage_defaults_to_the_most_frequent_events(engine) -> None:
    write(engine, usage_events())
    rows = feature_use(pair(engine, None, MAY, APRIL))
    assert [r["label"] for r in rows] == ["Search", "Export CSV"]


def test_no_collected_events_no_feature_rows(engine, build_from) -> None:
    build_from(traffic())
    assert feature_use(pair(engine)) == []


def test_guest_checkouts_are_a_segment(engine, build_from) -> None:
    # c1's first order 02-03 (new, net 40), c1 again 02-05 (returning, net 25), a guest order 02-04 (net 30)
    build_from([
        customer(1, "2026-02-03T14:00:00Z"),
        order(1, "2026-02-03T15:00:00Z", 1, [("Pantry", 1, "40.00", "0")]),
        order(2, "2026-02-05T15:00:00Z", 1, [("Pantry", 1, "25.00", "0")]),
        order(3, "2026-02-04T15:00:00Z", None, [("Pantry", 1, "30.00", "0")]),
    ])
    rows = snapshot_breakdowns(pair(engine))["segment"]
    got = {r["key"]: (r["label"], r["kpis"]["net_revenue"]["value"], r["kpis"]["orders"]["value"]) for r in rows}
    assert got == {"new": ("New customers", 40.0, 1), "guest": ("Guest checkouts", 30.0, 1),
                   "returning": ("Returning customers", 25.0, 1)}
    assert [r["key"] for r in rows] == ["new", "guest", "returning"]


def test_every_breakdown_describes_its_columns(engine, build_from) -> None:
    build_from(traffic())
    write(engine, usage_events())
    result = snapshot_breakdowns(pair(engine))
    assert set(result) == set(BREAKDOWNS) == {"channel", "campaign", "segment", "traffic_source", "feature_usage"}
    for name, rows in result.items():
        columns = [c.name for c in BREAKDOWNS[name].columns]
        for row in rows:
            assert list(row["kpis"]) == columns, name
