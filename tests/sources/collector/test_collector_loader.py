"""The loader: when it loads, how much at once, a journal left by a crash (in either payload format),
the identity check it makes from Arrow columns, and its CPU priority."""

from __future__ import annotations

import os
import random
import sys
import threading
import time

import pyarrow as pa
import pytest
from collector_factories import message, track

from growthos.sources.collector import CollectorOptions, EventWriter
from growthos.sources.collector.identity import IdentityCache
from growthos.sources.collector.journal import Journal, frame
from growthos.sources.collector.payload import ROWS_SCHEMA, encode
from growthos.warehouse.duckdb_engine import DuckDBEngine


def stored_ids(reader: DuckDBEngine) -> list[str]:
    return reader.query("SELECT message_id FROM events ORDER BY message_id").column("message_id").to_pylist()


def wait_for(predicate, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_a_load_worth_of_events_is_loaded_without_lingering(start_writer, reader) -> None:
    writer = start_writer(load_min_events=10, load_linger_s=60)
    writer.append([track(f"a{i}", user="u") for i in range(4)])
    time.sleep(0.2)
    assert writer.stats().transactions == 0  # 4 < 10: it lingers
    writer.append([track(f"b{i}", user="u") for i in range(6)])
    assert wait_for(lambda: writer.stats().queued_events == 0)
    assert writer.stats().transactions == 1
    assert len(stored_ids(reader)) == 10


def test_a_load_holds_at_most_max_load_events(start_writer, reader) -> None:
    writer = start_writer(max_load_events=25, load_linger_s=60, load_min_events=1000)
    for b in range(10):
        writer.append([track(f"m{b}-{i}", user="u") for i in range(10)])
    assert writer.flush(timeout=10)
    stats = writer.stats()
    assert stats.largest_commit == 30  # whole batches: the one that reaches 25 is the last
    assert stats.transactions == 4
    assert len(stored_ids(reader)) == 100


def test_a_journal_left_by_a_crash_loads_in_bounded_pieces(warehouse, reader, journal_dir) -> None:
    """Frames written before a crash, in both payload formats, load at start (``max_load_bytes`` at a time)."""
    rows = [[track(f"n{b}-{i}", anon=f"a{i}").to_row() for i in range(50)] for b in range(6)]
    old_rows = [track("old1", user="u").to_row(), track("old2", user="u").to_row()]
    columns = list(zip(*old_rows, strict=True))
    arrays = []
    for field, values in zip(ROWS_SCHEMA, columns, strict=True):
        if field.name == "message_key":
            values = [bytes.fromhex(v) for v in values]
        if isinstance(field.type, pa.ExtensionType):
            arrays.append(pa.ExtensionArray.from_storage(field.type, pa.array(values, field.type.storage_type)))
        else:
            arrays.append(pa.array(values, field.type))
    legacy = pa.Table.from_arrays(arrays, schema=ROWS_SCHEMA).to_batches()[0].serialize().to_pybytes()
    journal = Journal(journal_dir)
    journal.open(0)
    journal.append([frame(legacy)] + [frame(encode(r)) for r in rows])
    journal.close()

    with EventWriter(warehouse, CollectorOptions(max_load_bytes=1), journal_dir=journal_dir) as writer:
        assert writer.flush(timeout=10)
        assert writer.stats().transactions == 7  # one frame per load
    assert len(stored_ids(reader)) == 302


def test_the_identity_check_from_columns_matches_the_one_by_event() -> None:
    """``unsettled_columns`` (distinct values in Arrow first) picks the same events as ``unsettled``."""
    rng = random.Random(7)
    ids = [f"a{i}" for i in range(12)] + [f"u{i}" for i in range(6)]
    for trial in range(200):
        cache = IdentityCache()
        cache.ids = set(rng.sample(ids, rng.randrange(len(ids) + 1)))
        cache.users = {i for i in cache.ids if i.startswith("u") and rng.random() < 0.8}
        cache.links = {(f"a{rng.randrange(12)}", f"u{rng.randrange(6)}") for _ in range(rng.randrange(20))}
        events = []
        for n in range(rng.randrange(1, 30)):
            kind = rng.choice(["track", "track", "identify", "alias", "page"])
            user = rng.choice([None, "", *[f"u{i}" for i in range(6)]])
            anon = rng.choice([None, *[f"a{i}" for i in range(12)]])
            if kind == "alias":
                events.append(message("alias", f"m{n}", user=f"u{rng.randrange(6)}", previous_id=rng.choice(ids)))
            else:
                events.append(message(kind, f"m{n}", user=user, anon=anon or ("a0" if not user else None)))
        if trial % 3:  # most loads hold no alias: the fast path's case
            events = [e for e in events if e.type != "alias"] or events[:1]
        columns = {c: [getattr(e, c) for e in events] for c in ("type", "user_id", "anonymous_id", "previous_id")}
        expected = cache.unsettled(100, *columns.values())
        got = cache.unsettled_columns(100, *(pa.chunked_array([pa.array(v, pa.string())]) for v in columns.values()))
        assert got == expected, (trial, events)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_the_loader_runs_at_a_lower_cpu_priority(start_writer) -> None:
    def priority(_engine) -> int:  # run on the loader thread
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    here = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    writer = start_writer()
    assert writer.call(priority) == min(here + 10, 19)
    writer.close()
    assert start_writer(loader_nice=0).call(priority) == here  # the same journal: one writer at a time
    with pytest.raises(ValueError):
        CollectorOptions(loader_nice=20)
