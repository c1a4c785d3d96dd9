"""The snapshots table on SQLite and PostgreSQL: round trip, newest first, immutability, bad input named."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect

from growthos.core.errors import Conflict, InvalidInput, NotFound
from growthos.store import AppStore

PAYLOAD = {"period_kind": "week", "kpis": {"orders": {"value": 272.0, "sample": {"count": 272.0, "exposure": 7.0}}},
           "breakdowns": {"channel": [{"key": None, "label": "(none)"}]}, "note": "ünïcode"}


def test_round_trip_and_order(app_store: AppStore) -> None:
    t0 = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
    first = app_store.create_snapshot("week", date(2026, 2, 2), date(2026, 2, 8), PAYLOAD, taken_at=t0)
    second = app_store.create_snapshot("month", date(2026, 1, 1), date(2026, 1, 31), {"x": [1, 2.5, None]},
                                       taken_at=t0 + timedelta(minutes=1))
    got = app_store.get_snapshot(first.id)
    assert got == first
    assert got.payload == PAYLOAD
    assert got.period_start == date(2026, 2, 2) and got.period_end == date(2026, 2, 8)
    assert got.taken_at == t0 and got.taken_at.tzinfo is not None
    assert [s.id for s in app_store.list_snapshots()] == [second.id, first.id]
    assert [s.id for s in app_store.list_snapshots("week")] == [first.id]
    assert [s.id for s in app_store.list_snapshots(limit=1, offset=1)] == [first.id]
    assert first.summary()["period_start"] == "2026-02-02"


def test_same_period_and_instant_is_a_conflict(app_store: AppStore) -> None:
    t0 = datetime(2026, 2, 10, tzinfo=UTC)
    app_store.create_snapshot("week", date(2026, 2, 2), date(2026, 2, 8), PAYLOAD, taken_at=t0)
    with pytest.raises(Conflict):
        app_store.create_snapshot("week", date(2026, 2, 2), date(2026, 2, 8), PAYLOAD, taken_at=t0)
    app_store.create_snapshot("week", date(2026, 2, 2), date(2026, 2, 8), PAYLOAD, taken_at=t0 + timedelta(seconds=1))
    assert len(app_store.list_snapshots()) == 2


def test_bad_input_names_the_field(app_store: AppStore) -> None:
    with pytest.raises(InvalidInput) as exc:
        app_store.create_snapshot("year", date(2026, 1, 1), date(2026, 12, 31), {})
    assert exc.value.field == "period_kind"
    with pytest.raises(InvalidInput) as exc:
        app_store.create_snapshot("day", date(2026, 1, 2), date(2026, 1, 1), {})
    assert exc.value.field == "period_start"
    with pytest.raises(InvalidInput) as exc:
        app_store.create_snapshot("day", date(2026, 1, 1), date(2026, 1, 1), {"bad": object()})
    assert exc.value.field.startswith("payload")
    with pytest.raises(NotFound):
        app_store.get_snapshot(999)


def test_store_offers_no_update(app_store: AppStore) -> None:
    assert not any(name.startswith(("update_snapshot", "delete_snapshot")) for name in dir(app_store))
    assert "snapshots" in inspect(app_store.engine).get_table_names()
