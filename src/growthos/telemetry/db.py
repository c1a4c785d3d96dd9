"""Database-query telemetry for a SQLAlchemy app: ``instrument(engine, base_url=..., key=...)``.

Listens to the engine's ``before_cursor_execute`` / ``after_cursor_execute`` / ``handle_error`` events and
records one ``db_query`` per statement the driver runs, sent in batches by a ``BatchSender`` to
``POST /api/analytics/database-performance``:

- ``fingerprint`` — the statement with its values as ``?`` (growthos.telemetry.fingerprint);
- ``duration_ms`` — from just before ``cursor.execute`` to just after it returned (for a SELECT this is the
  time to the first result: rows fetched later are not included);
- ``rows`` — the driver's ``cursor.rowcount`` when it is known (>= 0): rows changed by INSERT/UPDATE/DELETE
  on every driver, rows returned by a SELECT on PostgreSQL (psycopg) and MySQL; None where the driver
  reports -1, as SQLite does for every SELECT (its rows are only counted as they are fetched);
- ``slow`` — ``duration_ms >= slow_ms`` (default 1000); ``cached`` False (cache hits are recorded by
  ``cached_query``, with ``cached`` True);
- ``system`` — the dialect's name (sqlite, postgresql, mysql...); ``operation`` — SELECT, INSERT, ...
  (for a WITH query, the statement after its CTEs);
- ``error_type`` — the exception's class name when the statement failed (the error still reaches the app);
- ``endpoint`` — what ``endpoint()`` returns (e.g. the current route from a contextvar), if given;
- ``trace_id`` / ``span_id`` — the current OpenTelemetry span's, when opentelemetry-api is installed and
  a span is active.

Telemetry never breaks a query: every listener catches its own errors (counted in ``stats.errors``), and
the sender only appends to a bounded buffer. ``uninstrument(engine)`` removes the listeners and flushes.
For an ``AsyncEngine`` pass it as is (its ``sync_engine`` is instrumented).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from growthos.telemetry.fingerprint import fingerprint, is_read, operation
from growthos.telemetry.query_cache import QueryCache
from growthos.telemetry.sql_tables import tables_written

log = logging.getLogger("growthos.telemetry")

SLOW_MS = 1000.0
"""Default slow-query threshold."""
PATH = "database-performance"
"""The ingest endpoint under /api/analytics."""
_START = "_growthos_started"
_PENDING = "growthos_written_tables"


class Recorder(Protocol):
    """Where records go: a BatchSender, or anything with ``record(dict)``."""

    def record(self, item: dict[str, Any]) -> None: ...


@dataclass
class InstrumentStats:
    recorded: int = 0
    errors: int = 0
    """Telemetry failures swallowed so the app's query went on."""


@dataclass(eq=False)
class Instrumentation:
    """The listeners attached to one engine and where they send records."""

    engine: Engine
    sender: Recorder
    slow_ms: float = SLOW_MS
    endpoint: Callable[[], str | None] | None = None
    result_cache: QueryCache | None = None
    clock: Callable[[], float] = time.perf_counter
    """Measures durations (seconds)."""
    wall: Callable[[], float] = time.time
    """Timestamps records (epoch seconds)."""
    owns_sender: bool = False
    stats: InstrumentStats = field(default_factory=InstrumentStats)

    def __post_init__(self) -> None:
        self.system = self.engine.dialect.name
        self._backslashes = self.system in ("mysql", "mariadb")
        self._trace = _trace_ids_function()

    # -- the engine's events -------------------------------------------------------------------------

    def before_execute(self, conn: Connection, _cursor: Any, _statement: str, _params: Any, context: Any,
                       _many: bool) -> None:
        try:
            _starts(conn, context).append(self.clock())
        except Exception:  # telemetry must never break the app's query
            self.stats.errors += 1

    def after_execute(self, conn: Connection, cursor: Any, statement: str, _params: Any, context: Any,
                      _many: bool) -> None:
        try:
            started = _pop(conn, context)
            if started is None:
                return
            rowcount = getattr(cursor, "rowcount", -1)
            rows = rowcount if isinstance(rowcount, int) and rowcount >= 0 else None
            self._record(statement, (self.clock() - started) * 1000, rows=rows)
            if self.result_cache is not None:
                self._invalidate_written(conn, statement)
        except Exception:
            self.stats.errors += 1
            log.debug("growthos telemetry: recording a query failed", exc_info=True)

    def on_error(self, context: Any) -> None:
        try:
            statement = context.statement
            if statement is None or context.connection is None:
                return
            started = _pop(context.connection, context.execution_context)
            if started is None:  # failed before reaching the database (compilation, a closed connection)
                return
            self._record(statement, (self.clock() - started) * 1000, rows=None,
                         error_type=type(context.original_exception).__name__)
        except Exception:
            self.stats.errors += 1

    def on_transaction_end(self, conn: Connection) -> None:
        """Commit or rollback: drop the cached reads of the tables this transaction wrote, once more (a
        read between the write and the commit may have cached the old rows)."""
        try:
            pending = conn.info.pop(_PENDING, None)
            if pending and self.result_cache is not None:
                self.result_cache.invalidate(None if None in pending else pending)
        except Exception:
            self.stats.errors += 1

    # -- records -------------------------------------------------------------------------------------

    def record_hit(self, statement: str, *, rows: int, duration_ms: float) -> None:
        """A read answered by the result cache."""
        try:
            self._record(statement, duration_ms, rows=rows, cached=True)
        except Exception:
            self.stats.errors += 1

    def _record(self, statement: str, duration_ms: float, *, rows: int | None, cached: bool = False,
                error_type: str | None = None) -> None:
        shape = fingerprint(statement, backslash_escapes=self._backslashes)
        if not shape:
            return
        duration_ms = max(0.0, round(duration_ms, 3))
        item: dict[str, Any] = {
            "fingerprint": shape, "duration_ms": duration_ms, "cached": cached,
            "slow": duration_ms >= self.slow_ms, "system": self.system, "operation": operation(shape),
            "timestamp": round(self.wall() * 1000, 3),
        }
        if rows is not None:
            item["rows"] = rows
        if error_type is not None:
            item["error_type"] = error_type[:128]
        if self.endpoint is not None:
            where = _safe(self.endpoint)
            if where:
                item["endpoint"] = str(where)[:256]
        if self._trace is not None:
            ids = self._trace()
            if ids is not None:
                item["trace_id"], item["span_id"] = ids
        self.sender.record(item)
        self.stats.recorded += 1

    def _invalidate_written(self, conn: Connection, statement: str) -> None:
        if is_read(statement):
            return
        written = tables_written(statement)
        if written is not None and not written:
            return
        assert self.result_cache is not None
        self.result_cache.invalidate(written)
        pending = conn.info.setdefault(_PENDING, set())
        if written is None:
            pending.add(None)
        else:
            pending.update(written)


_EVENTS = (("before_cursor_execute", "before_execute"), ("after_cursor_execute", "after_execute"),
           ("handle_error", "on_error"), ("commit", "on_transaction_end"), ("rollback", "on_transaction_end"))
_ACTIVE: weakref.WeakKeyDictionary[Engine, Instrumentation] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def instrument(engine: Any, *, base_url: str | None = None, key: str | None = None, slow_ms: float = SLOW_MS,
               endpoint: Callable[[], str | None] | None = None, sender: Recorder | None = None,
               result_cache: QueryCache | None = None, clock: Callable[[], float] = time.perf_counter,
               wall: Callable[[], float] = time.time) -> Instrumentation:
    """Record every statement ``engine`` runs. Records go to ``sender`` when given, else to a new
    ``BatchSender(base_url, key, "database-performance")`` (``key``: an ingest key). ``result_cache``:
    the default cache of ``cached_query`` on this engine, kept fresh by its writes. ValueError when the
    engine is instrumented already."""
    engine = getattr(engine, "sync_engine", engine)
    owns = sender is None
    if sender is None:
        if not base_url or not key:
            raise ValueError("instrument() needs base_url and key (an ingest key), or a sender")
        from growthos.telemetry.sender import BatchSender

        sender = BatchSender(base_url, key, PATH)
    if slow_ms < 0:
        raise ValueError("slow_ms must not be negative")
    with _LOCK:
        if engine in _ACTIVE:
            raise ValueError("this engine is instrumented already; uninstrument(engine) first")
        inst = Instrumentation(engine, sender, slow_ms, endpoint, result_cache, clock, wall, owns_sender=owns)
        for name, method in _EVENTS:
            event.listen(engine, name, getattr(inst, method))
        _ACTIVE[engine] = inst
    return inst


def uninstrument(engine: Any, *, flush_timeout_s: float = 10.0) -> None:
    """Remove the listeners; the sender ``instrument`` created is flushed and closed."""
    engine = getattr(engine, "sync_engine", engine)
    with _LOCK:
        inst = _ACTIVE.pop(engine, None)
        if inst is None:
            return
        for name, method in _EVENTS:
            event.remove(engine, name, getattr(inst, method))
    if inst.owns_sender:
        close = getattr(inst.sender, "close", None)
        if close is not None:
            close(flush_timeout_s)


def instrumentation_of(engine: Any) -> Instrumentation | None:
    """The instrumentation attached to ``engine``, if any."""
    return _ACTIVE.get(getattr(engine, "sync_engine", engine))


def _starts(conn: Connection, context: Any) -> list[float]:
    """Start times of statements in flight: on the execution context, else (no context) on the connection."""
    holder = context.__dict__ if context is not None else conn.info
    starts = holder.get(_START)
    if starts is None:
        starts = holder[_START] = []
    return starts


def _pop(conn: Connection, context: Any) -> float | None:
    starts = _starts(conn, context)
    return starts.pop() if starts else None


def _safe(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception:  # the app's endpoint hook must not break its query either
        return None


def _trace_ids_function() -> Callable[[], tuple[str, str] | None] | None:
    """The current OpenTelemetry span's (trace_id, span_id) in hex, if opentelemetry-api is installed."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None

    def ids() -> tuple[str, str] | None:
        context = trace.get_current_span().get_span_context()
        if not context.is_valid:
            return None
        return format(context.trace_id, "032x"), format(context.span_id, "016x")

    return ids
