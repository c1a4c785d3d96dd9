"""The one writer of collected events: group commit on a single thread.

Request threads call :meth:`EventWriter.submit` and block. The writer thread takes everything queued
(whole submissions, up to ``max_commit_events``), appends it to ``events`` and updates
``identity_map`` in ONE transaction, commits, then wakes every submitter of that group with its own
``WriteResult``. While one commit runs the next group gathers, so the number of transactions
follows the disk, not the request rate.

Durability: ``submit`` returns only after DuckDB's COMMIT returned, and DuckDB's COMMIT appends the
transaction to the write-ahead log (``<db>.wal``) and syncs it before returning (``fsync_mode =
STANDARD``, the default; strace of a submit shows exactly one write(2) and one fdatasync(2) on the
.wal between the submit and its acknowledgement). A process killed afterwards finds the rows when the
database is reopened and the log replayed: tests/sources/collector/test_collector_durability.py kills
a writing child with SIGKILL at random moments (some during checkpoints) and finds every acknowledged
event exactly once, with its identity rows.

Back-pressure: at most ``max_queue_events`` events wait; a submit that does not fit raises
``Overloaded`` (503, Retry-After) at once instead of growing memory.

Dedup: events are unique on ``message_key``; inside a group the first occurrence wins. Against the
table the writer first tries a plain INSERT, which the primary-key index checks row by row, and only
when that meets a stored key (a client retry) redoes the transaction with an anti-join ... RETURNING.
Measured per batch of 100 rows inserted into the events table (median of 31, 2 cores):

====================  ============  ============
                      1.04M rows    5M rows
====================  ============  ============
plain INSERT (PK)     3.3 ms        5.9 ms
anti-join             17 ms         61-115 ms
INSERT OR IGNORE      22 ms         76-154 ms
====================  ============  ============

so the anti-join beats INSERT OR IGNORE, and the plain insert beats both by 5-20x when, as usual,
nothing is a duplicate. The primary key stays as the guarantee.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from growthos.core.errors import GrowthOSError, InvalidInput, WarehouseError
from growthos.sources.collector.arrow_view import registered
from growthos.sources.collector.errors import Overloaded, WriteFailed, WriterClosed, WriteTimeout
from growthos.sources.collector.event import Event
from growthos.sources.collector.identity import IdentityCache, IdentityChanges, apply_identities
from growthos.sources.collector.options import CollectorOptions
from growthos.sources.collector.schema import ARROW_SCHEMA, EVENTS, compact_events, ensure_events_tables
from growthos.warehouse.engine import Engine

log = logging.getLogger("growthos.collector")

_BATCH_VIEW = "__collector_batch"
_COLS = ", ".join(f'"{c}"' for c in ARROW_SCHEMA.names)
_INSERT = f"INSERT INTO {EVENTS} ({_COLS}) SELECT {_COLS} FROM {_BATCH_VIEW}"
_INSERT_NEW = (
    f"INSERT INTO {EVENTS} ({_COLS}) SELECT {_COLS} FROM {_BATCH_VIEW} b "
    f"WHERE NOT EXISTS (SELECT 1 FROM {EVENTS} e WHERE e.message_key = b.message_key) RETURNING message_key"
)
_DISTINCT, _TIMESTAMP = ARROW_SCHEMA.names.index("distinct_id"), ARROW_SCHEMA.names.index("timestamp")


@dataclass(frozen=True, slots=True)
class WriteResult:
    accepted: int
    """Events newly stored."""
    duplicates: int
    """Events already stored (same messageId), or repeated earlier in the same commit; acknowledged too."""


@dataclass(frozen=True, slots=True)
class WriterStats:
    submits: int
    events: int
    accepted: int
    duplicates: int
    transactions: int
    """Committed transactions (group commits)."""
    failed_transactions: int
    slow_dedup_transactions: int
    """Transactions redone with the anti-join because a message was already stored."""
    largest_commit: int
    overloaded: int
    queued_events: int
    identity_merges: int
    identity_refused: int


class _Submission:
    __slots__ = ("events", "rows", "done", "result", "error")

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = events
        self.rows = [ev.to_row() for ev in events]  # JSON encoding on the caller's thread
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class _Task(_Submission):
    """Work run alone on the writer thread (compaction)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Engine], Any]) -> None:
        super().__init__(())
        self.fn = fn


class EventWriter:
    """Group-committing writer of events; ``start()`` it once, ``close()`` it at shutdown.

    It writes through its own connection (``engine.reader()``: a cursor on the same DuckDB
    database), used by its thread only."""

    def __init__(self, engine: Engine, options: CollectorOptions | None = None, *,
                 thread_name: str = "growthos-collector") -> None:
        self._source_engine = engine
        self.options = options or CollectorOptions()
        self._thread_name = thread_name
        self._engine: Engine | None = None
        self._cond = threading.Condition()
        self._queue: deque[_Submission] = deque()
        self._queued_events = 0
        self._running = False
        self._thread: threading.Thread | None = None
        self._next_seq = 1
        self._identities = IdentityCache()
        self._counts = dict.fromkeys(
            ("submits", "events", "accepted", "duplicates", "transactions", "failed_transactions",
             "slow_dedup_transactions", "largest_commit", "overloaded", "identity_merges", "identity_refused"), 0)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> EventWriter:
        with self._cond:
            if self._running:
                return self
            self._engine = self._source_engine.reader()
            ensure_events_tables(self._engine)
            seq = self._engine.query(f"SELECT coalesce(max(ingest_seq), 0) + 1 AS s FROM {EVENTS}")
            self._next_seq = int(seq.column("s")[0].as_py())
            self._running = True
            self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
            self._thread.start()
        return self

    def close(self, timeout: float | None = None) -> None:
        """Stop accepting, commit what is queued, stop the thread and release the connection."""
        with self._cond:
            if not self._running:
                return
            self._running = False
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._engine is not None and (self._thread is None or not self._thread.is_alive()):
            self._engine.close()
            self._engine = None

    def __enter__(self) -> EventWriter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests --------------------------------------------------------------------------------

    def submit(self, events: Sequence[Event], timeout: float | None = None) -> WriteResult:
        """Store ``events`` durably; returns once they are committed (or were already stored).

        Raises ``Overloaded`` when the queue is full, ``WriteTimeout`` after ``timeout`` seconds
        (default ``options.submit_timeout_s``; the events may still be committed later, and a retry
        is deduplicated), ``WriteFailed`` when their transaction failed, ``WriterClosed`` when the
        writer is not running — all 503 with ``retry_after``."""
        if not events:
            return WriteResult(0, 0)
        if len(events) > self.options.max_queue_events:
            raise InvalidInput(f"{len(events)} events exceed the queue ({self.options.max_queue_events})",
                               field="events")
        submission = _Submission(events)
        self._enqueue(submission, len(events))
        return self._wait(submission, self.options.submit_timeout_s if timeout is None else timeout)

    def call(self, fn: Callable[[Engine], Any], timeout: float | None = None) -> Any:
        """Run ``fn(engine)`` on the writer thread between two commits and return its result
        (maintenance that must not race the appends; other warehouse writes may use it too).
        Waits as long as it takes unless ``timeout`` is given."""
        task = _Task(fn)
        self._enqueue(task, 0)
        return self._wait(task, timeout)

    def compact(self, timeout: float | None = None) -> int:
        """Rewrite ``events`` sorted by (distinct_id, timestamp) on the writer thread (see schema.py)."""
        return self.call(compact_events, timeout)

    def stats(self) -> WriterStats:
        with self._cond:
            return WriterStats(queued_events=self._queued_events, **self._counts)

    def _enqueue(self, item: _Submission, size: int) -> None:
        retry = self.options.retry_after_s
        with self._cond:
            if not self._running:
                raise WriterClosed("the event writer is not running", retry_after=retry)
            if size and self._queued_events + size > self.options.max_queue_events:
                self._counts["overloaded"] += 1
                raise Overloaded(
                    f"{self._queued_events} events are waiting to be written; try again shortly", retry_after=retry
                )
            self._queue.append(item)
            self._queued_events += size
            if size:
                self._counts["submits"] += 1
                self._counts["events"] += size
            self._cond.notify()

    def _wait(self, item: _Submission, limit: float | None) -> Any:
        """The item's result once done; ``limit`` None waits as long as it takes."""
        if not item.done.wait(limit):
            raise WriteTimeout(f"not done within {limit:g} s", retry_after=self.options.retry_after_s)
        if item.error is not None:
            raise item.error
        return item.result

    # -- the writer thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and self._running:
                    self._cond.wait()
                if not self._queue:
                    return
                group = self._take()
            if isinstance(group[0], _Task):
                self._run_task(group[0])
            else:
                self._commit(group)

    def _take(self) -> list[_Submission]:
        """Whole submissions up to max_commit_events (at least one); a task goes alone."""
        first = self._queue.popleft()
        group = [first]
        if not isinstance(first, _Task):
            size = len(first.events)
            while self._queue and not isinstance(self._queue[0], _Task):
                nxt = len(self._queue[0].events)
                if size + nxt > self.options.max_commit_events:
                    break
                group.append(self._queue.popleft())
                size += nxt
        self._queued_events -= sum(len(s.events) for s in group)
        return group

    def _run_task(self, task: _Task) -> None:
        try:
            task.result = task.fn(self._engine)
        except Exception as exc:  # handed to the waiting caller
            task.error = exc
        task.done.set()

    def _commit(self, group: list[_Submission]) -> None:
        try:
            results, identity, slow = self._write(group)
        except Exception as exc:
            if len(group) > 1:  # isolate the culprit: the others may be fine on their own
                for submission in group:
                    self._commit([submission])
                return
            log.exception("collector transaction failed")
            reason = exc.message if isinstance(exc, GrowthOSError) else str(exc)
            error = WriteFailed(f"events not stored: {reason}", retry_after=self.options.retry_after_s)
            error.__cause__ = exc
            with self._cond:
                self._counts["failed_transactions"] += 1
            group[0].error = error
            group[0].done.set()
            return
        with self._cond:
            c = self._counts
            c["transactions"] += 1
            c["slow_dedup_transactions"] += slow
            c["largest_commit"] = max(c["largest_commit"], sum(len(s.events) for s in group))
            c["accepted"] += sum(r.accepted for r in results)
            c["duplicates"] += sum(r.duplicates for r in results)
            c["identity_merges"] += identity.merges
            c["identity_refused"] += identity.refused
        for submission, result in zip(group, results, strict=True):
            submission.result = result
            submission.done.set()

    def _write(self, group: list[_Submission]) -> tuple[list[WriteResult], IdentityChanges, bool]:
        engine = self._engine
        assert engine is not None
        owner: dict[bytes, int] = {}
        rows: list[tuple] = []
        fresh: list[tuple[int, Event]] = []
        seq = self._next_seq
        for index, submission in enumerate(group):
            for event, row in zip(submission.events, submission.rows, strict=True):
                if row[0] in owner:
                    continue
                owner[row[0]] = index
                rows.append((*row, seq))
                fresh.append((seq, event))
                seq += 1
        rows.sort(key=lambda r: (r[_DISTINCT], r[_TIMESTAMP]))
        columns = zip(*rows, strict=True)
        table = pa.Table.from_arrays(
            [pa.array(values, type=f.type) for values, f in zip(columns, ARROW_SCHEMA, strict=True)],
            schema=ARROW_SCHEMA,
        )

        slow = False
        with registered(engine, _BATCH_VIEW, table):
            try:
                with engine.transaction():
                    engine.execute(_INSERT)
                    identity = apply_identities(engine, fresh, self._identities)
                stored = set(owner)
            except WarehouseError as exc:
                if not _is_duplicate_key(exc):
                    raise
                slow = True  # something was stored before: redo, skipping what is there
                with engine.transaction():
                    stored = set(engine.query(_INSERT_NEW).column("message_key").to_pylist())
                    fresh = [(s, ev) for s, ev in fresh if ev.key in stored]
                    identity = apply_identities(engine, fresh, self._identities)
        self._next_seq = seq
        self._identities.learn((ev for _, ev in fresh), identity.refused_links)

        results = []
        for index, submission in enumerate(group):
            accepted = 0
            for row in submission.rows:  # a key counts once, for its first submitter
                if owner.get(row[0]) == index and row[0] in stored:
                    accepted += 1
                    owner[row[0]] = -1
            results.append(WriteResult(accepted, len(submission.rows) - accepted))
        return results, identity, slow


def _is_duplicate_key(exc: WarehouseError) -> bool:
    text = exc.message.lower()
    return "duplicate key" in text or "violates primary key" in text

