"""Alerts in the app database: rules saved through the API, alerts and their lifecycle, notification attempts.

An alert is *active* while ``open`` or ``acknowledged``. At most one alert per dedup key is active: a condition
that persists updates the active alert (``last_seen_at``, ``occurrences``, the latest values) instead of creating
a new one, and after it is resolved a new alert for the key waits for the rule's cooldown (counted from the last
alert's ``fired_at``). ``record_firing`` does this in one write transaction (serialised per key on PostgreSQL by
an advisory lock, on SQLite by the write lock), so two evaluations at once never create two alerts.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, text, update

from growthos.core.errors import Conflict, InvalidInput, NotFound
from growthos.store import validate
from growthos.store.engine import read_transaction, write_transaction
from growthos.store.schema import alert_notifications, alert_rules, alerts
from growthos.store.types import as_utc

SEVERITIES: tuple[str, ...] = ("warning", "critical")
ALERT_STATUSES: tuple[str, ...] = ("open", "acknowledged", "resolved")
ACTIVE_STATUSES: tuple[str, ...] = ("open", "acknowledged")
DELIVERY_STATUSES: tuple[str, ...] = ("delivered", "failed")
RESOLVED_BY: tuple[str, ...] = ("user", "auto")
MAX_COOLDOWN_S = 366 * 86400

Clock = Callable[[], datetime]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class StoredRule:
    """An alert rule saved through the API (rules from alerts.yaml and the defaults are not stored)."""

    name: str
    kind: str
    metric: str | None
    params: dict[str, Any]
    severity: str
    cooldown_s: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Alert:
    """One alert: a rule's condition from the moment it fired until it was resolved."""

    id: int
    rule: str
    kind: str
    dedup_key: str
    severity: str
    status: str
    """``open``, ``acknowledged`` or ``resolved``."""
    message: str
    recommendation: str
    observed: float | None
    baseline: float | None
    values: dict[str, Any]
    fired_at: datetime
    last_seen_at: datetime
    """The last evaluation that found the condition (aware UTC, as are the other datetimes)."""
    occurrences: int
    """How many evaluations found the condition while this alert was active."""
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    """``user`` or ``auto`` (the condition cleared)."""

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO 8601 datetimes) for the API, ``--json`` and the webhooks."""
        return {
            "id": self.id,
            "rule": self.rule,
            "kind": self.kind,
            "dedup_key": self.dedup_key,
            "severity": self.severity,
            "status": self.status,
            "message": self.message,
            "recommendation": self.recommendation,
            "observed": self.observed,
            "baseline": self.baseline,
            "values": self.values,
            "fired_at": self.fired_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "occurrences": self.occurrences,
            "acknowledged_at": _iso(self.acknowledged_at),
            "resolved_at": _iso(self.resolved_at),
            "resolved_by": self.resolved_by,
        }


@dataclass(frozen=True)
class NotificationAttempt:
    """One attempt to deliver an alert to a channel."""

    id: int
    alert_id: int
    channel: str
    channel_kind: str
    attempt: int
    """1 for the first try, 2 for the first retry..."""
    status: str
    """``delivered`` or ``failed``."""
    error: str | None
    attempted_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "alert_id": self.alert_id,
            "channel": self.channel,
            "channel_kind": self.channel_kind,
            "attempt": self.attempt,
            "status": self.status,
            "error": self.error,
            "attempted_at": self.attempted_at.isoformat(),
        }


@dataclass(frozen=True)
class Firing:
    """What ``record_firing`` did: ``new`` (an alert was created), ``updated`` (the active alert was seen again)
    or ``suppressed`` (within the cooldown after the last alert of the key; ``alert`` is that last alert)."""

    outcome: str
    alert: Alert
    extra: dict[str, Any] = field(default_factory=dict)


# -- rules -----------------------------------------------------------------------------------------


def _rule_values(name: Any, kind: Any, metric: Any, params: Any, severity: Any, cooldown_s: Any,
                 enabled: Any) -> dict[str, Any]:
    if metric is not None:
        validate.text(metric, "metric", max_length=64, allow_empty=False)
    if not isinstance(enabled, bool):
        raise InvalidInput(f"enabled must be true or false; got {enabled!r}", field="enabled")
    return {
        "name": validate.text(name, "name", max_length=64, allow_empty=False),
        "kind": validate.text(kind, "kind", max_length=64, allow_empty=False),
        "metric": metric,
        "params": validate.json_object(params, "params"),
        "severity": validate.one_of(severity, SEVERITIES, "severity"),
        "cooldown_s": validate.int_range(cooldown_s, "cooldown_s", minimum=0, maximum=MAX_COOLDOWN_S),
        "enabled": enabled,
    }


def list_rules(engine: Engine) -> list[StoredRule]:
    with read_transaction(engine) as conn:
        return [_to_rule(row) for row in conn.execute(select(alert_rules).order_by(alert_rules.c.name))]


def get_rule(engine: Engine, name: str) -> StoredRule | None:
    validate.text(name, "name", max_length=64)
    with read_transaction(engine) as conn:
        row = conn.execute(select(alert_rules).where(alert_rules.c.name == name)).one_or_none()
    return _to_rule(row) if row is not None else None


def save_rule(engine: Engine, clock: Clock, *, name: str, kind: str, metric: str | None, params: dict[str, Any],
              severity: str, cooldown_s: int, enabled: bool, create_only: bool = False) -> StoredRule:
    """Insert the rule, or replace the stored one of that name (Conflict instead when ``create_only``)."""
    values = _rule_values(name, kind, metric, params, severity, cooldown_s, enabled)
    now = as_utc(clock())
    with write_transaction(engine) as conn:
        existing = conn.execute(select(alert_rules.c.created_at).where(alert_rules.c.name == name)).one_or_none()
        if existing is not None and create_only:
            raise Conflict(f"alert rule {name!r} exists", field="name")
        if existing is None:
            conn.execute(insert(alert_rules).values(**values, created_at=now, updated_at=now))
            created = now
        else:
            conn.execute(update(alert_rules).where(alert_rules.c.name == name).values(**values, updated_at=now))
            created = existing.created_at
    return StoredRule(**values, created_at=created, updated_at=now)


def delete_rule(engine: Engine, name: str) -> None:
    validate.text(name, "name", max_length=64)
    with write_transaction(engine) as conn:
        if conn.execute(delete(alert_rules).where(alert_rules.c.name == name)).rowcount == 0:
            raise NotFound(f"no alert rule {name!r} is stored", field="name")


def _to_rule(row: Row[Any]) -> StoredRule:
    m = row._mapping
    return StoredRule(name=m["name"], kind=m["kind"], metric=m["metric"], params=m["params"] or {},
                      severity=m["severity"], cooldown_s=m["cooldown_s"], enabled=bool(m["enabled"]),
                      created_at=m["created_at"], updated_at=m["updated_at"])


# -- alerts ----------------------------------------------------------------------------------------


def _lock_key(conn: Connection, dedup_key: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"),
                     {"a": zlib.crc32(b"growthos.alerts") - 2**31, "b": zlib.crc32(dedup_key.encode()) - 2**31})


def _active(conn: Connection, dedup_key: str) -> Row[Any] | None:
    return conn.execute(
        select(alerts).where(alerts.c.dedup_key == dedup_key, alerts.c.status.in_(ACTIVE_STATUSES))
        .order_by(alerts.c.id.desc()).limit(1)
    ).one_or_none()


def record_firing(engine: Engine, clock: Clock, *, rule: str, kind: str, dedup_key: str, severity: str,
                  message: str, recommendation: str, observed: float | None, baseline: float | None,
                  values: dict[str, Any] | None, cooldown_s: int) -> Firing:
    """The condition of ``dedup_key`` holds now: update its active alert, or create one unless within the
    cooldown after the key's last alert."""
    fields = {
        "rule": validate.text(rule, "rule", max_length=64, allow_empty=False),
        "kind": validate.text(kind, "kind", max_length=64, allow_empty=False),
        "severity": validate.one_of(severity, SEVERITIES, "severity"),
        "message": validate.text(message, "message"),
        "recommendation": validate.text(recommendation, "recommendation"),
        "observed": validate.finite_number(observed, "observed"),
        "baseline": validate.finite_number(baseline, "baseline"),
        "values": validate.json_object(values, "values"),
    }
    validate.text(dedup_key, "dedup_key", max_length=255, allow_empty=False)
    validate.int_range(cooldown_s, "cooldown_s", minimum=0, maximum=MAX_COOLDOWN_S)
    now = as_utc(clock())
    with write_transaction(engine) as conn:
        _lock_key(conn, dedup_key)
        active = _active(conn, dedup_key)
        if active is not None:
            conn.execute(update(alerts).where(alerts.c.id == active.id)
                         .values(**fields, last_seen_at=now, occurrences=alerts.c.occurrences + 1))
            row = conn.execute(select(alerts).where(alerts.c.id == active.id)).one()
            return Firing("updated", _to_alert(row))
        last = conn.execute(select(alerts).where(alerts.c.dedup_key == dedup_key)
                            .order_by(alerts.c.fired_at.desc(), alerts.c.id.desc()).limit(1)).one_or_none()
        if last is not None and now - last.fired_at < timedelta(seconds=cooldown_s):
            until = last.fired_at + timedelta(seconds=cooldown_s)
            return Firing("suppressed", _to_alert(last), {"cooldown_until": until.isoformat()})
        result = conn.execute(insert(alerts).values(
            **fields, dedup_key=dedup_key, status="open", fired_at=now, last_seen_at=now, occurrences=1))
        row = conn.execute(select(alerts).where(alerts.c.id == result.inserted_primary_key[0])).one()
        return Firing("new", _to_alert(row))


def resolve_cleared(engine: Engine, clock: Clock, dedup_key: str) -> list[Alert]:
    """The condition of ``dedup_key`` no longer holds: resolve its active alerts (``resolved_by='auto'``)."""
    validate.text(dedup_key, "dedup_key", max_length=255, allow_empty=False)
    now = as_utc(clock())
    with write_transaction(engine) as conn:
        _lock_key(conn, dedup_key)
        ids = [r.id for r in conn.execute(select(alerts.c.id).where(
            alerts.c.dedup_key == dedup_key, alerts.c.status.in_(ACTIVE_STATUSES)))]
        if not ids:
            return []
        conn.execute(update(alerts).where(alerts.c.id.in_(ids))
                     .values(status="resolved", resolved_at=now, resolved_by="auto"))
        return [_to_alert(r) for r in conn.execute(select(alerts).where(alerts.c.id.in_(ids)).order_by(alerts.c.id))]


def get_alert(engine: Engine, alert_id: int) -> Alert:
    validate.identifier(alert_id, "alert_id")
    with read_transaction(engine) as conn:
        row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).one_or_none()
    if row is None:
        raise NotFound(f"alert {alert_id} does not exist", field="alert_id")
    return _to_alert(row)


def list_alerts(engine: Engine, status: str | None = None, rule: str | None = None, limit: int = 100,
                offset: int = 0) -> list[Alert]:
    """Alerts newest first; ``status`` may also be ``active`` (open or acknowledged)."""
    validate.int_range(limit, "limit", minimum=1, maximum=10_000)
    validate.int_range(offset, "offset", minimum=0)
    query = select(alerts)
    if status is not None:
        validate.one_of(status, (*ALERT_STATUSES, "active"), "status")
        query = query.where(alerts.c.status.in_(ACTIVE_STATUSES if status == "active" else (status,)))
    if rule is not None:
        query = query.where(alerts.c.rule == validate.text(rule, "rule", max_length=64))
    query = query.order_by(alerts.c.fired_at.desc(), alerts.c.id.desc()).limit(limit).offset(offset)
    with read_transaction(engine) as conn:
        return [_to_alert(row) for row in conn.execute(query)]


def count_alerts(engine: Engine) -> dict[str, int]:
    """Number of alerts per status (every status present, 0 when none)."""
    with read_transaction(engine) as conn:
        rows = conn.execute(select(alerts.c.status, func.count()).group_by(alerts.c.status)).all()
    counts = dict.fromkeys(ALERT_STATUSES, 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


def acknowledge_alert(engine: Engine, clock: Clock, alert_id: int) -> Alert:
    """Mark an open alert acknowledged (again: unchanged); Conflict when it is resolved, NotFound when unknown."""
    validate.identifier(alert_id, "alert_id")
    now = as_utc(clock())
    with write_transaction(engine) as conn:
        row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).one_or_none()
        if row is None:
            raise NotFound(f"alert {alert_id} does not exist", field="alert_id")
        if row.status == "resolved":
            raise Conflict(f"alert {alert_id} is resolved; it cannot be acknowledged", field="alert_id")
        if row.status == "open":
            conn.execute(update(alerts).where(alerts.c.id == alert_id)
                         .values(status="acknowledged", acknowledged_at=now))
        return _to_alert(conn.execute(select(alerts).where(alerts.c.id == alert_id)).one())


def resolve_alert(engine: Engine, clock: Clock, alert_id: int) -> Alert:
    """Resolve an alert by hand (again: unchanged); NotFound when unknown."""
    validate.identifier(alert_id, "alert_id")
    now = as_utc(clock())
    with write_transaction(engine) as conn:
        row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).one_or_none()
        if row is None:
            raise NotFound(f"alert {alert_id} does not exist", field="alert_id")
        if row.status != "resolved":
            conn.execute(update(alerts).where(alerts.c.id == alert_id)
                         .values(status="resolved", resolved_at=now, resolved_by="user"))
        return _to_alert(conn.execute(select(alerts).where(alerts.c.id == alert_id)).one())


def _to_alert(row: Row[Any]) -> Alert:
    m = row._mapping
    return Alert(
        id=m["id"], rule=m["rule"], kind=m["kind"], dedup_key=m["dedup_key"], severity=m["severity"],
        status=m["status"], message=m["message"], recommendation=m["recommendation"], observed=m["observed"],
        baseline=m["baseline"], values=m["values"] or {}, fired_at=m["fired_at"], last_seen_at=m["last_seen_at"],
        occurrences=m["occurrences"], acknowledged_at=m["acknowledged_at"], resolved_at=m["resolved_at"],
        resolved_by=m["resolved_by"],
    )


# -- notification attempts -------------------------------------------------------------------------


def record_attempt(engine: Engine, clock: Clock, *, alert_id: int, channel: str, channel_kind: str, attempt: int,
                   status: str, error: str | None) -> NotificationAttempt:
    values = {
        "alert_id": validate.identifier(alert_id, "alert_id"),
        "channel": validate.text(channel, "channel", max_length=64, allow_empty=False),
        "channel_kind": validate.text(channel_kind, "channel_kind", max_length=32, allow_empty=False),
        "attempt": validate.int_range(attempt, "attempt", minimum=1),
        "status": validate.one_of(status, DELIVERY_STATUSES, "status"),
        "error": None if error is None else validate.text(error, "error")[:2000],
        "attempted_at": as_utc(clock()),
    }
    with write_transaction(engine) as conn:
        if conn.execute(select(alerts.c.id).where(alerts.c.id == alert_id)).one_or_none() is None:
            raise NotFound(f"alert {alert_id} does not exist", field="alert_id")
        result = conn.execute(insert(alert_notifications).values(**values))
    return NotificationAttempt(id=int(result.inserted_primary_key[0]), **values)


def list_attempts(engine: Engine, alert_id: int | None = None, limit: int = 1000) -> list[NotificationAttempt]:
    """Attempts oldest first, of one alert or of all."""
    validate.int_range(limit, "limit", minimum=1, maximum=100_000)
    query = select(alert_notifications)
    if alert_id is not None:
        query = query.where(alert_notifications.c.alert_id == validate.identifier(alert_id, "alert_id"))
    query = query.order_by(alert_notifications.c.id).limit(limit)
    with read_transaction(engine) as conn:
        return [NotificationAttempt(**dict(row._mapping)) for row in conn.execute(query)]
