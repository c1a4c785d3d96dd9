"""The performance rule pack: thresholds on the app's telemetry (Core Web Vitals, AI calls, database queries,
errors) and declines of its usage, as two rule kinds and the pack's rules.

- ``telemetry_threshold``: a telemetry measure over the last ``window_hours`` (by the workspace's clock) above
  ``above`` or below ``below``; skipped while the window holds fewer than ``min_samples`` samples of it.
- ``usage_decline``: daily active users (people with any tracked event, page or screen view) of the last full
  day against the mean of the ``baseline_days`` before it; fires when down by ``threshold`` or more.

The pack's rules (``PERFORMANCE_RULES``): LCP p75 > 4000 ms, FID p75 > 300 ms, INP p75 > 500 ms, CLS p75 > 0.25;
AI p95 response > 5000 ms, AI error rate > 5%, AI cache hit rate < 20%, tokens per request > 3000; the slowest
database query > 2000 ms, slow-query rate > 20%, database cache hit rate < 30%; DAU down > 20%, conversion rate
down > 15% (the commerce kind with its threshold at 15%); and the error rate of the app's operations (failed AI
calls and database queries ÷ all) > 1% (warning) and > 5% (critical).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from growthos.alerts.rules import AlertContext, Evaluation, Rule, register_rule_kind, register_rule_pack
from growthos.core.errors import InvalidInput


@dataclass(frozen=True)
class Measure:
    label: str
    unit: str
    """ms, ratio or score."""
    samples: str
    """The headline key counting the samples behind it."""
    recommendation: str


MEASURES: dict[str, Measure] = {
    "lcp_p75_ms": Measure("LCP p75", "ms", "lcp_samples",
                          "Find the routes whose LCP got worse (Web vitals page) and what their largest element is: "
                          "compress or resize hero images, preload the LCP image, cut render-blocking CSS/JS."),
    "fid_p75_ms": Measure("FID p75", "ms", "fid_samples",
                          "Long main-thread tasks delay the first input: split heavy scripts and defer third-party "
                          "tags."),
    "inp_p75_ms": Measure("INP p75", "ms", "inp_samples",
                          "Interactions respond slowly: find the slow handlers on the worst routes, yield to the main "
                          "thread, and avoid large re-renders on input."),
    "cls_p75": Measure("CLS p75", "score", "cls_samples",
                       "Layout shifts: give images and embeds explicit sizes and reserve space for late content "
                       "(banners, ads, fonts)."),
    "ai_p95_latency_ms": Measure("AI p95 response time", "ms", "ai_calls",
                                 "Check the slowest models and endpoints (AI calls page): stream responses, cap "
                                 "output tokens, use a smaller model where quality allows, cache more."),
    "ai_error_rate": Measure("AI error rate", "ratio", "ai_calls",
                             "Look at the error types on the AI calls page: rate limits call for backoff and a "
                             "higher tier, timeouts for shorter prompts or a faster model."),
    "ai_cache_hit_rate": Measure("AI cache hit rate", "ratio", "ai_calls",
                                 "Few answers come from the cache: check that prompts are normalised (no ids or "
                                 "timestamps in them) and that the TTL suits the content."),
    "ai_tokens_per_request": Measure("Tokens per AI request", "tokens", "ai_calls",
                                     "Requests grew: trim the prompt template and retrieved context, and cap "
                                     "max_tokens."),
    "db_max_query_ms": Measure("Slowest database query", "ms", "db_queries",
                               "Open the Database page's slowest fingerprints: add the missing index or rewrite the "
                               "query (EXPLAIN ANALYZE shows where the time goes)."),
    "db_slow_query_rate": Measure("Slow-query rate", "ratio", "db_queries",
                                  "Many queries pass the slow threshold: look for missing indexes, N+1 patterns "
                                  "and lock contention at those hours."),
    "db_cache_hit_rate": Measure("Database cache hit rate", "ratio", "db_queries",
                                 "The result cache rarely answers: cache the hottest read queries, or lengthen "
                                 "their TTL where staleness is acceptable."),
    "error_rate": Measure("Error rate of AI calls and database queries", "ratio", "operations",
                          "Errors rose: see which AI endpoints and database fingerprints fail (their pages list "
                          "error types) and what was deployed when it started."),
}
"""Telemetry measure -> how it is shown and acted on (values from metrics/telemetry/headline.py)."""


def _shown(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "tokens":
        return f"{value:,.0f} tokens"
    return f"{value:.3f}"


def telemetry_threshold(rule: Rule, ctx: AlertContext) -> Evaluation:
    p = rule.params
    measure = MEASURES[p["measure"]]
    hours = p["window_hours"]
    values = ctx.telemetry(ctx.data_now - timedelta(hours=hours), ctx.data_now)
    samples = values.get(measure.samples) or 0.0
    value = values.get(p["measure"])
    limit, above = (p["above"], True) if p["above"] is not None else (p["below"], False)
    facts: dict[str, Any] = {"measure": p["measure"], "value": value, "samples": samples, "window_hours": hours,
                             "above" if above else "below": limit}
    if value is None or samples < p["min_samples"]:
        return Evaluation(fired=False, skipped=True, values=facts,
                          message=f"{measure.label}: {samples:,.0f} samples in the last {hours:g} h, fewer than "
                                  f"{p['min_samples']:,}")
    fired = value > limit if above else value < limit
    side = "above" if above else "below"
    message = (f"{measure.label} was {_shown(value, measure.unit)} over the last {hours:g} h "
               f"({'' if fired else 'not '}{side} {_shown(limit, measure.unit)}; {samples:,.0f} samples)")
    return Evaluation(fired=fired, message=message, observed=value, baseline=limit, values=facts,
                      recommendation=measure.recommendation if fired else "")


def usage_decline(rule: Rule, ctx: AlertContext) -> Evaluation:
    p = rule.params
    last = ctx.last_full_day
    days = ctx.active_users(last - timedelta(days=p["baseline_days"]), last)
    baseline_days = [days[d] for d in sorted(days) if d < last]
    current = days.get(last)
    baseline = sum(baseline_days) / len(baseline_days) if baseline_days else None
    facts = {"day": last.isoformat(), "dau": current, "baseline_mean": baseline, "baseline_days": p["baseline_days"],
             "threshold": p["threshold"]}
    if current is None or not baseline or baseline < p["min_users"]:
        return Evaluation(fired=False, skipped=True, values=facts,
                          message=f"Daily active users: too few to judge (baseline {baseline or 0:,.0f})")
    change = current / baseline - 1
    fired = change <= -p["threshold"]
    message = (f"Daily active users were {current:,.0f} on {last.isoformat()}, {change:+.1%} against "
               f"{baseline:,.0f} a day over the {p['baseline_days']} days before")
    return Evaluation(fired=fired, message=message, observed=float(current), baseline=baseline,
                      values={**facts, "change": change},
                      recommendation=("Find which platform and which step of the app lost people (Trends and Funnel "
                                      "pages by platform), and what shipped the day before." if fired else ""))


def _check_threshold(params: dict[str, Any], where: str) -> None:
    if params["measure"] not in MEASURES:
        raise InvalidInput(f"{where}.measure must be one of {', '.join(MEASURES)}; got {params['measure']!r}",
                           field=f"{where}.measure")
    if (params["above"] is None) == (params["below"] is None):
        raise InvalidInput(f"give exactly one of {where}.above and {where}.below", field=f"{where}.above")
    if params["window_hours"] <= 0:
        raise InvalidInput(f"{where}.window_hours must be above 0", field=f"{where}.window_hours")


def _check_decline(params: dict[str, Any], where: str) -> None:
    if not 0 < params["threshold"] < 1:
        raise InvalidInput(f"{where}.threshold must be between 0 and 1", field=f"{where}.threshold")
    if params["baseline_days"] < 1:
        raise InvalidInput(f"{where}.baseline_days must be at least 1", field=f"{where}.baseline_days")


register_rule_kind("telemetry_threshold", telemetry_threshold, validate=_check_threshold,
                   description="A telemetry measure (web vitals, AI calls, database queries) above or below a limit",
                   params={"measure": "", "above": None, "below": None, "window_hours": 24.0, "min_samples": 20})
register_rule_kind("usage_decline", usage_decline, validate=_check_decline,
                   description="Daily active users of the last day against the days before",
                   params={"threshold": 0.2, "baseline_days": 7, "min_users": 20})


def _threshold(name: str, measure: str, *, above: float | None = None, below: float | None = None,
               severity: str = "warning") -> dict[str, Any]:
    limit = {"above": above} if above is not None else {"below": below}
    return {"name": name, "kind": "telemetry_threshold", "severity": severity, "params": {"measure": measure, **limit}}


PERFORMANCE_RULES: tuple[dict[str, Any], ...] = (
    _threshold("lcp_poor", "lcp_p75_ms", above=4000),
    _threshold("fid_poor", "fid_p75_ms", above=300),
    _threshold("inp_poor", "inp_p75_ms", above=500),
    _threshold("cls_poor", "cls_p75", above=0.25),
    _threshold("error_rate_critical", "error_rate", above=0.05, severity="critical"),
    _threshold("ai_slow_responses", "ai_p95_latency_ms", above=5000),
    _threshold("ai_error_rate", "ai_error_rate", above=0.05),
    _threshold("ai_cache_hit_low", "ai_cache_hit_rate", below=0.20),
    _threshold("ai_tokens_per_request", "ai_tokens_per_request", above=3000),
    _threshold("db_slow_query", "db_max_query_ms", above=2000),
    _threshold("db_slow_query_rate", "db_slow_query_rate", above=0.20),
    _threshold("db_cache_hit_low", "db_cache_hit_rate", below=0.30),
    {"name": "dau_decline", "kind": "usage_decline", "params": {"threshold": 0.20}},
    {"name": "conversion_decline", "kind": "conversion_rate_drop", "params": {"threshold": 0.15}},
    _threshold("error_rate_elevated", "error_rate", above=0.01),
)
"""The pack's rules, as alerts.yaml would give them."""

register_rule_pack("performance", PERFORMANCE_RULES)
