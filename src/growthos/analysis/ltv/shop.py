"""Predicted LTV of the shop's own customers (from fact_orders), next to the cohort LTV observed so far.

A purchase is a customer's orders of one reporting day, worth their net revenue (gross sales - discounts -
refunds) — the amount the cohort LTV adds up. A day whose refunds exceed its sales counts as a purchase worth 0.
Guest orders (no customer) are left out."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np

from growthos.analysis.ltv.predict import LtvResult, predict_ltv, rounded
from growthos.analysis.ltv.transactions import Transaction
from growthos.metrics.cohorts import cohorts
from growthos.warehouse.engine import Engine

SHOP_PURCHASES_SQL = """
SELECT CAST(customer_id AS VARCHAR) AS customer_id, order_date, CAST(sum(net_revenue) AS DOUBLE) AS amount
FROM fact_orders
WHERE customer_id IS NOT NULL AND order_date <= $last_day
GROUP BY customer_id, order_date
ORDER BY customer_id, order_date
"""


def shop_transactions(engine: Engine, last_day: date) -> list[Transaction]:
    """One transaction per customer and order day up to ``last_day``, negative days clipped to 0."""
    table = engine.query(SHOP_PURCHASES_SQL, {"last_day": last_day})
    return [Transaction(row["customer_id"], row["order_date"], max(float(row["amount"] or 0.0), 0.0))
            for row in table.to_pylist()]


def shop_ltv_result(engine: Engine, last_full_day: date, time_unit: str = "week", horizon_months: int = 12,
                    monthly_discount_rate: float = 0.0) -> LtvResult:
    """Both models fitted on the shop's customers, observed up to the last full day."""
    return predict_ltv(shop_transactions(engine, last_full_day), last_full_day, time_unit, horizon_months,
                       monthly_discount_rate)


def shop_ltv(engine: Engine, last_full_day: date, time_unit: str = "week", horizon_months: int = 12,
             monthly_discount_rate: float = 0.0, top: int = 20) -> dict[str, Any]:
    """As LtvResult.as_dict (top customers only), plus per acquisition cohort the LTV observed so far (the
    cohorts page's cumulative net revenue per customer) and the CLV predicted for the next months."""
    result = shop_ltv_result(engine, last_full_day, time_unit, horizon_months, monthly_discount_rate)
    answer = result.as_dict(limit=top)
    answer["cohorts"] = cohort_comparison(result, cohorts(engine)["cohorts"])
    observed = [c for c in answer["cohorts"] if c["observed_ltv"] is not None]
    weight = sum(c["customers"] for c in observed)
    answer["summary"]["mean_observed_ltv"] = (
        rounded(sum(c["observed_ltv"] * c["customers"] for c in observed) / weight) if weight else None)
    return answer


def cohort_comparison(result: LtvResult, cohort_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per cohort month: customers, observed LTV to date, mean predicted CLV of the next horizon months, and
    their sum (the projected LTV at the horizon's end)."""
    s = result.summaries
    members: dict[str, list[int]] = defaultdict(list)
    for i, first in enumerate(s.first_purchase):
        members[first.replace(day=1).isoformat()].append(i)
    out = []
    for cohort in cohort_rows:
        idx = members.get(cohort["cohort_month"], [])
        values = result.clv[idx] if idx else np.array([])
        values = values[~np.isnan(values)]
        predicted = rounded(values.mean()) if values.size else None
        observed = cohort["ltv"][-1] if cohort["ltv"] else None
        out.append({
            "cohort_month": cohort["cohort_month"], "customers": cohort["customers"],
            "observed_ltv": observed, "predicted_clv": predicted,
            "mean_p_alive": rounded(result.p_alive[idx].mean()) if idx else None,
            "projected_ltv": None if observed is None or predicted is None else rounded(observed + predicted),
        })
    return out
