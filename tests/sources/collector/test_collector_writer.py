"""The group-committing writer on a real DuckDB file, with real threads."""

from __future__ import annotations

import json
import os
import threading
from datetime import timedelta

import pytest
from collector_factories import T0, message, track

from growthos.core.errors import InvalidInput
from growthos.sources.collector import (
    EventWriter,
    Overloaded,
    WriterClosed,
    WriteResult,
    WriteTimeout,
    parse_segment,
    person_events,
)
from growthos.warehouse.duckdb_engine import DuckDBEngine


def stored_ids(reader: DuckDBEngine) -> list[str]:
    return reader.query("SELECT message_id FROM events ORDER BY message_id").column("message_id").to_pylist()


class Gate:
    """Holds the writer thread inside a task until opened, so submissions pile up in the queue."""

    def __init__(self, writer: EventWriter) -> None:
        self.open_event = threading.Event()
        self.entered = threading.Event()

        def hold(_engine) -> None:
            self.entered.set()
            self.open_event.wait(10)

        self.thread = threading.Thread(target=writer.call, args=(hold,))
        self.thread.start()
        assert self.entered.wait(5)

    def open(self) -> None:
        self.open_event.set()
        self.thread.join(5)


def submit_in_thread(writer: EventWriter, events, results: list, **kwargs) -> threading.Thread:
    def run() -> None:
        try:
            results.append(writer.submit(events, **kwargs))
        except Exception as exc:  # the test inspects it
            results.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_queued(writer: EventWriter, n: int) -> None:
    """Until ``n`` events are in the journal, waiting for the loader."""
    for _ in range(500):
        stats = writer.stats()
        if stats.events >= n and stats.queued_events >= n:
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"queue never reached {n}: {writer.stats()}")


def test_stored_row_keeps_every_field(start_writer, reader) -> None:
    writer = start_writer()
    body = {"writeKey": "wk", "sentAt": "2024-05-01T10:00:05Z", "batch": [
        {"type": "track", "messageId": "m1", "anonymousId": "a1", "userId": "u1", "event": "Order Completed",
         "timestamp": "2024-05-01T10:00:00Z", "properties": {"revenue": 9.5, "items": [1, 2]},
         "context": {"ip": "1.2.3.4"}, "integrations": {"All": False}, "odd": True},
    ]}
    events = parse_segment("batch", body, received_at=T0 + timedelta(minutes=3, seconds=5)).events
    assert writer.submit(events) == WriteResult(accepted=1, duplicates=0)
    (row,) = reader.query("SELECT * FROM events").to_pylist()
    assert row["message_id"] == "m1" and row["type"] == "track" and row["event"] == "Order Completed"
    assert (row["user_id"], row["anonymous_id"], row["distinct_id"]) == ("u1", "a1", "u1")
    assert row["timestamp"] == T0 + timedelta(minutes=3)
    assert row["original_timestamp"] == T0
    assert row["sent_at"] == T0 + timedelta(seconds=5)
    assert row["received_at"] == T0 + timedelta(minutes=3, seconds=5)
    assert json.loads(row["properties"]) == {"revenue": 9.5, "items": [1, 2]}
    assert json.loads(row["context"]) == {"ip": "1.2.3.4"}
    assert json.loads(row["extra"]) == {"odd": True, "integrations": {"All": False}}
    assert row["traits"] is None and row["source"] == "segment" and row["ingest_seq"] == 1
    assert reader.query(
        "SELECT json_extract(properties, '$.revenue')::DOUBLE AS r FROM events").column("r").to_pylist() == [9.5]


def test_duplicates_within_a_batch_and_across_submits(start_writer, reader) -> None:
    writer = start_writer()
    assert writer.submit([track("m1", user="u"), track("m1", user="u"), track("m2", user="u")]) == WriteResult(2, 1)
    assert writer.submit([track("m1", user="u"), track("m2", user="u")]) == WriteResult(0, 2)
    assert writer.submit([track("m2", user="u"), track("m3", user="u"), track("m3", user="u")]) == WriteResult(1, 2)
    assert stored_ids(reader) == ["m1", "m2", "m3"]
    stats = writer.stats()
    assert (stats.accepted, stats.duplicates, stats.transactions) == (3, 5, 3)
    assert stats.slow_dedup_transactions == 2


def test_resending_a_message_changes_nothing(start_writer, reader) -> None:
    writer = start_writer()
    writer.submit([track("m1", user="u", properties={"v": 1})])
    writer.submit([track("m1", user="other", properties={"v": 2}, at=T0 + timedelta(days=1))])
    assert reader.query("SELECT user_id, properties FROM events").to_pylist() == [
        {"user_id": "u", "properties": '{"v":1}'}
    ]


def test_two_submitters_of_one_message_in_one_commit(start_writer, reader) -> None:
    writer = start_writer()
    gate = Gate(writer)
    results: list = []
    threads = [submit_in_thread(writer, [track("same", user="u"), track(f"own{i}", user="u")], results)
               for i in range(2)]
    wait_queued(writer, 4)
    gate.open()
    for t in threads:
        t.join(5)
    assert sorted(results, key=lambda r: r.accepted) == [WriteResult(1, 1), WriteResult(2, 0)]
    assert stored_ids(reader) == ["own0", "own1", "same"]
    assert writer.stats().transactions == 1


def test_concurrent_submitters_share_commits(start_writer, reader) -> None:
    writer = start_writer()
    threads_n, submits_n = 8, 200
    acked: list[list[str]] = [[] for _ in range(threads_n)]
    errors: list[Exception] = []

    def client(t: int) -> None:
        try:
            for i in range(submits_n):
                ids = [f"t{t}-{i}-{k}" for k in range(3)]
                events = [track(m, anon=f"anon-{t}", user=f"user-{t}" if i % 50 == 0 else None) for m in ids]
                events.append(track(f"t{t}-{i}-0", anon=f"anon-{t}"))  # a duplicate inside the submit
                result = writer.submit(events, timeout=30)
                assert result == WriteResult(3, 1)
                acked[t].extend(ids)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(t,)) for t in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    expected = sorted(m for ids in acked for m in ids)
    assert len(expected) == threads_n * submits_n * 3
    counts = reader.query("SELECT count(*) AS n, count(DISTINCT message_id) AS d FROM events").to_pylist()[0]
    assert counts == {"n": len(expected), "d": len(expected)}
    assert stored_ids(reader) == expected
    stats = writer.stats()
    assert stats.submits == threads_n * submits_n
    assert stats.transactions < stats.submits / 3, stats  # group commit
    assert stats.largest_commit > 4
    seqs = reader.query("SELECT count(DISTINCT ingest_seq) AS n, max(ingest_seq) AS m FROM events").to_pylist()[0]
    assert seqs == {"n": len(expected), "m": len(expected)}


def test_full_queue_refuses_at_once_and_recovers(start_writer, reader) -> None:
    writer = start_writer(max_queue_events=10, max_batch_messages=10)
    gate = Gate(writer)
    results: list = []
    threads = [submit_in_thread(writer, [track(f"q{i}-{k}", user="u") for k in range(5)], results) for i in range(2)]
    wait_queued(writer, 10)
    with pytest.raises(Overloaded) as info:
        writer.submit([track("late", user="u")])
    assert (info.value.status, info.value.retry_after) == (429, 1.0)
    assert writer.stats().overloaded == 1
    gate.open()
    for t in threads:
        t.join(5)
    assert results == [WriteResult(5, 0), WriteResult(5, 0)]
    assert writer.submit([track("late", user="u")]) == WriteResult(1, 0)
    assert len(stored_ids(reader)) == 11


def test_the_backlog_is_bounded_in_journal_bytes_too(start_writer, reader) -> None:
    """Large events fill ``max_queue_bytes`` long before ``max_queue_events``: the batch that does not fit is
    refused (429, Retry-After, nothing kept), what was acknowledged is all loaded once the loader runs again."""
    limit = 64 * 1024
    writer = start_writer(max_queue_bytes=limit, max_batch_bytes=32 * 1024)
    gate = Gate(writer)
    acked: list[str] = []
    with pytest.raises(Overloaded) as info:
        for i in range(100):  # ~10 KB compressed each (random hex does not compress below half)
            writer.append([track(f"big{i}", user="u", properties={"blob": os.urandom(10_000).hex()})])
            acked.append(f"big{i}")
    assert info.value.status == 429 and info.value.retry_after >= 1.0
    assert "bytes" in info.value.message
    stats = writer.stats()
    assert 3 <= len(acked) < 10 and stats.queued_events == len(acked)
    assert limit - 40_000 < stats.queued_bytes <= limit
    assert stats.overloaded == 1
    gate.open()
    assert writer.flush(timeout=10)
    assert writer.stats().queued_bytes == 0
    assert stored_ids(reader) == sorted(acked)


def test_a_timed_out_submit_still_commits_and_its_retry_is_a_duplicate(start_writer, reader) -> None:
    writer = start_writer()
    gate = Gate(writer)
    with pytest.raises(WriteTimeout) as info:
        writer.submit([track("slow", user="u")], timeout=0.05)
    assert info.value.status == 503
    gate.open()
    assert writer.submit([track("slow", user="u")]) == WriteResult(0, 1)
    assert stored_ids(reader) == ["slow"]


def test_a_submission_missing_a_required_value_is_refused_before_the_journal(start_writer, reader) -> None:
    writer = start_writer()
    with pytest.raises(InvalidInput) as info:
        writer.submit([track("fine", user="u"), message(None, "bad", user="u")])  # type NOT NULL
    assert info.value.field == "events[1].type"
    assert writer.stats().submits == 0
    assert writer.submit([track("after", user="u")]) == WriteResult(1, 0)
    assert stored_ids(reader) == ["after"]


def test_a_failed_load_is_retried_and_loses_nothing(start_writer, warehouse, reader) -> None:
    """Acknowledged events stay in the journal while the warehouse refuses them, and load once it accepts."""
    writer = start_writer()
    writer.submit([track("before", user="u")])
    warehouse.execute("ALTER TABLE events RENAME TO events_away")
    position = writer.append([track("during", user="u")])
    assert position > 0
    with pytest.raises(WriteTimeout):
        writer.submit([track("during-2", user="u")], timeout=0.3)
    assert writer.stats().failed_transactions >= 1
    assert not writer.flush(timeout=0.1)
    warehouse.execute("ALTER TABLE events_away RENAME TO events")
    assert writer.flush(timeout=10)
    assert stored_ids(reader) == ["before", "during", "during-2"]
    assert writer.stats().queued_events == 0


def test_closed_writer_refuses_and_close_drains_the_queue(warehouse, reader, journal_dir) -> None:
    writer = EventWriter(warehouse, journal_dir=journal_dir)
    with pytest.raises(WriterClosed):
        writer.submit([track("m", user="u")])
    writer.start()
    gate = Gate(writer)
    results: list = []
    t = submit_in_thread(writer, [track("queued", user="u")], results)
    wait_queued(writer, 1)
    closer = threading.Thread(target=writer.close)
    closer.start()
    gate.open()
    closer.join(5)
    t.join(5)
    assert results == [WriteResult(1, 0)]
    assert stored_ids(reader) == ["queued"]
    with pytest.raises(WriterClosed):
        writer.submit([track("m", user="u")])


def test_oversized_submit_and_empty_submit(start_writer) -> None:
    writer = start_writer(max_queue_events=10, max_batch_messages=10)
    assert writer.submit([]) == WriteResult(0, 0)
    with pytest.raises(InvalidInput):
        writer.submit([track(f"m{i}", user="u") for i in range(11)])


def test_restart_continues_the_sequence(warehouse, reader, journal_dir) -> None:
    with EventWriter(warehouse, journal_dir=journal_dir) as writer:
        writer.submit([track("a", user="u"), track("b", user="u")])
    with EventWriter(warehouse, journal_dir=journal_dir) as writer:
        writer.submit([track("c", user="u"), track("a", user="u")])
    rows = reader.query("SELECT message_id, ingest_seq FROM events ORDER BY ingest_seq").to_pylist()
    assert [(r["message_id"], r["ingest_seq"]) for r in rows] == [("a", 1), ("b", 2), ("c", 3)]


def test_rows_are_clustered_by_distinct_id(start_writer, reader) -> None:
    writer = start_writer()
    for i in range(30):  # arrival order interleaves users
        writer.submit([track(f"m{i}-{u}", user=f"user{u}", at=T0 + timedelta(seconds=30 - i)) for u in (3, 1, 2)])

    def physical() -> list[str]:
        return reader.query("SELECT distinct_id FROM events ORDER BY rowid").column("distinct_id").to_pylist()

    # each commit's rows are sorted, the table as a whole is not (yet)
    assert physical()[:3] == ["user1", "user2", "user3"]
    assert physical() != sorted(physical())
    assert writer.compact() == 90
    rows = reader.query('SELECT distinct_id, "timestamp", ingest_seq FROM events ORDER BY rowid').to_pylist()
    assert rows == sorted(rows, key=lambda r: (r["distinct_id"], r["timestamp"]))
    assert len({r["ingest_seq"] for r in rows}) == 90
    # the table is still unique, still extended by the writer, still read through the view
    assert writer.submit([track("m0-1", user="user1"), track("new", user="user1")]) == WriteResult(1, 1)
    user1 = person_events(reader, "user1")
    assert user1.num_rows == 31
    assert user1.column("timestamp").to_pylist() == sorted(user1.column("timestamp").to_pylist())
    assert reader.query("SELECT count(*) AS n FROM events_people").column("n")[0].as_py() == 91


def test_appends_coexist_with_a_long_transaction_elsewhere(start_writer, warehouse, reader) -> None:
    """A pipeline build holds one transaction for its whole run on the main connection."""
    writer = start_writer()
    with warehouse.transaction():
        warehouse.execute("CREATE OR REPLACE TABLE some_mart AS SELECT 1 AS x")
        assert writer.submit([track("during-build", user="u")]) == WriteResult(1, 0)
    assert stored_ids(reader) == ["during-build"]


def test_load_linger_must_not_be_negative() -> None:
    from growthos.sources.collector import CollectorOptions

    assert CollectorOptions(load_linger_s=0).load_linger_s == 0
    with pytest.raises(ValueError):
        CollectorOptions(load_linger_s=-0.001)


def test_appended_events_load_after_the_linger_without_anyone_waiting(start_writer, reader) -> None:
    writer = start_writer(load_linger_s=0.2)
    writer.append([track("m0", user="u")])
    writer.append([track("m1", user="u")])
    assert writer.stats().queued_events == 2  # on disk, lingering for more
    assert stored_ids(reader) == []
    for _ in range(300):
        if writer.stats().queued_events == 0:
            break
        threading.Event().wait(0.01)
    assert stored_ids(reader) == ["m0", "m1"]
    assert writer.stats().transactions == 1  # both in one load


def test_each_submit_waits_for_its_own_load(start_writer, reader) -> None:
    writer = start_writer(load_linger_s=30)  # submit never waits for the linger
    for i in range(3):
        assert writer.submit([track(f"m{i}", user="u")], timeout=5) == WriteResult(1, 0)
    assert writer.stats().transactions == 3
    assert stored_ids(reader) == ["m0", "m1", "m2"]


def test_a_value_of_the_wrong_type_is_refused_at_submit(start_writer, reader) -> None:
    writer = start_writer()
    with pytest.raises(InvalidInput) as info:
        writer.submit([track("m1", user="u", at="2024-05-01T10:00:00Z")])  # a string, not a datetime
    assert info.value.field == "events"
    assert writer.submit([track("m2", user="u")]) == WriteResult(1, 0)
    assert stored_ids(reader) == ["m2"]
