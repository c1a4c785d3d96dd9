"""Incremental state in the warehouse: saved with the records it follows, or not at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from growthos.sources.base import RawRecord
from growthos.sources.sync_state import (
    StreamState,
    advance,
    clear_state,
    load_state,
    save_state,
    store_page,
)


def _record(n: int, updated: str) -> RawRecord:
    at = datetime.fromisoformat(updated.replace("Z", "+00:00"))
    return RawRecord("shopify", "order", f"gid://shopify/Order/{n}", {"id": n, "updatedAt": updated}, at)


def _raw_count(engine) -> int:
    return engine.query("SELECT count(*) AS n FROM raw_events").column("n")[0].as_py()


def test_a_new_stream_has_no_cursor_and_reads_everything(warehouse):
    state = load_state(warehouse, "main-shop", "orders")
    assert (state.cursor, state.records, state.since()) == (None, 0, None)


def test_advance_keeps_the_greatest_updated_at_and_never_moves_back():
    state = StreamState("c", "orders", "2026-02-01T12:00:00Z", timedelta(hours=1), 5)
    later = advance(state, [_record(1, "2026-02-01T11:00:00Z"), _record(2, "2026-02-01T13:30:00Z")])
    assert (later.cursor, later.records) == ("2026-02-01T13:30:00Z", 7)
    assert later.since() == datetime(2026, 2, 1, 12, 30, tzinfo=UTC)
    assert advance(later, [_record(3, "2026-01-01T00:00:00Z")]).cursor == "2026-02-01T13:30:00Z"


def test_store_page_saves_records_and_cursor_together(warehouse):
    records = [_record(1, "2026-02-01T12:00:00Z"), _record(2, "2026-02-01T12:05:00Z")]
    state = advance(load_state(warehouse, "main-shop", "orders"), records)
    stats = store_page(warehouse, records, state)
    assert stats.inserted == 2 and _raw_count(warehouse) == 2
    saved = load_state(warehouse, "main-shop", "orders")
    assert (saved.cursor, saved.records, saved.lookback) == ("2026-02-01T12:05:00Z", 2, timedelta(hours=1))
    assert load_state(warehouse, "other-shop", "orders").cursor is None


def test_a_failure_while_storing_leaves_neither_records_nor_cursor(warehouse):
    first = [_record(1, "2026-02-01T12:00:00Z")]
    store_page(warehouse, first, advance(load_state(warehouse, "c", "orders"), first))

    def broken():
        yield _record(2, "2026-02-01T13:00:00Z")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store_page(warehouse, broken(), StreamState("c", "orders", "2026-02-01T13:00:00Z"))
    assert _raw_count(warehouse) == 1
    assert load_state(warehouse, "c", "orders").cursor == "2026-02-01T12:00:00Z"


def test_the_lookback_is_saved_overridable_and_state_can_be_cleared(warehouse):
    save_state(warehouse, StreamState("c", "orders", "2026-02-01T12:00:00Z", timedelta(minutes=10)))
    assert load_state(warehouse, "c", "orders").lookback == timedelta(minutes=10)
    assert load_state(warehouse, "c", "orders", lookback=timedelta(0)).since() == datetime(2026, 2, 1, 12, tzinfo=UTC)
    save_state(warehouse, StreamState("c", "customers", "2026-02-01T12:00:00Z"))
    clear_state(warehouse, "c", "orders")
    assert load_state(warehouse, "c", "orders").cursor is None
    assert load_state(warehouse, "c", "customers").cursor is not None
    clear_state(warehouse, "c")
    assert load_state(warehouse, "c", "customers").cursor is None
