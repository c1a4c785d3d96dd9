"""Unit economics: the average order's waterfall from gross sales to contribution after marketing."""

from __future__ import annotations

from typing import Any

from growthos.core.periods import DateRange
from growthos.metrics.catalogue import ratio
from growthos.metrics.queries import TOTAL_KEY, compute_bases
from growthos.warehouse.engine import Engine

# (key, label, base aggregate, sign): each step adds sign x base / orders to the running total.
WATERFALL = (
    ("gross_sales", "Gross sales", "gross_sales", 1),
    ("discounts", "Discounts", "discounts", -1),
    ("refunds", "Refunds", "refunds", -1),
    ("cogs", "COGS", "cogs", -1),
    ("shipping", "Shipping (cost − charged)", "net_shipping", -1),
    ("payment_fees", "Payment fees", "payment_fees", -1),
    ("marketing", "Marketing (ad spend)", "ad_spend", -1),
)


def unit_economics(engine: Engine, rng: DateRange, last_full_day) -> dict[str, Any]:
    """Per-order amounts of each step and the running total after it; the last total is the
    contribution per order after marketing, equal to contribution margin ÷ orders."""
    needs = frozenset({"gross_sales", "discounts", "refunds", "net_revenue", "orders", "cogs", "shipping_cost",
                       "shipping_revenue", "payment_fees", "contribution_before_marketing", "ad_spend"})
    bases = compute_bases(engine, rng, "total", last_full_day, needs)[TOTAL_KEY]
    values = {k: (v or 0.0) for k, v in bases.items()}
    values["net_shipping"] = values.get("shipping_cost", 0.0) - values.get("shipping_revenue", 0.0)
    orders = values.get("orders", 0.0)
    steps, running = [], 0.0
    for key, label, base, sign in WATERFALL:
        per_order = ratio(values.get(base, 0.0), orders)
        total = values.get(base, 0.0)
        running += sign * (per_order or 0.0)
        steps.append({"step": key, "label": label, "total": sign * total,
                      "per_order": None if per_order is None else sign * per_order,
                      "share_of_gross": ratio(sign * total, values.get("gross_sales"))})
        if key == "refunds":
            steps.append({"step": "net_revenue", "label": "Net revenue", "total": values.get("net_revenue", 0.0),
                          "per_order": ratio(values.get("net_revenue"), orders), "subtotal": True,
                          "share_of_gross": ratio(values.get("net_revenue"), values.get("gross_sales"))})
    contribution = values.get("contribution_before_marketing", 0.0) - values.get("ad_spend", 0.0)
    steps.append({"step": "contribution", "label": "Contribution", "total": contribution,
                  "per_order": ratio(contribution, orders) if orders else None, "subtotal": True,
                  "share_of_gross": ratio(contribution, values.get("gross_sales"))})
    return {"from": rng.start.isoformat(), "to": rng.end.isoformat(), "orders": orders, "steps": steps}
