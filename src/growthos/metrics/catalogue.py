"""The metric catalogue: every KPI defined once. The API, pages, alerts, snapshots and reports read it.

A metric is either a base aggregate (summed or counted in the warehouse, see queries.py) or derived
from base aggregates by ``compute``; a ratio whose denominator is zero or missing is None.
docs/metrics.md is written from this file (``growthos catalogue --markdown``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from growthos.core.errors import InvalidInput

Unit = Literal["currency", "count", "ratio", "multiple", "days"]
Polarity = Literal["up", "down", "neutral"]
Bases = Mapping[str, float | None]


@dataclass(frozen=True)
class Metric:
    name: str
    """Snake-case identifier used by the API, CLI and alerts."""
    label: str
    """Human name shown on cards and tables."""
    formula: str
    """The definition in words and symbols, shown in tooltips and docs/metrics.md."""
    unit: Unit
    """currency (reporting currency), count, ratio (0..1, shown as %), multiple (x), days."""
    polarity: Polarity
    """Whether an increase is good (up), bad (down) or neither (neutral)."""
    compute: Callable[[Bases], float | None]
    """Value from the base aggregates of one period and group."""
    needs: tuple[str, ...]
    """Base aggregates the metric reads."""
    decimals: int = 2
    """Decimals shown in formatted output."""

    @property
    def format(self) -> str:
        return {"currency": "currency", "count": "integer", "ratio": "percent", "multiple": "multiple",
                "days": "integer"}[self.unit] if self.decimals else "integer"


def ratio(num: float | None, den: float | None, scale: float = 1.0) -> float | None:
    """num / den, or None when either is missing or the denominator is zero."""
    if num is None or den is None or den == 0:
        return None
    return num / den * scale


def _minus(a: float | None, *rest: float | None) -> float | None:
    if a is None or any(r is None for r in rest):
        return None
    return a - sum(r for r in rest if r is not None)


def _base(name: str, label: str, formula: str, unit: Unit, polarity: Polarity, decimals: int = 2) -> Metric:
    return Metric(name, label, formula, unit, polarity, lambda b: b.get(name), (name,), decimals)


def _ratio_metric(
    name: str, label: str, formula: str, unit: Unit, polarity: Polarity, num: str, den: str,
    scale: float = 1.0, decimals: int = 2,
) -> Metric:
    return Metric(
        name, label, formula, unit, polarity, lambda b: ratio(b.get(num), b.get(den), scale), (num, den), decimals
    )


_METRICS: list[Metric] = [
    _base("gross_sales", "Gross sales", "Σ line items' list price × quantity, before discounts, refunds, "
          "shipping and taxes (orders placed in the period, test and cancelled orders excluded)", "currency", "up"),
    _base("discounts", "Discounts", "Σ discounts allocated to the period's orders", "currency", "neutral"),
    _base("refunds", "Refunds", "Σ refunded line-item amounts of the period's orders (booked against the order's "
          "day)", "currency", "down"),
    _base("net_revenue", "Net revenue", "gross sales − discounts − refunds (excludes shipping and taxes)",
          "currency", "up"),
    _base("orders", "Orders", "count of orders placed in the period (test and cancelled excluded)", "count", "up",
          0),
    _ratio_metric("aov", "Average order value", "net revenue ÷ orders", "currency", "up", "net_revenue", "orders"),
    _base("new_customers", "New customers", "customers whose first-ever order falls in the period", "count", "up",
          0),
    _ratio_metric("returning_customer_rate", "Returning-customer rate",
                  "customers ordering in the period who had ordered before it ÷ customers ordering in the period",
                  "ratio", "up", "returning_customers", "customers", decimals=4),
    _ratio_metric("repeat_purchase_rate", "Repeat-purchase rate",
                  "customers with 2+ orders within the period ÷ customers ordering in the period",
                  "ratio", "up", "repeat_customers", "customers", decimals=4),
    Metric("refund_rate", "Refund rate", "refunds ÷ (gross sales − discounts)", "ratio", "down",
           lambda b: ratio(b.get("refunds"), _minus(b.get("gross_sales"), b.get("discounts"))),
           ("refunds", "gross_sales", "discounts"), 4),
    _base("ad_spend", "Ad spend", "Σ Meta spend + Σ Google Ads cost (cost_micros ÷ 10⁶), in the reporting "
          "currency", "currency", "neutral"),
    _ratio_metric("platform_roas", "Platform ROAS",
                  "platform-reported purchase value (Meta purchase action_values + Google Ads conversions_value) "
                  "÷ ad spend", "multiple", "up", "platform_purchase_value", "ad_spend"),
    _ratio_metric("mer", "MER (blended ROAS)",
                  "marketing efficiency ratio = net revenue (all channels) ÷ ad spend (all paid channels)",
                  "multiple", "up", "net_revenue", "ad_spend"),
    _ratio_metric("ncac", "nCAC", "new-customer acquisition cost = ad spend ÷ new customers", "currency", "down",
                  "ad_spend", "new_customers"),
    _base("impressions", "Impressions", "Σ ad impressions (Meta + Google Ads)", "count", "up", 0),
    _base("clicks", "Clicks", "Σ ad clicks (Meta + Google Ads)", "count", "up", 0),
    _ratio_metric("cpm", "CPM", "ad spend ÷ impressions × 1000", "currency", "down", "ad_spend", "impressions",
                  1000.0),
    _ratio_metric("cpc", "CPC", "ad spend ÷ clicks", "currency", "down", "ad_spend", "clicks"),
    _ratio_metric("ctr", "CTR", "clicks ÷ impressions", "ratio", "up", "clicks", "impressions", decimals=4),
    _base("sessions", "Sessions", "Σ GA4 sessions", "count", "up", 0),
    _ratio_metric("conversion_rate", "Conversion rate", "orders (Shopify) ÷ sessions (GA4)", "ratio", "up",
                  "orders", "sessions", decimals=4),
    _base("cogs", "COGS", "Σ over line items of quantity × the variant's unit cost (Shopify inventory item cost) "
          "where it has one, else list price × quantity × (1 − gross margin of the product type)", "currency",
          "down"),
    Metric("gross_margin", "Gross margin", "net revenue − COGS", "currency", "up",
           lambda b: _minus(b.get("net_revenue"), b.get("cogs")), ("net_revenue", "cogs")),
    Metric("gross_margin_pct", "Gross margin %", "(net revenue − COGS) ÷ net revenue", "ratio", "up",
           lambda b: ratio(_minus(b.get("net_revenue"), b.get("cogs")), b.get("net_revenue")),
           ("net_revenue", "cogs"), 4),
    Metric("contribution_margin", "Contribution margin",
           "net revenue + shipping charged − COGS − shipping cost − payment fees − ad spend", "currency", "up",
           lambda b: _minus(b.get("contribution_before_marketing"), b.get("ad_spend")),
           ("contribution_before_marketing", "ad_spend")),
    Metric("contribution_margin_pct", "Contribution margin %", "contribution margin ÷ net revenue", "ratio", "up",
           lambda b: ratio(_minus(b.get("contribution_before_marketing"), b.get("ad_spend")), b.get("net_revenue")),
           ("contribution_before_marketing", "ad_spend", "net_revenue"), 4),
    *[
        _ratio_metric(f"ltv_{n}", f"LTV {n}d",
                      f"average net revenue in the first {n} days (day of first order = day 1) of the customers "
                      f"whose {n}-day window ends in the period", "currency", "up",
                      f"ltv_{n}_revenue", f"ltv_{n}_customers")
        for n in (30, 90, 180)
    ],
    _ratio_metric("ltv_cac", "LTV:CAC",
                  "90-day contribution per customer (before marketing) of the customers whose 90-day window ends "
                  "in the period ÷ the nCAC of the days they were acquired (= their 90-day contribution ÷ the ad "
                  "spend of those days)", "multiple", "up", "ltv_90_contribution", "ltv_90_acquisition_spend"),
    _base("payback_days", "Payback days",
          "days from first order until the cumulative contribution per customer covers nCAC, for the customers "
          "whose 180-day window ends in the period; empty when not reached in 180 days", "days", "down", 0),
]

CATALOGUE: dict[str, Metric] = {m.name: m for m in _METRICS}

# Base aggregates that are not shown as metrics of their own but feed derived ones.
HIDDEN_BASES = (
    "customers", "returning_customers", "repeat_customers", "platform_purchase_value",
    "contribution_before_marketing", "shipping_revenue", "shipping_cost", "payment_fees", "add_to_carts",
    "checkouts",
)


def get_metric(name: str) -> Metric:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise InvalidInput(f"unknown metric {name!r}", field="metrics") from None


def parse_metric_list(value: str | None, field: str = "metrics") -> list[str]:
    """A comma-separated list of catalogue names (all when empty); unknown names are an InvalidInput."""
    if not value:
        return list(CATALOGUE)
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise InvalidInput(f"unknown metric(s): {', '.join(unknown)}", field=field)
    return names
