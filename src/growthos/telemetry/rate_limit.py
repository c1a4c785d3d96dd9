"""Rate limits for AI calls: token buckets, one global and one per user.

A bucket holds at most ``capacity`` tokens (the per-minute limit) and refills continuously at
``capacity / 60`` tokens a second; it starts full, so a burst of ``capacity`` calls passes at once and then
calls pass at the refill rate. With 100 per minute, the 101st immediate call waits 60 / 100 = 0.6 s.

``RateLimiter.acquire(user_id)`` takes one token from the global bucket and one from the user's bucket, both
or neither (a call refused by the user's limit does not use up the global one). Per-user buckets live in a
bounded LRU (``max_users``, default 10 000), so memory stays bounded: a user whose bucket was evicted starts
again with a full bucket, which only errs on the lenient side for someone idle long enough to be evicted.

When a token is not available, the policy decides: ``"raise"`` raises ``RateLimited`` at once, naming the
limit and the seconds to wait; ``"wait"`` sleeps until a token is available, and raises ``RateLimited`` if
that would take longer than ``max_wait_s``. ``acquire`` sleeps the thread (``time.sleep``); ``await
acquire_async`` is the same for coroutines and sleeps with ``asyncio.sleep``, so it never blocks the event
loop. Both share one step (``_take_or_wait``: the bucket arithmetic under the lock and the policy), and the
buckets are shared too: threads and coroutines of any event loop draw from the same limits. Everything is
thread-safe; the clock and both sleeps are injectable.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

Policy = Literal["raise", "wait"]
DEFAULT_PER_MINUTE = 100.0


class RateLimited(RuntimeError):
    """A call refused by a rate limit; ``retry_after_s`` is how long until a token is available."""

    def __init__(self, limit: str, per_minute: float, retry_after_s: float) -> None:
        self.limit = limit
        """``global`` or ``user:<id>``."""
        self.per_minute = per_minute
        self.retry_after_s = retry_after_s
        super().__init__(f"AI call rate limit exceeded: {limit} allows {per_minute:g} calls per minute; "
                         f"retry in {retry_after_s:.2f} s")


class TokenBucket:
    """``capacity`` tokens, refilled continuously at ``capacity / 60`` a second. Not locked: the limiter is."""

    def __init__(self, per_minute: float, clock: Callable[[], float]) -> None:
        if per_minute < 1:
            raise ValueError(f"a rate limit must allow at least 1 call per minute, got {per_minute}")
        self.capacity = float(per_minute)
        self.rate = self.capacity / 60.0
        self.clock = clock
        self.tokens = self.capacity
        self.updated = clock()

    def refill(self) -> None:
        now = self.clock()
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)

    def wait_s(self, n: float = 1.0) -> float:
        """Seconds until ``n`` tokens are available (0 when they are now); refills first."""
        self.refill()
        missing = n - self.tokens
        return 0.0 if missing <= 1e-9 else missing / self.rate

    def take(self, n: float = 1.0) -> None:
        self.tokens -= n


@dataclass(frozen=True)
class RateLimits:
    """The limits of an ``AITelemetry``; ``None`` turns a limit off."""

    global_per_minute: float | None = DEFAULT_PER_MINUTE
    per_user_per_minute: float | None = DEFAULT_PER_MINUTE
    policy: Policy = "raise"
    max_wait_s: float = 30.0
    """Policy "wait": raise instead when a token is further away than this."""
    max_users: int = 10_000
    """Per-user buckets kept (least recently used evicted beyond this)."""


class RateLimiter:
    """Global and per-user token buckets with a raise-or-wait policy."""

    def __init__(self, limits: RateLimits | None = None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.limits = limits or RateLimits()
        if self.limits.policy not in ("raise", "wait"):
            raise ValueError(f"policy must be 'raise' or 'wait', got {self.limits.policy!r}")
        if self.limits.max_users < 1:
            raise ValueError("max_users must be at least 1")
        self.clock = clock
        self.sleep = sleep
        self.async_sleep = async_sleep
        self._lock = threading.Lock()
        self._global = (TokenBucket(self.limits.global_per_minute, clock)
                        if self.limits.global_per_minute is not None else None)
        self._users: OrderedDict[str, TokenBucket] = OrderedDict()

    def acquire(self, user_id: str | None = None) -> float:
        """Take a token for one call (the user's too, when ``user_id`` is given); returns the seconds waited.
        Raises ``RateLimited`` per the policy. Policy "wait" sleeps the calling thread."""
        waited = 0.0
        while (wait := self._take_or_wait(user_id, waited)) > 0.0:
            self.sleep(wait)
            waited += wait
        return waited

    async def acquire_async(self, user_id: str | None = None) -> float:
        """``acquire`` for coroutines: policy "wait" awaits ``async_sleep`` (``asyncio.sleep``), so other tasks
        run meanwhile; returns the seconds waited; raises ``RateLimited`` per the policy."""
        waited = 0.0
        while (wait := self._take_or_wait(user_id, waited)) > 0.0:
            await self.async_sleep(wait)
            waited += wait
        return waited

    def _take_or_wait(self, user_id: str | None, waited: float) -> float:
        """One attempt: take the tokens and return 0.0, or return the seconds to sleep before the next attempt
        (the furthest bucket's wait). Raises ``RateLimited`` when the policy is "raise" or when ``waited`` plus
        that wait would pass ``max_wait_s``. Never sleeps."""
        with self._lock:
            buckets = self._buckets(user_id)
            wait, limit, per_minute = 0.0, "", 0.0
            for name, bucket in buckets:
                needed = bucket.wait_s()
                if needed > wait:
                    wait, limit, per_minute = needed, name, bucket.capacity
            if wait == 0.0:
                for _, bucket in buckets:
                    bucket.take()
                return 0.0
        if self.limits.policy == "raise" or waited + wait > self.limits.max_wait_s:
            raise RateLimited(limit, per_minute, wait)
        return wait

    def tracked_users(self) -> int:
        """How many per-user buckets are kept now."""
        with self._lock:
            return len(self._users)

    def _buckets(self, user_id: str | None) -> list[tuple[str, TokenBucket]]:
        buckets = [("global", self._global)] if self._global is not None else []
        if user_id is not None and self.limits.per_user_per_minute is not None:
            bucket = self._users.get(user_id)
            if bucket is None:
                bucket = self._users[user_id] = TokenBucket(self.limits.per_user_per_minute, self.clock)
                while len(self._users) > self.limits.max_users:
                    self._users.popitem(last=False)
            else:
                self._users.move_to_end(user_id)
            buckets.append((f"user:{user_id}", bucket))
        return buckets
