"""The collector's tunables, with Segment's own limits as defaults.

``growthos.config.Settings`` does not know them yet; the server builds one from its settings
(``collector_max_queue_events`` ... see the package docstring) and passes it to the parser and the writer.
"""

from __future__ import annotations

from dataclasses import dataclass

KB = 1024


@dataclass(frozen=True, slots=True)
class CollectorOptions:
    max_message_bytes: int = 32 * KB
    """Largest single message (Segment: 32 KB per call and per message inside a batch)."""
    max_batch_bytes: int = 500 * KB
    """Largest batch request body, uncompressed (Segment: 500 KB)."""
    max_batch_messages: int = 2500
    """Most messages in one batch (Segment: 2,500)."""
    max_queue_events: int = 500_000
    """Events acknowledged but not yet in the warehouse (the journal holds them, compressed: ~60 bytes
    each for analytics.js-like events); a batch that does not fit is refused with ``Overloaded`` (429)."""
    max_queue_bytes: int = 64 * 1024 * 1024
    """Journal bytes acknowledged but not yet in the warehouse (compressed frames): bounds the backlog of
    large events, which ``max_queue_events`` alone does not; a batch that does not fit gets ``Overloaded``."""
    max_load_events: int = 20_000
    """Events loaded into the warehouse in one transaction at most (whole batches; at least one)."""
    max_load_bytes: int = 2 * 1024 * 1024
    """Journal bytes loaded in one transaction at most (whole batches; at least one; ~35,000 compressed
    analytics.js-like events): bounds the loads of a journal left by a crash, whose batches' event
    counts the loader does not know."""
    load_min_events: int = 3_000
    """Backlog (events) the loader loads at once; a smaller one waits up to ``load_linger_s``."""
    loader_nice: int = 10
    """How much lower the loader thread's CPU priority is than the request path's (Linux thread nice
    value; 0 keeps them equal). When the cores are all busy the scheduler then prefers acknowledging
    (cheap, a client waits) to loading (batched, catches up when the burst ends; the backlog is bounded
    by ``max_queue_events``). Measured with bench/collector.py on 2 cores shared with the clients: ~8%
    more acknowledged events/s, no later in the warehouse."""
    load_linger_s: float = 0.25
    """Longest a backlog waits for the loader when nobody waits for it (reads and ``submit`` never wait)."""
    submit_timeout_s: float = 10.0
    """How long a request waits for its events to be stored before answering ``WriteTimeout`` (503)."""
    retry_after_s: float = 1.0
    """Retry-After given with 429/503 answers, at least (a full backlog answers with the time the loader
    needs, at its recent rate, to make room for the batch; at most ``max_retry_after_s``)."""
    max_retry_after_s: float = 30.0
    """Longest Retry-After the collector asks for."""

    def __post_init__(self) -> None:
        if self.max_queue_events < self.max_batch_messages:
            raise ValueError("max_queue_events must hold at least one full batch (max_batch_messages)")
        if self.max_queue_bytes < self.max_batch_bytes:
            raise ValueError("max_queue_bytes must hold at least one full batch (max_batch_bytes)")
        if not 0 < self.retry_after_s <= self.max_retry_after_s:
            raise ValueError("retry_after_s must be positive and at most max_retry_after_s")
        if min(self.max_message_bytes, self.max_batch_bytes, self.max_load_bytes, self.max_load_events,
               self.load_min_events) <= 0:
            raise ValueError("collector limits must be positive")
        if not 0 <= self.loader_nice <= 19:
            raise ValueError("loader_nice must be between 0 and 19")
        if self.load_linger_s < 0:
            raise ValueError("load_linger_s must not be negative")
