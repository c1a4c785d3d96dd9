"""Typed errors of the collector; the HTTP layer maps ``status`` (and ``retry_after``) to its answer."""

from __future__ import annotations

from growthos.core.errors import InvalidInput, RetryableError


class PayloadTooLarge(InvalidInput):
    """A message above 32 KB or a batch above 500 KB / 2,500 messages (Segment itself answers 400)."""

    status = 413
    title = "Payload too large"


class Overloaded(RetryableError):
    """Back-pressure: the backlog is full or too many ingest requests are in flight; nothing of the request
    was stored. 429 (Too Many Requests, which every Segment and OTLP client retries), try again after
    ``retry_after`` seconds. A writer that is down answers 503 instead (``WriterClosed``, ``WriteFailed``)."""

    status = 429
    title = "Collector overloaded"


class WriteTimeout(RetryableError):
    """The commit did not finish in time; the events may still be stored, and a retry is deduplicated."""

    title = "Collector write timed out"


class WriterClosed(RetryableError):
    """The writer is not running (not started yet or shutting down)."""

    title = "Collector not accepting events"


class WriteFailed(RetryableError):
    """The transaction holding these events failed and was rolled back; nothing of them was stored."""

    title = "Collector write failed"
