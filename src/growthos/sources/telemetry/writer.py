"""The one writer of telemetry: requests hand it checked batches and wait until they are committed.

A thread takes the batches waiting in its queue (a few milliseconds' worth, up to ``max_batch_rows``; a batch
may hold rows of several kinds, as one OTLP request does), appends each kind's rows to its table in ONE
warehouse transaction and then answers every waiting caller:
a POST is acknowledged only once its records are stored, and a failed transaction fails all of its
callers (nothing half-stored: a retry stores them once). A full queue refuses new batches at once
(``Overloaded``: 429 with Retry-After) instead of letting memory grow.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import pyarrow as pa

from growthos.sources.collector.errors import Overloaded, WriterClosed, WriteTimeout
from growthos.sources.telemetry.records import RecordKind
from growthos.warehouse.engine import Engine

log = logging.getLogger("growthos.telemetry")


@dataclass(frozen=True)
class TelemetryOptions:
    max_queue_batches: int = 10_000
    """Batches waiting to be written before new ones are refused (Overloaded)."""
    max_batch_rows: int = 50_000
    """Rows written in one transaction at most."""
    linger_s: float = 0.005
    """How long the thread waits for more batches to join a transaction."""
    submit_timeout_s: float = 30.0
    """How long a caller waits for its commit before WriteTimeout."""


@dataclass
class _Batch:
    parts: list[tuple[RecordKind, pa.Table]]
    done: Future

    @property
    def rows(self) -> int:
        return sum(t.num_rows for _, t in self.parts)


class TelemetryWriter:
    def __init__(self, engine: Engine, options: TelemetryOptions | None = None) -> None:
        self.engine = engine
        self.options = options or TelemetryOptions()
        self._queue: queue.Queue[_Batch | None] = queue.Queue(self.options.max_queue_batches)
        self._thread: threading.Thread | None = None
        self._created: set[str] = set()
        self._lock = threading.Lock()

    def __enter__(self) -> TelemetryWriter:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="growthos-telemetry", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Write what is queued, then stop."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def submit(self, kind: RecordKind, rows: pa.Table, timeout: float | None = None) -> int:
        """Store ``rows`` of ``kind``; returns how many once committed. Overloaded when the queue is full,
        WriteTimeout when the commit takes longer than ``timeout`` (it may still happen), WriterClosed when
        the writer is not running, and the warehouse's error when the transaction failed."""
        return self.submit_many([(kind, rows)], timeout)

    def submit_many(self, parts: list[tuple[RecordKind, pa.Table]], timeout: float | None = None) -> int:
        """Store rows of several kinds in the same transaction (all or none); the rows stored, as ``submit``."""
        if self._thread is None:
            raise WriterClosed("the telemetry writer is not running")
        parts = [(kind, rows) for kind, rows in parts if rows.num_rows]
        if not parts:
            return 0
        batch = _Batch(parts, Future())
        try:
            self._queue.put_nowait(batch)
        except queue.Full:
            raise Overloaded("the telemetry queue is full; retry shortly", retry_after=1) from None
        try:
            return batch.done.result(timeout=self.options.submit_timeout_s if timeout is None else timeout)
        except FutureTimeout:
            raise WriteTimeout("the telemetry commit did not finish in time; retry", retry_after=1) from None

    def ensure_tables(self, engine: Engine | None = None) -> None:
        """Create every kind's table where missing (readers query them before any record arrives)."""
        from growthos.sources.telemetry import KINDS

        for kind in KINDS.values():
            self._ensure(engine or self.engine, kind)

    def _ensure(self, engine: Engine, kind: RecordKind) -> None:
        if kind.table not in self._created:
            engine.execute(kind.ddl())
            self._created.add(kind.table)

    def _run(self) -> None:
        engine = self.engine.reader()  # this thread's own connection
        try:
            stop = False
            while not stop:
                first = self._queue.get()
                if first is None:
                    break
                batches, rows = [first], first.rows
                while rows < self.options.max_batch_rows:
                    try:
                        nxt = self._queue.get(timeout=self.options.linger_s)
                    except queue.Empty:
                        break
                    if nxt is None:
                        stop = True
                        break
                    batches.append(nxt)
                    rows += nxt.rows
                self._write(engine, batches)
        finally:
            engine.close()

    def _write(self, engine: Engine, batches: list[_Batch]) -> None:
        by_kind: dict[str, tuple[RecordKind, list[pa.Table]]] = {}
        for b in batches:
            for kind, rows in b.parts:
                by_kind.setdefault(kind.name, (kind, []))[1].append(rows)
        try:
            for kind, _tables in by_kind.values():
                self._ensure(engine, kind)
            with engine.transaction():
                for kind, tables in by_kind.values():
                    engine.append(kind.table, pa.concat_tables(tables))
        except Exception as exc:  # the thread lives on; every caller of the transaction hears why it failed
            log.error("telemetry transaction of %d batches failed: %s", len(batches), exc)
            for b in batches:
                b.done.set_exception(exc)
            return
        for b in batches:
            b.done.set_result(b.rows)
