"""Growth-loop system actions: plan what the triggers call for, then POST each due webhook exactly once per
(loop, step, person) — the scheduler's ``loop_actions`` job, every minute.

Delivery semantics (docs/growth/loops.md):

- **Planned once.** Each action has a unique ``action_key`` in the ledger (growthos.store.loops); planning inserts
  it only when absent, so re-planning after a restart — also mid-delay, while the action is pending and not yet
  due — schedules nothing twice, and the pending row fires once when due.
- **Claimed before sending.** A due action is claimed (``pending`` → ``sending``) by one UPDATE only one process
  can win; then it is POSTed with ``Idempotency-Key`` (stable per action) and the outcome is recorded.
- **Retries.** Timeouts, connection errors and HTTP 408, 425, 429 and 5xx are retryable: pending again after
  ``backoff_s`` × 2^(attempt−1) (or the receiver's Retry-After, up to an hour), up to ``max_attempts``; any other
  answer outside 2xx (4xx, a redirect) is terminal: ``failed`` at once. Every attempt is recorded.
- **The boundary: at-least-once, deduplicated by key.** If the process stops after the receiver answered but
  before the outcome was recorded, the claim expires after ``lease_s`` and the action is sent again with the same
  Idempotency-Key (the earlier attempt recorded as ``unconfirmed``); a receiver that keeps the keys it has seen
  makes that exactly-once. Nothing is ever sent twice while its claim is alive, and only then.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from growthos.analysis.loops.service import list_loops
from growthos.analysis.loops.triggers import planned_actions
from growthos.jobs.scheduler import Every, ScheduledJob, Scheduler
from growthos.store import loops as ledger
from growthos.warehouse.engine import Engine

if TYPE_CHECKING:
    from growthos.workspace import Workspace

log = logging.getLogger("growthos.jobs.loop_actions")

INTERVAL = timedelta(minutes=1)
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504}) | frozenset(range(505, 600))
MAX_RETRY_AFTER_S = 3600.0


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 5
    backoff_s: float = 60.0
    timeout_s: float = 10.0
    lease_s: float = 300.0
    """How long a claim lives: longer than any attempt (timeout_s), so only a stopped process's claim expires."""


@dataclass(frozen=True)
class Outcome:
    outcome: str
    """``delivered``, ``retry`` or ``failed``."""
    http_status: int | None
    error: str | None
    retry_after_s: float | None = None


Poster = Callable[[str, dict[str, Any], dict[str, str], float], Outcome]


def idempotency_key(action_key: str) -> str:
    """A stable header value per action (no person ids in the clear)."""
    return "gos-loop-" + hashlib.sha256(action_key.encode()).hexdigest()[:40]


def post_webhook(url: str, payload: dict[str, Any], headers: dict[str, str], timeout_s: float) -> Outcome:
    """POST the JSON payload; the outcome classifies the answer (errors carry no URL: it may hold a secret)."""
    try:
        response = httpx.post(url, json=payload, headers=headers, timeout=timeout_s, follow_redirects=False)
    except httpx.TimeoutException:
        return Outcome("retry", None, "timed out")
    except httpx.TransportError as exc:
        return Outcome("retry", None, f"{type(exc).__name__}: {str(exc).replace(url, '<url>')}"[:500])
    except httpx.HTTPError as exc:  # an invalid URL and the like: retrying will not help
        return Outcome("failed", None, f"{type(exc).__name__}: {str(exc).replace(url, '<url>')}"[:500])
    if 200 <= response.status_code < 300:
        return Outcome("delivered", response.status_code, None)
    detail = f"HTTP {response.status_code} {response.text[:200].replace(url, '<url>')}".strip()
    if response.status_code in RETRYABLE_STATUSES:
        return Outcome("retry", response.status_code, detail, _retry_after(response.headers.get("Retry-After")))
    return Outcome("failed", response.status_code, detail)


def _retry_after(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None
    return min(float(value.strip()), MAX_RETRY_AFTER_S)


class LoopActionRunner:
    """Plans and fires the workspace's loop actions; ``run(engine)`` does both once (what the scheduler calls)."""

    def __init__(self, workspace: Workspace, *, clock: Callable[[], datetime] | None = None,
                 policy: DeliveryPolicy | None = None, post: Poster = post_webhook) -> None:
        self.workspace = workspace
        self.clock = clock or (lambda: datetime.now(UTC))
        self.policy = policy or DeliveryPolicy()
        self.post = post

    def plan(self, engine: Engine) -> int:
        """Schedule the actions the active loops' triggers call for; returns how many were new."""
        now, store, new = self.clock(), self.workspace.store.engine, 0
        for loop in list_loops(self.workspace):
            for action in planned_actions(engine, loop, now):
                new += ledger.plan_action(store, now, action_key=action.action_key, loop=action.loop,
                                          step=action.step, trigger=action.trigger, person_id=action.person_id,
                                          url=action.url, headers=action.headers, payload=action.payload,
                                          due_at=action.due_at)
        return new

    def fire_due(self) -> list[tuple[ledger.LoopAction, Outcome]]:
        """Claim and send every due action of an active loop (others wait: a paused loop holds its actions)."""
        active = {loop.name for loop in list_loops(self.workspace) if loop.status == "active"}
        store, policy = self.workspace.store.engine, self.policy
        lease = timedelta(seconds=max(policy.lease_s, 3 * policy.timeout_s))
        sent = []
        for action, resumed in ledger.claim_due(store, self.clock(), lease=lease, loops=active):
            headers = {**action.headers, "Idempotency-Key": idempotency_key(action.action_key),
                       "X-GrowthOS-Attempt": str(action.attempts)}
            if resumed:
                log.warning("loop action %s: resending after an unconfirmed attempt", action.id)
            outcome = self.post(action.url, {**action.payload, "attempt": action.attempts}, headers,
                                policy.timeout_s)
            if outcome.outcome == "retry" and action.attempts >= policy.max_attempts:
                outcome = Outcome("failed", outcome.http_status,
                                  f"{outcome.error} (gave up after {action.attempts} attempts)")
            retry_at = None
            if outcome.outcome == "retry":
                wait = outcome.retry_after_s or policy.backoff_s * 2 ** (action.attempts - 1)
                retry_at = self.clock() + timedelta(seconds=wait)
            ledger.finish_attempt(store, self.clock(), action, outcome=outcome.outcome,
                                  http_status=outcome.http_status, error=outcome.error, retry_at=retry_at)
            sent.append((action, outcome))
        return sent

    def run(self, engine: Engine) -> dict[str, int]:
        planned = self.plan(engine)
        fired = self.fire_due()
        return {"planned": planned, "sent": len(fired),
                "delivered": sum(1 for _, o in fired if o.outcome == "delivered")}


class LoopActionJob:
    """The scheduler's hook: ``submit`` runs the runner on a thread of its own (webhooks never hold up the
    warehouse writer) with a fresh warehouse reader, and returns its Future."""

    def __init__(self, workspace: Workspace, reader: Callable[[], AbstractContextManager[Engine]]) -> None:
        self.runner = LoopActionRunner(workspace)
        self.reader = reader
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="growthos-loop-actions")

    def submit(self) -> Future:
        def run() -> dict[str, int]:
            try:
                with self.reader() as engine:
                    return self.runner.run(engine)
            except Exception:
                log.exception("loop actions failed")
                raise

        return self._pool.submit(run)


def loop_action_scheduler(workspace: Workspace, reader: Callable[[], AbstractContextManager[Engine]]) -> Scheduler:
    """The server's scheduler of loop actions: ``loop_actions`` every minute, on a thread of its own (started by
    the server beside the sync/build scheduler when ``scheduler_enabled``)."""
    return Scheduler([ScheduledJob("loop_actions", Every(INTERVAL), LoopActionJob(workspace, reader).submit)])
