"""Core Web Vitals over an instant window [since, until): p75 per metric and per route, rated by Google's
thresholds, the p75 trend, and the routes that got worse.

**p75** is DuckDB's ``quantile_cont(value, 0.75)``: linear interpolation between the two nearest ranks
(Hyndman & Fan type 7, numpy's default). With the n samples sorted, x[0] <= ... <= x[n-1], the position is
h = 0.75 (n - 1) and p75 = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). For LCP samples
1000, 2000, 3000, 5000 ms: h = 2.25, p75 = 3000 + 0.25 x 2000 = 3500 ms.

**Ratings** follow web.dev's thresholds (``THRESHOLDS``): good when value <= the first, poor when value > the
second, needs-improvement between. The p75 is rated the same way, and so is every sample for the shares
(computed here from the value, not from the client's own ``rating`` field).

**Samples.** One row per report. web-vitals reports each metric once per page view (``reportAllChanges``
false); should a client report a metric instance again, only its latest report (by timestamp, then the largest
value) counts, so a page view weighs once. Rows without ``metric_id`` each count.

**Routes that got worse** compare each route's p75 in [since, until) with the previous window of equal length,
[since - (until - since), since): whole days and weeks against the same number before them, so a 7-day window is
not skewed by weekday mix. A route and metric is flagged when both windows have at least ``min_samples``
samples and its rating worsened or its p75 rose by ``WORSE_BY`` (20 %) or more.

Every value reaches SQL as a bound parameter; the SQL text is fixed (the bucket expression comes from code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from growthos.core.errors import InvalidInput
from growthos.metrics.product.common import Result, aware, positive_int, render, zone
from growthos.metrics.telemetry.buckets import bucket_expression, bucket_for, bucket_label, bucket_starts
from growthos.sources.telemetry.web_vitals import WEB_VITAL
from growthos.warehouse.engine import Engine


@dataclass(frozen=True)
class Threshold:
    """Google's bounds of one metric: good <= ``good`` < needs-improvement <= ``poor`` < poor."""

    good: float
    poor: float
    unit: str
    """ms, or score (CLS: unitless)."""


THRESHOLDS: dict[str, Threshold] = {
    "LCP": Threshold(2500, 4000, "ms"),
    "INP": Threshold(200, 500, "ms"),
    "CLS": Threshold(0.1, 0.25, "score"),
    "FCP": Threshold(1800, 3000, "ms"),
    "TTFB": Threshold(800, 1800, "ms"),
    "FID": Threshold(100, 300, "ms"),
}
"""Metric -> thresholds, from web.dev (https://web.dev/articles/vitals and each metric's page)."""
METRICS: tuple[str, ...] = tuple(THRESHOLDS)
"""The metrics in the order pages show them (Core Web Vitals first)."""
RATINGS: tuple[str, ...] = ("good", "needs-improvement", "poor")
WORSE_BY = 0.20
"""A p75 rise of at least this fraction flags a route as worse."""
DEFAULT_MIN_SAMPLES = 5
MAX_MIN_SAMPLES = 1_000_000
DEFAULT_ROUTES = 20
MAX_ROUTES = 200

TABLE = WEB_VITAL.table


def rate(name: str, value: float | None) -> str | None:
    """good, needs-improvement or poor by the metric's thresholds; None without a value."""
    if value is None:
        return None
    bounds = THRESHOLDS[name]
    if value <= bounds.good:
        return "good"
    return "needs-improvement" if value <= bounds.poor else "poor"


@dataclass(frozen=True)
class MetricSummary(Result):
    name: str
    unit: str
    good_threshold: float
    poor_threshold: float
    samples: int
    p75: float | None
    rating: str | None
    """The p75's rating."""
    share_good: float | None
    share_needs_improvement: float | None
    share_poor: float | None


@dataclass(frozen=True)
class RouteMetric(Result):
    p75: float
    rating: str
    samples: int


@dataclass(frozen=True)
class RouteSummary(Result):
    route: str
    samples: int
    """Samples of the route's most-reported metric (about its page views)."""
    metrics: dict[str, RouteMetric]
    """Metric -> p75, for the metrics with at least min_samples samples on this route."""


@dataclass(frozen=True)
class TrendPoint(Result):
    bucket: str
    """An hour's start (ISO instant, UTC) or a reporting day (ISO date)."""
    p75: float | None
    samples: int


@dataclass(frozen=True)
class TrendSeries(Result):
    name: str
    unit: str
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class WorseRoute(Result):
    route: str
    name: str
    unit: str
    p75_before: float
    p75_after: float
    change: float | None
    """p75_after / p75_before - 1 (None when p75_before is 0)."""
    rating_before: str
    rating_after: str
    samples_before: int
    samples_after: int
    reason: str
    """rating (it moved to a worse band) or p75 (it rose by WORSE_BY or more)."""


@dataclass(frozen=True)
class VitalsReport(Result):
    since: datetime
    until: datetime
    previous_since: datetime
    """Start of the previous window the worse routes are compared with."""
    bucket: str
    """hour or day: the trend's step."""
    tz: str
    min_samples: int
    metrics: tuple[MetricSummary, ...]
    routes: tuple[RouteSummary, ...]
    trend: tuple[TrendSeries, ...]
    worsened: tuple[WorseRoute, ...]


# One sample per metric instance (see the module docstring), in [$lo, $hi).
_SAMPLES = f"""
samples AS (
    SELECT name, value, route, "timestamp"
    FROM (
        SELECT name, value, route, "timestamp", metric_id,
               row_number() OVER (PARTITION BY name, metric_id
                                  ORDER BY "timestamp" DESC, received_at DESC, value DESC) AS nth
        FROM {TABLE}
        WHERE "timestamp" >= $lo AND "timestamp" < $hi
    ) AS reports
    WHERE metric_id IS NULL OR nth = 1
)"""

_THRESHOLD_ROWS = ", ".join(f"($name_{i}, $good_{i}, $poor_{i})" for i in range(len(METRICS)))
_THRESHOLD_PARAMS: dict[str, Any] = {}
for _i, (_name, _bounds) in enumerate(THRESHOLDS.items()):
    _THRESHOLD_PARAMS.update({f"name_{_i}": _name, f"good_{_i}": float(_bounds.good),
                              f"poor_{_i}": float(_bounds.poor)})

_SUMMARY_SQL = f"""
WITH {_SAMPLES},
thresholds (name, good, poor) AS (VALUES {_THRESHOLD_ROWS})
SELECT s.name, count(*) AS samples, quantile_cont(s.value, 0.75) AS p75,
       count(*) FILTER (WHERE s.value <= t.good) AS good,
       count(*) FILTER (WHERE s.value > t.good AND s.value <= t.poor) AS needs_improvement,
       count(*) FILTER (WHERE s.value > t.poor) AS poor
FROM samples AS s JOIN thresholds AS t ON s.name = t.name
GROUP BY s.name
"""

_ROUTES_SQL = f"""
WITH {_SAMPLES},
per AS (
    SELECT route, name, count(*) AS samples, quantile_cont(value, 0.75) AS p75
    FROM samples GROUP BY route, name
),
top AS (
    SELECT route, max(samples) AS samples FROM per WHERE samples >= $min_samples
    GROUP BY route ORDER BY samples DESC, route LIMIT $limit
)
SELECT top.route, top.samples AS route_samples, per.name, per.samples, per.p75
FROM per JOIN top ON per.route = top.route
WHERE per.samples >= $min_samples
ORDER BY route_samples DESC, top.route, per.name
"""

_TREND_SQL = f"""
WITH {_SAMPLES}
SELECT $bucket AS bucket, name, count(*) AS samples, quantile_cont(value, 0.75) AS p75
FROM samples GROUP BY ALL
"""

_WORSE_SQL = f"""
WITH {_SAMPLES}
SELECT route, name,
       count(*) FILTER (WHERE "timestamp" < $since) AS samples_before,
       quantile_cont(value, 0.75) FILTER (WHERE "timestamp" < $since) AS p75_before,
       count(*) FILTER (WHERE "timestamp" >= $since) AS samples_after,
       quantile_cont(value, 0.75) FILTER (WHERE "timestamp" >= $since) AS p75_after
FROM samples GROUP BY route, name
HAVING count(*) FILTER (WHERE "timestamp" < $since) >= $min_samples
   AND count(*) FILTER (WHERE "timestamp" >= $since) >= $min_samples
"""


def _window(since: datetime, until: datetime) -> dict[str, datetime]:
    aware(since, "since")
    aware(until, "until")
    if since >= until:
        raise InvalidInput(f"since ({since.isoformat()}) must be before until ({until.isoformat()})", field="since")
    return {"lo": since, "hi": until}


def summary(engine: Engine, since: datetime, until: datetime) -> tuple[MetricSummary, ...]:
    """Every metric's p75, its rating, and the shares of good / needs-improvement / poor samples in
    [since, until); a metric without samples has samples 0 and None elsewhere."""
    params = {**_window(since, until), **_THRESHOLD_PARAMS}
    found = {r["name"]: r for r in engine.query(_SUMMARY_SQL, params).to_pylist()} if _has_table(engine) else {}
    out = []
    for name, bounds in THRESHOLDS.items():
        row = found.get(name)
        n = int(row["samples"]) if row else 0
        p75 = float(row["p75"]) if row else None
        out.append(MetricSummary(
            name=name, unit=bounds.unit, good_threshold=bounds.good, poor_threshold=bounds.poor, samples=n,
            p75=p75, rating=rate(name, p75),
            share_good=row["good"] / n if row else None,
            share_needs_improvement=row["needs_improvement"] / n if row else None,
            share_poor=row["poor"] / n if row else None,
        ))
    return tuple(out)


def by_route(engine: Engine, since: datetime, until: datetime, *, min_samples: int = DEFAULT_MIN_SAMPLES,
             limit: int = DEFAULT_ROUTES) -> tuple[RouteSummary, ...]:
    """Each route's p75 per metric in [since, until), for the metrics with at least ``min_samples`` samples
    there; the ``limit`` routes with the most samples, most first."""
    params: dict[str, Any] = {**_window(since, until), "limit": positive_int(limit, "limit", MAX_ROUTES),
                              "min_samples": positive_int(min_samples, "min_samples", MAX_MIN_SAMPLES)}
    if not _has_table(engine):
        return ()
    routes: dict[str, tuple[int, dict[str, RouteMetric]]] = {}
    for row in engine.query(_ROUTES_SQL, params).to_pylist():
        samples, metrics = routes.setdefault(row["route"], (int(row["route_samples"]), {}))
        p75 = float(row["p75"])
        metrics[row["name"]] = RouteMetric(p75=p75, rating=rate(row["name"], p75) or "", samples=int(row["samples"]))
    return tuple(RouteSummary(route, samples, {name: metrics[name] for name in METRICS if name in metrics})
                 for route, (samples, metrics) in routes.items())


def trend(engine: Engine, since: datetime, until: datetime, *, tz: str = "UTC",
          bucket: str | None = None) -> tuple[TrendSeries, ...]:
    """Every metric's p75 per hour (windows up to 48 h) or per reporting day in ``tz``, every bucket of the
    window present (p75 None where it had no sample)."""
    params: dict[str, Any] = _window(since, until)
    unit = bucket or bucket_for(since, until)
    if unit not in ("hour", "day"):
        raise InvalidInput(f"bucket must be hour or day, got {unit!r}", field="bucket")
    zone_info = zone(tz)
    starts = bucket_starts(since, until, unit, zone_info)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    if _has_table(engine):
        sql = render(_TREND_SQL, bucket=bucket_expression(unit, zone_info, since, until))
        for row in engine.query(sql, params).to_pylist():
            found[(row["name"], bucket_label(row["bucket"], unit))] = row
    series = []
    for name, bounds in THRESHOLDS.items():
        points = []
        for start in starts:
            row = found.get((name, start))
            points.append(TrendPoint(start, float(row["p75"]) if row else None, int(row["samples"]) if row else 0))
        series.append(TrendSeries(name, bounds.unit, tuple(points)))
    return tuple(series)


def worsened_routes(engine: Engine, since: datetime, until: datetime, *,
                    min_samples: int = DEFAULT_MIN_SAMPLES) -> tuple[WorseRoute, ...]:
    """Routes and metrics whose p75 in [since, until) is worse than in the previous window of equal length:
    a worse rating, or a rise of WORSE_BY or more; both windows need ``min_samples`` samples. Worse ratings
    first, then the largest rises."""
    window = _window(since, until)
    params = {"lo": since - (until - since), "hi": window["hi"], "since": since,
              "min_samples": positive_int(min_samples, "min_samples", MAX_MIN_SAMPLES)}
    if not _has_table(engine):
        return ()
    out = []
    for row in engine.query(_WORSE_SQL, params).to_pylist():
        name, before, after = row["name"], float(row["p75_before"]), float(row["p75_after"])
        rating_before, rating_after = rate(name, before) or "", rate(name, after) or ""
        change = after / before - 1 if before > 0 else None
        if RATINGS.index(rating_after) > RATINGS.index(rating_before):
            reason = "rating"
        elif change is not None and change >= WORSE_BY - 1e-12:
            reason = "p75"
        else:
            continue
        out.append(WorseRoute(row["route"], name, THRESHOLDS[name].unit, before, after, change, rating_before,
                              rating_after, int(row["samples_before"]), int(row["samples_after"]), reason))
    out.sort(key=lambda w: (w.reason != "rating", -(w.change if w.change is not None else float("inf")),
                            w.route, METRICS.index(w.name)))
    return tuple(out)


def headline(engine: Engine, since: datetime, until: datetime) -> dict[str, float | None]:
    """p75 of LCP, FID, INP (milliseconds) and CLS in [since, until), None without samples (for alert rules)."""
    p75 = {m.name: m.p75 for m in summary(engine, since, until)}
    return {"lcp_p75_ms": p75["LCP"], "fid_p75_ms": p75["FID"], "inp_p75_ms": p75["INP"], "cls_p75": p75["CLS"]}


def report(engine: Engine, since: datetime, until: datetime, *, tz: str = "UTC",
           min_samples: int = DEFAULT_MIN_SAMPLES, limit_routes: int = DEFAULT_ROUTES) -> VitalsReport:
    """Everything the web vitals page shows, for one window."""
    _window(since, until)
    return VitalsReport(
        since=since, until=until, previous_since=since - (until - since), bucket=bucket_for(since, until), tz=tz,
        min_samples=min_samples,
        metrics=summary(engine, since, until),
        routes=by_route(engine, since, until, min_samples=min_samples, limit=limit_routes),
        trend=trend(engine, since, until, tz=tz),
        worsened=worsened_routes(engine, since, until, min_samples=min_samples),
    )


def _has_table(engine: Engine) -> bool:
    """Whether any vitals arrived yet (the server creates the table at start; a bare warehouse may lack it)."""
    return engine.table_exists(TABLE)
