"""Growth-loop webhooks against a local receiver, on a hand-driven clock: each fires once per (loop, step,
person) even when the scheduler is stopped and restarted (a new process: new workspace, runner and scheduler)
mid-delay; retryable answers are retried with backoff up to the limit, terminal ones fail at once; every attempt
is recorded; an attempt whose outcome was lost is resent once with the same Idempotency-Key; a paused loop holds
its actions."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fixtures.events import track, write
from support.clock import FakeClock

from growthos.config import load_settings
from growthos.jobs.loop_actions import DeliveryPolicy, LoopActionRunner, idempotency_key, post_webhook
from growthos.jobs.scheduler import Every, ScheduledJob, Scheduler
from growthos.store import loops as ledger
from growthos.workspace import Workspace

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Receiver:
    url: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)
    """Path -> statuses to answer in turn (then 200)."""


@contextmanager
def receiver(script: dict[str, list[int]] | None = None) -> Iterator[Receiver]:
    got = Receiver(script={k: list(v) for k, v in (script or {}).items()})
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            with lock:
                queue = got.script.get(self.path) or []
                status = queue.pop(0) if queue else 200
                got.posts.append({"path": self.path, "status": status, "json": body,
                                  "headers": {k.lower(): v for k, v in self.headers.items()}})
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()


def loops_yaml(url: str, path: str = "/remind", status: str = "active", frequency: str = "once") -> str:
    return f"""
loops:
  - name: invite
    type: viral
    status: {status}
    steps:
      - {{name: invite_sent, event: Invite Sent}}
      - {{name: invite_accepted, event: Invite Accepted, actor: any, match: [invite_id],
         system_action: {{webhook: "{url}{path}", headers: {{X-Token: s3cret}}}}}}
    triggers:
      - {{name: remind, event: Invite Sent, where: {{channel: email}}, frequency: {frequency}, delay: 2h,
         target_step: invite_accepted}}
"""


def workspace(data_dir: Path) -> Workspace:
    return Workspace(load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}",
                                   engine="duckdb", scheduler_enabled=False))


def events() -> list:
    """u1 invites by email at T0 and again at T0+1h (the same person: one action), u2 at T0+30m, u3 by sms
    (the trigger wants email: no action)."""
    return [track("Invite Sent", T0, user="u1", props={"invite_id": "i1", "channel": "email"}),
            track("Invite Sent", T0 + timedelta(hours=1), user="u1", props={"invite_id": "i2", "channel": "email"}),
            track("Invite Sent", T0 + timedelta(minutes=30), user="u2", props={"invite_id": "i3", "channel": "email"}),
            track("Invite Sent", T0 + timedelta(minutes=40), user="u3", props={"invite_id": "i4", "channel": "sms"})]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    with workspace(path) as ws:
        write(ws.engine, events())
    return path


def scheduler_process(data_dir: Path, clock: FakeClock, policy: DeliveryPolicy | None = None):
    """One 'process': a workspace, a runner and a scheduler ticking the loop_actions job by hand."""
    ws = workspace(data_dir)
    runner = LoopActionRunner(ws, clock=clock, policy=policy)
    results: list[dict[str, int]] = []

    def run() -> None:
        results.append(runner.run(ws.engine))

    scheduler = Scheduler([ScheduledJob("loop_actions", Every(timedelta(minutes=1)), run)], clock=clock)
    return ws, scheduler, results


def tick_until(scheduler: Scheduler, clock: FakeClock, until: datetime) -> None:
    while clock.now < until:
        clock.advance(60)
        scheduler.tick()


def test_fires_once_per_person_and_step_across_a_restart_mid_delay(data_dir: Path) -> None:
    clock = FakeClock(T0 + timedelta(hours=1, minutes=30))
    with receiver() as hook:
        (data_dir / "loops.yaml").write_text(loops_yaml(hook.url))
        ws, scheduler, results = scheduler_process(data_dir, clock)
        tick_until(scheduler, clock, T0 + timedelta(hours=1, minutes=45))  # mid-delay: planned, nothing due
        assert sum(r["planned"] for r in results) == 2 and hook.posts == []  # u1 (once for two invites), u2
        ws.close()  # the process stops mid-delay; a new one starts with a fresh workspace and scheduler
        ws, scheduler, results = scheduler_process(data_dir, clock)
        tick_until(scheduler, clock, T0 + timedelta(hours=4))
        ws.close()
        assert sum(r["planned"] for r in results) == 0  # nothing planned twice
    assert [p["json"]["person_id"] for p in hook.posts] == ["u1", "u2"]  # due T0+2h and T0+2h30m, once each
    first = hook.posts[0]
    assert first["json"]["trigger_event"]["properties"]["invite_id"] == "i1"  # the first invite of u1
    assert (first["json"]["loop"], first["json"]["step"], first["json"]["attempt"]) == ("invite", "invite_accepted", 1)
    assert first["headers"]["x-token"] == "s3cret"
    assert first["headers"]["idempotency-key"] == idempotency_key("invite:invite_accepted:u1")
    with workspace(data_dir) as ws:
        actions = ledger.list_actions(ws.store.engine)
        assert {a.person_id: a.status for a in actions} == {"u1": "delivered", "u2": "delivered"}
        delivered = {a.person_id: a.delivered_at for a in actions}
    # Ticks are a minute apart from T0+1h30m: u1 due at 2:00 is sent at the 2:00 tick, u2 due at 2:30 at 2:30.
    assert delivered == {"u1": T0 + timedelta(hours=2), "u2": T0 + timedelta(hours=2, minutes=30)}


def test_every_frequency_fires_per_event(data_dir: Path) -> None:
    clock = FakeClock(T0 + timedelta(hours=4))
    with receiver() as hook:
        (data_dir / "loops.yaml").write_text(loops_yaml(hook.url, frequency="every"))
        with workspace(data_dir) as ws:
            LoopActionRunner(ws, clock=clock).run(ws.engine)
            LoopActionRunner(ws, clock=clock).run(ws.engine)
    assert sorted(p["json"]["trigger_event"]["properties"]["invite_id"] for p in hook.posts) == ["i1", "i2", "i3"]


def test_retryable_answers_are_retried_with_backoff_then_delivered(data_dir: Path) -> None:
    clock = FakeClock(T0 + timedelta(hours=3))
    policy = DeliveryPolicy(max_attempts=5, backoff_s=60)
    with receiver({"/remind": [500, 503, 500, 503]}) as hook:  # u1 gets 500 then 500; u2 503 then 503
        (data_dir / "loops.yaml").write_text(loops_yaml(hook.url))
        with workspace(data_dir) as ws:
            runner = LoopActionRunner(ws, clock=clock, policy=policy)
            runner.run(ws.engine)                       # attempt 1 of both fails: retry at +60 s
            clock.advance(59)
            assert runner.fire_due() == []              # not yet
            clock.advance(1)
            runner.fire_due()                           # attempt 2 fails: retry at +120 s
            clock.advance(119)
            assert runner.fire_due() == []
            clock.advance(1)
            assert [o.outcome for _, o in runner.fire_due()] == ["delivered", "delivered"]
            actions = ledger.list_actions(ws.store.engine)
            log = ledger.list_attempts(ws.store.engine, [a.id for a in actions])
    assert len(hook.posts) == 6
    for entries in log.values():  # per action: retry, retry, delivered
        assert [e["outcome"] for e in entries] == ["retry", "retry", "delivered"]
        assert [e["http_status"] for e in entries][2] == 200 and {e["http_status"] for e in entries[:2]} <= {500, 503}
    assert [p["headers"]["x-growthos-attempt"] for p in hook.posts] == ["1", "1", "2", "2", "3", "3"]


def test_terminal_answers_and_the_attempt_limit(data_dir: Path) -> None:
    clock = FakeClock(T0 + timedelta(hours=3))
    with receiver({"/remind": [404, 503, 503]}) as hook:  # u1: 404 (terminal); u2: 503 twice (limit 2)
        (data_dir / "loops.yaml").write_text(loops_yaml(hook.url))
        with workspace(data_dir) as ws:
            runner = LoopActionRunner(ws, clock=clock, policy=DeliveryPolicy(max_attempts=2, backoff_s=10))
            runner.run(ws.engine)
            clock.advance(10)
            runner.fire_due()
            clock.advance(3600)
            assert runner.fire_due() == []  # both are final
            actions = {a.person_id: a for a in ledger.list_actions(ws.store.engine)}
    assert len(hook.posts) == 3
    assert (actions["u1"].status, actions["u1"].attempts, actions["u1"].last_error) == ("failed", 1, "HTTP 404 ok")
    assert (actions["u2"].status, actions["u2"].attempts) == ("failed", 2)
    assert "gave up after 2 attempts" in actions["u2"].last_error


def test_an_unconfirmed_attempt_is_resent_once_with_the_same_key(data_dir: Path) -> None:
    clock = FakeClock(T0 + timedelta(hours=3))
    with receiver() as hook:
        (data_dir / "loops.yaml").write_text(loops_yaml(hook.url))
        with workspace(data_dir) as ws:
            runner = LoopActionRunner(ws, clock=clock, policy=DeliveryPolicy(lease_s=300))
            runner.plan(ws.engine)
            # A process claims u1's action, posts it, and stops before recording the outcome.
            claimed = ledger.claim_due(ws.store.engine, clock(), lease=timedelta(seconds=300))
            lost = next(a for a, _ in claimed if a.person_id == "u1")
            post_webhook(lost.url, lost.payload, {"Idempotency-Key": idempotency_key(lost.action_key)}, 5)
            u2 = next(a for a, _ in claimed if a.person_id == "u2")
            ledger.finish_attempt(ws.store.engine, clock(), u2, outcome="delivered", http_status=200, error=None)
            clock.advance(299)
            assert runner.fire_due() == []  # the claim is alive: not sent again
            clock.advance(1)
            assert [(a.person_id, o.outcome) for a, o in runner.fire_due()] == [("u1", "delivered")]
            clock.advance(3600)
            assert runner.fire_due() == []
            (action,) = [a for a in ledger.list_actions(ws.store.engine) if a.person_id == "u1"]
            log = ledger.list_attempts(ws.store.engine, [action.id])[action.id]
    keys = [p["headers"]["idempotency-key"] for p in hook.posts if p["json"]["person_id"] == "u1"]
    assert keys == [idempotency_key("invite:invite_accepted:u1")] * 2  # sent twice, same key: the receiver dedups
    assert [(e["attempt"], e["outcome"]) for e in log] == [(1, "unconfirmed"), (2, "delivered")]


def test_a_paused_loop_holds_its_pending_actions(data_dir: Path) -> None:
    clock = FakeClock(T0 + timedelta(hours=1))
    with receiver() as hook:
        (data_dir / "loops.yaml").write_text(loops_yaml(hook.url))
        with workspace(data_dir) as ws:
            LoopActionRunner(ws, clock=clock).plan(ws.engine)
            (data_dir / "loops.yaml").write_text(loops_yaml(hook.url, status="paused"))
            clock.advance(4 * 3600)
            assert LoopActionRunner(ws, clock=clock).run(ws.engine) == {"planned": 0, "sent": 0, "delivered": 0}
            (data_dir / "loops.yaml").write_text(loops_yaml(hook.url))
            assert LoopActionRunner(ws, clock=clock).run(ws.engine)["delivered"] == 2
    assert len(hook.posts) == 2


def test_old_events_are_not_made_up(data_dir: Path) -> None:
    """Due more than max_late (1 day) ago: e.g. events from before the loop existed."""
    clock = FakeClock(T0 + timedelta(days=2))
    with receiver() as hook:
        (data_dir / "loops.yaml").write_text(loops_yaml(hook.url))
        with workspace(data_dir) as ws:
            assert LoopActionRunner(ws, clock=clock).run(ws.engine) == {"planned": 0, "sent": 0, "delivered": 0}
    assert hook.posts == []


def test_the_job_runs_off_the_scheduler_thread_with_a_reader(data_dir: Path) -> None:
    from growthos.jobs.loop_actions import LoopActionJob

    with receiver() as hook:
        (data_dir / "loops.yaml").write_text(loops_yaml(hook.url))
        with workspace(data_dir) as ws:

            @contextmanager
            def reader():
                yield ws.engine

            job = LoopActionJob(ws, reader)
            job.runner.clock = lambda: T0 + timedelta(hours=3)
            assert job.submit().result(timeout=30) == {"planned": 2, "sent": 2, "delivered": 2}
    assert len(hook.posts) == 2


def test_the_server_runs_the_loop_scheduler_when_enabled(make_settings) -> None:
    from growthos.server.state import ServerState

    state = ServerState(Workspace(make_settings(scheduler_enabled=True)))
    state.start()
    try:
        assert state.loop_scheduler is not None and state.loop_scheduler.running
        assert set(state.loop_scheduler.jobs) == {"loop_actions"}
        assert set(state.scheduler.jobs) == {"sync", "build"}
    finally:
        state.close()
    assert not state.loop_scheduler.running
