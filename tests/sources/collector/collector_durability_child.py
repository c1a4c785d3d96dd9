"""Child process of test_collector_durability: stores events from 4 threads until killed, and writes
one line ``ack <ids>`` to stdout after each call returned (a single write(2) per line, so a line
is either whole or absent when the process dies). Threads 0 and 1 use ``append`` (acknowledged once in
the synced journal), threads 2 and 3 ``submit`` (once in the warehouse), and an asyncio event loop on a
fifth thread runs clients 4 and 5 with ``append_async`` (as the HTTP routes do).

argv: warehouse path, journal directory, run tag, DuckDB wal_autocheckpoint threshold (small values
force checkpoints while the loader runs).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from growthos.sources.collector import Event, EventWriter
from growthos.warehouse.duckdb_engine import DuckDBEngine


def main() -> None:
    path, journal, tag, checkpoint = sys.argv[1:5]
    engine = DuckDBEngine(path, memory_limit="256MB", threads=1)
    engine.execute(f"SET wal_autocheckpoint = '{checkpoint}'")
    writer = EventWriter(engine, journal_dir=Path(journal)).start()
    os.write(1, b"ready\n")

    def batch(t: int, i: int) -> tuple[list[str], list[Event]]:
        now = datetime.now(UTC)
        ids = [f"{tag}-{t}-{i}-{k}" for k in range(5)]
        events = [
            Event(message_id=m, type="track", event="Tick", timestamp=now, received_at=now,
                  anonymous_id=f"{tag}-anon-{t}", user_id=f"user-{t}" if i % 7 == 0 else None,
                  properties={"i": i})
            for m in ids
        ]
        if i % 3 == 2:  # resend something already acknowledged: the dedup path runs too
            events.append(Event(message_id=f"{tag}-{t}-{i - 1}-0", type="track", event="Tick", timestamp=now,
                                received_at=now, anonymous_id=f"{tag}-anon-{t}"))
        return ids, events

    def client(t: int) -> None:
        for i in itertools.count():
            ids, events = batch(t, i)
            if t < 2:
                writer.append(events)
            else:
                writer.submit(events, timeout=60)
            os.write(1, ("ack " + " ".join(ids) + "\n").encode())

    async def async_client(t: int) -> None:
        for i in itertools.count():
            ids, events = batch(t, i)
            await writer.append_async(events)
            os.write(1, ("ack " + " ".join(ids) + "\n").encode())

    async def async_clients() -> None:
        await asyncio.gather(async_client(4), async_client(5))

    threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(4)]
    threads.append(threading.Thread(target=asyncio.run, args=(async_clients(),), daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
