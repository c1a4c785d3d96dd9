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
    """Events acknowledged but not yet in the warehouse (the journal holds them, ~700 bytes each); a
    batch that does not fit is refused with ``Overloaded`` (503)."""
    max_load_bytes: int = 16 * 1024 * 1024
    """Journal bytes loaded into the warehouse in one transaction at most (~24,000 events)."""
    load_min_bytes: int = 2 * 1024 * 1024
    """Backlog (journal bytes, ~3,000 events) the loader loads at once; smaller ones wait up to ``load_linger_s``."""
    load_linger_s: float = 0.25
    """Longest a backlog waits for the loader when nobody waits for it (reads and ``submit`` never wait)."""
    submit_timeout_s: float = 10.0
    """How long a request waits for its events to be stored before answering ``WriteTimeout`` (503)."""
    retry_after_s: float = 1.0
    """Retry-After given with 503 answers."""

    def __post_init__(self) -> None:
        if self.max_queue_events < self.max_batch_messages:
            raise ValueError("max_queue_events must hold at least one full batch (max_batch_messages)")
        if min(self.max_message_bytes, self.max_batch_bytes, self.max_load_bytes, self.load_min_bytes) <= 0:
            raise ValueError("collector limits must be positive")
        if self.load_linger_s < 0:
            raise ValueError("load_linger_s must not be negative")
