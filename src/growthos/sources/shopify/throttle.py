"""Shopify's cost-based throttling: every GraphQL response reports its query cost and the bucket.

``extensions.cost`` = ``{requestedQueryCost, actualQueryCost, throttleStatus: {maximumAvailable,
currentlyAvailable, restoreRate}}``. A THROTTLED answer waits ``(requested - available) / restoreRate``
seconds; before each request the bucket (refilled at ``restoreRate`` since the last answer) is checked
against the expected cost, and the client waits first when it would not cover it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class QueryCost:
    requested: float
    """``requestedQueryCost``: what Shopify charged up front."""
    actual: float | None
    """``actualQueryCost``: what the query really cost (None when throttled)."""
    maximum: float
    """``throttleStatus.maximumAvailable``: the bucket's size."""
    available: float
    """``throttleStatus.currentlyAvailable`` after this request."""
    restore_rate: float
    """``throttleStatus.restoreRate``: points restored per second."""

    @classmethod
    def from_body(cls, body: Any) -> QueryCost | None:
        """The cost extension of a GraphQL response body, or None when it has none."""
        if not isinstance(body, Mapping):
            return None
        cost = (body.get("extensions") or {}).get("cost")
        if not isinstance(cost, Mapping):
            return None
        status = cost.get("throttleStatus") or {}
        try:
            return cls(
                requested=float(cost.get("requestedQueryCost") or 0),
                actual=None if cost.get("actualQueryCost") is None else float(cost["actualQueryCost"]),
                maximum=float(status.get("maximumAvailable") or 0),
                available=float(status.get("currentlyAvailable") or 0),
                restore_rate=float(status.get("restoreRate") or 0),
            )
        except (TypeError, ValueError):
            return None

    def wait_for(self, points: float) -> float:
        """Seconds until the bucket holds ``points`` (0 when it already does)."""
        if points <= self.available or self.restore_rate <= 0:
            return 0.0
        return (min(points, self.maximum or points) - self.available) / self.restore_rate


@dataclass
class CostThrottle:
    """Tracks the bucket from the last answer and says how long to wait before the next request."""

    clock: Callable[[], float] = time.monotonic
    """Monotonic seconds; injectable for tests."""
    last: QueryCost | None = None
    """The last cost extension seen."""
    seen_at: float = 0.0
    """``clock()`` when ``last`` arrived."""
    expected: dict[str, float] = field(default_factory=dict)
    """The last requested cost of each operation: the next page of it will cost about the same."""

    def observe(self, operation: str, cost: QueryCost | None) -> None:
        if cost is None:
            return
        self.last = cost
        self.seen_at = self.clock()
        if cost.requested:
            self.expected[operation] = cost.requested

    def available_now(self) -> float | None:
        """The bucket now: the last reading plus what was restored since (capped at its size)."""
        if self.last is None:
            return None
        restored = self.last.available + self.last.restore_rate * max(0.0, self.clock() - self.seen_at)
        return min(self.last.maximum or restored, restored)

    def wait_before(self, operation: str) -> float:
        """Seconds to wait before sending ``operation`` so the bucket covers its expected cost."""
        expected = self.expected.get(operation)
        available = self.available_now()
        if expected is None or available is None or self.last is None or self.last.restore_rate <= 0:
            return 0.0
        needed = min(expected, self.last.maximum or expected)
        if available >= needed:
            return 0.0
        return (needed - available) / self.last.restore_rate
