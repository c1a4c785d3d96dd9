"""The one writer of collected events: a batch is acknowledged once it is durable in the journal.

A batch is encoded on the caller's thread (one orjson and one zstd call, see payload.py), framed, and
written to the journal (journal.py): an ``O_DSYNC`` write into a zero-filled segment, durable when it
returns. Group commit: every batch waiting when a write starts goes into it, so the writes follow the
disk, not the request rate.

- :meth:`EventWriter.append_async` (the HTTP routes, on the event loop) queues the batch for the
  journal thread and resumes once it is written: the loop parses other requests meanwhile instead of
  blocking for the write (~0.4 ms at best, several ms while other processes sync the same disk).
- :meth:`EventWriter.append` and :meth:`EventWriter.submit` (threads) write it themselves: the caller
  that finds no write running writes everything queued.

Either returns (or resumes) once the batch is on disk — it survives ``kill -9`` or a power loss.

The loader (loader.py) then moves the journal into the warehouse on its own thread, in transactions
of thousands of events that also record the journal position they cover (exactly once).
:meth:`EventWriter.submit` returns once its events are loaded, with how many were new;
:meth:`EventWriter.flush` waits until every event acknowledged so far is loaded (at once when the
loader has caught up): readers that must see every acknowledged event call it first.

Why a journal: committing every request's batch to DuckDB (a group commit of a few hundred events cost
~40 ms: identity statements, the events INSERT, COMMIT, each with ~1 ms fixed cost) bounded ingestion
at ~12,000 events/s. Measured costs of the journal thread: see bench/RESULTS.md (collector notes); each
hand-off between threads waits for the GIL, which is why the writes are grouped and why the threads
wake each other only when there is work (one lock, one condition per kind of waiter).

Back-pressure: at most ``max_queue_events`` events and ``max_queue_bytes`` journal bytes are acknowledged
(or queued for the journal) but not yet loaded; a batch that does not fit is refused at once with
``Overloaded`` (429) and a Retry-After of the time the loader needs, at its recent rate, to make room for it.
Nothing of a refused batch is kept, and nothing acknowledged is ever dropped.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from growthos.core.errors import InvalidInput
from growthos.sources.collector.errors import Overloaded, WriteFailed, WriterClosed, WriteTimeout
from growthos.sources.collector.event import Event, EventBatch
from growthos.sources.collector.journal import Journal, frame
from growthos.sources.collector.loader import Loader, WriteResult
from growthos.sources.collector.options import CollectorOptions
from growthos.sources.collector.payload import check_rows, encode
from growthos.sources.collector.schema import compact_events
from growthos.warehouse.engine import Engine

__all__ = ["EncodedBatch", "EventWriter", "WriteResult", "WriterHealth", "WriterStats"]

log = logging.getLogger("growthos.collector")

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
    """Time spent in durable journal writes, in total (measured by the writing thread, so it includes
    its wait for the GIL after each write)."""
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
    queued_bytes: int
    """Journal bytes acknowledged or queued but not yet in the warehouse."""
    identity_merges: int
    """People merged by identify/alias."""
    identity_refused: int
    """Merges refused (two known users)."""


@dataclass(frozen=True, slots=True)
class WriterHealth:
    running: bool
    """Accepting events, and the loader thread is alive."""
    last_load: float | None
    """``time.time()`` of the last committed load into the warehouse (None: none since start)."""
    load_error: str | None
    """Why the last load failed, while loads are retried (None when the last one committed)."""
    queued_events: int
    queued_bytes: int


class EncodedBatch:
    """A batch of events encoded for the journal (:meth:`EventWriter.encode`); append it once."""

    __slots__ = ("size", "frame", "end", "result", "error", "want_result", "future")

    def __init__(self, events: Sequence[Event]) -> None:
        # The parser's batches are valid storage rows already; other events are converted and checked.
        if isinstance(events, EventBatch):
            rows = events.rows
        else:
            rows = [ev.to_row() for ev in events]
            check_rows(rows)
        self.size = len(rows)
        self.frame = frame(encode(rows)) if rows else b""
        self.end = -1
        """Journal position after this batch's frame, once written."""
        self.result: WriteResult | None = None
        """Set by the loader for ``submit``."""
        self.error: BaseException | None = None
        self.want_result = False
        self.future: asyncio.Future[int] | None = None
        """Resolved on its event loop once written, for ``append_async``."""


class EventWriter:
    """Journal-then-load writer of events; ``start()`` it once, ``close()`` it at shutdown.

    ``journal_dir`` holds the journal (keep it beside the warehouse: they belong together). The loader
    writes through its own connection (``engine.reader()``: a cursor on the same DuckDB database)."""

    def __init__(self, engine: Engine, options: CollectorOptions | None = None, *, journal_dir: Path,
                 thread_name: str = "growthos-collector") -> None:
        self.options = options or CollectorOptions()
        self._journal = Journal(journal_dir)
        self._lock = threading.RLock()  # shared with the loader
        self._written = threading.Condition(self._lock)  # callers wait for a journal write
        self._to_write = threading.Condition(self._lock)  # the journal thread waits for batches
        self._loader = Loader(engine, self._journal, self.options, self._lock, thread_name=thread_name)
        self._unwritten: list[EncodedBatch] = []  # batches waiting for the next journal write
        self._unwritten_events = 0  # events in them, and in the write running now
        self._unwritten_bytes = 0  # their frames' bytes, likewise
        self._writing = False  # a thread is writing to the journal (with the lock released)
        self._accepting = False
        self._journal_thread: threading.Thread | None = None
        self._thread_name = thread_name
        self._journal_seconds = 0.0
        self._counts = dict.fromkeys(("submits", "events", "journal_writes", "overloaded"), 0)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> EventWriter:
        with self._lock:
            if self._accepting:
                return self
            self._loader.start()
            self._accepting = True
            self._journal_thread = threading.Thread(target=self._journal_loop, name=f"{self._thread_name}-journal",
                                                    daemon=True)
            self._journal_thread.start()
        return self

    def close(self, timeout: float | None = None) -> None:
        """Stop accepting, load everything journaled, stop the loader and release the files."""
        with self._lock:
            if not self._accepting:
                return
            self._accepting = False
            self._written.wait_for(lambda: not (self._writing or self._unwritten))  # batches already accepted
            self._to_write.notify()
        assert self._journal_thread is not None
        self._journal_thread.join()
        if self._loader.stop(timeout):
            self._journal.close()

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
            with self._lock:
                return self._loader.durable
        return self._write(events, want_result=False).end

    def encode(self, events: Sequence[Event]) -> EncodedBatch:
        """``events`` encoded for :meth:`append_async` (any thread: the HTTP layer encodes large batches
        on a worker). Raises ``InvalidInput`` for a value of the wrong type or a required value missing."""
        options = self.options
        if len(events) > options.max_queue_events:
            raise InvalidInput(f"{len(events)} events exceed the queue ({options.max_queue_events})", field="events")
        try:
            return EncodedBatch(events)
        except (AttributeError, TypeError, ValueError) as exc:  # a value JSON cannot hold
            raise InvalidInput(f"events cannot be stored: {exc}", field="events") from None

    async def append_async(self, events: Sequence[Event] | EncodedBatch) -> int:
        """:meth:`append` for a caller on an asyncio event loop, which it does not block: the batch
        (encoded here unless given as :meth:`encode` made it) is written by the journal thread with
        every batch waiting then, and the coroutine resumes once it is durable. Raises as :meth:`append`."""
        batch = events if isinstance(events, EncodedBatch) else self.encode(events)
        if not batch.size:
            with self._lock:
                return self._loader.durable
        future = batch.future = asyncio.get_running_loop().create_future()
        with self._lock:
            self._enqueue(batch)
            if not self._writing:
                self._to_write.notify()  # the journal thread writes it
        return await future

    def submit(self, events: Sequence[Event], timeout: float | None = None) -> WriteResult:
        """Store ``events`` and return once they are in the warehouse, with how many were new. Raises as
        :meth:`append`, and ``WriteTimeout`` after ``timeout`` seconds (default ``options.submit_timeout_s``;
        the events are journaled and will be loaded)."""
        if not events:
            return WriteResult(0, 0)
        limit = self.options.submit_timeout_s if timeout is None else timeout
        submission = self._write(events, want_result=True)
        with self._lock:
            result = self._loader.wait_result(submission.end, submission, limit)
        if result is None:
            raise WriteTimeout(f"not loaded within {limit:g} s (it is journaled and will be)",
                               retry_after=self.options.retry_after_s)
        return result

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event acknowledged so far is in the warehouse; False if ``timeout`` passed first."""
        with self._lock:
            return self._loader.wait_loaded(self._loader.durable, timeout)

    def call(self, fn: Callable[[Engine], Any], timeout: float | None = None) -> Any:
        """Run ``fn(engine)`` on the loader thread between two loads and return its result
        (maintenance that must not race the appends). Waits as long as it takes unless ``timeout``."""
        with self._lock:
            if not self._accepting:
                raise WriterClosed("the event writer is not running", retry_after=self.options.retry_after_s)
            task = self._loader.add_task(fn)
        return self._loader.wait_task(task, timeout)

    def compact(self, timeout: float | None = None) -> int:
        """Rewrite ``events`` sorted by (distinct_id, timestamp) on the loader thread (see schema.py)."""
        return self.call(compact_events, timeout)

    def stats(self) -> WriterStats:
        with self._lock:
            loader = self._loader
            return WriterStats(queued_events=self._unwritten_events + loader.queued_events,
                               queued_bytes=self._unwritten_bytes + loader.queued_bytes,
                               journal_seconds=self._journal_seconds, **self._counts, **loader.counts)

    def health(self) -> WriterHealth:
        """What the writer knows of itself, from memory (no query): for /api/health."""
        with self._lock:
            loader = self._loader
            return WriterHealth(running=self._accepting and loader.running, last_load=loader.last_success,
                                load_error=loader.last_error,
                                queued_events=self._unwritten_events + loader.queued_events,
                                queued_bytes=self._unwritten_bytes + loader.queued_bytes)

    def _enqueue(self, submission: EncodedBatch) -> None:
        """Queue ``submission`` for the next journal write (lock held), or refuse it."""
        options = self.options
        if not self._accepting:
            raise WriterClosed("the event writer is not running", retry_after=options.retry_after_s)
        events = self._unwritten_events + self._loader.queued_events
        size = self._unwritten_bytes + self._loader.queued_bytes
        over_events = events + submission.size - options.max_queue_events
        over_bytes = size + len(submission.frame) - options.max_queue_bytes
        if over_events > 0 or over_bytes > 0:
            self._counts["overloaded"] += 1
            retry = self._loader.seconds_to_load(max(over_events, 0), max(over_bytes, 0))
            raise Overloaded(f"{events} acknowledged events ({size} journal bytes) are waiting to be loaded into "
                             f"the warehouse, the most allowed is {options.max_queue_events} events and "
                             f"{options.max_queue_bytes} bytes: retry in {retry:g} s", retry_after=retry)
        self._unwritten_events += submission.size
        self._unwritten_bytes += len(submission.frame)
        self._unwritten.append(submission)

    def _write(self, events: Sequence[Event], *, want_result: bool) -> EncodedBatch:
        """Encode ``events`` (on this thread) and write them to the journal, durably."""
        submission = self.encode(events)
        submission.want_result = want_result
        with self._lock:
            self._enqueue(submission)
            while submission.end < 0 and submission.error is None:
                if self._writing:
                    self._written.wait()  # the thread writing now, or the next, writes this one too
                else:
                    _resolve_futures(self._write_group())
            if submission.error is not None:
                raise submission.error
        return submission

    def _journal_loop(self) -> None:
        """The journal thread: writes what ``append_async`` queued whenever no other write runs; after
        ``close`` it writes what is left, then ends."""
        while True:
            with self._lock:
                self._to_write.wait_for(lambda: not self._writing and (self._unwritten or not self._accepting))
                if not self._unwritten:
                    return
                done = self._write_group()
            _resolve_futures(done)

    def _write_group(self) -> list[EncodedBatch]:
        """Write every batch waiting for the journal in one durable write (lock held, released meanwhile).
        The thread that finds no write running does it for everyone queued: batches arriving during a
        write go together in the next, so the writes follow the disk, not the request rate."""
        group = list(self._unwritten)
        self._unwritten.clear()
        self._writing = True
        self._lock.release()
        started = time.perf_counter()
        try:
            ends, error = self._journal.append([s.frame for s in group]), None
        except Exception as exc:  # OSError; anything else must not leave the callers waiting either
            log.exception("collector journal write failed")
            ends, error = [], WriteFailed(f"events not stored: {exc}", retry_after=self.options.retry_after_s)
        finally:
            self._lock.acquire()
            self._writing = False
        self._journal_seconds += time.perf_counter() - started
        for s in group:
            self._unwritten_events -= s.size
            self._unwritten_bytes -= len(s.frame)
        if error is not None:
            for s in group:
                s.error = error
        else:
            self._counts["journal_writes"] += 1
            for s, end in zip(group, ends, strict=True):
                s.end = end
                self._counts["submits"] += 1
                self._counts["events"] += s.size
                self._loader.journaled(end, s.size, s if s.want_result else None)
        self._written.notify_all()
        if self._unwritten:
            self._to_write.notify()  # the journal thread writes them unless a caller of append() does first
        return [s for s in group if s.future is not None]


def _resolve_futures(done: list[EncodedBatch]) -> None:
    """Resume the ``append_async`` callers of ``done`` (written or failed), on their event loops."""
    by_loop: dict[asyncio.AbstractEventLoop, list[EncodedBatch]] = {}
    for s in done:
        assert s.future is not None
        by_loop.setdefault(s.future.get_loop(), []).append(s)
    for loop, submissions in by_loop.items():
        try:
            loop.call_soon_threadsafe(_set_results, submissions)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass


def _set_results(submissions: list[EncodedBatch]) -> None:
    for s in submissions:
        future = s.future
        if future is None or future.done():  # the caller was cancelled
            continue
        if s.error is not None:
            future.set_exception(s.error)
        else:
            future.set_result(s.end)
