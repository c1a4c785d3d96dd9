"""The collector's loader: moves journaled event batches into the warehouse, on its own thread.

The writer (writer.py) acknowledges a batch once it is durable in the journal (journal.py) and then
tells the loader where the journal ends (:meth:`Loader.journaled`). The loader reads the journal from
the position the warehouse has loaded up to, decodes the frames in DuckDB (payload.py), and in ONE
DuckDB transaction appends them to ``events`` (sorted by person, see schema.py), updates
``identity_map`` (identity.py) and records the new journal position in ``collector_journal``. It loads
once ``load_min_events`` are waiting, or ``load_linger_s`` after the first, or at once when a caller
waits (``submit``, ``flush``) or a crash left a backlog; a load holds at most ``max_load_events``. Its
transactions hold thousands of events, spreading their fixed costs (statements, COMMIT), and leave the
CPU to the requests meanwhile; its thread runs at a lower CPU priority (``loader_nice``) for the same
reason. A failed load is retried with backoff: its events are acknowledged and
never dropped. Between two loads it runs the tasks handed to it (``EventWriter.call``: compaction,
maintenance that must not race the appends).

GIL: the loader shares the interpreter with the event loop, so it keeps its own Python work per event
small — decoding, de-duplicating and the usual identity check (every id known) happen in DuckDB or
Arrow, which release the GIL; per-event Python runs only for events that change ``identity_map``.

Exactly once: the journal position is committed with the events it covers, so after a crash the
loader resumes right after the last loaded frame (tests/sources/collector/test_collector_durability.py
kills a writing process at random moments). Events are unique on ``message_key`` anyway: inside a
load the first occurrence wins; against the table the loader first tries a plain INSERT (checked by
the primary-key index) and only when that meets a stored key (a client retry) redoes the transaction
with an anti-join ... RETURNING (5-20x slower per batch, so only when needed).

Locking: the loader shares the writer's lock (one lock for both sides); every attribute that the
writer reads or changes (positions, the backlog, waiting callers, tasks) is guarded by it. Each side
waits on its own conditions and wakes only the threads that have something to do: every needless
wake-up costs a GIL hand-off, which the event loop pays.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from growthos.core.errors import WarehouseError
from growthos.sources.collector.arrow_view import registered
from growthos.sources.collector.errors import WriterClosed, WriteTimeout
from growthos.sources.collector.event import Event
from growthos.sources.collector.identity import IdentityCache, IdentityChanges, apply_identity_records
from growthos.sources.collector.journal import Journal
from growthos.sources.collector.options import CollectorOptions
from growthos.sources.collector.payload import BATCH_SCHEMA, decode, encode
from growthos.sources.collector.schema import (
    ARROW_SCHEMA,
    EVENTS,
    JOURNAL_STATE,
    ensure_events_tables,
    loaded_position,
)
from growthos.warehouse.engine import Engine

log = logging.getLogger("growthos.collector")

_BATCH_VIEW = "__collector_batch"
_COLS = ", ".join(f'"{c}"' for c in ARROW_SCHEMA.names)
_CLUSTERED = 'ORDER BY distinct_id, "timestamp", ingest_seq'  # each load's rows sorted by person (schema.py)
_INSERT = f"INSERT INTO {EVENTS} ({_COLS}) SELECT {_COLS} FROM {_BATCH_VIEW} {_CLUSTERED}"
_INSERT_NEW = (
    f"INSERT INTO {EVENTS} ({_COLS}) SELECT {_COLS} FROM {_BATCH_VIEW} b "
    f"WHERE NOT EXISTS (SELECT 1 FROM {EVENTS} e WHERE e.message_key = b.message_key) {_CLUSTERED} "
    "RETURNING message_key"
)
_SET_POSITION = f"UPDATE {JOURNAL_STATE} SET position = ?"
_IDENTITY_COLUMNS = ("type", "user_id", "anonymous_id", "previous_id")
_RETRY_DELAYS = (0.05, 0.2, 1.0, 5.0)  # a failed load waits this long before the next try (the last repeats)
_COUNTS = ("accepted", "duplicates", "transactions", "failed_transactions", "slow_dedup_transactions",
           "largest_commit", "identity_merges", "identity_refused")


@dataclass(frozen=True, slots=True)
class WriteResult:
    accepted: int
    """Events newly stored."""
    duplicates: int
    """Events already stored (same messageId), or repeated earlier in the same load; acknowledged too."""


class Waiter(Protocol):
    """A journaled batch whose caller waits for its load: the loader sets ``result``."""

    result: WriteResult | None


class _Task:
    """Work run alone on the loader thread (compaction, maintenance)."""

    __slots__ = ("fn", "done", "result", "error")

    def __init__(self, fn: Callable[[Engine], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class Loader:
    """Loads ``journal`` into the warehouse of ``engine`` (through its own ``engine.reader()``
    connection) on a thread; ``lock`` is the writer's lock (see the module docstring)."""

    def __init__(self, engine: Engine, journal: Journal, options: CollectorOptions, lock: threading.RLock,
                 *, thread_name: str) -> None:
        self._source_engine = engine
        self._journal = journal
        self.options = options
        self._lock = lock
        self._work = threading.Condition(lock)  # the loader thread waits for work
        self._progress = threading.Condition(lock)  # callers wait for loads
        self._thread_name = thread_name
        self._engine: Engine | None = None
        self._thread: threading.Thread | None = None
        self._tasks: deque[_Task] = deque()
        self._waiting: dict[int, Waiter] = {}  # journal end -> batch waiting for its load
        self._backlog: deque[tuple[int, int]] = deque()  # (journal end, events) acknowledged, not loaded
        self.queued_events = 0
        """Events journaled, not yet loaded."""
        self.loaded = 0
        """Journal position loaded into the warehouse."""
        self.durable = 0
        """Journal position written durably (the loader reads up to here)."""
        self._recovered = 0  # the journal's end when opened: what a crash left unloaded ends there
        self._unloaded_since = 0.0  # when the backlog last grew from empty
        self._hurry = 0  # callers waiting for the loader (submit, flush)
        self._stopping = False
        self._next_seq = 1
        self._identities = IdentityCache()
        self._rates: tuple[float, float] | None = None  # events/s and bytes/s of recent loads (moving average)
        self.last_success: float | None = None
        """``time.time()`` of the last committed load."""
        self.last_error: str | None = None
        """Why the last load failed, while it is being retried (None once a load commits again)."""
        self.counts = dict.fromkeys(_COUNTS, 0)
        """What the loads did so far (see ``WriterStats``)."""

    # -- lifecycle (called by the writer, lock held) -------------------------------------------------

    def start(self) -> None:
        """Open the warehouse side and the journal after the loaded position, and start the thread:
        a backlog left by a crash is loaded first."""
        self._engine = self._source_engine.reader()
        ensure_events_tables(self._engine)
        self.loaded = loaded_position(self._engine)
        self._journal.open(self.loaded)
        self.durable = self._recovered = self._journal.end
        seq = self._engine.query(f"SELECT coalesce(max(ingest_seq), 0) + 1 AS s FROM {EVENTS}")
        self._next_seq = int(seq.column("s")[0].as_py())
        self._identities.load(self._engine)
        _warm_up(self._engine)
        self._stopping = False
        self._thread = threading.Thread(target=self._load_loop, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Load everything journaled, then stop (lock not held); False if still running after ``timeout``."""
        with self._lock:
            self._stopping = True
            self._work.notify()
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        return True

    # -- what the writer hands over (lock held) ----------------------------------------------------

    def journaled(self, end: int, events: int, waiter: Waiter | None) -> None:
        """A batch of ``events`` is durable in the journal up to ``end``; ``waiter`` gets its result."""
        self._backlog.append((end, events))
        self.queued_events += events
        if waiter is not None:
            self._waiting[end] = waiter
        if self.durable == self.loaded:
            self._unloaded_since = time.monotonic()
            self._work.notify()  # the loader waits without a timeout
        elif self.queued_events - events < self.options.load_min_events <= self.queued_events:
            self._work.notify()  # a load's worth
        self.durable = end

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def queued_bytes(self) -> int:
        """Journal bytes written durably, not yet loaded (lock held)."""
        return self.durable - self.loaded

    def seconds_to_load(self, events: int, size: int) -> float:
        """How long the loader needs, at its recent rate, to load ``events`` and ``size`` journal bytes more
        (lock held): the Retry-After of a full backlog, between ``retry_after_s`` and ``max_retry_after_s``."""
        options = self.options
        seconds = options.retry_after_s
        if self._rates is not None:
            events_per_s, bytes_per_s = self._rates
            seconds = max(seconds, events / events_per_s, size / bytes_per_s)
        return float(min(math.ceil(seconds), options.max_retry_after_s))

    def wait_result(self, end: int, waiter: Waiter, timeout: float) -> WriteResult | None:
        """Wait (lock held) until the batch ending at ``end`` is loaded: its result, None after ``timeout``."""
        with self._hurrying():
            if not self._progress.wait_for(lambda: waiter.result is not None, timeout):
                self._waiting.pop(end, None)
                return None
            return waiter.result

    def wait_loaded(self, target: int, timeout: float | None) -> bool:
        """Wait (lock held) until the journal is loaded up to ``target``; False if ``timeout`` passed first."""
        if self.loaded >= target:
            return True
        with self._hurrying():
            return self._progress.wait_for(
                lambda: self.loaded >= target or self._thread is None or not self._thread.is_alive(), timeout)

    @contextmanager
    def _hurrying(self) -> Iterator[None]:
        """A caller waits for the loader (lock held): it loads the backlog now instead of lingering."""
        self._hurry += 1
        self._work.notify()
        try:
            yield
        finally:
            self._hurry -= 1

    def add_task(self, fn: Callable[[Engine], Any]) -> _Task:
        """Queue ``fn(engine)`` for the loader thread (lock held); wait for it with :meth:`wait_task`."""
        task = _Task(fn)
        self._tasks.append(task)
        self._work.notify()
        return task

    def wait_task(self, task: _Task, timeout: float | None) -> Any:
        """The task's result once run (lock not held); raises its error, ``WriteTimeout`` after ``timeout``."""
        if not task.done.wait(timeout):
            raise WriteTimeout(f"not done within {timeout:g} s", retry_after=self.options.retry_after_s)
        if task.error is not None:
            raise task.error
        return task.result

    # -- the loader thread --------------------------------------------------------------------------

    def _load_loop(self) -> None:
        _lower_priority(self.options.loader_nice)
        try:
            self._run()
        finally:
            with self._lock:
                self._progress.notify_all()  # flush() stops waiting for a loader that is gone

    def _run(self) -> None:
        failures = 0
        while True:
            with self._lock:
                self._wait_for_work()
                task = self._tasks.popleft() if self._tasks else None
                if task is None and self.loaded >= self.durable:
                    if self._stopping:
                        self._fail_tasks()
                        return
                    continue
            if task is not None:
                self._run_task(task)
                continue
            try:
                self._load_next()
                failures = 0
            except Exception as exc:
                log.exception("collector load failed; retrying (the events are safe in the journal)")
                with self._lock:
                    self.counts["failed_transactions"] += 1
                    self.last_error = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                    if self._stopping and failures >= len(_RETRY_DELAYS):  # the next start loads them
                        self._fail_tasks()
                        return
                time.sleep(_RETRY_DELAYS[min(failures, len(_RETRY_DELAYS) - 1)])
                failures += 1

    def _wait_for_work(self) -> None:
        """Wait (lock held) for a task, the stop, or a backlog worth a load: ``load_min_events`` of it, one
        older than ``load_linger_s``, one left by a crash, or any backlog while a caller waits for it
        (``submit``, ``flush``). Larger loads spread a transaction's fixed costs and leave the CPU to the
        requests meanwhile."""
        options = self.options
        while not (self._tasks or self._stopping):
            if self.durable > self.loaded:
                waited = time.monotonic() - self._unloaded_since
                if (self._hurry or self.queued_events >= options.load_min_events or waited >= options.load_linger_s
                        or self.loaded < self._recovered):
                    return
                self._work.wait(options.load_linger_s - waited)
            else:
                self._work.wait()

    def _fail_tasks(self) -> None:
        for task in self._tasks:
            task.error = WriterClosed("the event writer stopped", retry_after=self.options.retry_after_s)
            task.done.set()
        self._tasks.clear()

    def _run_task(self, task: _Task) -> None:
        try:
            task.result = task.fn(self._engine)
        except Exception as exc:  # handed to the waiting caller
            task.error = exc
        try:  # the task may have written identity_map: what the cache knows must come from the table again
            self._identities.load(self._engine)
        except Exception:
            log.exception("identity cache not reloaded; it stays off until the next task")
            self._identities = IdentityCache()
        task.done.set()

    def _load_end(self) -> int:
        """Where the next load ends (lock held): after ``max_load_events`` events' batches (at least one)."""
        if self.loaded < self._recovered:
            return self._recovered  # what a crash left first (sizes unknown: max_load_bytes applies)
        limit, events = self.options.max_load_events, 0
        for end, size in self._backlog:
            if end <= self.loaded:
                continue
            events += size
            if events >= limit:
                return end
        return self.durable

    def _load_next(self) -> None:
        started = time.perf_counter()
        with self._lock:
            until = self._load_end()
            start = self.loaded
        payloads, ends = self._journal.read(self.loaded, self.options.max_load_bytes, until)
        assert self._engine is not None
        table, sizes = decode(self._engine, payloads)
        with self._lock:
            wanted = any(end in self._waiting for end in ends)
        results, identity, slow = self._load(table, sizes, ends[-1], per_frame=wanted)
        rows = table.num_rows
        seconds = max(time.perf_counter() - started, 1e-3)
        rates = (max(rows, 1) / seconds, (ends[-1] - start) / seconds)
        with self._lock:
            self._rates = rates if self._rates is None else tuple(  # type: ignore[assignment]
                0.7 * old + 0.3 * new for old, new in zip(self._rates, rates, strict=True))
            self.loaded = ends[-1]
            self.last_success, self.last_error = time.time(), None
            self._unloaded_since = time.monotonic()  # what arrived meanwhile lingers from now
            while self._backlog and self._backlog[0][0] <= self.loaded:
                self.queued_events -= self._backlog.popleft()[1]
            c = self.counts
            c["transactions"] += 1
            c["slow_dedup_transactions"] += slow
            c["largest_commit"] = max(c["largest_commit"], rows)
            accepted = sum(r.accepted for r in results) if results else rows
            c["accepted"] += accepted
            c["duplicates"] += rows - accepted
            c["identity_merges"] += identity.merges
            c["identity_refused"] += identity.refused
            for end, result in zip(ends, results or [], strict=False):
                waiter = self._waiting.pop(end, None)
                if waiter is not None:
                    waiter.result = result
            self._progress.notify_all()
        self._journal.release(self.loaded)

    def _load(self, table: pa.Table, sizes: np.ndarray, position: int, *, per_frame: bool
              ) -> tuple[list[WriteResult] | None, IdentityChanges, bool]:
        """Append the frames' events (``table``, ``sizes[i]`` rows of frame i) in one transaction that
        also records ``position``; with ``per_frame`` (or whenever a duplicate turns up) each frame's
        WriteResult."""
        engine = self._engine
        assert engine is not None
        frame_of = np.repeat(np.arange(len(sizes)), sizes)
        unique = pc.count_distinct(table.column("message_key")).as_py() == table.num_rows  # in Arrow: no GIL
        if not unique:  # inside the load the first occurrence wins
            first: dict[bytes, int] = {}
            for i, key in enumerate(table.column("message_key").to_pylist()):
                first.setdefault(key, i)
            keep = np.zeros(table.num_rows, dtype=bool)
            keep[list(first.values())] = True
            table = table.filter(pa.array(keep))
            kept_frames = frame_of[keep]
        else:
            kept_frames = frame_of
        first_seq = self._next_seq
        seqs = pa.array(np.arange(first_seq, first_seq + table.num_rows, dtype=np.int64))
        table = table.append_column(BATCH_SCHEMA.field("ingest_seq"), seqs)
        records = self._identities.unsettled_columns(first_seq, *(table.column(c) for c in _IDENTITY_COLUMNS))

        slow = False
        stored_mask = None
        with registered(engine, _BATCH_VIEW, table):
            try:
                with engine.transaction():
                    engine.execute(_INSERT)
                    identity = apply_identity_records(engine, records, self._identities)
                    engine.execute(_SET_POSITION, [position])
            except WarehouseError as exc:
                if not _is_duplicate_key(exc):
                    raise
                slow = True  # something was stored before: redo, skipping what is there
                keys = table.column("message_key").to_pylist()
                with engine.transaction():
                    stored = set(engine.query(_INSERT_NEW).column("message_key").to_pylist())
                    records = [r for r in records if keys[r.seq - first_seq] in stored]
                    identity = apply_identity_records(engine, records, self._identities)
                    engine.execute(_SET_POSITION, [position])
                stored_mask = np.fromiter((k in stored for k in keys), dtype=bool, count=len(keys))
        self._next_seq = first_seq + table.num_rows
        self._identities.learn(records, identity.refused_links)

        if not (per_frame or slow or not unique):
            return None, identity, slow
        accepted = np.bincount(kept_frames if stored_mask is None else kept_frames[stored_mask],
                               minlength=len(sizes))
        return ([WriteResult(int(a), int(n) - int(a)) for a, n in zip(accepted, sizes, strict=True)],
                identity, slow)


def _lower_priority(nice: int) -> None:
    """Raise this thread's nice value by ``nice`` (Linux: nice values are per thread; elsewhere a thread
    id is no process id, so nothing is done)."""
    if nice and sys.platform.startswith("linux"):
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + nice, 19))
        except OSError:
            log.warning("collector loader priority not lowered", exc_info=True)


def _is_duplicate_key(exc: WarehouseError) -> bool:
    text = exc.message.lower()
    return "duplicate key" in text or "violates primary key" in text


def _warm_up(engine: Engine) -> None:
    """Decode one row: the first decoding pays one-time costs (DuckDB's JSON functions, pyarrow's
    first conversions) that should not delay the first load."""
    now = datetime.now(UTC).replace(tzinfo=None)
    decode(engine, [encode([Event(message_id="warm-up", type="track", timestamp=now, received_at=now,
                                  anonymous_id="w").to_row()])])
