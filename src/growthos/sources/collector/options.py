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
    max_queue_events: int = 20_000
    """Events waiting for the writer; a submit that does not fit is refused with ``Overloaded`` (503)."""
    max_commit_events: int = 5_000
    """Events appended in one transaction at most (whole submissions; one larger submission goes alone)."""
    commit_linger_s: float = 0.010
    """Longest wait for more submissions before a commit (see ``EventWriter``); 0 never waits."""
    submit_timeout_s: float = 10.0
    """How long a request waits for its commit before answering ``WriteTimeout`` (503)."""
    retry_after_s: float = 1.0
    """Retry-After given with 503 answers."""

    def __post_init__(self) -> None:
        if self.max_queue_events < self.max_batch_messages:
            raise ValueError("max_queue_events must hold at least one full batch (max_batch_messages)")
        if min(self.max_message_bytes, self.max_batch_bytes, self.max_commit_events) <= 0:
            raise ValueError("collector limits must be positive")
        if self.commit_linger_s < 0:
            raise ValueError("commit_linger_s must not be negative")
