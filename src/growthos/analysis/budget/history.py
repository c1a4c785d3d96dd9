"""Daily history per paid channel: spend (fact_spend) and new customers acquired through it (fact_orders)."""

from __future__ import annotations

from datetime import date

from growthos.warehouse.engine import Engine

_HISTORY_SQL = """
WITH spend AS (
    SELECT date AS day, channel, sum(spend) AS spend
    FROM fact_spend WHERE date BETWEEN $start AND $end GROUP BY date, channel
),
acquired AS (
    SELECT order_date AS day, acquisition_channel AS channel, count(*) AS conversions
    FROM fact_orders WHERE is_first_order AND order_date BETWEEN $start AND $end
    GROUP BY order_date, acquisition_channel
)
SELECT s.channel, s.day, CAST(s.spend AS DOUBLE) AS spend, CAST(coalesce(a.conversions, 0) AS DOUBLE) AS conversions
FROM spend AS s LEFT JOIN acquired AS a ON a.day = s.day AND a.channel = s.channel
ORDER BY s.channel, s.day
"""


def daily_history(engine: Engine, start: date, end: date) -> dict[str, tuple[list[float], list[float]]]:
    """channel -> (daily spend, daily new customers) over the days the channel spent, start..end inclusive."""
    out: dict[str, tuple[list[float], list[float]]] = {}
    for row in engine.query(_HISTORY_SQL, {"start": start, "end": end}).to_pylist():
        spend, conversions = out.setdefault(row["channel"], ([], []))
        spend.append(float(row["spend"]))
        conversions.append(float(row["conversions"]))
    return out
