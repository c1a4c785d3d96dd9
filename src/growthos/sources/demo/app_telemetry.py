"""The recipe app's telemetry over the demo's last ``TELEMETRY_DAYS`` days, as its instrumentation sends it:
Core Web Vitals of its web pages (the /sdk/vitals.js snippet), its AI calls (growthos.telemetry.ai), its
database queries (growthos.telemetry.db) and its two services' resource samples (a metrics agent).

``telemetry_batches()`` yields ``(path, records)`` pairs for ``POST /api/analytics/<path>`` in time order; the
same seed gives the same records. Volumes follow the app's day (New York evenings busiest). Planted facts
(``TELEMETRY_ANOMALIES``), on reporting days before ``DEMO_END_DATE``:

- ``recipe_page_lcp_regression``: for the last 6 days the recipe page (/recipes/{id}) ships a full-size hero
  image: its LCP p75 goes from about 3 s (needs improvement) to about 5.5 s (poor); other routes are
  unchanged.
- ``recipe_generation_cost_spike``: for two days (7 and 6 days before the end) a deploy points
  /api/recipes/generate at gpt-4o instead of gpt-4o-mini and, with a new prompt format, misses the response
  cache: the endpoint's AI cost per day rises about tenfold and its cache hit rate falls from about 35% to 0.
- ``slow_recipe_search``: all along, about 5% of the recipe title searches (ILIKE without an index) take
  1.2–3.4 s: the slowest fingerprint and the slow-query rate.
- The ``worker`` service idles at about 15% CPU on 4 instances (scale down); ``api`` runs 3 instances whose
  evening peaks pass 80% (scale up).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from growthos.telemetry.pricing import PriceTable

TELEMETRY_DAYS = 30
TZ = ZoneInfo("America/New_York")
BATCH = 1000


@dataclass(frozen=True)
class TelemetryAnomaly:
    kind: str
    days_before_end: tuple[int, int]
    """First and last reporting day, as days before DEMO_END_DATE (0 = the last day)."""
    description: str

    def covers(self, day: date, end: date) -> bool:
        first, last = self.days_before_end
        return end - timedelta(days=first) <= day <= end - timedelta(days=last)


LCP_REGRESSION = TelemetryAnomaly("recipe_page_lcp_regression", (5, 0),
                                  "The recipe page's LCP p75 goes from about 3 s to about 5.5 s (a hero image).")
COST_SPIKE = TelemetryAnomaly("recipe_generation_cost_spike", (7, 6),
                              "Recipe generation on gpt-4o with a cold cache: AI cost per day about tenfold.")
TELEMETRY_ANOMALIES = (LCP_REGRESSION, COST_SPIKE)

# Share of the day's traffic in each local hour (0..23): quiet nights, a lunch bump, busy evenings.
_HOURLY = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 3.8, 4.2, 5, 4.6, 4, 3.8, 4, 4.8, 6.5, 7.5, 7,
                    5.5, 3.5, 2])
_HOURLY = _HOURLY / _HOURLY.mean()

ROUTES = (("/", 0.25), ("/recipes", 0.25), ("/recipes/{id}", 0.30), ("/plans", 0.12), ("/checkout", 0.08))
USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:122.0) Gecko/20100101 Firefox/122.0",
)
THRESHOLDS = {"LCP": (2500, 4000), "INP": (200, 500), "CLS": (0.1, 0.25), "FCP": (1800, 3000),
              "TTFB": (800, 1800), "FID": (100, 300)}

AI_ENDPOINTS = (  # endpoint, share, model, cache hit rate, tokens in (mean, sd), tokens out (mean, sd)
    ("/api/recipes/generate", 0.6, "gpt-4o-mini", 0.35, (420, 60), (650, 120)),
    ("/api/plans/suggest", 0.3, "gpt-4o-mini", 0.20, (900, 120), (300, 60)),
    ("/api/pantry/scan", 0.1, "gpt-4o", 0.0, (1100, 100), (200, 40)),
)
QUERIES = (  # fingerprint, share, median ms, sigma, result-cache hit rate, endpoint
    ("SELECT id, title, cuisine FROM recipes WHERE id = ?", 0.30, 2.0, 0.4, 0.0, "/recipes/{id}"),
    ("SELECT * FROM meal_plans WHERE user_id = ? ORDER BY created_at DESC LIMIT ?", 0.20, 6.0, 0.5, 0.45, "/plans"),
    ("SELECT r.id, r.title FROM recipes AS r WHERE r.title ILIKE ? ORDER BY r.popularity DESC LIMIT ?", 0.08,
     180.0, 0.6, 0.0, "/recipes"),
    ("INSERT INTO app_events (user_id, name, created_at) VALUES (?, ?, ?)", 0.15, 1.5, 0.3, 0.0, "/api/events"),
    ("UPDATE users SET last_seen_at = ? WHERE id = ?", 0.10, 2.0, 0.4, 0.0, "/api/session"),
    ("SELECT count(*) FROM pantry_items WHERE user_id = ?", 0.07, 4.0, 0.5, 0.0, "/api/pantry/scan"),
    ("SELECT * FROM shopping_list_items WHERE list_id IN (?)", 0.10, 9.0, 0.5, 0.0, "/plans"),
)
SLOW_SEARCH_SHARE = 0.05
SERVICES = (("api", 3, 42.0, 48.0), ("worker", 4, 14.0, 4.0))
"""Service, instances, base CPU % and how much the busiest hour adds."""


def _hours(end: date, days: int) -> Iterator[tuple[date, datetime]]:
    for d in range(days - 1, -1, -1):
        day = end - timedelta(days=d)
        for hour in range(24):
            yield day, datetime.combine(day, time(hour), tzinfo=TZ).astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _rating(name: str, value: float) -> str:
    good, poor = THRESHOLDS[name]
    return "good" if value <= good else "poor" if value > poor else "needs-improvement"


def _vitals(rng: np.random.Generator, day: date, start: datetime, end: date, views: int) -> list[dict[str, Any]]:
    routes = [r for r, _ in ROUTES]
    weights = [w for _, w in ROUTES]
    records = []
    for _ in range(views):
        at = start + timedelta(seconds=float(rng.uniform(0, 3600)))
        route = routes[rng.choice(len(routes), p=weights)]
        ttfb = rng.lognormal(math.log(350), 0.5)
        fcp = ttfb + rng.lognormal(math.log(900), 0.45)
        lcp = fcp + rng.lognormal(math.log(650), 0.6)
        if route == "/recipes/{id}":
            lcp += rng.lognormal(math.log(2600 if LCP_REGRESSION.covers(day, end) else 450), 0.35)
        values = {"TTFB": ttfb, "FCP": fcp, "LCP": lcp,
                  "CLS": float(rng.uniform(0, 0.05) if rng.random() < 0.7 else rng.exponential(0.09))}
        if rng.random() < 0.6:
            values["INP"] = rng.lognormal(math.log(120), 0.6)
        if rng.random() < 0.15:
            values["FID"] = rng.lognormal(math.log(30), 0.8)
        connection = ("4g", "3g", "2g")[rng.choice(3, p=[0.82, 0.15, 0.03])]
        session = f"s{rng.integers(1 << 40):x}"
        agent = USER_AGENTS[rng.integers(len(USER_AGENTS))]
        for i, (name, value) in enumerate(values.items()):
            value = round(float(value), 4 if name == "CLS" else 1)
            records.append({"name": name, "value": value, "rating": _rating(name, value), "delta": value,
                            "metric_id": f"v4-{session}-{i}", "navigation_type": "navigate", "route": route,
                            "connection_type": connection, "user_agent": agent, "session_id": session,
                            "timestamp": _iso(at)})
    return records


def _ai_calls(rng: np.random.Generator, day: date, start: datetime, end: date, calls: int,
              prices: PriceTable) -> list[dict[str, Any]]:
    shares = [e[1] for e in AI_ENDPOINTS]
    records = []
    for _ in range(calls):
        at = start + timedelta(seconds=float(rng.uniform(0, 3600)))
        endpoint, _share, model, hit_rate, tokens_in, tokens_out = AI_ENDPOINTS[rng.choice(len(AI_ENDPOINTS),
                                                                                          p=shares)]
        if endpoint == "/api/recipes/generate" and COST_SPIKE.covers(day, end):
            model, hit_rate = "gpt-4o", 0.0
        record: dict[str, Any] = {"model": model, "provider": "openai", "endpoint": endpoint,
                                  "user_id": f"u{rng.integers(1, 900)}", "timestamp": _iso(at)}
        if rng.random() < hit_rate:
            record.update(latency_ms=round(float(rng.lognormal(math.log(3), 0.4)), 2), tokens_in=0, tokens_out=0,
                          cost_usd=0.0, cache_hit=True)
        elif rng.random() < 0.01:
            record.update(latency_ms=round(float(rng.lognormal(math.log(250), 0.3)), 1), status="error",
                          error_type="RateLimitError")
        else:
            n_in = max(1, int(rng.normal(*tokens_in)))
            n_out = max(1, int(rng.normal(*tokens_out)))
            speed = 2.0 if model == "gpt-4o" else 1.0
            latency = 250 + n_out * 1.8 * speed * float(rng.lognormal(0, 0.25))
            record.update(latency_ms=round(latency, 1), tokens_in=n_in, tokens_out=n_out,
                          cost_usd=round(prices.cost(model, n_in, n_out) or 0.0, 8))
        records.append(record)
    return records


def _queries(rng: np.random.Generator, start: datetime, count: int) -> list[dict[str, Any]]:
    shares = [q[1] for q in QUERIES]
    records = []
    for _ in range(count):
        at = start + timedelta(seconds=float(rng.uniform(0, 3600)))
        fingerprint, _share, median, sigma, cache_rate, endpoint = QUERIES[rng.choice(len(QUERIES), p=shares)]
        cached = bool(rng.random() < cache_rate)
        if cached:
            duration = float(rng.lognormal(math.log(0.05), 0.3))
        elif "ILIKE" in fingerprint and rng.random() < SLOW_SEARCH_SHARE:
            duration = float(rng.uniform(1200, 3400))
        else:
            duration = float(rng.lognormal(math.log(median), sigma))
        operation = fingerprint.split(" ", 1)[0]
        records.append({"fingerprint": fingerprint, "duration_ms": round(duration, 3),
                        "rows": int(rng.integers(0, 40)) if operation == "SELECT" else 1, "cached": cached,
                        "slow": duration >= 1000, "system": "postgresql", "operation": operation,
                        "endpoint": endpoint, "timestamp": _iso(at)})
    return records


def _resources(rng: np.random.Generator, start: datetime, local_hour: int) -> list[dict[str, Any]]:
    busy = (_HOURLY[local_hour] - _HOURLY.min()) / (_HOURLY.max() - _HOURLY.min())
    records = []
    for minute in range(0, 60, 5):
        at = start + timedelta(minutes=minute)
        for service, instances, base, peak in SERVICES:
            cpu = max(1.0, base + peak * busy + float(rng.normal(0, 3)))
            records.append({"service": service, "instance_count": instances, "cpu_percent": round(cpu, 1),
                            "memory_percent": round(48 + 10 * busy + float(rng.normal(0, 2)), 1),
                            "connections": int(instances * (8 + 12 * busy) + rng.integers(0, 4)),
                            "timestamp": _iso(at)})
    return records


def telemetry_batches(*, seed: int, end: date, days: int = TELEMETRY_DAYS, scale: float = 1.0
                      ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """``(path, records)`` for POST /api/analytics/<path>, hour by hour over reporting days end-days+1..end,
    in batches of at most BATCH records."""
    rng = np.random.default_rng(seed)
    prices = PriceTable()
    pending: dict[str, list[dict[str, Any]]] = {"performance": [], "ai-performance": [],
                                                 "database-performance": [], "resources": []}
    for day, start in _hours(end, days):
        rhythm = float(_HOURLY[start.astimezone(TZ).hour])
        pending["performance"] += _vitals(rng, day, start, end, int(rng.poisson(12 * rhythm * scale)))
        pending["ai-performance"] += _ai_calls(rng, day, start, end, int(rng.poisson(16 * rhythm * scale)), prices)
        pending["database-performance"] += _queries(rng, start, int(rng.poisson(60 * rhythm * scale)))
        pending["resources"] += _resources(rng, start, start.astimezone(TZ).hour)
        for path, records in pending.items():
            while len(records) >= BATCH:
                yield path, records[:BATCH]
                del records[:BATCH]
    for path, records in pending.items():
        if records:
            yield path, records
