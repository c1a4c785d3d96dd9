"""The web purchase funnel from GA4: sessions → add to cart → checkout → purchase, with step conversion,
for a range and its previous period."""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

from growthos.core.periods import DateRange
from growthos.metrics.catalogue import ratio
from growthos.warehouse.engine import Engine

STEPS = (
    ("sessions", "Sessions"),
    ("add_to_carts", "Add to cart"),
    ("checkouts", "Checkout"),
    ("purchases", "Purchase"),
)


def _totals(engine: Engine, rng: DateRange) -> dict[str, float]:
    query = (
        sqlglot.select(*[f"coalesce(sum({column}), 0) AS {column}" for column, _ in STEPS])
        .from_("fact_traffic")
        .where(exp.column("date").between(exp.Placeholder(this="start"), exp.Placeholder(this="end")))
    )
    row = engine.query(query.sql(dialect="duckdb"), {"start": rng.start, "end": rng.end}).to_pylist()[0]
    return {k: float(v) for k, v in row.items()}


def funnel(engine: Engine, rng: DateRange) -> dict[str, Any]:
    """Each step's count, its conversion from the step before and from the first step, with the
    previous period's values. Conversions with a zero base are None."""
    now, before = _totals(engine, rng), _totals(engine, rng.previous())
    steps = []
    for i, (column, label) in enumerate(STEPS):
        prior = STEPS[i - 1][0] if i else None
        steps.append({
            "step": column,
            "label": label,
            "count": now[column],
            "previous_count": before[column],
            "step_conversion": ratio(now[column], now[prior]) if prior else None,
            "previous_step_conversion": ratio(before[column], before[prior]) if prior else None,
            "overall_conversion": ratio(now[column], now[STEPS[0][0]]),
        })
    prev = rng.previous()
    return {"from": rng.start.isoformat(), "to": rng.end.isoformat(), "previous_from": prev.start.isoformat(),
            "previous_to": prev.end.isoformat(), "steps": steps}
