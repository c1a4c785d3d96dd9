"""Explain: contributions sum to the total change and match parts computed by hand on a tiny fixture."""

from __future__ import annotations

import pytest

from growthos.analysis.explain import decompose
from growthos.core.errors import InvalidInput

BEFORE = {"meta": {"net_revenue": 300.0, "ad_spend": 100.0, "orders": 6.0},
          "google_ads": {"net_revenue": 200.0, "ad_spend": 100.0, "orders": 4.0},
          "direct": {"net_revenue": 100.0, "orders": 2.0}}
NOW = {"meta": {"net_revenue": 330.0, "ad_spend": 150.0, "orders": 6.0},
       "google_ads": {"net_revenue": 200.0, "ad_spend": 50.0, "orders": 5.0},
       "direct": {"net_revenue": 70.0, "orders": 1.0}}


def by_key(rows):
    return {r["key"]: r for r in rows}


def test_additive_parts() -> None:
    method, now, before, rows = decompose("net_revenue", NOW, BEFORE)
    assert (method, now, before) == ("additive", 600.0, 600.0)
    parts = by_key(rows)
    assert parts["meta"]["contribution"] == 30.0
    assert parts["google_ads"]["contribution"] == 0.0
    assert parts["direct"]["contribution"] == -30.0
    assert sum(r["contribution"] for r in rows) == now - before


def test_ratio_parts_by_hand() -> None:
    # MER before = 600 / 200 = 3, now = 600 / 200 = 3 (total change 0); D1 = 200
    # meta: (30 - 3 × 50) / 200 = -0.6; google: (0 - 3 × -50) / 200 = 0.75; direct: -30 / 200 = -0.15
    method, now, before, rows = decompose("mer", NOW, BEFORE)
    assert (method, now, before) == ("ratio", 3.0, 3.0)
    parts = by_key(rows)
    assert parts["meta"]["contribution"] == pytest.approx(-0.6)
    assert parts["meta"]["numerator_effect"] == pytest.approx(0.15)
    assert parts["meta"]["denominator_effect"] == pytest.approx(-0.75)
    assert parts["google_ads"]["contribution"] == pytest.approx(0.75)
    assert parts["direct"]["contribution"] == pytest.approx(-0.15)
    assert parts["direct"]["value"] is None  # no spend: no channel MER, but a contribution all the same
    assert sum(r["contribution"] for r in rows) == pytest.approx(now - before)


def test_aov_sums_to_the_total_change() -> None:
    # AOV before 600 / 12 = 50, now 600 / 12 = 50 ... change the orders to get a non-zero total
    now_bases = {**NOW, "direct": {"net_revenue": 70.0, "orders": 3.0}}
    method, now, before, rows = decompose("aov", now_bases, BEFORE)
    assert now == pytest.approx(600 / 14) and before == pytest.approx(50.0)
    assert sum(r["contribution"] for r in rows) == pytest.approx(now - before)
    # direct: (ΔN − R0·ΔD) / D1 = (-30 − 50 × 1) / 14
    assert by_key(rows)["direct"]["contribution"] == pytest.approx(-80 / 14)


def test_non_decomposable_metric_is_refused() -> None:
    with pytest.raises(InvalidInput):
        decompose("returning_customer_rate", NOW, BEFORE)
    with pytest.raises(InvalidInput):
        decompose("mer", {"x": {"net_revenue": 1.0}}, BEFORE)
