"""Snapshots kept in the app database: stored immutably, found by id or as ``latest`` / ``previous``, and taken
on schedule for every period that has just completed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from growthos.analysis.snapshots import PERIOD_KINDS, Snapshot, period_bounds, take_snapshot
from growthos.core.errors import InvalidInput, NotFound
from growthos.warehouse.engine import Engine

REFS = ("latest", "previous")


def take_due_snapshots(engine: Engine, settings: Any, store: Any) -> list[Snapshot]:
    """Store the snapshot of the last complete day, week, month and quarter where none of that period is
    stored yet; returns the new ones. The server runs it after every successful build, so each period gets
    its snapshot once it is complete (with the scheduler's daily build: the morning after it ends)."""
    last_full_day = settings.today() - timedelta(days=1)
    taken = []
    for kind in PERIOD_KINDS:
        rng = period_bounds(kind, last_full_day)
        stored = store.list_snapshots(period_kind=kind, limit=1000)
        if not any(s.period_start == rng.start and s.period_end == rng.end for s in stored):
            taken.append(save_snapshot(store, take_snapshot(engine, settings, kind)))
    return taken


def _by_period(stored: list[Any]) -> list[Any]:
    """Stored snapshots, the most recent period first (the newest taken first within a period)."""
    return sorted(stored, key=lambda s: (s.period_end, s.taken_at, s.id), reverse=True)


def save_snapshot(store: Any, snapshot: Snapshot) -> Snapshot:
    """Store a snapshot (immutably) and return it with its id."""
    stored = store.create_snapshot(snapshot.period_kind, snapshot.period_start, snapshot.period_end,
                                   snapshot.payload(), taken_at=snapshot.taken_at)
    return Snapshot.from_dict(stored.payload, id=stored.id)


def load_snapshot(store: Any, ref: str | int, field: str = "id") -> Snapshot:
    """A stored snapshot by id, or ``latest`` (of the most recent period; the newest taken of it) or
    ``previous`` (of the period before the latest one, same kind). NotFound when there is none;
    InvalidInput naming ``field`` for anything else."""
    if isinstance(ref, str) and ref in REFS:
        stored = _by_period(store.list_snapshots(limit=1000))
        if ref == "previous" and stored:
            latest = stored[0]
            stored = [s for s in stored if s.period_kind == latest.period_kind and s.period_end < latest.period_start]
        if not stored:
            hint = "take one with `growthos snapshot create`" if ref == "latest" else (
                "take one of the period before the latest with `growthos snapshot create --end`")
            raise NotFound(f"there is no {ref} snapshot ({hint})", field=field)
        return Snapshot.from_dict(stored[0].payload, id=stored[0].id)
    if isinstance(ref, str):
        if not ref.isascii() or not ref.isdigit() or len(ref) > 18:
            raise InvalidInput(f"{field} must be a snapshot id, latest or previous; got {ref!r}", field=field)
        ref = int(ref)
    stored = store.get_snapshot(ref)
    return Snapshot.from_dict(stored.payload, id=stored.id)
