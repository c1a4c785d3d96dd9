"""Insights from a snapshot diff: every metric that moved, ranked by impact, with a recommendation."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from growthos.analysis.diff import MetricDiff
from growthos.analysis.recommendations import recommendation


@dataclass(frozen=True)
class Insight:
    metric: str
    label: str
    trend: str
    direction: str
    change: float | None
    relative_change: float | None
    q_value: float | None
    basis: str
    impact: float
    headline: str
    recommendation: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _headline(m: MetricDiff) -> str:
    verb = {"up": "rose", "down": "fell", "flat": "held"}[m.direction]
    size = f" {abs(m.relative_change) * 100:.1f}%" if m.relative_change is not None else ""
    why = " (material change, untested)" if m.q_value is None else (
        " (q < 0.0001)" if m.q_value < 0.0001 else f" (q = {m.q_value:.3g})")
    return f"{m.label} {verb}{size}{why}"


def insights(metrics: list[MetricDiff], limit: int | None = None) -> list[Insight]:
    """Metrics that moved (significant, or material when untested), highest impact first; ties by name."""
    moved = sorted((m for m in metrics if m.moved), key=lambda m: (-m.impact, m.name))
    out = [Insight(m.name, m.label, m.trend, m.direction, m.change, m.relative_change, m.q_value, m.basis, m.impact,
                   _headline(m), recommendation(m.name, m.trend)) for m in moved]
    return out if limit is None else out[:limit]


def diff_report(a: Any, b: Any, limit: int | None = None) -> dict[str, Any]:
    """What /api/snapshots/diff and `growthos diff --json` return: the diff of two snapshots (a the base),
    its health score and the insights ranked by impact."""
    from growthos.analysis.diff import diff_snapshots
    from growthos.analysis.health import health_score

    diff = diff_snapshots(a, b)
    return {**diff.to_dict(), "health": health_score(diff.metrics).to_dict(),
            "insights": [i.to_dict() for i in insights(diff.metrics, limit)]}
