"""Growth loops in the app database: definitions saved through the API, and the system-action ledger.

The ledger (``loop_actions``) has one row per action a trigger scheduled, unique on ``action_key``
(``loop:step:person`` for ``once`` triggers, ``…:event id`` for ``every``): planning the same action again is a
no-op, so an action is scheduled at most once however often the planner runs or restarts. A row goes
``pending`` → ``sending`` (claimed: one UPDATE that only one claimer can win) → ``delivered`` or back to
``pending`` (a retryable failure, with ``next_attempt_at``) or ``failed`` (terminal, or out of attempts). Every
attempt is a row of ``loop_action_attempts``. A claim older than its lease (the process stopped while sending)
may be claimed again: that attempt's outcome is recorded as ``unconfirmed``.

The tables are registered in growthos.store.schema's metadata (one import line there) and created by migration
0007.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Engine,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    insert,
    or_,
    select,
    update,
)

from growthos.core.errors import Conflict, NotFound
from growthos.store import validate
from growthos.store.engine import read_transaction, write_transaction
from growthos.store.schema import _in, metadata
from growthos.store.types import UTCDateTime, as_utc

ACTION_STATUSES: tuple[str, ...] = ("pending", "sending", "delivered", "failed")
ATTEMPT_OUTCOMES: tuple[str, ...] = ("delivered", "retry", "failed", "unconfirmed")

loop_definitions = Table(
    "loop_definitions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("definition", JSON, nullable=False),  # growthos.analysis.loops.definitions.Loop.to_dict(mask_urls=False)
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("name"),
    sqlite_autoincrement=True,
)

loop_actions = Table(
    "loop_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_key", String(512), nullable=False),
    Column("loop", String(64), nullable=False),
    Column("step", String(64), nullable=False),
    Column("trigger", String(64), nullable=False),
    Column("person_id", String(255), nullable=False),
    Column("url", Text, nullable=False),  # a secret: never in API responses
    Column("headers", JSON, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("claimed_at", UTCDateTime(), nullable=True),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("status", ACTION_STATUSES), name="status"),
    UniqueConstraint("action_key"),
    Index(None, "status", "next_attempt_at"),
    Index(None, "loop", "created_at"),
    sqlite_autoincrement=True,
)

loop_action_attempts = Table(
    "loop_action_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_id", Integer, ForeignKey("loop_actions.id", ondelete="CASCADE"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("attempted_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("outcome", ATTEMPT_OUTCOMES), name="outcome"),
    Index(None, "action_id"),
    sqlite_autoincrement=True,
)


@dataclass(frozen=True)
class StoredLoop:
    name: str
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class LoopAction:
    """One scheduled system action (a webhook for one loop, step and person)."""

    id: int
    action_key: str
    loop: str
    step: str
    trigger: str
    person_id: str
    url: str
    headers: dict[str, str]
    payload: dict[str, Any]
    due_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime
    claimed_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without the URL and headers (secrets)."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("url", "headers")}
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in out.items()}


# -- definitions -------------------------------------------------------------------------------------


def list_definitions(engine: Engine) -> list[StoredLoop]:
    with read_transaction(engine) as conn:
        rows = conn.execute(select(loop_definitions).order_by(loop_definitions.c.name)).all()
    return [_stored(r) for r in rows]


def get_definition(engine: Engine, name: str) -> StoredLoop | None:
    validate.text(name, "name", max_length=64)
    with read_transaction(engine) as conn:
        row = conn.execute(select(loop_definitions).where(loop_definitions.c.name == name)).one_or_none()
    return _stored(row) if row is not None else None


def save_definition(engine: Engine, now: datetime, name: str, definition: dict[str, Any], *,
                    create_only: bool = False) -> StoredLoop:
    """Insert the loop, or replace the stored one of that name (Conflict instead when ``create_only``)."""
    validate.text(name, "name", max_length=64, allow_empty=False)
    definition = validate.json_object(definition, "definition")
    now = as_utc(now)
    with write_transaction(engine) as conn:
        existing = conn.execute(select(loop_definitions.c.created_at)
                                .where(loop_definitions.c.name == name)).one_or_none()
        if existing is not None and create_only:
            raise Conflict(f"loop {name!r} exists", field="name")
        if existing is None:
            conn.execute(insert(loop_definitions).values(name=name, definition=definition, created_at=now,
                                                         updated_at=now))
            return StoredLoop(name, definition, now, now)
        conn.execute(update(loop_definitions).where(loop_definitions.c.name == name)
                     .values(definition=definition, updated_at=now))
        return StoredLoop(name, definition, existing.created_at, now)


def delete_definition(engine: Engine, name: str) -> None:
    validate.text(name, "name", max_length=64)
    with write_transaction(engine) as conn:
        if conn.execute(delete(loop_definitions).where(loop_definitions.c.name == name)).rowcount == 0:
            raise NotFound(f"no loop {name!r} is stored", field="name")


def _stored(row: Row[Any]) -> StoredLoop:
    m = row._mapping
    return StoredLoop(m["name"], m["definition"] or {}, m["created_at"], m["updated_at"])


# -- the system-action ledger ------------------------------------------------------------------------


def plan_action(engine: Engine, now: datetime, *, action_key: str, loop: str, step: str, trigger: str,
                person_id: str, url: str, headers: dict[str, str], payload: dict[str, Any], due_at: datetime) -> bool:
    """Schedule an action unless its key is in the ledger already; True when this call scheduled it."""
    values = {
        "action_key": validate.text(action_key, "action_key", max_length=512, allow_empty=False),
        "loop": validate.text(loop, "loop", max_length=64, allow_empty=False),
        "step": validate.text(step, "step", max_length=64, allow_empty=False),
        "trigger": validate.text(trigger, "trigger", max_length=64, allow_empty=False),
        "person_id": validate.text(person_id, "person_id", max_length=255, allow_empty=False),
        "url": validate.text(url, "url", allow_empty=False), "headers": validate.json_object(headers, "headers"),
        "payload": validate.json_object(payload, "payload"), "due_at": as_utc(due_at), "status": "pending",
        "attempts": 0, "next_attempt_at": as_utc(due_at), "created_at": as_utc(now),
    }
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        statement = (dialect_insert(loop_actions).values(**values)
                     .on_conflict_do_nothing(index_elements=["action_key"]).returning(loop_actions.c.id))
        return conn.execute(statement).first() is not None


def claim_due(engine: Engine, now: datetime, *, lease: timedelta, loops: set[str] | None = None,
              limit: int = 100) -> list[tuple[LoopAction, bool]]:
    """Claim actions (of ``loops``, default all) due at ``now``: pending with ``next_attempt_at`` reached, or
    sending with a claim older than ``lease``. Each becomes ``sending`` with one more attempt. Returns (action,
    resumed) pairs; ``resumed`` when the previous attempt's outcome was never recorded (recorded as ``unconfirmed``
    here)."""
    now = as_utc(now)
    stale = now - lease
    due = or_((loop_actions.c.status == "pending") & (loop_actions.c.next_attempt_at <= now),
              (loop_actions.c.status == "sending") & (loop_actions.c.claimed_at <= stale))
    if loops is not None:
        due = due & loop_actions.c.loop.in_(sorted(loops))
    claimed: list[tuple[LoopAction, bool]] = []
    with write_transaction(engine) as conn:
        rows = conn.execute(select(loop_actions).where(due).order_by(loop_actions.c.next_attempt_at,
                                                                      loop_actions.c.id).limit(limit)).all()
        for row in rows:
            won = conn.execute(
                update(loop_actions)
                .where(loop_actions.c.id == row.id, loop_actions.c.status == row.status,
                       loop_actions.c.attempts == row.attempts)
                .values(status="sending", claimed_at=now, attempts=row.attempts + 1)).rowcount == 1
            if not won:
                continue
            resumed = row.status == "sending"
            if resumed:
                conn.execute(insert(loop_action_attempts).values(
                    action_id=row.id, attempt=row.attempts, outcome="unconfirmed", http_status=None,
                    error="no outcome was recorded (the process stopped while sending)", attempted_at=row.claimed_at))
            action = _action(conn.execute(select(loop_actions).where(loop_actions.c.id == row.id)).one())
            claimed.append((action, resumed))
    return claimed


def finish_attempt(engine: Engine, now: datetime, action: LoopAction, *, outcome: str, http_status: int | None,
                   error: str | None, retry_at: datetime | None = None) -> bool:
    """Record the claimed attempt's outcome: ``delivered``, ``retry`` (pending again from ``retry_at``) or
    ``failed``. False (nothing changed) when the claim was lost meanwhile (another process took it over)."""
    validate.one_of(outcome, ("delivered", "retry", "failed"), "outcome")
    now = as_utc(now)
    status = {"delivered": "delivered", "retry": "pending", "failed": "failed"}[outcome]
    values: dict[str, Any] = {"status": status, "last_error": None if error is None else error[:2000]}
    if outcome == "delivered":
        values["delivered_at"] = now
    if outcome == "retry":
        values["next_attempt_at"] = as_utc(retry_at or now)
    with write_transaction(engine) as conn:
        changed = conn.execute(update(loop_actions).where(
            loop_actions.c.id == action.id, loop_actions.c.status == "sending",
            loop_actions.c.attempts == action.attempts).values(**values)).rowcount == 1
        if changed:
            conn.execute(insert(loop_action_attempts).values(
                action_id=action.id, attempt=action.attempts, outcome=outcome, http_status=http_status,
                error=None if error is None else error[:2000], attempted_at=now))
    return changed


def list_actions(engine: Engine, *, loop: str | None = None, status: str | None = None,
                 limit: int = 100) -> list[LoopAction]:
    """Actions newest first (by due time), optionally of one loop and/or status."""
    validate.int_range(limit, "limit", minimum=1, maximum=10_000)
    query = select(loop_actions)
    if loop is not None:
        query = query.where(loop_actions.c.loop == validate.text(loop, "loop", max_length=64))
    if status is not None:
        query = query.where(loop_actions.c.status == validate.one_of(status, ACTION_STATUSES, "status"))
    with read_transaction(engine) as conn:
        rows = conn.execute(query.order_by(loop_actions.c.due_at.desc(), loop_actions.c.id.desc()).limit(limit))
        return [_action(r) for r in rows]


def list_attempts(engine: Engine, action_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each action's attempts, oldest first."""
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in action_ids}
    if not action_ids:
        return out
    with read_transaction(engine) as conn:
        rows = conn.execute(select(loop_action_attempts).where(loop_action_attempts.c.action_id.in_(action_ids))
                            .order_by(loop_action_attempts.c.id))
        for r in rows:
            m = dict(r._mapping)
            m["attempted_at"] = m["attempted_at"].isoformat()
            out[m.pop("action_id")].append(m)
    return out


def _action(row: Row[Any]) -> LoopAction:
    m = dict(row._mapping)
    m["headers"], m["payload"] = m["headers"] or {}, m["payload"] or {}
    return LoopAction(**m)
