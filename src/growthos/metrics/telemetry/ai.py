"""AI / LLM calls over an instant window [since, until): overall, per model and per endpoint — calls, latency
percentiles, tokens, cost, cache hit rate and error rate — and their trend per hour or reporting day.

**Populations.** Every record is a *call*. A *cache hit* was answered from the app's cache (``cache_hit``);
an *error* has ``status = 'error'`` (including calls the app's own rate limiter refused); a *model call* is
neither: the model answered.

- calls, cache_hits, errors, model_calls: counts of those rows.
- cache_hit_rate = cache_hits ÷ calls; error_rate = errors ÷ calls (None without calls).
- latency_p50_ms / latency_p95_ms: percentiles of the model calls' latency only. Cache hits are left out
  (they take about nothing and would hide the model's latency as the hit rate grows) and are reported apart
  as cache_hit_latency_p50_ms / _p95_ms; errors are left out too (a fast 429 or a slow timeout says more as
  an error rate than as latency).
- tokens_in / tokens_out: sums over all calls (cache hits carry 0); tokens_in_per_call, tokens_out_per_call
  and tokens_per_call (in + out): means over the model calls.
- cost_usd: the sum of the calls' ``cost_usd`` (0 when none has one); unpriced_calls counts the model calls
  without a cost (a model missing from the client's price table), so a partial sum is visible as such.

**Percentiles** are DuckDB's ``quantile_cont(latency_ms, q)``: linear interpolation between the two nearest
ranks (Hyndman & Fan type 7, numpy's default). With the n latencies sorted, x[0] <= ... <= x[n-1], the
position is h = q (n - 1) and the percentile is x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
For 100, 200, 300, 400 ms: p50 = 250 ms (h = 1.5), p95 = 385 ms (h = 2.85: 300 + 0.85 × 100).

**Trend.** Per hour (UTC hours, windows up to 48 h) or per reporting day in ``tz``: calls, errors, cache hits,
cost and the p95 latency of model calls; every bucket of the window is present (empty ones: 0 calls, p95
None).

Every value reaches SQL as a bound parameter; the SQL text is fixed (group and bucket expressions come from
code). An absent or empty table gives zero calls and None rates, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from growthos.core.errors import InvalidInput
from growthos.metrics.product.common import Result, aware, ratio, render, zone
from growthos.metrics.telemetry.buckets import bucket_expression, bucket_for, bucket_label, bucket_starts
from growthos.sources.telemetry.ai_calls import AI_CALL
from growthos.warehouse.engine import Engine

TABLE = AI_CALL.table
ALL = "(all)"
"""The name of the overall row."""
NOT_SET = "(not set)"
"""The endpoint of calls that named none."""


@dataclass(frozen=True)
class AIStats(Result):
    """One group's numbers (see the module docstring for each definition)."""

    name: str
    """The model, the endpoint, or ALL."""
    calls: int
    model_calls: int
    cache_hits: int
    errors: int
    cache_hit_rate: float | None
    error_rate: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    cache_hit_latency_p50_ms: float | None
    cache_hit_latency_p95_ms: float | None
    tokens_in: int
    tokens_out: int
    tokens_in_per_call: float | None
    tokens_out_per_call: float | None
    tokens_per_call: float | None
    cost_usd: float
    unpriced_calls: int


@dataclass(frozen=True)
class ErrorCount(Result):
    error_type: str
    calls: int


@dataclass(frozen=True)
class AIPoint(Result):
    bucket: str
    """An hour's start (ISO instant, UTC) or a reporting day (ISO date)."""
    calls: int
    errors: int
    cache_hits: int
    cost_usd: float
    latency_p95_ms: float | None


@dataclass(frozen=True)
class AIReport(Result):
    since: datetime
    until: datetime
    bucket: str
    """hour or day: the trend's step."""
    tz: str
    overall: AIStats
    models: tuple[AIStats, ...]
    endpoints: tuple[AIStats, ...]
    error_types: tuple[ErrorCount, ...]
    series: tuple[AIPoint, ...]


_MODEL_CALL = "NOT hit AND NOT failed"

_CALLS = f"""
calls AS (
    SELECT model, coalesce(endpoint, '{NOT_SET}') AS endpoint, latency_ms, coalesce(tokens_in, 0) AS tokens_in,
           coalesce(tokens_out, 0) AS tokens_out, cost_usd, coalesce(cache_hit, false) AS hit,
           status = 'error' AS failed, error_type, "timestamp"
    FROM {TABLE}
    WHERE "timestamp" >= $since AND "timestamp" < $until
)"""

_AGGREGATES = f"""
    count(*) AS calls,
    count(*) FILTER (WHERE {_MODEL_CALL}) AS model_calls,
    count(*) FILTER (WHERE hit) AS cache_hits,
    count(*) FILTER (WHERE failed) AS errors,
    quantile_cont(latency_ms, 0.5) FILTER (WHERE {_MODEL_CALL}) AS latency_p50_ms,
    quantile_cont(latency_ms, 0.95) FILTER (WHERE {_MODEL_CALL}) AS latency_p95_ms,
    quantile_cont(latency_ms, 0.5) FILTER (WHERE hit) AS cache_hit_latency_p50_ms,
    quantile_cont(latency_ms, 0.95) FILTER (WHERE hit) AS cache_hit_latency_p95_ms,
    CAST(coalesce(sum(tokens_in), 0) AS BIGINT) AS tokens_in,
    CAST(coalesce(sum(tokens_out), 0) AS BIGINT) AS tokens_out,
    avg(tokens_in) FILTER (WHERE {_MODEL_CALL}) AS tokens_in_per_call,
    avg(tokens_out) FILTER (WHERE {_MODEL_CALL}) AS tokens_out_per_call,
    avg(tokens_in + tokens_out) FILTER (WHERE {_MODEL_CALL}) AS tokens_per_call,
    coalesce(sum(cost_usd), 0) AS cost_usd,
    count(*) FILTER (WHERE cost_usd IS NULL AND {_MODEL_CALL}) AS unpriced_calls"""

_OVERALL_SQL = f"WITH {_CALLS} SELECT {_AGGREGATES} FROM calls"
_GROUP_SQL = {
    column: f"WITH {_CALLS} SELECT {column} AS name, {_AGGREGATES} FROM calls GROUP BY {column} "
            f"ORDER BY calls DESC, name"
    for column in ("model", "endpoint")
}
"""Grouped by a column from this fixed list, never from input."""
_ERRORS_SQL = f"""WITH {_CALLS}
SELECT coalesce(error_type, 'unknown') AS error_type, count(*) AS calls
FROM calls WHERE failed GROUP BY 1 ORDER BY calls DESC, error_type"""
_SERIES_SQL = f"""WITH {_CALLS}
SELECT $bucket AS bucket, count(*) AS calls, count(*) FILTER (WHERE failed) AS errors,
       count(*) FILTER (WHERE hit) AS cache_hits, coalesce(sum(cost_usd), 0) AS cost_usd,
       quantile_cont(latency_ms, 0.95) FILTER (WHERE {_MODEL_CALL}) AS latency_p95_ms
FROM calls GROUP BY 1"""


def _window(since: datetime, until: datetime) -> dict[str, datetime]:
    aware(since, "since")
    aware(until, "until")
    if since >= until:
        raise InvalidInput(f"since ({since.isoformat()}) must be before until ({until.isoformat()})", field="since")
    return {"since": since, "until": until}


def _has_table(engine: Engine) -> bool:
    return engine.table_exists(TABLE)


def _stats(row: dict[str, Any] | None, name: str) -> AIStats:
    row = row or {}
    calls = int(row.get("calls") or 0)
    hits = int(row.get("cache_hits") or 0)
    errors = int(row.get("errors") or 0)

    def number(key: str) -> float | None:
        value = row.get(key)
        return None if value is None else float(value)

    return AIStats(
        name=name, calls=calls, model_calls=int(row.get("model_calls") or 0), cache_hits=hits, errors=errors,
        cache_hit_rate=ratio(hits, calls), error_rate=ratio(errors, calls),
        latency_p50_ms=number("latency_p50_ms"), latency_p95_ms=number("latency_p95_ms"),
        cache_hit_latency_p50_ms=number("cache_hit_latency_p50_ms"),
        cache_hit_latency_p95_ms=number("cache_hit_latency_p95_ms"),
        tokens_in=int(row.get("tokens_in") or 0), tokens_out=int(row.get("tokens_out") or 0),
        tokens_in_per_call=number("tokens_in_per_call"), tokens_out_per_call=number("tokens_out_per_call"),
        tokens_per_call=number("tokens_per_call"), cost_usd=float(row.get("cost_usd") or 0.0),
        unpriced_calls=int(row.get("unpriced_calls") or 0),
    )


def overall(engine: Engine, since: datetime, until: datetime) -> AIStats:
    """Every call in [since, until) together."""
    params = _window(since, until)
    if not _has_table(engine):
        return _stats(None, ALL)
    rows = engine.query(_OVERALL_SQL, params).to_pylist()
    return _stats(rows[0] if rows else None, ALL)


def by_model(engine: Engine, since: datetime, until: datetime) -> tuple[AIStats, ...]:
    """One row per model, most calls first."""
    return _grouped(engine, since, until, "model")


def by_endpoint(engine: Engine, since: datetime, until: datetime) -> tuple[AIStats, ...]:
    """One row per endpoint (NOT_SET for calls without one), most calls first."""
    return _grouped(engine, since, until, "endpoint")


def _grouped(engine: Engine, since: datetime, until: datetime, column: str) -> tuple[AIStats, ...]:
    params = _window(since, until)
    if not _has_table(engine):
        return ()
    return tuple(_stats(row, row["name"]) for row in engine.query(_GROUP_SQL[column], params).to_pylist())


def error_types(engine: Engine, since: datetime, until: datetime) -> tuple[ErrorCount, ...]:
    """Errors by type (the exception's class name), most frequent first."""
    params = _window(since, until)
    if not _has_table(engine):
        return ()
    return tuple(ErrorCount(r["error_type"], int(r["calls"])) for r in engine.query(_ERRORS_SQL, params).to_pylist())


def series(engine: Engine, since: datetime, until: datetime, *, tz: str = "UTC",
           bucket: str | None = None) -> tuple[AIPoint, ...]:
    """Calls, errors, cache hits, cost and model-call p95 latency per hour or reporting day, every bucket of
    the window present."""
    params: dict[str, Any] = _window(since, until)
    unit = bucket or bucket_for(since, until)
    if unit not in ("hour", "day"):
        raise InvalidInput(f"bucket must be hour or day, got {unit!r}", field="bucket")
    zone_info = zone(tz)
    found: dict[str, dict[str, Any]] = {}
    if _has_table(engine):
        sql = render(_SERIES_SQL, bucket=bucket_expression(unit, zone_info, since, until))
        for row in engine.query(sql, params).to_pylist():
            found[bucket_label(row["bucket"], unit)] = row
    points = []
    for start in bucket_starts(since, until, unit, zone_info):
        row = found.get(start)
        if row is None:
            points.append(AIPoint(start, 0, 0, 0, 0.0, None))
        else:
            p95 = row["latency_p95_ms"]
            points.append(AIPoint(start, int(row["calls"]), int(row["errors"]), int(row["cache_hits"]),
                                  float(row["cost_usd"]), None if p95 is None else float(p95)))
    return tuple(points)


def report(engine: Engine, since: datetime, until: datetime, *, tz: str = "UTC") -> AIReport:
    """Everything the AI calls page shows, for one window."""
    _window(since, until)
    return AIReport(
        since=since, until=until, bucket=bucket_for(since, until), tz=tz,
        overall=overall(engine, since, until), models=by_model(engine, since, until),
        endpoints=by_endpoint(engine, since, until), error_types=error_types(engine, since, until),
        series=series(engine, since, until, tz=tz),
    )


def headline(engine: Engine, since: datetime, until: datetime) -> dict[str, float | None]:
    """The numbers alert rules watch, over [since, until): model-call p95 latency (ms), error rate, cache hit
    rate and mean tokens (in + out) per model call; None without calls."""
    stats = overall(engine, since, until)
    return {"ai_p95_latency_ms": stats.latency_p95_ms, "ai_error_rate": stats.error_rate,
            "ai_cache_hit_rate": stats.cache_hit_rate, "ai_tokens_per_request": stats.tokens_per_call}
