"""Diff of two snapshots, metric by metric: change, relative change, significance, trend and impact.

For every KPI and AARRR metric present in both snapshots (``a`` is the base, ``b`` the compared one):

- ``change`` = b − a; ``relative_change`` = (b − a) / |a|, None when a is 0 (``relative_change_reason``
  says so; 0 → 0 is a relative change of 0) or when either value is missing.
- ``p_value`` from the metric's test (analysis/significance.py; the test and both samples come from the
  snapshots), ``q_value`` the Benjamini–Hochberg adjustment across all tested metrics of this diff;
  ``significant`` when q ≤ ``ALPHA``; None for a metric without a test.
- ``moved``: significant for a tested metric; for an untested one (the conservative fallback), the
  relative change is at least ``MATERIAL_CHANGE`` in size (``basis`` says which rule applied).
- ``trend``: *improving* when it moved in the good direction of the metric's polarity (up for
  revenue, down for costs such as nCAC or refunds), *declining* when it moved the other way, otherwise
  *stable*; a neutral metric (discounts, ad spend) is always *stable*, its ``direction`` still shown.
- ``impact`` (for ranking, 0..weight): ``IMPACT_WEIGHTS[metric]`` (default 1) × min(|relative change|, 1)
  when the metric moved (1 × weight when the base was 0), else 0. It is a standardised size of the move,
  weighted by how close the metric is to net revenue and contribution; it does not depend on the sign.

``breakdowns`` puts the two snapshots' breakdown rows side by side (``diff_breakdowns``): per breakdown, its
columns and, per key present in either snapshot, each column's value in a and b, change and relative change
(no significance: group-level samples are not kept).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from growthos.analysis.breakdowns import catalogue_columns
from growthos.analysis.significance import benjamini_hochberg, run_test
from growthos.analysis.snapshots import Snapshot

ALPHA = 0.05
"""False-discovery rate: a tested change is significant when its BH q-value is at most this."""
MATERIAL_CHANGE = 0.10
"""Relative change an untested metric must reach to count as moved (conservative fallback)."""

IMPACT_WEIGHTS: dict[str, float] = {
    "net_revenue": 3.0, "contribution_margin": 3.0, "revenue": 3.0, "gross_margin": 2.0, "orders": 2.0,
    "new_customers": 2.0, "mer": 2.0, "ncac": 2.0, "conversion_rate": 2.0, "aov": 1.5, "ad_spend": 1.5,
    "new_users": 1.5, "activation_rate": 1.5, "retention_rate": 1.5,
}
"""Metric -> weight of its moves in ``impact`` (others 1)."""

_SIGN = {"up": 1, "down": -1, "neutral": 0}


@dataclass(frozen=True)
class MetricDiff:
    name: str
    label: str
    unit: str
    polarity: str
    a: float | None
    b: float | None
    change: float | None
    relative_change: float | None
    relative_change_reason: str | None
    direction: str
    """up, down or flat (the sign of the change)."""
    test: str | None
    p_value: float | None
    q_value: float | None
    significant: bool | None
    moved: bool
    basis: str
    """test (significance decided) or threshold (untested: MATERIAL_CHANGE)."""
    trend: str
    """improving, declining or stable."""
    impact: float


@dataclass(frozen=True)
class SnapshotDiff:
    a: dict[str, Any]
    """The base snapshot's id and period."""
    b: dict[str, Any]
    metrics: list[MetricDiff]
    alpha: float = ALPHA
    breakdowns: dict[str, dict[str, Any]] | None = None
    """Breakdown -> {columns, rows}: see ``diff_breakdowns``."""

    def by_name(self) -> dict[str, MetricDiff]:
        return {m.name: m for m in self.metrics}

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "alpha": self.alpha, "metrics": [asdict(m) for m in self.metrics],
                "breakdowns": self.breakdowns or {}}


def relative_change(a: float | None, b: float | None) -> tuple[float | None, str | None]:
    """(b − a) / |a| and None, or None and the reason it is undefined."""
    if a is None or b is None:
        return None, "a value is missing"
    if a == 0:
        return (0.0, None) if b == 0 else (None, "the base value is 0")
    return (b - a) / abs(a), None


def trend_of(polarity: str, change: float | None, moved: bool) -> str:
    """improving / declining / stable from the metric's polarity and whether it moved."""
    if not moved or change is None or change == 0 or _SIGN.get(polarity, 0) == 0:
        return "stable"
    return "improving" if change * _SIGN[polarity] > 0 else "declining"


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def _ref(s: Snapshot) -> dict[str, Any]:
    return {"id": s.id, "period_kind": s.period_kind, "period_start": s.period_start.isoformat(),
            "period_end": s.period_end.isoformat(), "taken_at": s.taken_at.isoformat()}


def diff_metrics(metrics_a: dict[str, dict[str, Any]], metrics_b: dict[str, dict[str, Any]]) -> list[MetricDiff]:
    """Diff of two metric maps as a snapshot stores them (name -> entry with value, test and sample)."""
    names = [n for n in metrics_b if n in metrics_a]
    p_values = []
    for name in names:
        ea, eb = metrics_a[name], metrics_b[name]
        test = eb.get("test") if eb.get("test") == ea.get("test") else None
        p_values.append(run_test(test, ea.get("sample"), eb.get("sample")))
    q_values = benjamini_hochberg(p_values)
    out = []
    for name, p, q in zip(names, p_values, q_values, strict=True):
        ea, eb = metrics_a[name], metrics_b[name]
        a, b = ea.get("value"), eb.get("value")
        change = None if a is None or b is None else b - a
        rel, reason = relative_change(a, b)
        if p is not None:
            significant: bool | None = q is not None and q <= ALPHA
            moved, basis = bool(significant), "test"
        else:
            significant = None
            moved = change not in (None, 0) and (rel is None or abs(rel) >= MATERIAL_CHANGE)
            basis = "threshold"
        polarity = eb.get("polarity", "neutral")
        trend = trend_of(polarity, change, moved)
        weight = IMPACT_WEIGHTS.get(name, 1.0)
        impact = 0.0 if not moved else weight * (1.0 if rel is None else min(abs(rel), 1.0))
        direction = "flat" if not change else ("up" if change > 0 else "down")
        out.append(MetricDiff(
            name=name, label=eb.get("label", name), unit=eb.get("unit", ""), polarity=polarity, a=a, b=b,
            change=_round(change), relative_change=_round(rel), relative_change_reason=reason, direction=direction,
            test=(eb.get("test") if p is not None else None), p_value=_round(p, 10), q_value=_round(q, 10),
            significant=significant, moved=moved, basis=basis, trend=trend,
            impact=round(impact, 6) if math.isfinite(impact) else 0.0,
        ))
    return out


def diff_snapshots(a: Snapshot, b: Snapshot) -> SnapshotDiff:
    """Every KPI and AARRR metric of ``b`` compared with ``a``; BH across all of them."""
    return SnapshotDiff(_ref(a), _ref(b), diff_metrics(a.all_metrics(), b.all_metrics()),
                        breakdowns=diff_breakdowns(a, b))


def diff_breakdowns(a: Snapshot, b: Snapshot) -> dict[str, dict[str, Any]]:
    """For each breakdown both snapshots have: its columns (b's description) and one row per key of either,
    ``{key, label, a: {column: value}, b: {...}, change: {...}, relative_change: {...}}``, ordered by b's
    rows, then the keys only a has."""
    out = {}
    for by, rows_b in b.breakdowns.items():
        if by not in a.breakdowns:
            continue
        columns = b.breakdown_columns.get(by) or [  # snapshots taken before columns were stored: catalogue KPIs
            c.to_dict() for c in catalogue_columns(tuple(rows_b[0]["kpis"] if rows_b else ()))]
        names = [c["name"] for c in columns]
        rows_a = {_key(r["key"]): r for r in a.breakdowns[by]}
        by_key_b = {_key(r["key"]): r for r in rows_b}
        rows = []
        for key in [*by_key_b, *(k for k in rows_a if k not in by_key_b)]:
            row_a, row_b = rows_a.get(key), by_key_b.get(key)
            values_a = {n: (row_a or {}).get("kpis", {}).get(n, {}).get("value") for n in names}
            values_b = {n: (row_b or {}).get("kpis", {}).get(n, {}).get("value") for n in names}
            change = {n: None if values_a[n] is None or values_b[n] is None else _round(values_b[n] - values_a[n])
                      for n in names}
            shown = row_b or row_a
            rows.append({"key": shown["key"], "label": shown["label"], "a": values_a, "b": values_b, "change": change,
                         "relative_change": {n: _round(relative_change(values_a[n], values_b[n])[0]) for n in names}})
        out[by] = {"columns": columns, "rows": rows}
    return out


def _key(key: Any) -> str:
    """A breakdown key comparable across snapshots (JSON keeps 1 and "1" apart; None is no key)."""
    return "\x00none" if key is None else str(key)
