"""An in-process cache of read-query results: ``QueryCache`` and ``cached_query(conn, statement, params)``.

A result is cached under the exact statement text and its parameters (not the fingerprint: ``id = 1`` and
``id = 2`` are different answers) and the database it came from, for ``ttl_s`` seconds; past
``max_entries`` the least recently used result goes first. Only reads are cached (SELECT, VALUES, or a
WITH query ending in one; not SELECT ... FOR UPDATE).

Invalidation:

- **TTL** — every entry expires ``ttl_s`` after it was stored (clock injectable, monotonic by default);
- **explicit** — ``invalidate()`` drops everything, ``invalidate(["orders"])`` what read those tables;
- **writes in this process** — when the engine is instrumented with this cache
  (``growthos.telemetry.db.instrument(engine, result_cache=cache)``), an INSERT, UPDATE, DELETE, MERGE,
  TRUNCATE or ALTER/DROP TABLE through that engine drops the entries that read its table, when it runs
  and again when its transaction commits or rolls back; a statement whose target cannot be told (CREATE,
  a procedure call, a PRAGMA) drops everything. Writes by other processes or other engines are not seen:
  for them, the TTL is the bound on staleness.

Thread-safe: one lock guards the entries. Concurrent misses of one key each run the query (no
single-flight); a result read while a write invalidated its tables is not stored (a generation counter).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.sql.expression import ClauseElement

from growthos.telemetry.fingerprint import is_read
from growthos.telemetry.sql_tables import tables_read


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    expired: int = 0
    """Lookups that found an entry past its TTL (also counted as misses)."""
    evicted: int = 0
    """Entries dropped to stay within max_entries."""
    invalidated: int = 0
    """Entries dropped by invalidate() or by a write."""


@dataclass
class _Entry:
    rows: tuple[Any, ...]
    tables: frozenset[str]
    expires_at: float


@dataclass
class QueryCache:
    """Results of read queries for ``ttl_s`` seconds, at most ``max_entries`` of them."""

    ttl_s: float = 300.0
    max_entries: int = 1000
    clock: Callable[[], float] = time.monotonic
    stats: CacheStats = field(default_factory=CacheStats)

    def __post_init__(self) -> None:
        if self.ttl_s <= 0 or self.max_entries < 1:
            raise ValueError("ttl_s must be positive and max_entries at least 1")
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def generation(self) -> int:
        """Bumped by every invalidation: a result read before a bump may be stale and is not stored."""
        return self._generation

    def get(self, key: Hashable) -> tuple[Any, ...] | None:
        """The cached rows for ``key``, or None (a miss, or an expired entry, which is dropped)."""
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at <= now:
                del self._entries[key]
                self.stats.expired += 1
                entry = None
            if entry is None:
                self.stats.misses += 1
                return None
            self._entries.move_to_end(key)
            self.stats.hits += 1
            return entry.rows

    def put(self, key: Hashable, rows: Sequence[Any], tables: frozenset[str] = frozenset(),
            *, generation: int | None = None) -> bool:
        """Store rows read from ``tables``; not stored (False) when an invalidation happened since
        ``generation`` was read."""
        with self._lock:
            if generation is not None and generation != self._generation:
                return False
            self._entries[key] = _Entry(tuple(rows), tables, self.clock() + self.ttl_s)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
                self.stats.evicted += 1
            return True

    def invalidate(self, tables: Iterable[str] | None = None) -> int:
        """Drop every entry (``tables`` None) or those that read any of ``tables`` (names compared as the
        database does: unquoted names in lower case); returns how many were dropped."""
        with self._lock:
            self._generation += 1
            if tables is None:
                dropped = len(self._entries)
                self._entries.clear()
            else:
                names = frozenset(tables)
                stale = [key for key, entry in self._entries.items() if entry.tables & names]
                for key in stale:
                    del self._entries[key]
                dropped = len(stale)
            self.stats.invalidated += dropped
            return dropped


def cached_query(conn: Connection, statement: str | ClauseElement, params: Mapping[str, Any] | None = None,
                 *, cache: QueryCache | None = None) -> list[Any]:
    """The rows of a read query, from ``cache`` when an identical one (same text, same parameters, same
    database) was answered within the TTL, else executed on ``conn`` and stored.

    ``cache`` defaults to the one the connection's engine was instrumented with (``instrument(...,
    result_cache=...)``), which also records each hit as a ``cached`` query. Raises ValueError for a
    statement that is not a read, or when there is no cache."""
    from growthos.telemetry import db  # the instrumentation imports this module

    instrumentation = db.instrumentation_of(conn.engine)
    if cache is None:
        cache = instrumentation.result_cache if instrumentation is not None else None
        if cache is None:
            raise ValueError("no result cache: pass cache=..., or instrument(engine, result_cache=QueryCache())")
    started = time.perf_counter()
    clause = text(statement) if isinstance(statement, str) else statement
    compiled = clause.compile(dialect=conn.dialect)
    sql = str(compiled)
    if not is_read(sql):
        raise ValueError("cached_query caches read queries only (SELECT, VALUES, WITH ... SELECT)")
    key = _key(conn, sql, compiled.construct_params(dict(params) if params else None))
    if key is None:  # parameters that cannot be compared (unhashable): no caching
        return list(conn.execute(clause, params or {}).all())
    rows = cache.get(key)
    if rows is not None:
        if instrumentation is not None:
            instrumentation.record_hit(sql, rows=len(rows), duration_ms=(time.perf_counter() - started) * 1000)
        return list(rows)
    generation = cache.generation
    result = list(conn.execute(clause, params or {}).all())
    cache.put(key, result, tables_read(sql), generation=generation)
    return result


def _key(conn: Connection, sql: str, params: Mapping[str, Any] | None) -> Hashable | None:
    try:
        frozen = _freeze(params or {})
        hash(frozen)
    except TypeError:
        return None
    return conn.engine.url.render_as_string(hide_password=True), sql, frozen


def _freeze(value: Any) -> Hashable:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return frozenset(_freeze(v) for v in value)
    return (type(value).__name__, value)
