"""Child process of test_collector_durability: submits events from 4 threads until killed, and writes
one line ``ack <ids>`` to stdout after each submit returned (a single write(2) per line, so a line
is either whole or absent when the process dies).

argv: warehouse path, run tag, DuckDB wal_autocheckpoint threshold (small values force checkpoints
while the writer runs).
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from datetime import UTC, datetime

from growthos.sources.collector import Event, EventWriter
from growthos.warehouse.duckdb_engine import DuckDBEngine


def main() -> None:
    path, tag, checkpoint = sys.argv[1:4]
    engine = DuckDBEngine(path, memory_limit="256MB", threads=1)
    engine.execute(f"SET wal_autocheckpoint = '{checkpoint}'")
    writer = EventWriter(engine).start()
    os.write(1, b"ready\n")

    def client(t: int) -> None:
        for i in itertools.count():
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
            writer.submit(events, timeout=60)
            os.write(1, ("ack " + " ".join(ids) + "\n").encode())

    threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
