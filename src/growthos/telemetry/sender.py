"""Sends telemetry records from an app to GrowthOS in batches, off the app's request path.

``record()`` only appends to a bounded in-memory buffer (never blocks, never raises into the app); a daemon
thread posts the buffer as ``{"records": [...]}`` to ``<base_url>/api/analytics/<path>`` when it holds
``batch_size`` records or ``flush_interval_s`` has passed. A failed post is retried with exponential backoff
and full jitter (429 and 5xx honour Retry-After) up to ``max_attempts``; a 4xx other than 429 means the
batch can never be stored, so it is dropped at once and counted. When the buffer is full the oldest records
are dropped (and counted) rather than growing without bound: telemetry must never take the app down.

``flush()`` sends what is buffered and waits; ``close()`` flushes and stops (also at interpreter exit).
"""

from __future__ import annotations

import atexit
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger("growthos.telemetry")


@dataclass
class SenderStats:
    sent: int = 0
    """Records the server acknowledged."""
    dropped: int = 0
    """Records given up on: buffer overflow, a refused batch or retries exhausted."""
    failed_posts: int = 0
    """Posts that failed (each retry counts)."""
    last_error: str | None = None


@dataclass
class BatchSender:
    """One endpoint's batching sender. ``path`` is e.g. ``ai-performance``; ``key`` an ingest key."""

    base_url: str
    key: str
    path: str
    batch_size: int = 100
    flush_interval_s: float = 5.0
    max_buffer: int = 10_000
    max_attempts: int = 5
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    timeout_s: float = 10.0
    client: httpx.Client | None = None
    """An httpx client to post with (tests pass one with a transport); default: a new one."""
    sleep: Callable[[float], None] = time.sleep
    stats: SenderStats = field(default_factory=SenderStats)

    def __post_init__(self) -> None:
        self._buffer: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._closed = False
        self._own_client = self.client is None
        if self.client is None:
            self.client = httpx.Client(timeout=self.timeout_s)
        self._url = f"{self.base_url.rstrip('/')}/api/analytics/{self.path}"
        self._thread = threading.Thread(target=self._run, name=f"growthos-sender-{self.path}", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def record(self, item: dict[str, Any]) -> None:
        """Queue one record (dropping the oldest when the buffer is full)."""
        with self._lock:
            if self._closed:
                self.stats.dropped += 1
                return
            if len(self._buffer) >= self.max_buffer:
                self._buffer.popleft()
                self.stats.dropped += 1
            self._buffer.append(item)
            full = len(self._buffer) >= self.batch_size
        if full:
            self._wake.set()

    def flush(self, timeout: float = 30.0) -> bool:
        """Send everything buffered now; True when the buffer emptied within ``timeout``."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        with self._lock:
            while self._buffer or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.05))
                self._wake.set()
        return True

    def close(self, timeout: float = 30.0) -> None:
        if self._closed:
            return
        self.flush(timeout)
        with self._lock:
            self._closed = True
        self._wake.set()
        self._thread.join(timeout)
        if self._own_client and self.client is not None:
            self.client.close()
        atexit.unregister(self.close)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            while True:
                with self._lock:
                    if not self._buffer:
                        self._idle.notify_all()
                        if self._closed:
                            return
                        break
                    batch = [self._buffer.popleft() for _ in range(min(self.batch_size, len(self._buffer)))]
                    self._in_flight = len(batch)
                try:
                    self._send(batch)
                finally:
                    with self._lock:
                        self._in_flight = 0
                        self._idle.notify_all()

    def _send(self, batch: list[dict[str, Any]]) -> None:
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            try:
                response = self.client.post(self._url, json={"records": batch},
                                            headers={"Authorization": f"Bearer {self.key}"})
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    self.stats.sent += len(batch)
                    return
                error = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code != 429 and response.status_code < 500:
                    self._give_up(batch, error)  # the server will never take this batch
                    return
                retry_after = _seconds(response.headers.get("retry-after"))
            self.stats.failed_posts += 1
            self.stats.last_error = error
            if attempt < self.max_attempts:
                ceiling = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
                self.sleep(retry_after if retry_after is not None else random.uniform(0, ceiling))
        self._give_up(batch, self.stats.last_error or "retries exhausted")

    def _give_up(self, batch: list[dict[str, Any]], error: str) -> None:
        self.stats.dropped += len(batch)
        self.stats.last_error = error
        log.warning("growthos telemetry: dropped %d %s records (%s)", len(batch), self.path, error)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
