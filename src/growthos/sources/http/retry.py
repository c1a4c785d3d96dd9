"""Retries with capped exponential backoff and full jitter that honour the API's own wait.

A ``RetryableError`` with a ``retry_after`` (a Retry-After header, Google's ``retryDelay``, Shopify's
throttle restore time) waits exactly that long; otherwise attempt n waits ``random() * min(cap,
base * 2**n)``. Other errors propagate at once; after ``max_attempts`` the last error is raised.
"""

from __future__ import annotations

import random as _random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from growthos.core.errors import RetryableError

T = TypeVar("T")


@dataclass
class RetryPolicy:
    max_attempts: int = 5
    """Attempts in all, the first included."""
    base_delay: float = 0.5
    """Seconds; the backoff ceiling doubles from here with every attempt."""
    max_delay: float = 60.0
    """Cap of the jittered backoff (an API's own ``retry_after`` is honoured even above it)."""
    max_retry_after: float = 900.0
    """An API asking for a longer wait than this is not waited for: the error is raised."""
    sleep: Callable[[float], None] = time.sleep
    """Injectable for tests."""
    random: Callable[[], float] = field(default=_random.random)
    """Uniform [0, 1); injectable for tests."""

    def delay(self, attempt: int, error: BaseException) -> float:
        """Seconds to wait after failed attempt ``attempt`` (0-based)."""
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return max(0.0, float(retry_after))
        return self.random() * min(self.max_delay, self.base_delay * (2**attempt))

    def run(self, call: Callable[[], T], *, on_retry: Callable[[BaseException, float], None] | None = None) -> T:
        """``call()`` until it succeeds, retrying ``RetryableError``s; ``on_retry(error, wait)`` before each wait."""
        for attempt in range(self.max_attempts):
            try:
                return call()
            except RetryableError as exc:
                if attempt + 1 >= self.max_attempts:
                    raise
                wait = self.delay(attempt, exc)
                if wait > self.max_retry_after:
                    raise
                if on_retry is not None:
                    on_retry(exc, wait)
                self.sleep(wait)
        raise AssertionError("unreachable: max_attempts must be at least 1")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds (``"30"``) or an HTTP date; None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def parse_duration(value: str | None) -> float | None:
    """Seconds from a protobuf Duration in JSON (Google's ``retryDelay``: ``"60s"``, ``"1.5s"``)."""
    if not value:
        return None
    match = _DURATION.match(value)
    return float(match.group(1)) if match else None
