"""docs/metrics.md and /api/catalogue, written from the catalogue itself."""

from __future__ import annotations

from typing import Any

from growthos.metrics.catalogue import CATALOGUE

_INTRO = """# Metrics

Every KPI GrowthOS shows is defined once, in `src/growthos/metrics/catalogue.py`; this page is
generated from it (`growthos catalogue --markdown > docs/metrics.md`) and a test keeps the two equal.

Conventions:
- Amounts are in the reporting currency; other currencies are converted at the configured rates.
- A period is a range of days in the reporting time zone; every KPI is compared with the previous
  period of equal length.
- Orders count when placed in the period; test and cancelled orders are excluded. Refunds are booked
  against the order's own day, so a past period's net revenue falls when a later refund arrives.
- A ratio whose denominator is zero or missing is empty (null), never an error.
- Peers disagree on some names, so here they are plainly: **MER** is net revenue of all channels over
  the ad spend of all paid channels (some call it blended ROAS); **platform ROAS** is what the ad
  platforms themselves report; **nCAC** is all ad spend over new customers (first-ever order);
  **contribution margin** is after COGS, shipping, payment fees and ad spend.
- COGS, per order line: quantity × the variant's unit cost (Shopify `inventoryItem.unitCost`, its current
  value, converted at the configured rate of its currency) when the variant has one; otherwise list price
  × quantity × (1 − gross margin of the product type) from `category_margins` (`default_margin` for other
  types). `fact_orders.cogs_from_unit_cost` is the part priced from unit costs (each line's source is in
  `stg_order_lines.cost_source`: `unit_cost` or `category_margin`). Shipping cost and payment fees
  (rate × amount charged + fixed fee) are settings.
- LTV at N days looks at the customers whose N-day window (the day of the first order is day 1) ends in
  the period, so that every window counted is complete.
- Snapshot diffs (`growthos diff`, `/api/snapshots/diff`): relative change is empty when the base is 0;
  a change is tested by a test suited to the KPI (two proportions for rates, an exact Poisson test for
  counts, Welch or a normal test for sums and means), with Benjamini–Hochberg across the diff's KPIs
  (significant at q ≤ 0.05); KPIs without a sampling model count as moved from a 10% change. The trend
  follows the KPI's polarity (a cost going down is improving). **Health score** = round(100 × Σ weight ×
  points / Σ weight) over the key KPIs (weights in `analysis/health.py`), points 1 when improving, 0.75
  when stable, 0 when declining: all stable scores 75.

| name | label | unit | up is | formula |
|---|---|---|---|---|
"""


def catalogue_json() -> list[dict[str, Any]]:
    return [
        {"name": m.name, "label": m.label, "formula": m.formula, "unit": m.unit, "polarity": m.polarity,
         "format": m.format, "decimals": m.decimals}
        for m in CATALOGUE.values()
    ]


def catalogue_markdown() -> str:
    polarity = {"up": "good", "down": "bad", "neutral": "neutral"}
    rows = [
        f"| `{m.name}` | {m.label} | {m.unit} | {polarity[m.polarity]} | {m.formula} |"
        for m in CATALOGUE.values()
    ]
    return _INTRO + "\n".join(rows) + "\n"
