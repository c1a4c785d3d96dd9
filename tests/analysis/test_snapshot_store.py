"""Snapshots on schedule: after a build, the last complete day, week, month and quarter are stored once."""

from __future__ import annotations

from datetime import date

from growthos.analysis.snapshot_store import take_due_snapshots


def test_due_snapshots_are_taken_once_per_completed_period(live_server) -> None:
    store = live_server.app.state.growthos.workspace.store
    with live_server.app.state.growthos.reader() as engine:
        first = take_due_snapshots(engine, live_server.settings, store)
        again = take_due_snapshots(engine, live_server.settings, store)
    periods = {(s.period_kind, s.period_start, s.period_end) for s in first}
    stored = {(s.period_kind, s.period_start, s.period_end) for s in store.list_snapshots(limit=1000)}
    # the demo's last full day is Monday 2026-02-09: the last complete day, week, month and quarter
    assert {("day", date(2026, 2, 9), date(2026, 2, 9)), ("week", date(2026, 2, 2), date(2026, 2, 8)),
            ("month", date(2026, 1, 1), date(2026, 1, 31)), ("quarter", date(2025, 10, 1), date(2025, 12, 31))
            } <= stored
    assert len(periods) == len(first) and again == []
