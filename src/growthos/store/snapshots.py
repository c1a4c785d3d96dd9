"""Snapshots (``snapshots``): immutable KPI snapshots of one period, kept as a JSON payload.

Rows are only ever inserted: there is no update, and a snapshot is never changed after it is taken (take a new
one instead). The payload is whatever the analysis layer hands over (growthos.analysis.snapshots.Snapshot
.payload()); the store checks only the columns it indexes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, Row, insert, select
from sqlalchemy.exc import IntegrityError

from growthos.core.errors import Conflict, InvalidInput, NotFound
from growthos.store import validate
from growthos.store.engine import read_transaction, write_transaction
from growthos.store.schema import snapshots

PERIOD_KINDS: tuple[str, ...] = ("day", "week", "month", "quarter")
MAX_PAGE = 1000


@dataclass(frozen=True)
class StoredSnapshot:
    """A snapshot row: its id, period, when it was taken (aware UTC) and its payload."""

    id: int
    period_kind: str
    period_start: date
    period_end: date
    taken_at: datetime
    payload: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """JSON-ready row without the payload (for lists)."""
        return {"id": self.id, "period_kind": self.period_kind, "period_start": self.period_start.isoformat(),
                "period_end": self.period_end.isoformat(), "taken_at": self.taken_at.isoformat()}


def _day(value: Any, fieldname: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(f"{fieldname} must be a date; got {value!r}", field=fieldname)
    return value


def create_snapshot(engine: Engine, clock: Callable[[], datetime], period_kind: str, period_start: date,
                    period_end: date, payload: dict[str, Any], taken_at: datetime | None = None) -> StoredSnapshot:
    validate.one_of(period_kind, PERIOD_KINDS, "period_kind")
    _day(period_start, "period_start")
    _day(period_end, "period_end")
    if period_start > period_end:
        raise InvalidInput(f"period_start {period_start} is after period_end {period_end}", field="period_start")
    payload = validate.json_object(payload, "payload")
    taken = validate.aware(taken_at, "taken_at") or clock()
    try:
        with write_transaction(engine) as conn:
            result = conn.execute(insert(snapshots).values(
                period_kind=period_kind, period_start=period_start, period_end=period_end, taken_at=taken,
                payload=payload))
            snapshot_id = int(result.inserted_primary_key[0])
    except IntegrityError as exc:
        raise Conflict(f"a {period_kind} snapshot of {period_start} taken at {taken.isoformat()} already exists",
                       field="taken_at") from exc
    return get_snapshot(engine, snapshot_id)


def _to_snapshot(row: Row) -> StoredSnapshot:
    from growthos.store.types import as_utc

    return StoredSnapshot(id=row.id, period_kind=row.period_kind, period_start=row.period_start,
                          period_end=row.period_end, taken_at=as_utc(row.taken_at), payload=dict(row.payload))


def get_snapshot(engine: Engine, snapshot_id: int) -> StoredSnapshot:
    validate.identifier(snapshot_id, "snapshot_id")
    with read_transaction(engine) as conn:
        row = conn.execute(select(snapshots).where(snapshots.c.id == snapshot_id)).one_or_none()
    if row is None:
        raise NotFound(f"snapshot {snapshot_id} does not exist", field="snapshot_id")
    return _to_snapshot(row)


def list_snapshots(engine: Engine, period_kind: str | None, limit: int, offset: int) -> list[StoredSnapshot]:
    validate.int_range(limit, "limit", minimum=1, maximum=MAX_PAGE)
    validate.int_range(offset, "offset", minimum=0)
    query = select(snapshots)
    if period_kind is not None:
        validate.one_of(period_kind, PERIOD_KINDS, "period_kind")
        query = query.where(snapshots.c.period_kind == period_kind)
    query = query.order_by(snapshots.c.taken_at.desc(), snapshots.c.id.desc()).limit(limit).offset(offset)
    with read_transaction(engine) as conn:
        return [_to_snapshot(row) for row in conn.execute(query)]
