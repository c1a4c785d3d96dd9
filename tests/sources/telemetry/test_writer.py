"""The telemetry writer: concurrent callers each answered once their rows are committed, batches of a failed
transaction all refused with nothing stored, back-pressure when the queue is full."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from growthos.core.errors import WarehouseError
from growthos.sources.collector.errors import Overloaded, WriterClosed
from growthos.sources.telemetry import KINDS, TelemetryWriter
from growthos.sources.telemetry.writer import TelemetryOptions

NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
VITAL, QUERY = KINDS["web_vital"], KINDS["db_query"]


def vitals(n: int, route: str):
    return VITAL.parse([{"name": "LCP", "value": float(i), "route": route} for i in range(n)], received_at=NOW)


def count(engine, table: str, where: str = "TRUE") -> int:
    return engine.query(f"SELECT count(*) AS n FROM {table} WHERE {where}").to_pylist()[0]["n"]


def test_concurrent_batches_are_all_stored(engine) -> None:
    with TelemetryWriter(engine) as writer, ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: writer.submit(VITAL, vitals(5, f"/r{i}")), range(40)))
        stored = writer.submit(QUERY, QUERY.parse({"fingerprint": "SELECT ?", "duration_ms": 3}, received_at=NOW))
    assert results == [5] * 40 and stored == 1
    assert count(engine, VITAL.table) == 200
    assert count(engine, VITAL.table, "route = '/r7'") == 5
    assert count(engine, QUERY.table) == 1


def test_a_failed_transaction_fails_every_batch_in_it_and_stores_none(engine) -> None:
    writer = TelemetryWriter(engine, TelemetryOptions(linger_s=0.3))
    writer.ensure_tables()
    engine.execute(f"ALTER TABLE {QUERY.table} ADD COLUMN must_have VARCHAR NOT NULL DEFAULT 'x'")
    engine.execute(f"ALTER TABLE {QUERY.table} ALTER COLUMN must_have DROP DEFAULT")
    writer.start()
    try:
        barrier = threading.Barrier(2)

        def good():
            barrier.wait()
            return writer.submit(VITAL, vitals(3, "/ok"))

        def bad():
            barrier.wait()
            return writer.submit(QUERY, QUERY.parse({"fingerprint": "SELECT ?", "duration_ms": 3}, received_at=NOW))

        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(good), pool.submit(bad)]
            outcomes = [f.exception(timeout=30) for f in futures]
        assert all(isinstance(o, WarehouseError) for o in outcomes), outcomes  # one transaction, both refused
        assert count(engine, VITAL.table) == 0 and count(engine, QUERY.table) == 0
        assert writer.submit(VITAL, vitals(2, "/later")) == 2  # the writer goes on
    finally:
        writer.close()


def test_back_pressure_and_a_closed_writer(engine) -> None:
    writer = TelemetryWriter(engine, TelemetryOptions(max_queue_batches=1))
    with pytest.raises(WriterClosed):
        writer.submit(VITAL, vitals(1, "/"))
    writer._thread = threading.current_thread()  # accept without a thread draining the queue
    writer._queue.put_nowait(None)
    with pytest.raises(Overloaded) as exc:
        writer.submit(VITAL, vitals(1, "/"))
    assert exc.value.retry_after == 1


def test_several_kinds_commit_together_or_not_at_all(engine) -> None:
    query = QUERY.parse({"fingerprint": "SELECT ?", "duration_ms": 3}, received_at=NOW)
    with TelemetryWriter(engine) as writer:
        assert writer.submit_many([(VITAL, vitals(2, "/both")), (QUERY, query)]) == 3
        engine.execute(f"ALTER TABLE {QUERY.table} ADD COLUMN must_have VARCHAR NOT NULL DEFAULT 'x'")
        engine.execute(f"ALTER TABLE {QUERY.table} ALTER COLUMN must_have DROP DEFAULT")
        with pytest.raises(WarehouseError):
            writer.submit_many([(VITAL, vitals(2, "/half")), (QUERY, query)])
    assert count(engine, VITAL.table, "route = '/both'") == 2 and count(engine, QUERY.table) == 1
    assert count(engine, VITAL.table, "route = '/half'") == 0  # the vitals of the failed pair were not kept
