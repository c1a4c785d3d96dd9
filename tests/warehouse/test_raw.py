"""The raw layer: idempotent appends, newer versions supersede older ones, batches of 500."""

from __future__ import annotations

from fixtures.shopify import meta_row, order

from growthos.warehouse.raw import RAW_TABLE, canonical_json, ingest


def _count(engine) -> int:
    return engine.query(f"SELECT count(*) AS n FROM {RAW_TABLE}").column("n")[0].as_py()


def test_reingesting_the_same_records_changes_nothing(engine):
    records = [order(i, "2026-02-01T15:00:00Z", i, [("Meal Kits", 1, "50.00", "0")]) for i in range(1, 1201)]
    first = ingest(engine, records)
    assert (first.received, first.inserted, first.batches) == (1200, 1200, 3)
    second = ingest(engine, records)
    assert (second.received, second.inserted) == (1200, 0)
    assert _count(engine) == 1200


def test_duplicates_within_one_batch_are_stored_once(engine):
    rec = meta_row("ad1", "2026-02-01", "10.00", 100, 5)
    stats = ingest(engine, [rec, rec, rec])
    assert stats.inserted == 1
    assert _count(engine) == 1


def test_a_changed_payload_is_a_new_version_and_staging_keeps_the_newest(engine, build_from):
    original = order(7, "2026-02-01T15:00:00Z", 1, [("Meal Kits", 2, "50.00", "0")])
    refunded = order(7, "2026-02-01T15:00:00Z", 1, [("Meal Kits", 2, "50.00", "0")],
                     refunds=[("2026-02-03T10:00:00Z", 0, "50.00")], updated_at="2026-02-03T10:00:00Z")
    # The refunded version arrives first, the stale one later: the source's updatedAt decides.
    build_from([refunded, original])
    assert _count(engine) == 2
    rows = engine.query("SELECT net_revenue, refunds FROM fact_orders").to_pylist()
    assert [(float(r["net_revenue"]), float(r["refunds"])) for r in rows] == [(50.0, 50.0)]


def test_without_source_timestamps_the_later_ingestion_wins(engine, build_from):
    build_from([meta_row("ad1", "2026-02-01", "10.00", 100, 5)])
    build_from([meta_row("ad1", "2026-02-01", "12.50", 120, 6)])
    rows = engine.query("SELECT spend, impressions FROM fact_spend").to_pylist()
    assert [(float(r["spend"]), r["impressions"]) for r in rows] == [(12.5, 120)]


def test_canonical_json_ignores_key_order():
    assert canonical_json({"b": 1, "a": [1, {"y": 2, "x": 1}]}) == canonical_json({"a": [1, {"x": 1, "y": 2}], "b": 1})


def test_a_warehouse_held_by_another_process_is_a_clear_conflict(tmp_path):
    import subprocess
    import sys

    import pytest

    from growthos.core.errors import Conflict
    from growthos.warehouse.duckdb_engine import DuckDBEngine

    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); "
                               "print('ready', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(Conflict, match="in use by another process"):
            DuckDBEngine(path)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
