"""The shop's purchases from fact_orders (per customer and reporting day, net revenue, guests left out) and the
per-cohort comparison of observed and predicted LTV, by hand."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest

from growthos.analysis.ltv import Transaction
from growthos.analysis.ltv.shop import cohort_comparison, shop_transactions


def test_shop_purchases_from_fact_orders(engine):
    engine.execute("CREATE TABLE fact_orders (customer_id VARCHAR, order_date DATE, net_revenue DECIMAL(18, 4))")
    engine.execute("""INSERT INTO fact_orders VALUES
        ('c1', DATE '2026-01-05', 40.00), ('c1', DATE '2026-01-05', 10.50),   -- one day: 50.50
        ('c1', DATE '2026-01-20', -15.00),                                    -- refunds beyond sales: 0
        ('c2', DATE '2026-01-07', 25.00),
        (NULL, DATE '2026-01-07', 99.00),                                     -- a guest
        ('c2', DATE '2026-02-01', 30.00)                                      -- after the last day""")
    assert shop_transactions(engine, date(2026, 1, 31)) == [
        Transaction("c1", date(2026, 1, 5), 50.5), Transaction("c1", date(2026, 1, 20), 0.0),
        Transaction("c2", date(2026, 1, 7), 25.0),
    ]


def test_cohort_comparison_by_hand():
    """Customers 0, 1 first bought in January (CLV 100 and 50 → mean 75; P(alive) 0.9, 0.5 → 0.7), customer 2
    in February (CLV 20). January's observed LTV to date 120 → projected 195; March has no modelled customer."""
    result = SimpleNamespace(
        summaries=SimpleNamespace(first_purchase=[date(2026, 1, 3), date(2026, 1, 30), date(2026, 2, 14)]),
        clv=np.array([100.0, 50.0, 20.0]), p_alive=np.array([0.9, 0.5, 1.0]))
    rows = [{"cohort_month": "2026-01-01", "customers": 2, "ltv": [80.0, 120.0]},
            {"cohort_month": "2026-02-01", "customers": 1, "ltv": [30.0]},
            {"cohort_month": "2026-03-01", "customers": 4, "ltv": [10.0]}]
    jan, feb, mar = cohort_comparison(result, rows)
    assert jan == {"cohort_month": "2026-01-01", "customers": 2, "observed_ltv": 120.0, "predicted_clv": 75.0,
                   "mean_p_alive": pytest.approx(0.7), "projected_ltv": 195.0}
    assert feb["predicted_clv"] == 20.0 and feb["projected_ltv"] == 50.0
    assert mar["predicted_clv"] is None and mar["projected_ltv"] is None and mar["observed_ltv"] == 10.0
