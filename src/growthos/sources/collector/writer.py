"""The one writer of collected events: a durable journal for acknowledgements, a loader for the warehouse.

1. **Journal** (acknowledgement). The caller's thread encodes its batch into Arrow columns and one
   Arrow IPC record-batch message, frames it, and writes the frame to the journal (journal.py) under
   one lock: an ``O_DSYNC`` write into a zero-filled segment, ~0.1 ms, durable when it returns.
   :meth:`EventWriter.append` returns here — the batch survives ``kill -9`` or a power loss.
2. **Loader** (the warehouse), on its own thread, reads the journal from the position the warehouse
   has loaded up to, joins the frames' tables, and in ONE DuckDB transaction appends them to
   ``events`` (sorted by person, see schema.py), updates ``identity_map`` and records the new journal
   position in ``collector_journal``. It loads once ``load_min_bytes`` are waiting, or
   ``load_linger_s`` after the first, or at once when a caller waits (:meth:`EventWriter.submit`,
   :meth:`EventWriter.flush`): its transactions hold thousands of events, spreading their fixed costs
   (statements, COMMIT), and leave the CPU to the requests meanwhile. A failed load is retried with
   backoff: its events are acknowledged and never dropped.

Why: committing every request's batch to DuckDB (a group commit of a few hundred events cost ~40 ms:
identity statements, the events INSERT, COMMIT, each with ~1 ms fixed cost) bounded ingestion at
~12,000 events/s. A journal thread with group commit was tried before this: the hand-offs between the
request thread, the journal thread and back (each waiting for the GIL) cost more than the writes.

Exactly once: the journal position is committed with the events it covers, so after a crash the
loader resumes right after the last loaded frame (tests/sources/collector/test_collector_durability.py
kills a writing process at random moments). Events are unique on ``message_key`` anyway: inside a
load the first occurrence wins; against the table the loader first tries a plain INSERT (checked by
the primary-key index) and only when that meets a stored key (a client retry) redoes the transaction
with an anti-join ... RETURNING (5-20x slower per batch, so only when needed).

Back-pressure: at most ``max_queue_events`` events are acknowledged but not yet loaded; a batch that
does not fit is refused with ``Overloaded`` (503, Retry-After) at once.

Readers that must see every acknowledged event call :meth:`EventWriter.flush` first (it returns at
once when the loader has caught up).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from growthos.core.errors import InvalidInput, WarehouseError
from growthos.sources.collector.arrow_view import registered
from growthos.sources.collector.errors import Overloaded, WriteFailed, WriterClosed, WriteTimeout
from growthos.sources.collector.event import Event, EventBatch
from growthos.sources.collector.identity import IdentityCache, IdentityChanges, apply_identity_records
from growthos.sources.collector.journal import Journal, frame
from growthos.sources.collector.options import CollectorOptions
from growthos.sources.collector.schema import (
    ARROW_SCHEMA,
    EVENTS,
    JOURNAL_STATE,
    compact_events,
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
# Rows' JSON columns reach DuckDB typed as Arrow's JSON extension type: DuckDB then takes them as JSON
# without parsing them again (they were written by orjson or json, so they are valid JSON).
_JSON_COLUMNS = frozenset({"properties", "context", "traits", "extra"})
_BATCH_SCHEMA = pa.schema([pa.field(f.name, pa.json_()) if f.name in _JSON_COLUMNS else f for f in ARROW_SCHEMA])
_ROW_TYPES = [f.type for f in ARROW_SCHEMA][:-1]  # the rows' columns; ingest_seq is added by the loader
_JSON_AT = frozenset(i for i, f in enumerate(ARROW_SCHEMA) if f.name in _JSON_COLUMNS)
_ROWS_SCHEMA = _BATCH_SCHEMA.remove(_BATCH_SCHEMA.get_field_index("ingest_seq"))
_REQUIRED = ("message_id", "type", "distinct_id", "timestamp", "received_at", "source")  # NOT NULL columns
_IDENTITY_COLUMNS = ("type", "user_id", "anonymous_id", "previous_id")
_RETRY_DELAYS = (0.05, 0.2, 1.0, 5.0)  # a failed load waits this long before the next try (the last repeats)


@dataclass(frozen=True, slots=True)
class WriteResult:
    accepted: int
    """Events newly stored."""
    duplicates: int
    """Events already stored (same messageId), or repeated earlier in the same load; acknowledged too."""


@dataclass(frozen=True, slots=True)
class WriterStats:
    submits: int
    """Batches written to the journal."""
    events: int
    """Events in them."""
    accepted: int
    """Events newly stored in the warehouse."""
    duplicates: int
    """Events found stored already (or repeated in one load)."""
    journal_writes: int
    """Durable journal writes (each holds every batch that was waiting for one)."""
    journal_seconds: float
    """Time spent in durable journal writes, in total."""
    transactions: int
    """Committed warehouse loads."""
    failed_transactions: int
    """Loads that failed and were retried."""
    slow_dedup_transactions: int
    """Loads redone with the anti-join because a message was already stored."""
    largest_commit: int
    """Most events in one load."""
    overloaded: int
    """Submissions refused because the backlog was full."""
    queued_events: int
    """Events acknowledged or queued but not yet in the warehouse."""
    identity_merges: int
    """People merged by identify/alias."""
    identity_refused: int
    """Merges refused (two known users)."""


class _Submission:
    __slots__ = ("size", "frame", "end", "result", "error", "want_result")

    def __init__(self, events: Sequence[Event]) -> None:
        # The parser's batches are rows already; other events are encoded. Then the Arrow columns
        # (without ingest_seq, assigned at load), checked, as one framed IPC message.
        rows = events.rows if isinstance(events, EventBatch) else [ev.to_row() for ev in events]
        self.size = len(rows)
        table = _arrow_rows(list(zip(*rows, strict=True)))
        _check_required(table)
        self.frame = frame(_serialize(table))
        self.end = -1
        """Journal position after this batch's frame, once written."""
        self.result: WriteResult | None = None
        """Set by the loader for ``submit``."""
        self.error: BaseException | None = None
        self.want_result = False


class _Task:
    """Work run alone on the loader thread (compaction, maintenance)."""

    __slots__ = ("fn", "done", "result", "error")

    def __init__(self, fn: Callable[[Engine], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class EventWriter:
    """Journal-then-load writer of events; ``start()`` it once, ``close()`` it at shutdown.

    ``journal_dir`` holds the journal (keep it beside the warehouse: they belong together). The loader
    writes through its own connection (``engine.reader()``: a cursor on the same DuckDB database)."""

    def __init__(self, engine: Engine, options: CollectorOptions | None = None, *, journal_dir: Path,
                 thread_name: str = "growthos-collector") -> None:
        self._source_engine = engine
        self.options = options or CollectorOptions()
        self._thread_name = thread_name
        self._journal = Journal(journal_dir)
        self._engine: Engine | None = None
        self._cond = threading.Condition()
        self._unwritten: list[_Submission] = []  # batches waiting for the next journal write
        self._writing = False  # a thread is writing to the journal (with _cond released)
        self._tasks: deque[_Task] = deque()
        self._waiting: dict[int, _Submission] = {}  # journal end -> submission waiting for its load
        self._backlog: deque[tuple[int, int]] = deque()  # (journal end, events) acknowledged, not loaded
        self._pending_events = 0  # acknowledged, not loaded
        self._loaded = 0  # journal position loaded into the warehouse
        self._durable = 0  # journal position written (the loader reads up to here)
        self._unloaded_since = 0.0  # when the backlog last grew from empty
        self._hurry = 0  # callers waiting for the loader (submit, flush)
        self._accepting = False
        self._stopping = False
        self._loader: threading.Thread | None = None
        self._next_seq = 1
        self._identities = IdentityCache()
        self._journal_seconds = 0.0
        self._counts = dict.fromkeys(
            ("submits", "events", "journal_writes", "accepted", "duplicates", "transactions", "failed_transactions",
             "slow_dedup_transactions", "largest_commit", "overloaded", "identity_merges", "identity_refused"), 0)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> EventWriter:
        with self._cond:
            if self._accepting:
                return self
            _warm_up()
            self._engine = self._source_engine.reader()
            ensure_events_tables(self._engine)
            self._loaded = loaded_position(self._engine)
            self._journal.open(self._loaded)
            self._durable = self._journal.end  # a backlog left by a crash is loaded first
            seq = self._engine.query(f"SELECT coalesce(max(ingest_seq), 0) + 1 AS s FROM {EVENTS}")
            self._next_seq = int(seq.column("s")[0].as_py())
            self._identities.load(self._engine)
            self._accepting, self._stopping = True, False
            self._loader = threading.Thread(target=self._load_loop, name=self._thread_name, daemon=True)
            self._loader.start()
        return self

    def close(self, timeout: float | None = None) -> None:
        """Stop accepting, load everything journaled, stop the loader and release the files."""
        with self._cond:
            if not self._accepting:
                return
            self._accepting = False
            self._cond.wait_for(lambda: not (self._writing or self._unwritten))  # batches already accepted
            self._stopping = True
            self._cond.notify_all()
        assert self._loader is not None
        self._loader.join(timeout)
        if not self._loader.is_alive():
            self._journal.close()
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    def __enter__(self) -> EventWriter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests --------------------------------------------------------------------------------

    def append(self, events: Sequence[Event]) -> int:
        """Store ``events`` durably in the journal; returns (the journal position after them) once they
        are on disk. They reach the warehouse moments later (see :meth:`flush`).

        Raises ``InvalidInput`` (a value of the wrong type, a required column missing), ``Overloaded``
        when the backlog is full, ``WriteFailed`` when the journal could not be written (nothing of the
        batch is kept), ``WriterClosed`` when not running — the last three 503 with ``retry_after``."""
        if not events:
            with self._cond:
                return self._durable
        return self._write(events, want_result=False).end

    def submit(self, events: Sequence[Event], timeout: float | None = None) -> WriteResult:
        """Store ``events`` and return once they are in the warehouse, with how many were new. Raises as
        :meth:`append`, and ``WriteTimeout`` after ``timeout`` seconds (default ``options.submit_timeout_s``;
        the events are journaled and will be loaded)."""
        if not events:
            return WriteResult(0, 0)
        limit = self.options.submit_timeout_s if timeout is None else timeout
        submission = self._write(events, want_result=True)
        with self._cond, self._hurrying():
            if not self._cond.wait_for(lambda: submission.result is not None, limit):
                self._waiting.pop(submission.end, None)
                raise WriteTimeout(f"not loaded within {limit:g} s (it is journaled and will be)",
                                   retry_after=self.options.retry_after_s)
            return submission.result

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event acknowledged so far is in the warehouse; False if ``timeout`` passed first."""
        with self._cond:
            target = self._durable
            if self._loaded >= target:
                return True
            with self._hurrying():
                return self._cond.wait_for(
                    lambda: self._loaded >= target or self._loader is None or not self._loader.is_alive(), timeout)

    @contextmanager
    def _hurrying(self) -> Iterator[None]:
        """A caller waits for the loader (lock held): it loads the backlog now instead of lingering."""
        self._hurry += 1
        self._cond.notify_all()
        try:
            yield
        finally:
            self._hurry -= 1

    def call(self, fn: Callable[[Engine], Any], timeout: float | None = None) -> Any:
        """Run ``fn(engine)`` on the loader thread between two loads and return its result
        (maintenance that must not race the appends). Waits as long as it takes unless ``timeout``."""
        task = _Task(fn)
        with self._cond:
            if not self._accepting:
                raise WriterClosed("the event writer is not running", retry_after=self.options.retry_after_s)
            self._tasks.append(task)
            self._cond.notify_all()
        if not task.done.wait(timeout):
            raise WriteTimeout(f"not done within {timeout:g} s", retry_after=self.options.retry_after_s)
        if task.error is not None:
            raise task.error
        return task.result

    def compact(self, timeout: float | None = None) -> int:
        """Rewrite ``events`` sorted by (distinct_id, timestamp) on the loader thread (see schema.py)."""
        return self.call(compact_events, timeout)

    def stats(self) -> WriterStats:
        with self._cond:
            return WriterStats(queued_events=self._pending_events, journal_seconds=self._journal_seconds,
                               **self._counts)

    def _write(self, events: Sequence[Event], *, want_result: bool) -> _Submission:
        """Encode ``events`` (on this thread) and write them to the journal, durably."""
        options = self.options
        if len(events) > options.max_queue_events:
            raise InvalidInput(f"{len(events)} events exceed the queue ({options.max_queue_events})", field="events")
        try:
            submission = _Submission(events)
        except (pa.ArrowException, AttributeError, TypeError, ValueError) as exc:  # a value of the wrong type
            raise InvalidInput(f"events cannot be stored: {exc}", field="events") from None
        submission.want_result = want_result
        retry = options.retry_after_s
        with self._cond:
            if not self._accepting:
                raise WriterClosed("the event writer is not running", retry_after=retry)
            if self._pending_events + submission.size > options.max_queue_events:
                self._counts["overloaded"] += 1
                raise Overloaded(f"{self._pending_events} events are waiting to be stored; try again shortly",
                                 retry_after=retry)
            self._pending_events += submission.size
            self._unwritten.append(submission)
            while submission.end < 0 and submission.error is None:
                if self._writing:
                    self._cond.wait()  # the thread writing now, or the next, writes this one too
                else:
                    self._write_group()
            if submission.error is not None:
                raise submission.error
        return submission

    def _write_group(self) -> None:
        """Write every batch waiting for the journal in one durable write (lock held, released meanwhile).
        The thread that finds no write running does it for everyone queued: batches arriving during a
        write go together in the next, so the writes follow the disk, not the request rate."""
        group = list(self._unwritten)
        self._unwritten.clear()
        self._writing = True
        self._cond.release()
        started = time.perf_counter()
        try:
            ends, error = self._journal.append([s.frame for s in group]), None
        except OSError as exc:
            log.exception("collector journal write failed")
            ends, error = [], WriteFailed(f"events not stored: {exc}", retry_after=self.options.retry_after_s)
        finally:
            self._cond.acquire()
            self._writing = False
        self._journal_seconds += time.perf_counter() - started
        if error is not None:
            for s in group:
                s.error = error
                self._pending_events -= s.size
        else:
            self._counts["journal_writes"] += 1
            for s, end in zip(group, ends, strict=True):
                s.end = end
                self._counts["submits"] += 1
                self._counts["events"] += s.size
                self._backlog.append((end, s.size))
                if s.want_result:
                    self._waiting[end] = s
            if self._durable == self._loaded:
                self._unloaded_since = time.monotonic()
            self._durable = ends[-1]
        self._cond.notify_all()

    # -- the loader thread --------------------------------------------------------------------------

    def _load_loop(self) -> None:
        failures = 0
        while True:
            with self._cond:
                self._wait_for_work()
                task = self._tasks.popleft() if self._tasks else None
                if task is None and self._loaded >= self._durable:
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
            except Exception:
                log.exception("collector load failed; retrying (the events are safe in the journal)")
                with self._cond:
                    self._counts["failed_transactions"] += 1
                    if self._stopping and failures >= len(_RETRY_DELAYS):  # the next start loads them
                        self._fail_tasks()
                        return
                time.sleep(_RETRY_DELAYS[min(failures, len(_RETRY_DELAYS) - 1)])
                failures += 1

    def _wait_for_work(self) -> None:
        """Wait (lock held) for a task, the stop, or a backlog worth a load: ``load_min_bytes`` of it, one
        older than ``load_linger_s``, or any backlog while a caller waits for it (``submit``, ``flush``).
        Larger loads spread a transaction's fixed costs and leave the CPU to the requests meanwhile."""
        options = self.options
        while not (self._tasks or self._stopping):
            backlog = self._durable - self._loaded
            if backlog > 0:
                waited = time.monotonic() - self._unloaded_since
                if self._hurry or backlog >= options.load_min_bytes or waited >= options.load_linger_s:
                    return
                self._cond.wait(options.load_linger_s - waited)
            else:
                self._cond.wait()

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

    def _load_next(self) -> None:
        with self._cond:
            until = self._durable
        payloads, ends = self._journal.read(self._loaded, self.options.max_load_bytes, until)
        tables = [_deserialize(p) for p in payloads]
        with self._cond:
            wanted = any(end in self._waiting for end in ends)
        results, identity, slow = self._load(tables, ends[-1], per_frame=wanted)
        rows = sum(t.num_rows for t in tables)
        with self._cond:
            self._loaded = ends[-1]
            self._unloaded_since = time.monotonic()  # what arrived meanwhile lingers from now
            while self._backlog and self._backlog[0][0] <= self._loaded:
                self._pending_events -= self._backlog.popleft()[1]
            c = self._counts
            c["transactions"] += 1
            c["slow_dedup_transactions"] += slow
            c["largest_commit"] = max(c["largest_commit"], rows)
            accepted = sum(r.accepted for r in results) if results else rows
            c["accepted"] += accepted
            c["duplicates"] += rows - accepted
            c["identity_merges"] += identity.merges
            c["identity_refused"] += identity.refused
            for end, result in zip(ends, results or [], strict=False):
                submission = self._waiting.pop(end, None)
                if submission is not None:
                    submission.result = result
            self._cond.notify_all()
        self._journal.release(self._loaded)

    def _load(self, tables: list[pa.Table], position: int, *, per_frame: bool
              ) -> tuple[list[WriteResult] | None, IdentityChanges, bool]:
        """Append the frames' events in one transaction that also records ``position``; with
        ``per_frame`` (or whenever a duplicate turns up) each frame's WriteResult."""
        engine = self._engine
        assert engine is not None
        table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
        keys = table.column("message_key").to_pylist()
        frame_of = np.repeat(np.arange(len(tables)), [t.num_rows for t in tables])
        unique = len(set(keys)) == len(keys)
        if not unique:  # inside the load the first occurrence wins
            first: dict[bytes, int] = {}
            for i, key in enumerate(keys):
                first.setdefault(key, i)
            keep = np.zeros(len(keys), dtype=bool)
            keep[list(first.values())] = True
            table = table.filter(pa.array(keep))
            kept_frames = frame_of[keep]
            keys = [keys[i] for i in np.flatnonzero(keep)]
        else:
            kept_frames = frame_of
        first_seq = self._next_seq
        identity_columns = [table.column(c).to_pylist() for c in _IDENTITY_COLUMNS]
        seqs = pa.array(np.arange(first_seq, first_seq + table.num_rows, dtype=np.int64))
        table = table.append_column(_BATCH_SCHEMA.field("ingest_seq"), seqs)
        records = self._identities.unsettled(first_seq, *identity_columns)

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
                               minlength=len(tables))
        return ([WriteResult(int(a), t.num_rows - int(a)) for a, t in zip(accepted, tables, strict=True)],
                identity, slow)


def _check_required(table: pa.Table) -> None:
    for name in _REQUIRED:
        column = table.column(name)
        if column.null_count:
            index = pc.index(pc.is_null(column), True).as_py()
            raise InvalidInput(f"events[{index}].{name} is required", field=f"events[{index}].{name}")


def _serialize(table: pa.Table) -> bytes:
    """One IPC record-batch message (the schema is fixed: _ROWS_SCHEMA)."""
    batch = table.combine_chunks().to_batches()[0]
    return batch.serialize().to_pybytes()


def _deserialize(payload: memoryview) -> pa.Table:
    batch = pa.ipc.read_record_batch(pa.py_buffer(payload), _ROWS_SCHEMA)
    return pa.Table.from_batches([batch], schema=_ROWS_SCHEMA)


def _arrow_rows(columns: list[tuple]) -> pa.Table:
    """The rows' columns (``Event.to_row`` order) as Arrow, without ``ingest_seq``."""
    arrays = [pa.array(values, type=type_) for values, type_ in zip(columns, _ROW_TYPES, strict=True)]
    for i in _JSON_AT:
        arrays[i] = pa.ExtensionArray.from_storage(pa.json_(), arrays[i])
    return pa.Table.from_arrays(arrays, schema=_ROWS_SCHEMA)


def _warm_up() -> None:
    """Convert one row: pyarrow's first conversion of Python objects imports pandas when installed
    (0.3-0.8 s), which should not delay the first acknowledgement."""
    now = datetime.now(UTC)
    warm = _Submission([Event(message_id="warm-up", type="track", timestamp=now, received_at=now, anonymous_id="w")])
    _deserialize(memoryview(warm.frame)[8:])


def _is_duplicate_key(exc: WarehouseError) -> bool:
    text = exc.message.lower()
    return "duplicate key" in text or "violates primary key" in text

