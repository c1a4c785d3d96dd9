"""The seven commerce rule kinds: net revenue drop, MER drop, nCAC spike, conversion-rate drop (each the last
``window_days`` against the same weekdays of the ``baseline_weeks`` before), spend pacing, refund-rate spike and
data freshness / failed build.

Comparing against the same weekdays keeps weekly seasonality out of the verdict: a 7-day window against the 28
days before compares every weekday with itself. The baseline is the metric computed on the baseline's base
aggregates divided by the number of baseline periods, so a sum is a per-window average and a ratio the ratio of
the sums. A rule is skipped (existing alerts untouched) when the baseline's volume is below ``min_volume``.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from growthos.alerts.rules import AlertContext, Evaluation, Rule, register_rule_kind
from growthos.core.errors import InvalidInput, NotFound, WarehouseError
from growthos.metrics.catalogue import CATALOGUE, Metric
from growthos.metrics.evaluate import metric_values
from growthos.metrics.format import format_change, format_value


@dataclass(frozen=True)
class Windows:
    current: list[date]
    baseline: list[date]
    periods: int
    """How many baseline windows (the baseline's sums are divided by this)."""


def windows(last_full_day: date, window_days: int, baseline_weeks: int) -> Windows:
    """The last ``window_days`` and, ``baseline_weeks`` times, the same weekdays whole weeks earlier."""
    current = [last_full_day - timedelta(days=i) for i in reversed(range(window_days))]
    shift = 7 * math.ceil(window_days / 7)
    baseline = [d - timedelta(days=shift * k) for k in range(baseline_weeks, 0, -1) for d in current]
    return Windows(current, baseline, baseline_weeks)


def _sum(per_day: dict[date, dict[str, float | None]], days: Iterable[date], scale: float = 1.0
         ) -> dict[str, float | None]:
    total: dict[str, float | None] = {}
    for day in days:
        for name, value in per_day.get(day, {}).items():
            if value is not None:
                total[name] = (total.get(name) or 0.0) + value
    return {name: value / scale for name, value in total.items() if value is not None}


def _value(metric: Metric, bases: dict[str, float | None]) -> float | None:
    return metric_values(bases, [metric])[metric.name]


def _skipped(message: str, values: dict[str, Any]) -> Evaluation:
    return Evaluation(fired=False, skipped=True, message=message, values=values)


_RECOMMENDATIONS = {
    "drop": "{label} fell {change} to {observed} over the last {days} days against {baseline} usually. "
            "Find where it fell: compare channels and campaigns (growthos kpis --by channel), then check the site's "
            "conversion rate, stock-outs and checkout errors for the same days.",
    "spike": "{label} rose {change} to {observed} over the last {days} days against {baseline} usually. "
             "Find what drove it: compare channels and campaigns for the same days and check recent changes.",
}
_KIND_RECOMMENDATIONS = {
    "net_revenue_drop": "Net revenue fell {change} to {observed} in the last {days} days (usual: {baseline}). "
                        "Break it down by channel to find the source, then check orders vs sessions (traffic or "
                        "conversion?), stock-outs of top sellers, and checkout or payment errors on those days.",
    "mer_drop": "MER fell {change} to {observed} in the last {days} days (usual: {baseline}): spend is buying less "
                "revenue. Review campaigns whose spend rose without revenue, cut or cap the lowest-ROAS ones, and "
                "confirm pixel/conversion tracking still works.",
    "ncac_spike": "nCAC rose {change} to {observed} in the last {days} days (usual: {baseline}). Check prospecting "
                  "campaigns for rising CPMs or falling CTR (creative fatigue), shift budget to the channels with "
                  "the lowest nCAC, and refresh creatives.",
    "conversion_rate_drop": "Conversion rate fell {change} to {observed} in the last {days} days (usual: "
                            "{baseline}). Walk the funnel (sessions → add to cart → checkout → order) to find the "
                            "step that fell; check site speed, recent releases, prices and out-of-stock pages.",
    "refund_rate_spike": "Refund rate rose {change} to {observed} in the last {days} days (usual: {baseline}). "
                         "List the refunded orders by product and reason: a quality problem, a fulfilment or "
                         "shipping issue, or a misleading listing; pause the offending product's ads meanwhile.",
}


def metric_change(rule: Rule, ctx: AlertContext) -> Evaluation:
    """The metric over the last ``window_days`` against its baseline; fires past ``threshold`` (a fraction)."""
    p = rule.params
    metric = CATALOGUE[rule.metric or "net_revenue"]
    direction = p.get("direction", "drop")
    w = windows(ctx.last_full_day, int(p["window_days"]), int(p["baseline_weeks"]))
    volume_base = p.get("volume_base") or None
    needs = frozenset(metric.needs) | ({volume_base} if volume_base else set())
    values: dict[str, Any] = {
        "metric": metric.name, "direction": direction, "threshold": p["threshold"],
        "window": [w.current[0].isoformat(), w.current[-1].isoformat()],
        "baseline_window": [w.baseline[0].isoformat(), w.baseline[-1].isoformat()],
        "baseline_weeks": w.periods,
    }
    try:
        per_day = ctx.daily_bases(w.baseline[0], w.current[-1], needs)
    except (NotFound, WarehouseError) as exc:
        return _skipped(f"{rule.name}: no data to evaluate ({exc.message})", values)
    current_bases = _sum(per_day, w.current)
    baseline_bases = _sum(per_day, w.baseline, w.periods)
    if volume_base:
        volume = baseline_bases.get(volume_base) or 0.0
        values.update(volume_base=volume_base, baseline_volume=round(volume, 4), min_volume=p["min_volume"])
        if volume < p["min_volume"]:
            return _skipped(f"{metric.label}: baseline {volume_base} {volume:,.0f} per window is below the minimum "
                            f"of {p['min_volume']:,.0f} — not judged", values)
    observed, baseline = _value(metric, current_bases), _value(metric, baseline_bases)
    values.update(observed=observed, baseline=baseline)
    if observed is None or baseline is None or baseline == 0:
        return _skipped(f"{metric.label}: not defined in the window or its baseline — not judged", values)
    change = (observed - baseline) / abs(baseline)
    values["change_pct"] = round(change, 6)
    beyond = -change if direction == "drop" else change
    fired = beyond >= p["threshold"]
    critical = p.get("critical_threshold")
    severity = "critical" if fired and critical is not None and beyond >= critical else None
    fields = {"label": metric.label, "change": format_change(change), "days": len(w.current),
              "observed": format_value(metric, observed, ctx.currency),
              "baseline": format_value(metric, baseline, ctx.currency)}
    verb = "fell" if change < 0 else "rose"
    message = (f"{metric.label} {verb} {format_change(change)} to {fields['observed']} over the last "
               f"{len(w.current)} days (baseline {fields['baseline']}; alert at "
               f"{'-' if direction == 'drop' else '+'}{p['threshold'] * 100:.0f}%)")
    template = _KIND_RECOMMENDATIONS.get(rule.kind, _RECOMMENDATIONS["drop" if direction == "drop" else "spike"])
    return Evaluation(fired=fired, message=message, observed=observed, baseline=baseline,
                      recommendation=template.format(**fields) if fired else "", values=values, severity=severity)


def spend_pacing(rule: Rule, ctx: AlertContext) -> Evaluation:
    """Ad spend against a monthly budget (month to date vs the budget's share of the days gone) when
    ``monthly_budget`` is set, else the last ``window_days`` against the same weekdays before; fires when the
    ratio is above 1 + ``over`` or below 1 − ``under``."""
    p = rule.params
    metric = CATALOGUE["ad_spend"]
    end = ctx.last_full_day
    budget = p.get("monthly_budget")
    values: dict[str, Any] = {"over": p["over"], "under": p["under"]}
    try:
        if budget:
            start = end.replace(day=1)
            days_in_month = calendar.monthrange(end.year, end.month)[1]
            per_day = ctx.daily_bases(start, end, frozenset({"ad_spend"}))
            observed = _sum(per_day, [start + timedelta(days=i) for i in range((end - start).days + 1)]
                            ).get("ad_spend", 0.0)
            baseline = budget * end.day / days_in_month
            values.update(mode="budget", monthly_budget=budget, month_to_date=[start.isoformat(), end.isoformat()],
                          days_elapsed=end.day, days_in_month=days_in_month)
            against = f"the budget's {end.day}/{days_in_month} share of {format_value(metric, budget, ctx.currency)}"
        else:
            w = windows(end, int(p["window_days"]), int(p["baseline_weeks"]))
            per_day = ctx.daily_bases(w.baseline[0], w.current[-1], frozenset({"ad_spend"}))
            observed = _sum(per_day, w.current).get("ad_spend", 0.0)
            baseline = _sum(per_day, w.baseline, w.periods).get("ad_spend", 0.0)
            values.update(mode="trailing", window=[w.current[0].isoformat(), w.current[-1].isoformat()],
                          baseline_weeks=w.periods)
            against = (f"the trailing average of {format_value(metric, baseline, ctx.currency)} "
                       f"per {len(w.current)} days")
            if baseline < p["min_spend"]:
                values.update(baseline=baseline, min_spend=p["min_spend"])
                return _skipped(f"Ad spend baseline {baseline:,.2f} is below the minimum of {p['min_spend']:,.0f} — "
                                "not judged", values)
    except (NotFound, WarehouseError) as exc:
        return _skipped(f"{rule.name}: no data to evaluate ({exc.message})", values)
    values.update(observed=observed, baseline=baseline)
    if not baseline:
        return _skipped("Ad spend has no baseline (budget or trailing spend is 0) — not judged", values)
    pace = observed / baseline
    values["pace"] = round(pace, 6)
    over, under = pace > 1 + p["over"], pace < 1 - p["under"]
    spent = format_value(metric, observed, ctx.currency)
    message = f"Ad spend {spent} is {pace * 100:.0f}% of {against}"
    if over:
        recommendation = (f"Spend is pacing {format_change(pace - 1)} over plan ({spent} vs "
                          f"{format_value(metric, baseline, ctx.currency)}). Check for campaigns whose daily budgets "
                          "were raised or that switched to uncapped bidding, and cap them if MER has not risen too.")
    elif under:
        recommendation = (f"Spend is pacing {format_change(pace - 1)} under plan ({spent} vs "
                          f"{format_value(metric, baseline, ctx.currency)}). Check for paused or disapproved "
                          "campaigns, exhausted budgets, payment problems on the ad accounts, or bids set too low.")
    else:
        recommendation = ""
    return Evaluation(fired=over or under, message=message, observed=observed, baseline=baseline,
                      recommendation=recommendation, values=values, key="")


def data_freshness(rule: Rule, ctx: AlertContext) -> Evaluation:
    """Fires when the newest build failed, when no build succeeded for ``max_build_age_hours`` (0: never), or when
    the latest freshness check (``check``) has a status in ``fire_on``."""
    p = rule.params
    problems: list[str] = []
    steps: list[str] = []
    values: dict[str, Any] = {}
    observed: float | None = None
    last_build = ctx.last_job("build")
    if last_build is None:
        return _skipped("No build has run yet — freshness not judged", values)
    if last_build.status == "failed":
        error = (last_build.error or "no error recorded").splitlines()[0][:300]
        problems.append(f"the last build (job {last_build.id}) failed: {error}")
        steps.append("fix the build error shown (growthos jobs / GET /api/jobs) and rebuild (growthos build)")
        values["failed_build"] = {"job_id": last_build.id, "error": error}
    succeeded = ctx.last_job("build", "succeeded")
    max_age = p["max_build_age_hours"]
    if succeeded is not None and max_age:
        ended = succeeded.ended_at or succeeded.started_at
        age_h = (ctx.now - ended).total_seconds() / 3600
        values["hours_since_successful_build"] = round(age_h, 2)
        if age_h > max_age:
            problems.append(f"no successful build for {age_h:.0f} h (limit {max_age} h)")
            steps.append("check that the scheduler runs (scheduler_enabled) or run growthos build")
    for outcome in ctx.check_results():
        if outcome.name != p["check"]:
            continue
        observed = outcome.observed
        values["check"] = {"name": outcome.name, "status": outcome.status, "observed": outcome.observed,
                           "threshold": outcome.threshold, "detail": outcome.detail}
        if outcome.status in p["fire_on"]:
            days = "no data" if outcome.observed is None else f"{outcome.observed:.0f} days behind"
            problems.append(f"data is stale ({days}: {outcome.detail})")
            steps.append("run growthos sync for the lagging source and check its connection "
                         "(growthos connections test NAME) — an expired token is the usual cause")
    if not problems:
        return Evaluation(fired=False, message="Builds succeed and data is fresh", observed=observed,
                          values=values)
    message = "Data freshness: " + "; ".join(problems)
    recommendation = "Dashboards and alerts may be showing old numbers. " + "; then ".join(steps).capitalize() + "."
    return Evaluation(fired=True, message=message, observed=observed, baseline=p.get("max_build_age_hours"),
                      recommendation=recommendation, values=values)


_TRAILING = {"window_days": 7, "baseline_weeks": 4}


def _check_windows(params: dict[str, Any], where: str) -> None:
    for name, low, high in (("window_days", 1, 92), ("baseline_weeks", 1, 52)):
        if not low <= params[name] <= high:
            raise InvalidInput(f"{where}.{name} must be from {low} to {high}; got {params[name]!r}",
                               field=f"{where}.{name}")


def _check_change(params: dict[str, Any], where: str) -> None:
    _check_windows(params, where)
    if params["direction"] not in ("drop", "spike"):
        raise InvalidInput(f"{where}.direction must be drop or spike; got {params['direction']!r}",
                           field=f"{where}.direction")
    if not params["threshold"] > 0:
        raise InvalidInput(f"{where}.threshold must be above 0 (a fraction: 0.2 = 20%)", field=f"{where}.threshold")


def _change_params(direction: str, threshold: float, volume_base: str, min_volume: float) -> dict[str, Any]:
    return {**_TRAILING, "direction": direction, "threshold": threshold, "critical_threshold": None,
            "volume_base": volume_base, "min_volume": float(min_volume)}


register_rule_kind("net_revenue_drop", metric_change, metric="net_revenue",
                   description="Net revenue of the last days vs the same weekdays before",
                   validate=_check_change, params=_change_params("drop", 0.2, "orders", 20))
register_rule_kind("mer_drop", metric_change, metric="mer", description="MER (net revenue ÷ ad spend) drop",
                   validate=_check_change, params=_change_params("drop", 0.2, "ad_spend", 500))
register_rule_kind("ncac_spike", metric_change, metric="ncac", description="New-customer acquisition cost spike",
                   validate=_check_change, params=_change_params("spike", 0.25, "new_customers", 10))
register_rule_kind("conversion_rate_drop", metric_change, metric="conversion_rate",
                   description="Orders ÷ sessions drop", validate=_check_change,
                   params=_change_params("drop", 0.2, "sessions", 500))
register_rule_kind("refund_rate_spike", metric_change, metric="refund_rate", description="Refund rate spike",
                   validate=_check_change, params=_change_params("spike", 0.5, "orders", 20))
register_rule_kind("metric_drop", metric_change, needs_metric=True, description="Any catalogue metric's drop",
                   validate=_check_change, params=_change_params("drop", 0.2, "", 0))
register_rule_kind("metric_spike", metric_change, needs_metric=True, description="Any catalogue metric's spike",
                   validate=_check_change, params=_change_params("spike", 0.2, "", 0))
register_rule_kind("spend_pacing", spend_pacing, metric="ad_spend",
                   description="Ad spend over or under its trailing average or a monthly budget",
                   validate=_check_windows,
                   params={**_TRAILING, "over": 0.3, "under": 0.3, "monthly_budget": None, "min_spend": 100.0})
register_rule_kind("data_freshness", data_freshness, severity="critical",
                   description="Failed or overdue build, stale source data",
                   params={"check": "freshness", "fire_on": ["fail"], "max_build_age_hours": 48})
