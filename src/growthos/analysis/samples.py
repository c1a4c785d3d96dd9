"""What each KPI's significance test needs, and the snapshot entry that carries it.

A snapshot keeps, for every KPI, its value, previous value, change and growth rate, the counts behind a rate
(``RATE_PARTS``: numerator and denominator) and a *sample* of each period: what the KPI's test
(``SAMPLERS``; see analysis/significance.py) needs — successes and trials for a proportion, a count and its
exposure in days for a Poisson rate, a total and its variance (Σ x² of the orders, compound Poisson), a mean
with its variance and n (Welch), or a log-scale value and variance for ratios random in one part.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from growthos.analysis.rounding import rounded
from growthos.core.periods import DateRange
from growthos.metrics.catalogue import CATALOGUE
from growthos.metrics.evaluate import metric_values
from growthos.warehouse.engine import Engine

Sampler = Callable[[Mapping[str, float | None], Mapping[str, float | None], int], dict[str, float] | None]


def number(value: float | None) -> float:
    """A base aggregate as a float, 0 when missing."""
    return 0.0 if value is None else float(value)


def _proportion(successes: str, trials: str) -> Sampler:
    def sample(b: Mapping[str, float | None], _s: Mapping[str, float | None], _d: int) -> dict[str, float] | None:
        x, n = number(b.get(successes)), number(b.get(trials))
        return {"successes": x, "trials": n} if n > 0 and 0 <= x <= n else None
    return sample


def _poisson(count: str) -> Sampler:
    def sample(b: Mapping[str, float | None], _s: Mapping[str, float | None], days: int) -> dict[str, float] | None:
        return {"count": number(b.get(count)), "exposure": float(days)}
    return sample


def _compound_total(value: Callable[[Mapping[str, float | None]], float | None], sum_sq: str) -> Sampler:
    """A total of order amounts (minus a fixed part such as spend): variance Σ x² (compound Poisson)."""
    def sample(b: Mapping[str, float | None], s: Mapping[str, float | None], _d: int) -> dict[str, float] | None:
        v = value(b)
        return None if v is None or s.get(sum_sq) is None else {"value": v, "variance": number(s.get(sum_sq))}
    return sample


def _aov(b: Mapping[str, float | None], s: Mapping[str, float | None], _d: int) -> dict[str, float] | None:
    n = number(b.get("orders"))
    if n < 2 or s.get("var_net") is None:
        return None
    return {"mean": number(b.get("net_revenue")) / n, "variance": number(s.get("var_net")), "n": n}


def _log_random_numerator(value: Callable[[Mapping[str, float | None]], float | None], total: str,
                          sum_sq: str) -> Sampler:
    """A ratio random in its numerator only (a total of order amounts over a fixed amount): var(log v) =
    Σ x² / total²."""
    def sample(b: Mapping[str, float | None], s: Mapping[str, float | None], _d: int) -> dict[str, float] | None:
        v, t = value(b), number(b.get(total))
        if v is None or v <= 0 or t <= 0 or s.get(sum_sq) is None:
            return None
        return {"value": v, "log_variance": number(s.get(sum_sq)) / (t * t)}
    return sample


def _log_poisson_denominator(value: Callable[[Mapping[str, float | None]], float | None], count: str) -> Sampler:
    """A fixed amount over a Poisson count (nCAC, CPM, CPC): var(log v) = 1 / count."""
    def sample(b: Mapping[str, float | None], _s: Mapping[str, float | None], _d: int) -> dict[str, float] | None:
        v, n = value(b), number(b.get(count))
        return None if v is None or v <= 0 or n <= 0 else {"value": v, "log_variance": 1.0 / n}
    return sample


def _metric(name: str) -> Callable[[Mapping[str, float | None]], float | None]:
    return lambda b: metric_values(dict(b), [CATALOGUE[name]])[name]


SAMPLERS: dict[str, tuple[str, Sampler]] = {
    "gross_sales": ("normal", _compound_total(_metric("gross_sales"), "sq_gross")),
    "discounts": ("normal", _compound_total(_metric("discounts"), "sq_discounts")),
    "refunds": ("normal", _compound_total(_metric("refunds"), "sq_refunds")),
    "net_revenue": ("normal", _compound_total(_metric("net_revenue"), "sq_net")),
    "orders": ("poisson", _poisson("orders")),
    "aov": ("welch", _aov),
    "new_customers": ("poisson", _poisson("new_customers")),
    "returning_customer_rate": ("proportion", _proportion("returning_customers", "customers")),
    "repeat_purchase_rate": ("proportion", _proportion("repeat_customers", "customers")),
    "refund_rate": ("log_normal", _log_random_numerator(_metric("refund_rate"), "refunds", "sq_refunds")),
    "mer": ("log_normal", _log_random_numerator(_metric("mer"), "net_revenue", "sq_net")),
    "ncac": ("log_normal", _log_poisson_denominator(_metric("ncac"), "new_customers")),
    "impressions": ("poisson", _poisson("impressions")),
    "clicks": ("poisson", _poisson("clicks")),
    "cpm": ("log_normal", _log_poisson_denominator(_metric("cpm"), "impressions")),
    "cpc": ("log_normal", _log_poisson_denominator(_metric("cpc"), "clicks")),
    "ctr": ("proportion", _proportion("clicks", "impressions")),
    "sessions": ("poisson", _poisson("sessions")),
    "conversion_rate": ("proportion", _proportion("orders", "sessions")),
    "cogs": ("normal", _compound_total(_metric("cogs"), "sq_cogs")),
    "gross_margin": ("normal", _compound_total(_metric("gross_margin"), "sq_margin")),
    "contribution_margin": ("normal", _compound_total(_metric("contribution_margin"), "sq_contribution")),
    # AARRR
    "new_users": ("poisson", _poisson("new_users")),
    "activated_users": ("poisson", _poisson("activated_users")),
    "activation_rate": ("proportion", _proportion("activated_users", "new_users")),
    "active_users": ("poisson", _poisson("active_users")),
    "retained_users": ("poisson", _poisson("retained_users")),
    "retention_rate": ("proportion", _proportion("retained_users", "active_previous")),
    "referred_users": ("poisson", _poisson("referred_users")),
    "referral_rate": ("proportion", _proportion("referred_new_users", "new_users")),
    "revenue": ("normal", _compound_total(_metric("net_revenue"), "sq_net")),
}
"""KPI -> (significance test, how to build its sample from the period's bases and order statistics).
KPIs not listed have no sampling model (see significance.py's conservative fallback)."""

RATE_PARTS: dict[str, tuple[str, str]] = {
    "aov": ("net_revenue", "orders"),
    "returning_customer_rate": ("returning_customers", "customers"),
    "repeat_purchase_rate": ("repeat_customers", "customers"),
    "platform_roas": ("platform_purchase_value", "ad_spend"),
    "mer": ("net_revenue", "ad_spend"),
    "ncac": ("ad_spend", "new_customers"),
    "cpm": ("ad_spend", "impressions"),
    "cpc": ("ad_spend", "clicks"),
    "ctr": ("clicks", "impressions"),
    "conversion_rate": ("orders", "sessions"),
    "ltv_30": ("ltv_30_revenue", "ltv_30_customers"),
    "ltv_90": ("ltv_90_revenue", "ltv_90_customers"),
    "ltv_180": ("ltv_180_revenue", "ltv_180_customers"),
    "ltv_cac": ("ltv_90_contribution", "ltv_90_acquisition_spend"),
    "activation_rate": ("activated_users", "new_users"),
    "retention_rate": ("retained_users", "active_previous"),
    "referral_rate": ("referred_new_users", "new_users"),
}
"""Ratio KPI -> (numerator base, denominator base): the counts behind a rate, kept in the snapshot."""


def rate_parts(name: str, bases: Mapping[str, float | None]) -> tuple[float | None, float | None]:
    if name == "refund_rate":
        return bases.get("refunds"), number(bases.get("gross_sales")) - number(bases.get("discounts"))
    if name in ("gross_margin_pct", "contribution_margin_pct"):
        top = metric_values(dict(bases), [CATALOGUE[name.removesuffix("_pct")]])[name.removesuffix("_pct")]
        return top, bases.get("net_revenue")
    if name not in RATE_PARTS:
        return None, None
    num, den = RATE_PARTS[name]
    return number(bases.get(num)), number(bases.get(den))


def metric_entry(name: str, label: str, unit: str, polarity: str, fmt: str, value: float | None, previous: float | None,
           bases: Mapping[str, float | None], prev_bases: Mapping[str, float | None],
           stats: Mapping[str, float | None], prev_stats: Mapping[str, float | None], days: int, prev_days: int
           ) -> dict[str, Any]:
    """A KPI's snapshot entry: value, previous, change and growth rate, rate parts, its test and both samples."""
    change = None if value is None or previous is None else value - previous
    growth = None if change is None or not previous else change / abs(previous)
    numerator, denominator = rate_parts(name, bases)
    prev_num, prev_den = rate_parts(name, prev_bases)
    test, sampler = SAMPLERS.get(name, (None, None))
    sample = sampler(bases, stats, days) if sampler else None
    previous_sample = sampler(prev_bases, prev_stats, prev_days) if sampler else None
    return {
        "name": name, "label": label, "unit": unit, "polarity": polarity, "format": fmt,
        "value": rounded(value), "previous": rounded(previous), "change": rounded(change),
        "growth_rate": rounded(growth),
        "numerator": rounded(numerator), "denominator": rounded(denominator),
        "previous_numerator": rounded(prev_num), "previous_denominator": rounded(prev_den),
        "test": test if sample is not None else None,
        "sample": _clean(sample), "previous_sample": _clean(previous_sample),
    }


def _clean(sample: dict[str, float] | None) -> dict[str, float] | None:
    if sample is None or any(not math.isfinite(v) for v in sample.values()):
        return None
    return {k: float(v) for k, v in sample.items()}


_ORDER_STATS_SQL = """
SELECT count(*) AS n,
       var_samp(CAST(net_revenue AS DOUBLE)) AS var_net,
       sum(CAST(net_revenue AS DOUBLE) * CAST(net_revenue AS DOUBLE)) AS sq_net,
       sum(CAST(gross_sales AS DOUBLE) * CAST(gross_sales AS DOUBLE)) AS sq_gross,
       sum(CAST(discounts AS DOUBLE) * CAST(discounts AS DOUBLE)) AS sq_discounts,
       sum(CAST(refunds AS DOUBLE) * CAST(refunds AS DOUBLE)) AS sq_refunds,
       sum(CAST(cogs AS DOUBLE) * CAST(cogs AS DOUBLE)) AS sq_cogs,
       sum(CAST(net_revenue - cogs AS DOUBLE) * CAST(net_revenue - cogs AS DOUBLE)) AS sq_margin,
       sum(CAST(contribution_before_marketing AS DOUBLE) * CAST(contribution_before_marketing AS DOUBLE))
           AS sq_contribution
FROM fact_orders
WHERE order_date BETWEEN $start AND $end
"""


def order_statistics(engine: Engine, rng: DateRange) -> dict[str, float | None]:
    """Per-order dispersion of a period's orders: sample variance of net revenue and sums of squares."""
    row = engine.query(_ORDER_STATS_SQL, {"start": rng.start, "end": rng.end}).to_pylist()[0]
    return {k: (None if v is None else float(v)) for k, v in row.items()}
