"""A 0–100 health score of a snapshot diff.

    score = round(100 × Σ wᵢ · pointsᵢ / Σ wᵢ)

over the key KPIs of ``HEALTH_WEIGHTS`` present in the diff with a value in both snapshots, where
pointsᵢ is 1 for a KPI *improving*, ``STABLE_POINTS`` (0.75) for one *stable* and 0 for one *declining*
(trend as decided by analysis/diff.py: significant after Benjamini–Hochberg for tested KPIs, a material
move for untested ones, in the direction of the KPI's polarity). So all key KPIs stable scores 75, all
improving 100, all declining 0; a declining KPI of weight 3 costs three times one of weight 1.
None when no key KPI can be scored. docs/metrics.md documents the same formula.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from growthos.analysis.diff import MetricDiff

HEALTH_WEIGHTS: dict[str, float] = {
    "net_revenue": 3.0, "contribution_margin": 3.0, "orders": 2.0, "new_customers": 2.0, "mer": 2.0,
    "ncac": 2.0, "conversion_rate": 2.0, "aov": 1.0, "returning_customer_rate": 1.0, "refund_rate": 1.0,
    "activation_rate": 1.0, "retention_rate": 1.0,
}
STABLE_POINTS = 0.75
POINTS = {"improving": 1.0, "stable": STABLE_POINTS, "declining": 0.0}
FORMULA = "round(100 × Σ weight × points / Σ weight); points: improving 1, stable 0.75, declining 0"


@dataclass(frozen=True)
class HealthComponent:
    name: str
    weight: float
    trend: str
    points: float


@dataclass(frozen=True)
class HealthScore:
    score: int | None
    components: list[HealthComponent]
    formula: str = FORMULA

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "formula": self.formula, "components": [asdict(c) for c in self.components]}


def health_score(metrics: list[MetricDiff], weights: dict[str, float] | None = None) -> HealthScore:
    """The health score of a diff's metrics (see the module docstring for the formula)."""
    weights = HEALTH_WEIGHTS if weights is None else weights
    components = [HealthComponent(m.name, weights[m.name], m.trend, POINTS[m.trend]) for m in metrics
                  if m.name in weights and m.a is not None and m.b is not None]
    total = sum(c.weight for c in components)
    if not total:
        return HealthScore(None, components)
    return HealthScore(round(100 * sum(c.weight * c.points for c in components) / total), components)
