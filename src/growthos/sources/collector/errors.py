"""Typed errors of the collector; the HTTP layer maps ``status`` (and ``retry_after``) to its answer."""

from __future__ import annotations

from growthos.core.errors import InvalidInput, RetryableError


class PayloadTooLarge(InvalidInput):
    """A message above 32 KB or a batch above 500 KB / 2,500 messages (Segment itself answers 400)."""

    status = 413
    title = "Payload too large"


class Overloaded(RetryableError):
    """The writer's queue is full: back-pressure, try again after ``retry_after`` seconds."""

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
