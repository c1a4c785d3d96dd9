"""A snapshot of the demo workspace: every catalogue KPI and the AARRR metrics, complete periods, JSON round trip."""

from __future__ import annotations

import json
from datetime import date

import pytest

from growthos.analysis.snapshots import Snapshot, period_bounds, previous_period, take_snapshot
from growthos.core.errors import InvalidInput
from growthos.core.periods import DateRange
from growthos.metrics.catalogue import CATALOGUE
from growthos.metrics.evaluate import summary
from growthos.workspace import Workspace


def test_periods_are_complete_calendar_periods() -> None:
    last = date(2026, 2, 9)  # a Monday
    assert period_bounds("day", last) == DateRange(last, last)
    assert period_bounds("week", last) == DateRange(date(2026, 2, 2), date(2026, 2, 8))
    assert period_bounds("month", last) == DateRange(date(2026, 1, 1), date(2026, 1, 31))
    assert period_bounds("quarter", last) == DateRange(date(2025, 10, 1), date(2025, 12, 31))
    assert period_bounds("month", last, date(2025, 2, 14)) == DateRange(date(2025, 2, 1), date(2025, 2, 28))
    assert previous_period("month", DateRange(date(2026, 3, 1), date(2026, 3, 31))) == \
        DateRange(date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(InvalidInput) as exc:
        period_bounds("week", last, date(2026, 2, 9))
    assert exc.value.field == "end"
    with pytest.raises(InvalidInput):
        period_bounds("year", last)


def test_demo_snapshot_has_every_kpi(live_server) -> None:
    settings = live_server.settings
    with live_server.app.state.growthos.reader() as engine:
        snap = take_snapshot(engine, settings, "week")
        expected = summary(engine, DateRange(snap.period_start, snap.period_end), date(2026, 2, 9))
    assert (snap.period_start, snap.period_end) == (date(2026, 2, 2), date(2026, 2, 8))
    assert (snap.previous_start, snap.previous_end) == (date(2026, 1, 26), date(2026, 2, 1))
    assert set(snap.kpis) == set(CATALOGUE)
    for name, kpi in snap.kpis.items():  # the same values as /api/metrics/summary for the same range
        assert kpi["value"] == expected["kpis"][name]["value"], name
        assert kpi["previous"] == expected["kpis"][name]["previous"], name
        assert kpi["unit"] == CATALOGUE[name].unit and kpi["polarity"] == CATALOGUE[name].polarity
    assert snap.kpis["conversion_rate"]["numerator"] == snap.kpis["orders"]["value"]
    assert snap.kpis["conversion_rate"]["denominator"] == snap.kpis["sessions"]["value"]
    assert snap.kpis["orders"]["test"] == "poisson" and snap.kpis["aov"]["test"] == "welch"
    assert {"new_users", "activated_users", "retained_users", "referred_users", "revenue"} <= set(snap.aarrr)
    assert snap.aarrr["new_users"]["value"] > 0 and snap.aarrr["revenue"]["value"] == snap.kpis["net_revenue"]["value"]
    assert snap.aarrr["activation_rate"]["value"] == pytest.approx(
        snap.aarrr["activated_users"]["value"] / snap.aarrr["new_users"]["value"], abs=1e-6)
    for by in ("channel", "segment"):  # both split every order
        rows = snap.breakdowns[by]
        assert sum(r["kpis"]["net_revenue"]["value"] for r in rows) == pytest.approx(snap.kpis["net_revenue"]["value"])
        assert sum(r["kpis"]["orders"]["previous"] for r in rows) == snap.kpis["orders"]["previous"]
    assert sum(r["kpis"]["sessions"]["value"] for r in snap.breakdowns["traffic_source"]) == \
        snap.kpis["sessions"]["value"]
    features = {r["label"]: r["kpis"] for r in snap.breakdowns["feature_usage"]}
    assert set(features) == set(settings.product_features)  # the demo workspace names its features
    assert all(0 < f["adoption"]["value"] <= 1 for f in features.values())
    assert [c["name"] for c in snap.breakdown_columns["segment"]] == list(snap.breakdowns["segment"][0]["kpis"])
    round_trip = Snapshot.from_dict(json.loads(json.dumps(snap.to_dict())))
    assert round_trip == snap


def test_workspace_snapshot_by_end_date(live_server) -> None:
    with Workspace(live_server.settings) as ws, live_server.app.state.growthos.reader() as engine:
        snap = take_snapshot(engine, ws.settings, "month", date(2026, 1, 15))
    assert (snap.period_start, snap.period_end, snap.days) == (date(2026, 1, 1), date(2026, 1, 31), 31)
    assert snap.kpis["orders"]["sample"] == {"count": snap.kpis["orders"]["value"], "exposure": 31.0}

