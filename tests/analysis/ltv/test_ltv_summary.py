"""The per-customer summary on four customers, by hand (observation end 2024-01-29, weeks unless said):

  A  01-01 $10 and $5 (one purchase day: $15), 01-08 $20, 01-15 $30 and $10 ($40), 02-05 $70 (after the end)
     → x = 2, t_x = 14 days = 2 weeks, T = 28 days = 4 weeks, mean repeat value (20 + 40) / 2 = 30
  B  01-10 $50                       → x = 0, t_x = 0, T = 19 / 7 = 2.714286, value 0
  C  01-05 $12, 01-29 $0             → x = 1, t_x = T = 24 / 7 = 3.428571, value 0 (the repeat was worth $0)
  D  02-02 $99 (after the end)       → not a customer yet
"""

from __future__ import annotations

from datetime import date

import pytest

from growthos.analysis.ltv import Transaction, summarise
from growthos.core.errors import InvalidInput

END = date(2024, 1, 29)


def log() -> list[Transaction]:
    rows = [("A", "2024-01-01", 10), ("A", "2024-01-01", 5), ("A", "2024-01-08", 20), ("A", "2024-01-15", 30),
            ("A", "2024-01-15", 10), ("A", "2024-02-05", 70), ("B", "2024-01-10", 50), ("C", "2024-01-05", 12),
            ("C", "2024-01-29", 0), ("D", "2024-02-02", 99)]
    return [Transaction(c, date.fromisoformat(d), float(a)) for c, d, a in rows]


def by_customer(s) -> dict[str, tuple[float, float, float, float]]:
    return {c: (s.frequency[i], s.recency[i], s.age[i], s.monetary_value[i]) for i, c in enumerate(s.customer_ids)}


def test_weeks_by_hand():
    s = by_customer(summarise(log(), END, "week"))
    assert set(s) == {"A", "B", "C"}
    assert s["A"] == pytest.approx((2, 2, 4, 30))
    assert s["B"] == pytest.approx((0, 0, 19 / 7, 0))
    assert s["C"] == pytest.approx((1, 24 / 7, 24 / 7, 0))


def test_days_by_hand():
    s = by_customer(summarise(log(), END, "day"))
    assert s["A"] == pytest.approx((2, 14, 28, 30))
    assert s["B"] == pytest.approx((0, 0, 19, 0))


def test_default_end_is_the_last_purchase():
    """End 2024-02-05: A's 02-05 purchase ($70) counts → x = 3, t_x = T = 35 days, value (20 + 40 + 70) / 3;
    D (02-02) is a customer of age 3 days."""
    s = summarise(log(), time_unit="day")
    assert s.observation_end == date(2024, 2, 5)
    rows = by_customer(s)
    assert rows["A"] == pytest.approx((3, 35, 35, 130 / 3))
    assert rows["D"] == pytest.approx((0, 0, 3, 0))


def test_bad_summary_input():
    with pytest.raises(InvalidInput) as empty:
        summarise([])
    assert empty.value.field == "transactions"
    with pytest.raises(InvalidInput) as early:
        summarise(log(), date(2023, 12, 31))
    assert early.value.field == "observation_end" and "2024-01-01" in early.value.message
    with pytest.raises(InvalidInput) as unit:
        summarise(log(), END, "month")
    assert unit.value.field == "time_unit"
