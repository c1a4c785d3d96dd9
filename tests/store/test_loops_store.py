"""Loop definitions and the system-action ledger, on SQLite and PostgreSQL: CRUD, planning once per key,
claims only one caller wins (also from many threads at once), outcomes and expired claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.threads import run_threads

from growthos.core.errors import Conflict, NotFound
from growthos.store import loops as ledger

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def plan(engine, key: str = "invite:invite_accepted:p1", due: datetime = T0, loop: str = "invite") -> bool:
    return ledger.plan_action(engine, T0 - timedelta(hours=2), action_key=key, loop=loop, step="invite_accepted",
                              trigger="remind", person_id=key.rsplit(":", 1)[-1], url="http://127.0.0.1:9/h",
                              headers={"X-Token": "t"}, payload={"loop": loop}, due_at=due)


def test_definitions_crud(app_store) -> None:
    engine = app_store.engine
    saved = ledger.save_definition(engine, T0, "invite", {"name": "invite", "type": "viral"}, create_only=True)
    assert saved.created_at == saved.updated_at == T0
    with pytest.raises(Conflict):
        ledger.save_definition(engine, T0, "invite", {"name": "invite"}, create_only=True)
    later = ledger.save_definition(engine, T0 + timedelta(hours=1), "invite", {"name": "invite", "type": "content"})
    assert (later.created_at, later.updated_at) == (T0, T0 + timedelta(hours=1))
    assert [(d.name, d.definition["type"]) for d in ledger.list_definitions(engine)] == [("invite", "content")]
    assert ledger.get_definition(engine, "invite").updated_at == T0 + timedelta(hours=1)
    ledger.delete_definition(engine, "invite")
    assert ledger.get_definition(engine, "invite") is None
    with pytest.raises(NotFound):
        ledger.delete_definition(engine, "invite")


def test_an_action_is_planned_once_per_key(app_store) -> None:
    engine = app_store.engine
    assert plan(engine) is True
    assert plan(engine) is False  # the same key again: nothing new
    assert plan(engine, due=T0 + timedelta(days=1)) is False  # not even with another due time
    assert plan(engine, "invite:invite_accepted:p2") is True
    actions = ledger.list_actions(engine)
    assert sorted(a.person_id for a in actions) == ["p1", "p2"]
    assert all(a.status == "pending" and a.attempts == 0 and a.due_at == T0 for a in actions)
    assert "url" not in actions[0].to_dict() and "headers" not in actions[0].to_dict()


def test_claims_outcomes_and_expired_claims(app_store) -> None:
    engine = app_store.engine
    plan(engine, due=T0 + timedelta(minutes=10))
    assert ledger.claim_due(engine, T0, lease=LEASE) == []  # not due yet
    ((action, resumed),) = ledger.claim_due(engine, T0 + timedelta(minutes=10), lease=LEASE)
    assert (action.status, action.attempts, resumed) == ("sending", 1, False)
    assert ledger.claim_due(engine, T0 + timedelta(minutes=11), lease=LEASE) == []  # claimed: nobody else
    ledger.finish_attempt(engine, T0 + timedelta(minutes=11), action, outcome="retry", http_status=503,
                          error="HTTP 503", retry_at=T0 + timedelta(minutes=20))
    assert ledger.claim_due(engine, T0 + timedelta(minutes=19), lease=LEASE) == []
    ((again, _),) = ledger.claim_due(engine, T0 + timedelta(minutes=20), lease=LEASE)
    assert again.attempts == 2
    # The process stops while sending: after the lease the action is claimed again, the lost attempt recorded.
    assert ledger.claim_due(engine, T0 + timedelta(minutes=24), lease=LEASE) == []
    ((third, resumed),) = ledger.claim_due(engine, T0 + timedelta(minutes=25), lease=LEASE)
    assert (third.attempts, resumed) == (3, True)
    assert ledger.finish_attempt(engine, T0 + timedelta(minutes=26), again, outcome="delivered", http_status=200,
                                 error=None) is False  # the stale claim cannot record anything
    assert ledger.finish_attempt(engine, T0 + timedelta(minutes=26), third, outcome="delivered", http_status=200,
                                 error=None) is True
    (done,) = ledger.list_actions(engine, status="delivered")
    assert done.delivered_at == T0 + timedelta(minutes=26)
    log = ledger.list_attempts(engine, [done.id])[done.id]
    assert [(a["attempt"], a["outcome"], a["http_status"]) for a in log] == [
        (1, "retry", 503), (2, "unconfirmed", None), (3, "delivered", 200)]


def test_only_the_named_loops_are_claimed(app_store) -> None:
    plan(app_store.engine, "a:s:p1", loop="a")
    plan(app_store.engine, "b:s:p1", loop="b")
    claimed = ledger.claim_due(app_store.engine, T0, lease=LEASE, loops={"b"})
    assert [a.loop for a, _ in claimed] == ["b"]


def test_many_claimers_at_once_claim_each_action_once(app_store) -> None:
    for i in range(20):
        plan(app_store.engine, f"invite:invite_accepted:p{i}")
    won: list[int] = []
    run_threads(4, lambda _i: won.extend(a.id for a, _ in ledger.claim_due(app_store.engine, T0, lease=LEASE)))
    assert len(won) == len(set(won)) == 20
