"""evaluate_rules on planted series with a real app database: new alerts, dedup while a condition persists,
auto-resolve when it clears, cooldown, a failing rule or channel never stopping the others, events pushed."""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from datetime import timedelta

import pytest
from planted_series import PlantedContext, plant, shop_series
from support.clock import FakeClock

from growthos.alerts.config import AlertsConfig
from growthos.alerts.evaluate import current_rules, evaluate_rules
from growthos.alerts.notify import Channel, ChannelError, Delivery
from growthos.alerts.performance import PERFORMANCE_RULES
from growthos.alerts.rules import (
    COMMERCE_RULES,
    Evaluation,
    Rule,
    default_rules,
    pack_rules,
    parse_rule,
    register_rule_kind,
)
from growthos.store import AppStore
from growthos.store.records import CheckOutcome, JobRun

DROP = {"net_revenue": 0.7}  # revenue -30% with orders unchanged: net revenue and MER drop, nothing else


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(app_db_url: str, clock: FakeClock):
    with AppStore.open(app_db_url, clock=clock) as s:
        yield s


def healthy(series=None, clock: FakeClock | None = None) -> PlantedContext:
    now = clock.now if clock else PlantedContext().now
    build = JobRun(id=1, kind="build", status="succeeded", started_at=now - timedelta(hours=2),
                   ended_at=now - timedelta(hours=1))
    fresh = CheckOutcome(name="freshness", status="pass", observed=0, threshold=3, detail="all sources current")
    return PlantedContext(series if series is not None else shop_series(), checks=[fresh], jobs=[build], now=now)


@dataclass
class Recorder:
    events: list[tuple[str, dict]] = field(default_factory=list)

    def __call__(self, event: str, data: dict) -> None:
        self.events.append((event, data))


def statuses(report) -> dict[str, str]:
    return {o.rule: o.status for o in report.outcomes}


def test_quiet_shop_raises_nothing(store: AppStore, clock: FakeClock) -> None:
    report = evaluate_rules(store, healthy(clock=clock), default_rules())
    performance = {r["name"] for r in PERFORMANCE_RULES if r["kind"] != "conversion_rate_drop"}
    assert {r: s for r, s in statuses(report).items() if r not in performance} == dict.fromkeys(
        [r["name"] for r in COMMERCE_RULES] + ["conversion_decline"], "ok")
    assert {statuses(report)[r] for r in performance} == {"skipped"}  # this shop sends no telemetry
    assert len(report.outcomes) == 22 and report.new == [] and store.list_alerts() == []


def test_lifecycle_new_dedup_autoresolve_cooldown(store: AppStore, clock: FakeClock) -> None:
    rules = pack_rules(["commerce"])
    events = Recorder()
    first = evaluate_rules(store, healthy(plant(shop_series(), DROP), clock), rules, publish=events)
    assert {r: s for r, s in statuses(first).items() if s != "ok"} == {"net_revenue_drop": "new", "mer_drop": "new"}
    revenue = next(a for a in first.new if a.rule == "net_revenue_drop")
    assert revenue.status == "open" and revenue.severity == "warning"
    assert revenue.baseline and revenue.observed and revenue.observed / revenue.baseline == pytest.approx(0.7, rel=0.05)
    assert "Net revenue fell" in revenue.recommendation
    assert [e for e, _ in events.events] == ["alert_fired", "alert_fired"]

    clock.advance(3600)  # the condition persists: the same alerts are seen again, none is created
    second = evaluate_rules(store, healthy(plant(shop_series(), DROP), clock), rules, publish=events)
    assert statuses(second)["net_revenue_drop"] == "updated" and second.new == []
    assert store.get_alert(revenue.id).occurrences == 2 and len(store.list_alerts()) == 2

    clock.advance(3600)  # it clears: both resolve on their own
    third = evaluate_rules(store, healthy(clock=clock), rules, publish=events)
    assert statuses(third)["net_revenue_drop"] == "resolved"
    assert {a.resolved_by for a in third.resolved} == {"auto"} and len(third.resolved) == 2
    assert [e for e, _ in events.events][-2:] == ["alert_resolved", "alert_resolved"]

    clock.advance(3600)  # back within the 24 h cooldown of the first firing: suppressed
    fourth = evaluate_rules(store, healthy(plant(shop_series(), DROP), clock), rules)
    assert statuses(fourth)["net_revenue_drop"] == "suppressed" and fourth.new == []

    clock.advance(24 * 3600)
    fifth = evaluate_rules(store, healthy(plant(shop_series(), DROP), clock), rules)
    assert statuses(fifth)["net_revenue_drop"] == "new"
    history = store.list_alerts(rule="net_revenue_drop")
    assert [a.status for a in history] == ["open", "resolved"]


def test_acknowledged_alert_is_kept_and_resolves_when_cleared(store: AppStore, clock: FakeClock) -> None:
    rules = [r for r in default_rules() if r.name == "net_revenue_drop"]
    alert = evaluate_rules(store, healthy(plant(shop_series(), DROP), clock), rules).new[0]
    store.acknowledge_alert(alert.id)
    again = evaluate_rules(store, healthy(plant(shop_series(), DROP), clock), rules)
    assert statuses(again) == {"net_revenue_drop": "updated"}
    assert store.get_alert(alert.id).status == "acknowledged"
    evaluate_rules(store, healthy(clock=clock), rules)
    assert store.get_alert(alert.id).status == "resolved"


def test_skipped_rule_leaves_its_alert_alone(store: AppStore, clock: FakeClock) -> None:
    rules = [r for r in default_rules() if r.name == "net_revenue_drop"]
    alert = evaluate_rules(store, healthy(plant(shop_series(), DROP), clock), rules).new[0]
    report = evaluate_rules(store, healthy({}, clock), rules)  # no data at all
    assert statuses(report) == {"net_revenue_drop": "skipped"}
    assert store.get_alert(alert.id).status == "open"


def test_critical_severity_and_disabled_rules(store: AppStore, clock: FakeClock) -> None:
    rules = [parse_rule({"name": "rev", "kind": "net_revenue_drop", "severity": "critical"}),
             parse_rule({"name": "mer", "kind": "mer_drop", "enabled": False})]
    report = evaluate_rules(store, healthy(plant(shop_series(), DROP), clock), rules)
    assert [o.rule for o in report.outcomes] == ["rev"]
    assert report.new[0].severity == "critical"


def test_a_failing_rule_does_not_stop_the_others(store: AppStore, clock: FakeClock) -> None:
    def broken(rule: Rule, ctx) -> Evaluation:
        raise ZeroDivisionError("plugin bug")

    register_rule_kind("test_broken", broken)
    rules = [parse_rule({"name": "broken", "kind": "test_broken"}), *default_rules()]
    report = evaluate_rules(store, healthy(plant(shop_series(), DROP), clock), rules)
    assert statuses(report)["broken"] == "error"
    assert report.outcomes[0].error == "ZeroDivisionError: plugin bug"
    assert statuses(report)["net_revenue_drop"] == "new"


@dataclass(frozen=True)
class FakeChannel(Channel):
    kind = "fake"
    fail_times: int = 0
    sent: list = field(default_factory=list, compare=False)

    def send(self, alert, timeout_s: float) -> None:
        self.sent.append(alert.id)
        if len(self.sent) <= self.fail_times:
            raise ChannelError("HTTP 503")


def test_new_alerts_are_notified_once_and_failures_retried(store: AppStore, clock: FakeClock) -> None:
    flaky = FakeChannel(name="flaky", fail_times=2)
    dead = FakeChannel(name="dead", fail_times=99)
    critical_only = FakeChannel(name="pager", min_severity="critical")
    config = AlertsConfig(channels=[dead, flaky, critical_only], delivery=Delivery(max_attempts=3, backoff_s=0.5))
    pauses: list[float] = []
    rules = [r for r in default_rules() if r.name == "net_revenue_drop"]
    report = evaluate_rules(store, healthy(plant(shop_series(), DROP), clock), rules, config, sleep=pauses.append)
    alert = report.new[0]
    assert [(n.channel, n.attempt, n.status) for n in report.notifications] == [
        ("dead", 1, "failed"), ("dead", 2, "failed"), ("dead", 3, "failed"),
        ("flaky", 1, "failed"), ("flaky", 2, "failed"), ("flaky", 3, "delivered")]
    assert sorted(pauses) == [0.5, 0.5, 1.0, 1.0]  # backoff doubles, per channel
    assert critical_only.sent == []
    stored = store.list_notification_attempts(alert.id)
    dead_attempts = [(n.channel, n.status, n.error) for n in stored if n.channel == "dead"]
    assert dead_attempts == [("dead", "failed", "HTTP 503")] * 3
    again = evaluate_rules(store, healthy(plant(shop_series(), DROP), clock), rules, config, sleep=pauses.append)
    assert again.notifications == []  # an alert that is only seen again is not notified again


def test_api_rules_overlay_the_defaults_and_yaml(store: AppStore) -> None:
    store.save_alert_rule(name="mer_drop", kind="mer_drop", metric="mer", params={"threshold": 0.5},
                          severity="critical", cooldown_s=0, enabled=True)
    store.save_alert_rule(name="ctr_drop", kind="metric_drop", metric="ctr", params={}, severity="warning",
                          cooldown_s=60, enabled=True)
    rules = current_rules(store, AlertsConfig())
    assert [r.name for r in rules] == [r.name for r in default_rules()] + ["ctr_drop"]
    mer = next(r for r in rules if r.name == "mer_drop")
    assert mer.source == "api" and mer.params["threshold"] == 0.5 and mer.params["window_days"] == 7
    yaml_rules = [dc_replace(parse_rule({"name": "only", "kind": "mer_drop"}), source="yaml")]
    added = [r.name for r in current_rules(store, AlertsConfig(rules=yaml_rules))]
    assert added == ["only", "ctr_drop", "mer_drop"]  # stored rules by name
