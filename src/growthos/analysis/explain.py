""""Explain this change": each channel's (campaign's, customer segment's) contribution to a KPI's change
between two ranges.

Additive KPIs (sums and counts: net revenue, orders, ad spend...): a group's contribution is its own change,
value_now − value_before; the contributions add up to the total change.

Ratio KPIs R = N / D (MER = net revenue ÷ ad spend, ROAS, AOV, nCAC, CPM, CPC, CTR, conversion rate, refund
rate, margin rates), with group parts Nᵢ, Dᵢ (N = Σ Nᵢ, D = Σ Dᵢ), R₀ = N₀ / D₀ before and R₁ = N₁ / D₁ now:

    contributionᵢ = (ΔNᵢ − R₀ · ΔDᵢ) / D₁ = numerator effectᵢ + denominator effectᵢ
    numerator effectᵢ = ΔNᵢ / D₁,   denominator effectᵢ = −R₀ · ΔDᵢ / D₁

Σ contributionᵢ = (ΔN − R₀ ΔD) / D₁ = R₁ − R₀ exactly. A group's contribution is what its change in the
numerator adds, less what its change in the denominator would have brought at the old overall rate; it is
defined even for a group without denominator (organic revenue in MER, whose spend is 0). Scale factors
(CPM's × 1000) multiply through. Undefined when D₀ or D₁ is 0.

KPIs over distinct customers (returning and repeat rates) and cohort KPIs (LTV, payback) are not additive
over groups and are refused, as are KPIs whose parts the grouping does not split (ad spend or sessions per
customer segment: MER, nCAC, conversion rate by segment).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from growthos.core.errors import InvalidInput
from growthos.core.periods import DateRange
from growthos.metrics.catalogue import CATALOGUE
from growthos.metrics.group_labels import group_labels, label_of
from growthos.metrics.queries import BREAKDOWN_BY, available_bases, compute_periods
from growthos.warehouse.engine import Engine

Bases = Mapping[str, float | None]
BY: tuple[str, ...] = BREAKDOWN_BY


def _b(name: str) -> Callable[[Bases], float]:
    return lambda b: float(b.get(name) or 0.0)


def _metric(name: str) -> Callable[[Bases], float]:
    metric = CATALOGUE[name]

    def value(b: Bases) -> float:
        filled = {k: (v or 0.0) for k, v in b.items()}
        return float(metric.compute(_Zeros(filled)) or 0.0)
    return value


class _Zeros(dict):
    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key) or 0.0


ADDITIVE: dict[str, Callable[[Bases], float]] = {
    name: _metric(name) for name in (
        "gross_sales", "discounts", "refunds", "net_revenue", "orders", "new_customers", "ad_spend", "impressions",
        "clicks", "sessions", "cogs", "gross_margin", "contribution_margin",
    )
}
"""KPI -> its value from one group's bases (a sum over groups)."""

RATIOS: dict[str, tuple[Callable[[Bases], float], Callable[[Bases], float], float]] = {
    "aov": (_b("net_revenue"), _b("orders"), 1.0),
    "mer": (_b("net_revenue"), _b("ad_spend"), 1.0),
    "platform_roas": (_b("platform_purchase_value"), _b("ad_spend"), 1.0),
    "ncac": (_b("ad_spend"), _b("new_customers"), 1.0),
    "cpm": (_b("ad_spend"), _b("impressions"), 1000.0),
    "cpc": (_b("ad_spend"), _b("clicks"), 1.0),
    "ctr": (_b("clicks"), _b("impressions"), 1.0),
    "conversion_rate": (_b("orders"), _b("sessions"), 1.0),
    "refund_rate": (_b("refunds"), lambda b: float(b.get("gross_sales") or 0) - float(b.get("discounts") or 0), 1.0),
    "gross_margin_pct": (_metric("gross_margin"), _b("net_revenue"), 1.0),
    "contribution_margin_pct": (_metric("contribution_margin"), _b("net_revenue"), 1.0),
}
"""Ratio KPI -> (numerator, denominator, scale) from one group's bases."""


@dataclass(frozen=True)
class Contribution:
    key: str | None
    label: str
    value: float | None
    """The group's own KPI value now (None for a ratio whose group denominator is 0)."""
    compare_value: float | None
    contribution: float
    share: float | None
    """contribution ÷ total change (None when the total change is 0)."""
    numerator_effect: float | None = None
    denominator_effect: float | None = None


@dataclass(frozen=True)
class Explanation:
    metric: str
    label: str
    by: str
    method: str
    """additive or ratio."""
    range: dict[str, str]
    compare_range: dict[str, str]
    value: float | None
    compare_value: float | None
    change: float | None
    contributions: list[Contribution]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def decompose(metric: str, now: Mapping[Any, Bases], before: Mapping[Any, Bases]
              ) -> tuple[str, float | None, float | None, list[dict[str, Any]]]:
    """(method, value now, value before, contributions by group key) of ``metric`` from group bases."""
    keys = sorted(set(now) | set(before), key=lambda k: (k is None, str(k)))
    empty: dict[str, float | None] = {}
    rows: list[dict[str, Any]] = []
    if metric in ADDITIVE:
        f = ADDITIVE[metric]
        for k in keys:
            v1, v0 = f(now.get(k, empty)), f(before.get(k, empty))
            rows.append({"key": k, "value": v1, "compare_value": v0, "contribution": v1 - v0})
        return "additive", sum(r["value"] for r in rows), sum(r["compare_value"] for r in rows), rows
    if metric not in RATIOS:
        raise InvalidInput(f"{metric!r} cannot be explained by parts (choose one of "
                           f"{', '.join([*ADDITIVE, *RATIOS])})", field="metric")
    num, den, scale = RATIOS[metric]
    n1 = {k: num(now.get(k, empty)) for k in keys}
    d1 = {k: den(now.get(k, empty)) for k in keys}
    n0 = {k: num(before.get(k, empty)) for k in keys}
    d0 = {k: den(before.get(k, empty)) for k in keys}
    total_d1, total_d0 = sum(d1.values()), sum(d0.values())
    r1 = sum(n1.values()) / total_d1 * scale if total_d1 else None
    r0 = sum(n0.values()) / total_d0 * scale if total_d0 else None
    if r1 is None or r0 is None:
        raise InvalidInput(f"{metric} is undefined in one of the ranges (its denominator is 0)", field="metric")
    for k in keys:
        num_effect = (n1[k] - n0[k]) * scale / total_d1
        den_effect = -r0 * (d1[k] - d0[k]) / total_d1
        rows.append({"key": k, "value": n1[k] / d1[k] * scale if d1[k] else None,
                     "compare_value": n0[k] / d0[k] * scale if d0[k] else None,
                     "contribution": num_effect + den_effect, "numerator_effect": num_effect,
                     "denominator_effect": den_effect})
    return "ratio", r1, r0, rows


def explain(engine: Engine, metric: str, rng: DateRange, compare: DateRange, by: str, last_full_day: date
            ) -> Explanation:
    """Each group's contribution to ``metric``'s change from ``compare`` to ``rng``, largest first."""
    if by not in BY:
        raise InvalidInput(f"by must be one of {', '.join(BY)}; got {by!r}", field="by")
    if metric not in CATALOGUE:
        raise InvalidInput(f"unknown metric {metric!r}", field="metric")
    missing = set(CATALOGUE[metric].needs) - available_bases(by)
    if missing:
        raise InvalidInput(f"{metric} cannot be explained by {by}: {', '.join(sorted(missing))} is not split by "
                           f"{by}", field="by")
    periods = compute_periods(engine, {"current": rng, "compare": compare}, by, last_full_day)
    method, value, compare_value, rows = decompose(metric, periods["current"], periods["compare"])
    change = value - compare_value if value is not None and compare_value is not None else None
    labels = group_labels(engine, by)
    contributions = [
        Contribution(key=r["key"], label=label_of(labels, r["key"]),
                     value=_r(r["value"]), compare_value=_r(r["compare_value"]),
                     contribution=round(r["contribution"], 6),
                     share=_r(r["contribution"] / change) if change else None,
                     numerator_effect=_r(r.get("numerator_effect")), denominator_effect=_r(r.get("denominator_effect")))
        for r in sorted(rows, key=lambda r: -abs(r["contribution"]))
    ]
    return Explanation(
        metric=metric, label=CATALOGUE[metric].label, by=by, method=method,
        range={"from": rng.start.isoformat(), "to": rng.end.isoformat()},
        compare_range={"from": compare.start.isoformat(), "to": compare.end.isoformat()},
        value=_r(value), compare_value=_r(compare_value), change=_r(change), contributions=contributions,
    )
