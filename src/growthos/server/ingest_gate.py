"""Admission control of the collector's routes: at most so many ingest requests in flight at once.

The writer bounds what is acknowledged but not yet loaded (``max_queue_events``/``max_queue_bytes``); this
bounds what is not yet acknowledged: requests whose bodies are being read, parsed or written to the journal.
Without it an open-loop burst (many more senders than the server can answer) only slows every answer down,
holding each request's body in memory meanwhile; with it the requests past the limit are refused at once with
429, a Retry-After and a problem body, before their bodies are read, and the admitted ones keep their latency.
Nothing of a refused request is stored, so a retry is never a duplicate (and would be deduplicated anyway).

Admission happens after authentication (a request with a bad key is a 401, not a 429) and the slot is held
until the answer is decided: a 2xx only once the events are durable in the journal.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from growthos.sources.collector.errors import Overloaded


class IngestGate:
    """At most ``limit`` requests inside :meth:`admit` at once; the next ones raise ``Overloaded`` (429)."""

    def __init__(self, limit: int, retry_after_s: float) -> None:
        if limit < 1:
            raise ValueError("the in-flight ingest request limit must be at least 1")
        self.limit = limit
        self.retry_after_s = retry_after_s
        self._lock = threading.Lock()
        self._in_flight = 0
        self._refused = 0

    @contextmanager
    def admit(self) -> Iterator[None]:
        with self._lock:
            if self._in_flight >= self.limit:
                self._refused += 1
                raise Overloaded(f"{self._in_flight} ingest requests are in flight, the most allowed "
                                 f"(collector_max_inflight_requests = {self.limit}): retry in "
                                 f"{self.retry_after_s:g} s", retry_after=self.retry_after_s)
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    @property
    def refused(self) -> int:
        """Requests refused so far."""
        with self._lock:
            return self._refused
