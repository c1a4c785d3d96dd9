"""Each commerce rule on planted daily series: it fires on the planted drop or spike with the numbers computed
here by hand (last 7 days vs the 28 days before, ÷ 4), stays quiet on normal weekly variation, and is skipped
below its minimum volume."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from planted_series import LAST_DAY, PlantedContext, plant, shop_series

from growthos.alerts.commerce import windows
from growthos.alerts.rules import Evaluation, Rule, parse_rule, register_rule_kind, rule_kind
from growthos.core.errors import InvalidInput
from growthos.store.records import CheckOutcome, JobRun


def evaluate(kind: str, ctx: PlantedContext, **params) -> Evaluation:
    rule = parse_rule({"name": kind, "kind": kind, "params": params})
    return rule_kind(kind).evaluate(rule, ctx)


def sums(series, first: date, last: date) -> dict[str, float]:
    total: dict[str, float] = {}
    day = first
    while day <= last:
        for k, v in series[day].items():
            total[k] = total.get(k, 0.0) + v
        day += timedelta(days=1)
    return total


def by_hand(series, num: str, den: str | None = None) -> tuple[float, float]:
    """(last 7 days, average week of the 28 days before) of num, or of num / den."""
    now = sums(series, LAST_DAY - timedelta(days=6), LAST_DAY)
    before = sums(series, LAST_DAY - timedelta(days=34), LAST_DAY - timedelta(days=7))
    if den is None:
        return now[num], before[num] / 4
    return now[num] / now[den], before[num] / before[den]


CHANGE_RULES = [
    # kind, planted factors, numerator, denominator, direction
    ("net_revenue_drop", {"net_revenue": 0.7, "orders": 0.7}, "net_revenue", None, "drop"),
    ("mer_drop", {"net_revenue": 0.7}, "net_revenue", "ad_spend", "drop"),
    ("ncac_spike", {"new_customers": 0.7}, "ad_spend", "new_customers", "spike"),
    ("conversion_rate_drop", {"orders": 0.7}, "orders", "sessions", "drop"),
]


@pytest.mark.parametrize(("kind", "factors", "num", "den", "direction"), CHANGE_RULES, ids=[c[0] for c in CHANGE_RULES])
def test_change_rule_fires_on_the_planted_change(kind, factors, num, den, direction):
    series = plant(shop_series(), factors)
    result = evaluate(kind, PlantedContext(series))
    observed, baseline = by_hand(series, num, den)
    assert result.fired and not result.skipped
    assert result.observed == pytest.approx(observed)
    assert result.baseline == pytest.approx(baseline)
    change = observed / baseline - 1
    assert (change < -0.2) if direction == "drop" else (change > 0.25)
    assert result.values["change_pct"] == pytest.approx(change, abs=1e-6)
    assert f"{change * 100:+.1f}%" in result.message
    assert f"{change * 100:+.1f}%" in result.recommendation  # the recommendation carries the numbers
    assert result.values["window"] == ["2026-02-02", "2026-02-08"]
    assert result.values["baseline_window"] == ["2026-01-05", "2026-02-01"]


@pytest.mark.parametrize("kind", [c[0] for c in CHANGE_RULES] + ["refund_rate_spike", "spend_pacing"])
def test_rules_stay_quiet_on_normal_weekly_variation(kind):
    result = evaluate(kind, PlantedContext())
    assert not result.fired and not result.skipped, result.message
    assert result.recommendation == ""


@pytest.mark.parametrize("kind", [c[0] for c in CHANGE_RULES] + ["refund_rate_spike"])
def test_a_one_day_window_compares_the_same_weekday(kind):
    # Sunday is 30% above the weekly mean and 44% above Tuesday: against the four Sundays before it is normal.
    result = evaluate(kind, PlantedContext(), window_days=1)
    assert not result.fired and not result.skipped, result.message
    assert result.values["window"] == ["2026-02-08", "2026-02-08"]
    assert result.values["baseline_window"] == ["2026-01-11", "2026-02-01"]
    w = windows(LAST_DAY, 1, 4)
    assert {d.weekday() for d in w.baseline} == {6}


def test_one_day_window_fires_on_a_one_day_drop():
    series = plant(shop_series(), {"net_revenue": 0.5, "orders": 0.5}, days=1)
    assert evaluate("net_revenue_drop", PlantedContext(series), window_days=1).fired
    assert not evaluate("net_revenue_drop", PlantedContext(series)).fired  # diluted over 7 days: -7%


@pytest.mark.parametrize(("kind", "factors"), [(c[0], c[1]) for c in CHANGE_RULES]
                         + [("refund_rate_spike", {"refunds": 2.0})])
def test_below_minimum_volume_nothing_fires(kind, factors):
    series = plant(shop_series(scale=0.01), factors)  # ~1 order, 40 sessions, 15 of spend a day
    result = evaluate(kind, PlantedContext(series))
    assert result.skipped and not result.fired
    assert "below the minimum" in result.message
    assert result.values["baseline_volume"] < result.values["min_volume"]


def test_refund_rate_spike():
    series = plant(shop_series(), {"refunds": 2.0})
    result = evaluate("refund_rate_spike", PlantedContext(series))
    now = sums(series, LAST_DAY - timedelta(days=6), LAST_DAY)
    before = sums(series, LAST_DAY - timedelta(days=34), LAST_DAY - timedelta(days=7))
    observed = now["refunds"] / (now["gross_sales"] - now["discounts"])
    baseline = before["refunds"] / (before["gross_sales"] - before["discounts"])
    assert result.fired
    assert result.observed == pytest.approx(observed)
    assert result.baseline == pytest.approx(baseline)
    assert observed / baseline == pytest.approx(2.0, rel=0.05)
    # +30% is under the default +50% threshold
    assert not evaluate("refund_rate_spike", PlantedContext(plant(shop_series(), {"refunds": 1.3}))).fired


def test_threshold_and_critical_threshold_are_parameters():
    series = plant(shop_series(), {"net_revenue": 0.85, "orders": 0.85})  # -15%
    assert not evaluate("net_revenue_drop", PlantedContext(series)).fired
    assert evaluate("net_revenue_drop", PlantedContext(series), threshold=0.1).fired
    deep = plant(shop_series(), {"net_revenue": 0.5, "orders": 0.5})
    assert evaluate("net_revenue_drop", PlantedContext(deep)).severity is None
    assert evaluate("net_revenue_drop", PlantedContext(deep), critical_threshold=0.4).severity == "critical"


@pytest.mark.parametrize(("factor", "word"), [(1.5, "over"), (0.5, "under")])
def test_spend_pacing_against_the_trailing_average(factor, word):
    series = plant(shop_series(), {"ad_spend": factor})
    result = evaluate("spend_pacing", PlantedContext(series))
    observed, baseline = by_hand(series, "ad_spend")
    assert result.fired
    assert result.observed == pytest.approx(observed)
    assert result.baseline == pytest.approx(baseline)
    assert result.values["pace"] == pytest.approx(observed / baseline, abs=1e-6)
    assert f"pacing {(observed / baseline - 1) * 100:+.1f}% {word} plan" in result.recommendation


def test_spend_pacing_against_a_monthly_budget():
    series = shop_series()
    month_to_date = sum(series[date(2026, 2, d)]["ad_spend"] for d in range(1, 9))
    on_plan = month_to_date / 8 * 28  # February 2026 has 28 days
    result = evaluate("spend_pacing", PlantedContext(series), monthly_budget=on_plan)
    assert not result.fired
    assert result.observed == pytest.approx(month_to_date)
    assert result.baseline == pytest.approx(on_plan * 8 / 28)
    assert result.values["mode"] == "budget"
    over = evaluate("spend_pacing", PlantedContext(series), monthly_budget=on_plan / 2)
    assert over.fired and "over plan" in over.recommendation
    under = evaluate("spend_pacing", PlantedContext(series), monthly_budget=on_plan * 2)
    assert under.fired and "under plan" in under.recommendation


def test_spend_pacing_below_minimum_spend_is_skipped():
    series = plant(shop_series(scale=0.005), {"ad_spend": 3.0})  # ~55 a week, under the minimum of 100
    assert evaluate("spend_pacing", PlantedContext(series)).skipped


def _job(job_id: int, status: str, hours_ago: float, error: str | None = None) -> JobRun:
    ended = datetime(2026, 2, 9, 8, 0, tzinfo=UTC) - timedelta(hours=hours_ago)
    return JobRun(id=job_id, kind="build", status=status, started_at=ended - timedelta(minutes=1), ended_at=ended,
                  error=error)


def _freshness(status: str, observed: float | None) -> CheckOutcome:
    return CheckOutcome(name="freshness", status=status, observed=observed, threshold=3, detail="meta 2026-02-01 (7d)")


def test_freshness_is_quiet_when_builds_succeed_and_data_is_fresh():
    ctx = PlantedContext(checks=[_freshness("pass", 0)], jobs=[_job(1, "succeeded", 2)])
    assert not evaluate("data_freshness", ctx).fired


def test_freshness_fires_on_a_failed_build():
    ctx = PlantedContext(checks=[_freshness("pass", 0)],
                         jobs=[_job(1, "succeeded", 30), _job(2, "failed", 1, "Binder Error: column x not found")])
    result = evaluate("data_freshness", ctx)
    assert result.fired
    assert "the last build (job 2) failed: Binder Error: column x not found" in result.message
    assert result.values["failed_build"]["job_id"] == 2
    assert "rebuild" in result.recommendation


def test_freshness_fires_on_stale_data_and_overdue_builds():
    stale = PlantedContext(checks=[_freshness("fail", 7)], jobs=[_job(1, "succeeded", 1)])
    result = evaluate("data_freshness", stale)
    assert result.fired and result.observed == 7
    assert "7 days behind" in result.message and "meta 2026-02-01" in result.message
    assert not evaluate("data_freshness", replace(stale, checks=[_freshness("warn", 2)])).fired
    assert evaluate("data_freshness", replace(stale, checks=[_freshness("warn", 2)]), fire_on=["warn", "fail"]).fired
    overdue = PlantedContext(checks=[_freshness("pass", 0)], jobs=[_job(1, "succeeded", 50)])
    assert "no successful build for 50 h" in evaluate("data_freshness", overdue).message
    assert not evaluate("data_freshness", overdue, max_build_age_hours=0).fired


def test_freshness_is_skipped_before_any_build():
    assert evaluate("data_freshness", PlantedContext()).skipped


def test_rule_packs_plug_in_by_name():
    def always(rule: Rule, ctx) -> Evaluation:
        return Evaluation(fired=True, message=f"{rule.params['what']} happened", observed=1.0)

    register_rule_kind("test_pack_always", always, params={"what": "something"})
    rule = parse_rule({"name": "mine", "kind": "test_pack_always", "params": {"what": "it"}})
    assert rule_kind("test_pack_always").evaluate(rule, PlantedContext()).message == "it happened"
    with pytest.raises(InvalidInput) as exc:
        parse_rule({"name": "mine", "kind": "test_pack_always", "params": {"who": "x"}})
    assert exc.value.field == "params.who"


@pytest.mark.parametrize(("data", "field"), [
    ({"name": "Bad Name", "kind": "mer_drop"}, "name"),
    ({"name": "x", "kind": "nope"}, "kind"),
    ({"name": "x", "kind": "mer_drop", "severity": "high"}, "severity"),
    ({"name": "x", "kind": "mer_drop", "params": {"threshold": "a lot"}}, "params.threshold"),
    ({"name": "x", "kind": "mer_drop", "params": {"threshold": 0}}, "params.threshold"),
    ({"name": "x", "kind": "mer_drop", "params": {"window_days": 0}}, "params.window_days"),
    ({"name": "x", "kind": "mer_drop", "params": {"direction": "sideways"}}, "params.direction"),
    ({"name": "x", "kind": "metric_drop"}, "metric"),
    ({"name": "x", "kind": "metric_drop", "metric": "revenue!"}, "metric"),
    ({"name": "x", "kind": "mer_drop", "cooldown": "soon"}, "cooldown"),
    ({"name": "x", "kind": "mer_drop", "enabled": "yes"}, "enabled"),
    ({"name": "x", "kind": "mer_drop", "colour": "red"}, "colour"),
])
def test_bad_rules_name_the_field(data, field):
    with pytest.raises(InvalidInput) as exc:
        parse_rule(data)
    assert exc.value.field == field


def test_generic_metric_rules_watch_any_catalogue_metric():
    series = plant(shop_series(), {"clicks": 0.5})
    result = evaluate_rule({"name": "ctr", "kind": "metric_drop", "metric": "ctr", "params": {"threshold": 0.3}},
                           PlantedContext(series))
    assert result.fired and result.values["metric"] == "ctr"


def evaluate_rule(data, ctx) -> Evaluation:
    rule = parse_rule(data)
    return rule_kind(rule.kind).evaluate(rule, ctx)
