"""The numbers the performance alert rules watch over one window, in one dictionary: each area's ``headline``
(web vitals p75s, AI latency and rates, database query times and rates), the samples behind them, and the
error rate of the app's operations (AI calls and database queries that failed ÷ all of them)."""

from __future__ import annotations

from datetime import datetime

from growthos.metrics.telemetry import ai, database, vitals
from growthos.sources.telemetry import KINDS
from growthos.warehouse.engine import Engine

_VITALS_COUNTS = f"""
SELECT lower(name) AS name, count(*) AS n FROM {KINDS["web_vital"].table}
WHERE "timestamp" >= $since AND "timestamp" < $until GROUP BY ALL
"""
_AI_COUNTS = f"""
SELECT count(*) AS calls, count(*) FILTER (WHERE status = 'error') AS errors FROM {KINDS["ai_call"].table}
WHERE "timestamp" >= $since AND "timestamp" < $until
"""
_DB_COUNTS = f"""
SELECT count(*) AS queries, count(*) FILTER (WHERE error_type IS NOT NULL) AS errors FROM {KINDS["db_query"].table}
WHERE "timestamp" >= $since AND "timestamp" < $until
"""


def _counts(engine: Engine, since: datetime, until: datetime) -> dict[str, float | None]:
    params = {"since": since, "until": until}
    out: dict[str, float | None] = {f"{n.lower()}_samples": 0.0 for n in ("LCP", "FID", "INP", "CLS", "FCP", "TTFB")}
    if engine.table_exists(KINDS["web_vital"].table):
        for row in engine.query(_VITALS_COUNTS, params).to_pylist():
            out[f"{row['name']}_samples"] = float(row["n"])
    ai_calls = ai_errors = db_queries = db_errors = 0
    if engine.table_exists(KINDS["ai_call"].table):
        row = engine.query(_AI_COUNTS, params).to_pylist()[0]
        ai_calls, ai_errors = row["calls"], row["errors"]
    if engine.table_exists(KINDS["db_query"].table):
        row = engine.query(_DB_COUNTS, params).to_pylist()[0]
        db_queries, db_errors = row["queries"], row["errors"]
    operations = ai_calls + db_queries
    out.update(ai_calls=float(ai_calls), db_queries=float(db_queries), operations=float(operations),
               error_rate=(ai_errors + db_errors) / operations if operations else None)
    return out


def telemetry_headline(engine: Engine, since: datetime, until: datetime) -> dict[str, float | None]:
    """Every measure of the performance rules over [since, until) (None where there is no data), with the
    sample counts ``<vital>_samples``, ``ai_calls``, ``db_queries`` and ``operations``."""
    values: dict[str, float | None] = {}
    for area in (vitals, ai, database):
        values.update(area.headline(engine, since, until))
    values.update(_counts(engine, since, until))
    return values
