"""Response caches for AI calls: an in-memory LRU with a time to live per entry, and a Redis-backed cache with
the same interface (for several processes sharing answers), plus ``SingleFlight`` so that concurrent identical
calls make one upstream call.

Both caches answer ``get(key)`` with the stored value or ``MISS`` (so ``None`` can be cached) and take
``set(key, value, ttl_s=None)`` (``None``: the cache's default TTL). They are safe to use from many threads.

``LRUCache`` keeps at most ``max_entries`` (default 1000): storing one more evicts the least recently used
(a ``get`` that hits counts as a use). An entry older than its TTL (default 3600 s) is never returned; it
is dropped when met, or when the cache is full (expired entries go before live ones). The clock is
injectable for tests (``time.monotonic`` by default, so wall-clock jumps do not expire anything).

``RedisCache`` stores each entry with Redis' own expiry (``SET ... PX``) under ``prefix + key``; the size
bound is Redis' (``maxmemory`` with an LRU eviction policy), not ``max_entries``. Values are serialised by a
``Codec``: ``PICKLE`` (default: any picklable response object, e.g. the OpenAI client's pydantic models —
only point it at a Redis you trust, as unpickling runs code) or ``JSON`` (plain JSON values only). The
``redis`` Python package is imported when a ``RedisCache`` is made; without it the error says how to install
it.
"""

from __future__ import annotations

import json
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

DEFAULT_TTL_S = 3600.0
DEFAULT_MAX_ENTRIES = 1000


class _Miss:
    """The one value ``get`` returns for a missing or expired key."""

    _instance: _Miss | None = None

    def __new__(cls) -> _Miss:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISS"

    def __bool__(self) -> bool:
        return False


MISS: Any = _Miss()
"""What ``get`` returns when there is no live entry (falsy; compare with ``is``)."""


class AICache(Protocol):
    """What the AI wrapper needs of a cache."""

    def get(self, key: str) -> Any:
        """The stored value, or ``MISS``."""

    def set(self, key: str, value: Any, ttl_s: float | None = None) -> None:
        """Store a value for ``ttl_s`` seconds (``None``: the cache's default)."""

    def delete(self, key: str) -> None:
        """Forget one key."""

    def clear(self) -> None:
        """Forget every entry."""


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    """Live entries dropped to stay within ``max_entries``."""
    expirations: int = 0
    """Entries dropped because their TTL had passed."""


class LRUCache:
    """A thread-safe in-memory LRU cache with a TTL per entry."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, ttl_s: float = DEFAULT_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self.clock = clock
        self.stats = CacheStats()
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        """key -> (expires at, value), least recently used first."""
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.stats.misses += 1
                return MISS
            expires_at, value = entry
            if self.clock() >= expires_at:
                del self._entries[key]
                self.stats.expirations += 1
                self.stats.misses += 1
                return MISS
            self._entries.move_to_end(key)
            self.stats.hits += 1
            return value

    def set(self, key: str, value: Any, ttl_s: float | None = None) -> None:
        ttl = self.ttl_s if ttl_s is None else ttl_s
        if ttl <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl}")
        with self._lock:
            now = self.clock()
            self._entries[key] = (now + ttl, value)
            self._entries.move_to_end(key)
            if len(self._entries) > self.max_entries:
                self._drop_expired(now)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
                self.stats.evictions += 1

    def delete(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def keys(self) -> list[str]:
        """Keys from least to most recently used (expired ones included until met)."""
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _drop_expired(self, now: float) -> None:
        expired = [key for key, (expires_at, _) in self._entries.items() if now >= expires_at]
        for key in expired:
            del self._entries[key]
        self.stats.expirations += len(expired)


@dataclass(frozen=True)
class Codec:
    """How a ``RedisCache`` turns values into bytes and back."""

    name: str
    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes], Any]


PICKLE = Codec("pickle", lambda value: pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), pickle.loads)
JSON = Codec("json", lambda value: json.dumps(value, separators=(",", ":")).encode(), json.loads)


class RedisCache:
    """The AI cache in Redis: ``RedisCache(url="redis://localhost:6379/0")`` or ``RedisCache(client=...)``."""

    def __init__(self, url: str | None = None, *, client: Any = None, ttl_s: float = DEFAULT_TTL_S,
                 prefix: str = "growthos:ai:", codec: Codec = PICKLE, socket_timeout_s: float = 2.0) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        if client is None:
            if url is None:
                raise ValueError("RedisCache needs a url (redis://host:port/db) or a client")
            client = _redis_module().Redis.from_url(url, socket_timeout=socket_timeout_s,
                                                    socket_connect_timeout=socket_timeout_s)
        self.client = client
        self.ttl_s = ttl_s
        self.prefix = prefix
        self.codec = codec

    def get(self, key: str) -> Any:
        raw = self.client.get(self.prefix + key)
        return MISS if raw is None else self.codec.loads(raw)

    def set(self, key: str, value: Any, ttl_s: float | None = None) -> None:
        ttl = self.ttl_s if ttl_s is None else ttl_s
        if ttl <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl}")
        self.client.set(self.prefix + key, self.codec.dumps(value), px=max(1, round(ttl * 1000)))

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def clear(self) -> None:
        """Delete every key under this cache's prefix (SCAN, so Redis is never blocked)."""
        batch: list[Any] = []
        for name in self.client.scan_iter(match=f"{_glob_escape(self.prefix)}*", count=500):
            batch.append(name)
            if len(batch) >= 500:
                self.client.delete(*batch)
                batch.clear()
        if batch:
            self.client.delete(*batch)


def _redis_module() -> Any:
    try:
        import redis
    except ImportError:
        raise ImportError("RedisCache needs the Python package 'redis': pip install 'redis>=5' "
                          "(or use the in-memory LRUCache)") from None
    return redis


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


class SingleFlight:
    """One computation per key at a time: the first caller of ``begin(key)`` leads (True); the others get
    False and ``wait(key)`` until the leader calls ``end(key)``, then look in the cache again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[str, threading.Event] = {}

    def begin(self, key: str) -> bool:
        with self._lock:
            if key in self._flights:
                return False
            self._flights[key] = threading.Event()
            return True

    def wait(self, key: str, timeout_s: float) -> bool:
        """Until the key's leader ends (True) or ``timeout_s`` passes (False)."""
        with self._lock:
            event = self._flights.get(key)
        return True if event is None else event.wait(timeout_s)

    def end(self, key: str) -> None:
        with self._lock:
            event = self._flights.pop(key, None)
        if event is not None:
            event.set()
