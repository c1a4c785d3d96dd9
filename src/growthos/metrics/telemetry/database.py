"""Database queries of an app over an instant window [since, until): overall, per fingerprint (the slowest
query shapes) and their trend per hour or reporting day.

**Populations.** Every ``db_query`` record is a *query*. A *cache hit* was answered from the app's result
cache (``cached``); an *executed* query is one that is not a cache hit (it reached the database, whether it
succeeded or failed); an *error* has an ``error_type``; a *slow* query has ``slow`` true as its client
flagged it, or — where the client sent no flag — ``duration_ms >= 1000`` (``SLOW_MS``).

- queries, executed, cache_hits, errors, slow: counts of those rows.
- cache_hit_rate = cache_hits ÷ queries; slow_query_rate = slow ÷ queries; error_rate = errors ÷ queries
  (None without queries).
- p50_ms / p95_ms / p99_ms / max_ms / avg_ms / total_ms: over executed queries only. Cache hits take
  about nothing and would hide the database's latency as the hit rate grows; failed queries stay in (a
  statement timeout is database time too).

**Percentiles** are DuckDB's ``quantile_cont(duration_ms, q)``: linear interpolation between the two
nearest ranks (Hyndman & Fan type 7, numpy's default): with the n durations sorted x[0] <= ... <= x[n-1],
h = q (n - 1) and the percentile is x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). For 10, 20,
30, 40 ms: p50 = 25 ms, p95 = 38.5 ms (h = 2.85).

**Slowest fingerprints** are ranked by total time (the sum of their executed durations: a 5 ms query run
100 000 times costs more than one 2 s query), then by calls; ``share_of_time`` is their total ÷ the
window's total.

**Trend.** Per hour (UTC hours, windows up to 48 h) or per reporting day in ``tz``; every bucket of the
window is present (empty ones: 0 queries, p95 None).

Every value reaches SQL as a bound parameter; the SQL text is fixed. An absent or empty table gives zero
queries and None rates, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from growthos.core.errors import InvalidInput
from growthos.metrics.product.common import Result, aware, positive_int, ratio, render, zone
from growthos.metrics.telemetry.buckets import bucket_expression, bucket_for, bucket_label, bucket_starts
from growthos.sources.telemetry.db_queries import DB_QUERY
from growthos.warehouse.engine import Engine

TABLE = DB_QUERY.table
SLOW_MS = 1000.0
"""A query without the client's ``slow`` flag is slow at this duration or longer."""
MAX_TOP = 500


@dataclass(frozen=True)
class DBStats(Result):
    """The window's numbers (definitions in the module docstring)."""

    queries: int
    executed: int
    cache_hits: int
    errors: int
    slow: int
    cache_hit_rate: float | None
    slow_query_rate: float | None
    error_rate: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    avg_ms: float | None
    total_ms: float


@dataclass(frozen=True)
class FingerprintStats(Result):
    """One query shape."""

    fingerprint: str
    system: str | None
    operation: str | None
    calls: int
    executed: int
    cache_hits: int
    errors: int
    slow: int
    total_ms: float
    avg_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    share_of_time: float | None
    """total_ms ÷ the window's total_ms."""


@dataclass(frozen=True)
class DBPoint(Result):
    bucket: str
    """An hour's start (ISO instant, UTC) or a reporting day (ISO date)."""
    queries: int
    slow: int
    cache_hits: int
    errors: int
    p95_ms: float | None


@dataclass(frozen=True)
class DBReport(Result):
    since: datetime
    until: datetime
    bucket: str
    """hour or day: the trend's step."""
    tz: str
    slow_ms: float
    overall: DBStats
    fingerprints: tuple[FingerprintStats, ...]
    series: tuple[DBPoint, ...]


_QUERIES = f"""
q AS (
    SELECT fingerprint, system, operation, duration_ms, coalesce(cached, false) AS hit,
           error_type IS NOT NULL AS failed, coalesce(slow, duration_ms >= $slow_ms) AS is_slow, "timestamp"
    FROM {TABLE}
    WHERE "timestamp" >= $since AND "timestamp" < $until
)"""

_AGGREGATES = """
    count(*) AS queries,
    count(*) FILTER (WHERE NOT hit) AS executed,
    count(*) FILTER (WHERE hit) AS cache_hits,
    count(*) FILTER (WHERE failed) AS errors,
    count(*) FILTER (WHERE is_slow) AS slow,
    quantile_cont(duration_ms, 0.5) FILTER (WHERE NOT hit) AS p50_ms,
    quantile_cont(duration_ms, 0.95) FILTER (WHERE NOT hit) AS p95_ms,
    quantile_cont(duration_ms, 0.99) FILTER (WHERE NOT hit) AS p99_ms,
    max(duration_ms) FILTER (WHERE NOT hit) AS max_ms,
    avg(duration_ms) FILTER (WHERE NOT hit) AS avg_ms,
    coalesce(sum(duration_ms) FILTER (WHERE NOT hit), 0) AS total_ms"""

_OVERALL_SQL = f"WITH {_QUERIES} SELECT {_AGGREGATES} FROM q"
_FINGERPRINTS_SQL = f"""WITH {_QUERIES}
SELECT fingerprint, min(system) AS system, min(operation) AS operation, {_AGGREGATES}
FROM q GROUP BY fingerprint
ORDER BY total_ms DESC, queries DESC, fingerprint
LIMIT $top"""
_SERIES_SQL = f"""WITH {_QUERIES}
SELECT $bucket AS bucket, count(*) AS queries, count(*) FILTER (WHERE is_slow) AS slow,
       count(*) FILTER (WHERE hit) AS cache_hits, count(*) FILTER (WHERE failed) AS errors,
       quantile_cont(duration_ms, 0.95) FILTER (WHERE NOT hit) AS p95_ms
FROM q GROUP BY 1"""


def _params(since: datetime, until: datetime, slow_ms: float) -> dict[str, Any]:
    aware(since, "since")
    aware(until, "until")
    if since >= until:
        raise InvalidInput(f"since ({since.isoformat()}) must be before until ({until.isoformat()})", field="since")
    if isinstance(slow_ms, bool) or not isinstance(slow_ms, int | float) or slow_ms < 0:
        raise InvalidInput(f"slow_ms must be a non-negative number, got {slow_ms!r}", field="slow_ms")
    return {"since": since, "until": until, "slow_ms": float(slow_ms)}


def _number(row: dict[str, Any], key: str) -> float | None:
    value = row.get(key)
    return None if value is None else float(value)


def _count(row: dict[str, Any], key: str) -> int:
    return int(row.get(key) or 0)


def _stats(row: dict[str, Any] | None) -> DBStats:
    row = row or {}
    queries = _count(row, "queries")
    return DBStats(
        queries=queries, executed=_count(row, "executed"), cache_hits=_count(row, "cache_hits"),
        errors=_count(row, "errors"), slow=_count(row, "slow"),
        cache_hit_rate=ratio(_count(row, "cache_hits"), queries), slow_query_rate=ratio(_count(row, "slow"), queries),
        error_rate=ratio(_count(row, "errors"), queries),
        p50_ms=_number(row, "p50_ms"), p95_ms=_number(row, "p95_ms"), p99_ms=_number(row, "p99_ms"),
        max_ms=_number(row, "max_ms"), avg_ms=_number(row, "avg_ms"), total_ms=float(row.get("total_ms") or 0.0),
    )


def overall(engine: Engine, since: datetime, until: datetime, *, slow_ms: float = SLOW_MS) -> DBStats:
    """Every query in [since, until) together."""
    params = _params(since, until, slow_ms)
    if not engine.table_exists(TABLE):
        return _stats(None)
    rows = engine.query(_OVERALL_SQL, params).to_pylist()
    return _stats(rows[0] if rows else None)


def slowest_fingerprints(engine: Engine, since: datetime, until: datetime, *, top: int = 20,
                         slow_ms: float = SLOW_MS, window_total_ms: float | None = None
                         ) -> tuple[FingerprintStats, ...]:
    """The ``top`` query shapes by total executed time, then calls."""
    params = {**_params(since, until, slow_ms), "top": positive_int(top, "top", MAX_TOP)}
    if not engine.table_exists(TABLE):
        return ()
    if window_total_ms is None:
        window_total_ms = overall(engine, since, until, slow_ms=slow_ms).total_ms
    out = []
    for row in engine.query(_FINGERPRINTS_SQL, params).to_pylist():
        total = float(row["total_ms"] or 0.0)
        out.append(FingerprintStats(
            fingerprint=row["fingerprint"], system=row["system"], operation=row["operation"],
            calls=_count(row, "queries"), executed=_count(row, "executed"), cache_hits=_count(row, "cache_hits"),
            errors=_count(row, "errors"), slow=_count(row, "slow"), total_ms=total, avg_ms=_number(row, "avg_ms"),
            p95_ms=_number(row, "p95_ms"), max_ms=_number(row, "max_ms"),
            share_of_time=ratio(total, window_total_ms),
        ))
    return tuple(out)


def series(engine: Engine, since: datetime, until: datetime, *, tz: str = "UTC", bucket: str | None = None,
           slow_ms: float = SLOW_MS) -> tuple[DBPoint, ...]:
    """Queries, slow ones, cache hits, errors and executed p95 per hour or reporting day; every bucket of the
    window present."""
    params = _params(since, until, slow_ms)
    unit = bucket or bucket_for(since, until)
    if unit not in ("hour", "day"):
        raise InvalidInput(f"bucket must be hour or day, got {unit!r}", field="bucket")
    zone_info = zone(tz)
    found: dict[str, dict[str, Any]] = {}
    if engine.table_exists(TABLE):
        sql = render(_SERIES_SQL, bucket=bucket_expression(unit, zone_info, since, until))
        for row in engine.query(sql, params).to_pylist():
            found[bucket_label(row["bucket"], unit)] = row
    points = []
    for label in bucket_starts(since, until, unit, zone_info):
        row = found.get(label, {})
        points.append(DBPoint(label, _count(row, "queries"), _count(row, "slow"), _count(row, "cache_hits"),
                              _count(row, "errors"), _number(row, "p95_ms")))
    return tuple(points)


def report(engine: Engine, since: datetime, until: datetime, *, tz: str = "UTC", top: int = 20,
           slow_ms: float = SLOW_MS) -> DBReport:
    """Everything the Database page shows, for one window."""
    stats = overall(engine, since, until, slow_ms=slow_ms)
    return DBReport(
        since=since, until=until, bucket=bucket_for(since, until), tz=tz, slow_ms=float(slow_ms), overall=stats,
        fingerprints=slowest_fingerprints(engine, since, until, top=top, slow_ms=slow_ms,
                                          window_total_ms=stats.total_ms),
        series=series(engine, since, until, tz=tz, slow_ms=slow_ms),
    )


def headline(engine: Engine, since: datetime, until: datetime) -> dict[str, float | None]:
    """The numbers alert rules watch over [since, until): the slowest executed query (``db_max_query_ms``, the
    maximum: one pathological query is what such a rule is for; ``db_p99_query_ms`` beside it), the p95, and
    the slow-query, cache hit and error rates; None without queries."""
    stats = overall(engine, since, until)
    return {"db_max_query_ms": stats.max_ms, "db_p99_query_ms": stats.p99_ms, "db_p95_query_ms": stats.p95_ms,
            "db_slow_query_rate": stats.slow_query_rate, "db_cache_hit_rate": stats.cache_hit_rate,
            "db_error_rate": stats.error_rate}
