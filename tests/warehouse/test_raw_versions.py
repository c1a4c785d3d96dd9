"""Raw versions: a payload that returns to an earlier value (A -> B -> A) is the newest version again;
unchanged data stores nothing; a stale updatedAt never wins; tables written by the old key scheme
keep working."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from fixtures.shopify import ga4_row, meta_row, order

from growthos.sources.base import RawRecord
from growthos.warehouse.raw import RAW_TABLE, canonical_json, ingest


def _history(engine, external_id: str) -> list[str]:
    """The stored spends of one Meta row, oldest ingestion first."""
    rows = engine.query(
        f"SELECT payload ->> '$.spend' AS spend FROM {RAW_TABLE} WHERE external_id = ? ORDER BY ingest_seq",
        [external_id],
    ).to_pylist()
    return [r["spend"] for r in rows]


def _count(engine) -> int:
    return engine.query(f"SELECT count(*) AS n FROM {RAW_TABLE}").column("n")[0].as_py()


def _fact_spend(engine) -> list[tuple[float, int]]:
    rows = engine.query("SELECT spend, impressions FROM fact_spend").to_pylist()
    return [(float(r["spend"]), r["impressions"]) for r in rows]


A = meta_row("ad1", "2026-02-01", "10.00", 100, 5)
B = meta_row("ad1", "2026-02-01", "12.50", 120, 6)


def test_a_restated_row_that_returns_to_an_earlier_value_is_the_newest_again(engine, build_from):
    build_from([A])
    build_from([B])
    assert _fact_spend(engine) == [(12.5, 120)]
    result = build_from([A])
    assert _history(engine, A.external_id) == ["10.00", "12.50", "10.00"]  # stored again, as the newest
    assert _fact_spend(engine) == [(10.0, 100)]
    assert result.rows["stg_spend"] == 1
    # ... and back again: every change is a version, each re-sync of the latest one is not.
    build_from([B])
    build_from([B])
    assert _history(engine, A.external_id) == ["10.00", "12.50", "10.00", "12.50"]
    assert _fact_spend(engine) == [(12.5, 120)]


def test_a_b_a_inside_one_batch_and_across_batches_of_one_call(engine):
    stats = ingest(engine, [A, B, A, A])
    assert (stats.received, stats.inserted) == (4, 3)
    assert _history(engine, A.external_id) == ["10.00", "12.50", "10.00"]
    stats = ingest(engine, [B, A], batch_size=1)  # the second batch sees the first one's version
    assert stats.inserted == 2
    assert _history(engine, A.external_id) == ["10.00", "12.50", "10.00", "12.50", "10.00"]


def test_versions_written_earlier_in_the_same_transaction_count(engine):
    with engine.transaction():
        ingest(engine, [A], batch_size=1)
        ingest(engine, [B, A, A], batch_size=1)
    assert _history(engine, A.external_id) == ["10.00", "12.50", "10.00"]


def test_reingesting_unchanged_data_stores_nothing(engine):
    records = [meta_row(f"ad{i}", "2026-02-01", f"{i}.00", i, 1) for i in range(1, 1201)]
    records += [ga4_row("2026-02-01", f"src{i}", "cpc", "c", i) for i in range(300)]
    records += [order(i, "2026-02-01T15:00:00Z", i, [("Meal Kits", 1, "50.00", "0")]) for i in range(1, 301)]
    first = ingest(engine, records)
    assert first.inserted == 1800
    for _ in range(2):
        again = ingest(engine, records)
        assert (again.received, again.inserted) == (1800, 0)
    assert _count(engine) == 1800
    # One changed row among unchanged ones stores exactly that row.
    records[5] = meta_row("ad6", "2026-02-01", "99.00", 6, 1)
    assert ingest(engine, records).inserted == 1
    assert _count(engine) == 1801


def test_records_without_an_id_are_stored_once_per_payload(engine):
    no_id = RawRecord("meta", "ads_insights", None, {"spend": "1.00"})
    other = RawRecord("meta", "ads_insights", None, {"spend": "2.00"})
    assert ingest(engine, [no_id, other, no_id]).inserted == 2
    assert ingest(engine, [no_id, other]).inserted == 0
    assert _count(engine) == 2


def _updated_order(updated_at: str, refunded: bool) -> RawRecord:
    refunds = [("2026-02-03T10:00:00Z", 0, "50.00")] if refunded else None
    return order(7, "2026-02-01T15:00:00Z", 1, [("Meal Kits", 2, "50.00", "0")], refunds=refunds,
                 updated_at=updated_at)


def test_an_older_updated_at_arriving_later_does_not_win(engine, build_from):
    old = _updated_order("2026-02-01T15:00:00Z", refunded=False)
    new = _updated_order("2026-02-03T10:00:00Z", refunded=True)
    build_from([old])
    build_from([new])
    assert _count(engine) == 2
    # The stale version is re-sent (a replayed page, a backfill): it equals a stored version and would
    # sit before the newer one in staging's order, so it is not stored again and does not win.
    assert ingest(engine, [old]).inserted == 0
    assert _count(engine) == 2
    build_from([old, old])
    rows = engine.query("SELECT net_revenue, refunds FROM fact_orders").to_pylist()
    assert [(float(r["net_revenue"]), float(r["refunds"])) for r in rows] == [(50.0, 50.0)]
    # A stale payload never seen before is kept (append-only) but still loses to the newer updatedAt.
    stale = order(7, "2026-02-02T09:00:00Z", 1, [("Meal Kits", 3, "50.00", "0")], updated_at="2026-02-02T09:00:00Z")
    build_from([stale])
    build_from([stale])
    assert _count(engine) == 3
    rows = engine.query("SELECT net_revenue, refunds FROM fact_orders").to_pylist()
    assert [(float(r["net_revenue"]), float(r["refunds"])) for r in rows] == [(50.0, 50.0)]


def test_with_equal_updated_at_the_later_ingestion_wins_a_b_a(engine):
    at = datetime(2026, 2, 1, tzinfo=UTC)
    a = RawRecord("shopify", "customer", "gid://shopify/Customer/1", {"id": "1", "email": "a@x"}, at)
    b = RawRecord("shopify", "customer", "gid://shopify/Customer/1", {"id": "1", "email": "b@x"}, at)
    assert [ingest(engine, [r]).inserted for r in (a, b, a, a)] == [1, 1, 1, 0]
    latest = engine.query(
        f"SELECT payload ->> '$.email' AS email FROM {RAW_TABLE} "
        "QUALIFY row_number() OVER (ORDER BY source_updated_at DESC NULLS LAST, ingest_seq DESC) = 1"
    ).column("email").to_pylist()
    assert latest == ["a@x"]


# The raw table as the previous release wrote it: record_key = sha256(source, entity, external_id,
# payload hash), no index on external_id, ingest_seq with gaps.
_OLD_DDL = f"""
CREATE TABLE {RAW_TABLE} (
    record_key VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, entity VARCHAR NOT NULL, external_id VARCHAR,
    payload JSON NOT NULL, payload_hash VARCHAR NOT NULL, source_updated_at TIMESTAMPTZ,
    ingested_at TIMESTAMPTZ NOT NULL, ingest_seq BIGINT NOT NULL
)
"""


def _old_row(rec: RawRecord, seq: int) -> list:
    text = canonical_json(rec.payload)
    payload_hash = hashlib.sha256(text.encode()).hexdigest()
    key = hashlib.sha256("\x1f".join((rec.source, rec.entity, rec.external_id or "", payload_hash)).encode())
    return [key.hexdigest(), rec.source, rec.entity, rec.external_id, text, payload_hash, rec.updated_at,
            datetime(2026, 1, 1, tzinfo=UTC), seq]


def test_a_table_written_by_the_old_key_scheme_keeps_ingesting_correctly(engine, build_from):
    engine.execute(_OLD_DDL)
    other = meta_row("ad2", "2026-02-01", "3.00", 30, 1)
    for rec, seq in ((A, 1), (other, 2), (B, 5)):  # A then B, as the old code stored them
        engine.execute(f"INSERT INTO {RAW_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _old_row(rec, seq))
    assert engine.query("SELECT count(*) AS n FROM duckdb_indexes() WHERE table_name = ?",
                        [RAW_TABLE]).column("n")[0].as_py() == 0

    # Unchanged latest versions store nothing; A (older, not latest) is stored again and wins.
    stats = ingest(engine, [B, other])
    assert stats.inserted == 0
    result = build_from([A, other])
    assert _count(engine) == 4
    assert _history(engine, A.external_id) == ["10.00", "12.50", "10.00"]
    seqs = engine.query(f"SELECT ingest_seq FROM {RAW_TABLE} ORDER BY ingest_seq").column(0).to_pylist()
    assert seqs[:3] == [1, 2, 5] and seqs[3] > 5
    assert _fact_spend(engine) == [(13.0, 130)]  # one campaign-day: A (10.00, 100) + other (3.00, 30)
    assert result.rows["stg_spend"] == 2
    # The old row's key and the new version's key differ although the payload is the same.
    keys = engine.query(f"SELECT record_key FROM {RAW_TABLE} WHERE external_id = ?", [A.external_id]).column(0)
    assert len(set(keys.to_pylist())) == 3
    # The upgrade added the lookup index, and a second ingest of everything is a no-op.
    assert engine.query("SELECT count(*) AS n FROM duckdb_indexes() WHERE table_name = ?",
                        [RAW_TABLE]).column("n")[0].as_py() == 1
    assert ingest(engine, [A, B, other, A]).inserted == 2  # B then A: each differs from the one before
    assert ingest(engine, [A, other]).inserted == 0
