"""Alerts in the app database on SQLite and PostgreSQL: stored rules, one active alert per dedup key, cooldown
after a resolved alert, acknowledge and resolve, auto-resolve, history, notification attempts."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from support.clock import FakeClock

from growthos.core.errors import Conflict, InvalidInput, NotFound
from growthos.store import AppStore


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(app_db_url: str, clock: FakeClock):
    with AppStore.open(app_db_url, clock=clock) as s:
        yield s


def fire(store: AppStore, key: str = "mer_drop", cooldown_s: int = 3600, **overrides: Any):
    fields = {"rule": "mer_drop", "kind": "mer_drop", "dedup_key": key, "severity": "warning",
              "message": "MER fell", "recommendation": "Cut the worst ad sets", "observed": 2.0, "baseline": 3.0,
              "values": {"change_pct": -0.33}, "cooldown_s": cooldown_s}
    return store.record_alert_firing(**{**fields, **overrides})


def test_rules_crud(store: AppStore, clock: FakeClock) -> None:
    saved = store.save_alert_rule(name="mer_drop", kind="mer_drop", metric="mer", params={"threshold": 0.3},
                                  severity="critical", cooldown_s=600, enabled=True)
    assert store.get_alert_rule("mer_drop") == saved
    with pytest.raises(Conflict):
        store.save_alert_rule(name="mer_drop", kind="mer_drop", metric="mer", params={}, severity="warning",
                              cooldown_s=0, enabled=True, create_only=True)
    clock.advance(60)
    changed = store.save_alert_rule(name="mer_drop", kind="mer_drop", metric=None, params={}, severity="warning",
                                    cooldown_s=0, enabled=False)
    assert changed.created_at == saved.created_at and changed.updated_at == clock.now
    assert store.list_alert_rules() == [changed]
    store.delete_alert_rule("mer_drop")
    assert store.get_alert_rule("mer_drop") is None
    with pytest.raises(NotFound):
        store.delete_alert_rule("mer_drop")
    with pytest.raises(InvalidInput) as exc:
        store.save_alert_rule(name="x", kind="k", metric=None, params={}, severity="fatal", cooldown_s=0,
                              enabled=True)
    assert exc.value.field == "severity"


def test_a_persisting_condition_updates_one_alert(store: AppStore, clock: FakeClock) -> None:
    first = fire(store)
    assert first.outcome == "new" and first.alert.status == "open" and first.alert.occurrences == 1
    clock.advance(7200)  # past the cooldown: still the same alert while it is active
    second = fire(store, observed=1.5, message="MER fell more")
    assert second.outcome == "updated" and second.alert.id == first.alert.id
    assert second.alert.occurrences == 2 and second.alert.observed == 1.5 and second.alert.message == "MER fell more"
    assert second.alert.fired_at == first.alert.fired_at and second.alert.last_seen_at == clock.now
    assert len(store.list_alerts()) == 1
    other = fire(store, key="mer_drop:meta")
    assert other.outcome == "new" and other.alert.id != first.alert.id


def test_cooldown_after_a_resolved_alert(store: AppStore, clock: FakeClock) -> None:
    first = fire(store, cooldown_s=3600)
    store.resolve_alert(first.alert.id)
    clock.advance(1800)
    suppressed = fire(store, cooldown_s=3600)
    assert suppressed.outcome == "suppressed" and suppressed.alert.id == first.alert.id
    assert suppressed.extra["cooldown_until"] == (first.alert.fired_at + timedelta(seconds=3600)).isoformat()
    clock.advance(1801)
    again = fire(store, cooldown_s=3600)
    assert again.outcome == "new" and again.alert.id != first.alert.id
    assert [a.id for a in store.list_alerts()] == [again.alert.id, first.alert.id]


def test_acknowledge_and_resolve(store: AppStore, clock: FakeClock) -> None:
    alert = fire(store).alert
    clock.advance(10)
    acked = store.acknowledge_alert(alert.id)
    assert acked.status == "acknowledged" and acked.acknowledged_at == clock.now and acked.active
    assert store.acknowledge_alert(alert.id) == acked  # again: unchanged
    assert fire(store).outcome == "updated"  # an acknowledged alert is still the active one
    clock.advance(10)
    resolved = store.resolve_alert(alert.id)
    assert resolved.status == "resolved" and resolved.resolved_by == "user" and resolved.resolved_at == clock.now
    assert store.resolve_alert(alert.id) == resolved
    with pytest.raises(Conflict):
        store.acknowledge_alert(alert.id)
    with pytest.raises(NotFound):
        store.resolve_alert(alert.id + 100)
    assert store.count_alerts() == {"open": 0, "acknowledged": 0, "resolved": 1}


def test_auto_resolve_and_history_filters(store: AppStore) -> None:
    a = fire(store, key="a", rule="rule_a").alert
    b = fire(store, key="b", rule="rule_b").alert
    resolved = store.resolve_cleared_alerts("a")
    assert [r.id for r in resolved] == [a.id] and resolved[0].resolved_by == "auto"
    assert store.resolve_cleared_alerts("a") == []
    assert [x.id for x in store.list_alerts(status="active")] == [b.id]
    assert [x.id for x in store.list_alerts(status="resolved")] == [a.id]
    assert [x.id for x in store.list_alerts(rule="rule_a")] == [a.id]
    assert store.get_alert(b.id).to_dict()["values"] == {"change_pct": -0.33}
    with pytest.raises(InvalidInput):
        store.list_alerts(status="closed")


def test_notification_attempts(store: AppStore) -> None:
    alert = fire(store).alert
    store.record_notification_attempt(alert_id=alert.id, channel="ops", channel_kind="webhook", attempt=1,
                                      status="failed", error="HTTP 500")
    store.record_notification_attempt(alert_id=alert.id, channel="ops", channel_kind="webhook", attempt=2,
                                      status="delivered")
    attempts = store.list_notification_attempts(alert.id)
    assert [(n.attempt, n.status, n.error) for n in attempts] == [(1, "failed", "HTTP 500"), (2, "delivered", None)]
    with pytest.raises(NotFound):
        store.record_notification_attempt(alert_id=alert.id + 9, channel="ops", channel_kind="webhook", attempt=1,
                                          status="delivered")


def test_concurrent_firings_create_one_alert(store: AppStore) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def run() -> None:
        barrier.wait()
        outcomes.append(fire(store, key="race").outcome)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["new"] + ["updated"] * 5
    assert len(store.list_alerts()) == 1 and store.list_alerts()[0].occurrences == 6
