"""Diff of two metric maps: relative change with a zero base, trend by polarity, BH across metrics, impact;
breakdowns side by side."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from growthos.analysis.diff import diff_breakdowns, diff_metrics, relative_change, trend_of
from growthos.analysis.significance import benjamini_hochberg, two_proportion_test
from growthos.analysis.snapshots import Snapshot


def entry(value, polarity="up", test=None, sample=None, label=None):
    return {"value": value, "polarity": polarity, "label": label or "x", "unit": "count", "test": test,
            "sample": sample}


def test_relative_change_with_a_zero_base() -> None:
    assert relative_change(0.0, 5.0) == (None, "the base value is 0")
    assert relative_change(0.0, 0.0) == (0.0, None)
    assert relative_change(None, 5.0) == (None, "a value is missing")
    assert relative_change(-4.0, -2.0) == (0.5, None)  # measured against |base|


def test_trend_follows_polarity() -> None:
    assert trend_of("up", 5.0, True) == "improving"
    assert trend_of("up", -5.0, True) == "declining"
    assert trend_of("down", -5.0, True) == "improving"  # a cost going down is improving
    assert trend_of("down", 5.0, True) == "declining"
    assert trend_of("neutral", 5.0, True) == "stable"
    assert trend_of("up", 5.0, False) == "stable"


def test_diff_uses_tests_and_bh_across_metrics() -> None:
    small = ({"successes": 2, "trials": 10}, {"successes": 4, "trials": 10})
    large = ({"successes": 20_000, "trials": 100_000}, {"successes": 20_600, "trials": 100_000})
    a = {"small": entry(0.2, test="proportion", sample=small[0]),
         "large": entry(0.2, test="proportion", sample=large[0]),
         "ncac": entry(50.0, polarity="down"),
         "new": entry(0.0)}
    b = {"small": entry(0.4, test="proportion", sample=small[1]),
         "large": entry(0.206, test="proportion", sample=large[1]),
         "ncac": entry(40.0, polarity="down"),
         "new": entry(3.0)}
    got = {m.name: m for m in diff_metrics(a, b)}
    p_small, p_large = two_proportion_test(2, 10, 4, 10), two_proportion_test(20_000, 100_000, 20_600, 100_000)
    q_small, q_large = benjamini_hochberg([p_small, p_large])
    assert got["small"].p_value == pytest.approx(p_small) and got["small"].q_value == pytest.approx(q_small)
    assert got["large"].q_value == pytest.approx(q_large) == pytest.approx(p_large * 2)
    assert got["small"].trend == "stable" and got["small"].significant is False
    assert got["large"].trend == "improving" and got["large"].significant is True
    assert got["large"].relative_change == pytest.approx(0.03)
    # untested: the conservative fallback (a material move of at least 10%), a cost going down improves
    assert got["ncac"].basis == "threshold" and got["ncac"].p_value is None and got["ncac"].significant is None
    assert got["ncac"].trend == "improving" and got["ncac"].impact == pytest.approx(2.0 * 0.2)
    assert got["new"].relative_change is None and got["new"].relative_change_reason == "the base value is 0"
    assert got["new"].change == 3.0 and got["new"].impact == 1.0


def snapshot(breakdowns, columns=None):
    return Snapshot(period_kind="week", period_start=date(2026, 2, 2), period_end=date(2026, 2, 8),
                    previous_start=date(2026, 1, 26), previous_end=date(2026, 2, 1),
                    taken_at=datetime(2026, 2, 9, tzinfo=UTC), timezone="UTC", currency="USD", kpis={}, aarrr={},
                    breakdowns=breakdowns, breakdown_columns=columns or {})


def row(key, label, **values):
    return {"key": key, "label": label, "kpis": {n: {"value": v} for n, v in values.items()}}


def test_breakdowns_side_by_side() -> None:
    columns = {"segment": [{"name": "net_revenue", "label": "Net revenue", "format": "currency", "polarity": "up"}]}
    a = snapshot({"segment": [row("new", "New", net_revenue=100.0), row("guest", "Guest", net_revenue=40.0)],
                  "feature_usage": []})
    b = snapshot({"segment": [row("returning", "Returning", net_revenue=300.0), row("new", "New", net_revenue=0.0)]},
                 columns)
    result = diff_breakdowns(a, b)
    assert list(result) == ["segment"]  # only breakdowns both snapshots have
    assert result["segment"]["columns"] == columns["segment"]
    rows = {r["key"]: r for r in result["segment"]["rows"]}
    assert [r["key"] for r in result["segment"]["rows"]] == ["returning", "new", "guest"]  # b's order, then a's
    assert (rows["new"]["a"], rows["new"]["b"]) == ({"net_revenue": 100.0}, {"net_revenue": 0.0})
    assert rows["new"]["change"] == {"net_revenue": -100.0}
    assert rows["new"]["relative_change"] == {"net_revenue": -1.0}
    assert rows["returning"]["a"] == {"net_revenue": None} and rows["returning"]["change"] == {"net_revenue": None}
    assert rows["guest"]["b"] == {"net_revenue": None} and rows["guest"]["label"] == "Guest"


def test_breakdowns_of_snapshots_without_columns_use_the_catalogue() -> None:
    a = snapshot({"channel": [row("meta", "Meta Ads", orders=4.0)]})
    b = snapshot({"channel": [row("meta", "Meta Ads", orders=6.0)]})
    result = diff_breakdowns(a, b)["channel"]
    assert result["columns"] == [{"name": "orders", "label": "Orders", "format": "integer", "polarity": "up"}]
    assert result["rows"][0]["relative_change"] == {"orders": 0.5}
