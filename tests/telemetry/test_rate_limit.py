"""Token-bucket rate limits worked out by hand on an injected clock (100 a minute: the 101st immediate call waits
60/100 = 0.6 s), per-user isolation, "raise" against "wait", the bounded set of user buckets, and threads that
never get more calls through than the buckets hold."""

from __future__ import annotations

import threading

import pytest
from support.threads import run_threads

from growthos.telemetry.rate_limit import RateLimited, RateLimiter, RateLimits, TokenBucket


class Clock:
    """A clock that only moves when told (or when a limiter sleeps on it); safe across threads."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


def limiter(clock: Clock, **limits) -> RateLimiter:
    return RateLimiter(RateLimits(**limits), clock=clock, sleep=clock.sleep)


def test_a_hundred_a_minute_by_hand() -> None:
    clock = Clock()
    limits = limiter(clock, per_user_per_minute=None)
    assert [limits.acquire() for _ in range(100)] == [0.0] * 100  # the bucket starts full
    with pytest.raises(RateLimited) as refused:
        limits.acquire()
    assert refused.value.retry_after_s == pytest.approx(0.6)  # one token at 100/60 tokens a second
    assert (refused.value.limit, refused.value.per_minute) == ("global", 100)
    assert "global allows 100 calls per minute; retry in 0.60 s" in str(refused.value)
    clock.now += 0.3
    with pytest.raises(RateLimited) as again:
        limits.acquire()
    assert again.value.retry_after_s == pytest.approx(0.3)
    clock.now += 0.3
    assert limits.acquire() == 0.0
    clock.now += 6.0  # 10 tokens back
    assert [limits.acquire() for _ in range(10)] == [0.0] * 10
    with pytest.raises(RateLimited):
        limits.acquire()


def test_the_bucket_refills_no_further_than_its_capacity() -> None:
    clock = Clock()
    bucket = TokenBucket(60, clock)
    for _ in range(60):
        bucket.take()
    clock.now += 3600
    assert bucket.wait_s() == 0 and bucket.tokens == 60
    bucket.take(60)
    assert bucket.wait_s(2) == pytest.approx(2.0)  # two tokens at one a second
    with pytest.raises(ValueError, match="at least 1"):
        TokenBucket(0.5, clock)


def test_users_have_their_own_buckets() -> None:
    clock = Clock()
    limits = limiter(clock, global_per_minute=None, per_user_per_minute=2)
    limits.acquire("ann")
    limits.acquire("ann")
    with pytest.raises(RateLimited) as refused:
        limits.acquire("ann")
    assert refused.value.limit == "user:ann" and refused.value.retry_after_s == pytest.approx(30.0)
    assert limits.acquire("bob") == 0.0 and limits.acquire("bob") == 0.0
    assert limits.acquire() == 0.0  # no user, no global limit: free


def test_a_call_a_user_limit_refuses_leaves_the_global_bucket_alone() -> None:
    clock = Clock()
    limits = limiter(clock, global_per_minute=3, per_user_per_minute=1)
    limits.acquire("ann")
    for _ in range(5):
        with pytest.raises(RateLimited, match="user:ann"):
            limits.acquire("ann")
    limits.acquire("bob")
    limits.acquire("cid")  # the global bucket still had two tokens for them
    with pytest.raises(RateLimited) as refused:
        limits.acquire("dee")
    assert refused.value.limit == "global" and refused.value.retry_after_s == pytest.approx(20.0)


def test_wait_sleeps_until_a_token_is_there() -> None:
    clock = Clock()
    limits = limiter(clock, per_user_per_minute=None, policy="wait")
    for _ in range(100):
        limits.acquire()
    assert limits.acquire() == pytest.approx(0.6)
    assert clock.sleeps == [pytest.approx(0.6)] and clock.now == pytest.approx(0.6)
    assert limits.acquire() == pytest.approx(0.6)  # and the next waits as long again
    assert clock.now == pytest.approx(1.2)


def test_wait_raises_past_max_wait() -> None:
    clock = Clock()
    limits = limiter(clock, global_per_minute=None, per_user_per_minute=1, policy="wait", max_wait_s=30)
    limits.acquire("ann")
    with pytest.raises(RateLimited) as refused:
        limits.acquire("ann")  # 60 s away
    assert refused.value.retry_after_s == pytest.approx(60.0) and clock.sleeps == []


def test_user_buckets_are_bounded() -> None:
    clock = Clock()
    limits = limiter(clock, global_per_minute=None, per_user_per_minute=1, max_users=3)
    for user in ("a", "b", "c"):
        limits.acquire(user)
    with pytest.raises(RateLimited):
        limits.acquire("a")  # a is the most recently used now
    limits.acquire("d")  # evicts b, the least recently used
    assert limits.tracked_users() == 3
    limits.acquire("b")  # b starts again with a full bucket (lenient, and bounded); c is evicted
    with pytest.raises(RateLimited):
        limits.acquire("d")  # d's bucket is kept
    limits.acquire("c")
    assert limits.tracked_users() == 3


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="policy"):
        RateLimiter(RateLimits(policy="drop"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_users"):
        RateLimiter(RateLimits(max_users=0))



def test_sixteen_threads_get_exactly_the_bucket_through() -> None:
    limits = limiter(Clock(), per_user_per_minute=None)  # the clock stands still: no refill
    passed, refused = [], []

    def work(_: int) -> None:
        for _ in range(20):
            try:
                limits.acquire()
                passed.append(1)
            except RateLimited:
                refused.append(1)

    run_threads(16, work)
    assert (len(passed), len(refused)) == (100, 16 * 20 - 100)


def test_threads_of_four_users_each_get_their_own_limit() -> None:
    limits = limiter(Clock(), global_per_minute=1000, per_user_per_minute=10)
    passed: dict[str, int] = {}
    lock = threading.Lock()

    def work(i: int) -> None:
        user = f"user-{i % 4}"
        for _ in range(10):
            try:
                limits.acquire(user)
            except RateLimited:
                continue
            with lock:
                passed[user] = passed.get(user, 0) + 1

    run_threads(16, work)  # four threads per user, 40 attempts per user
    assert passed == {f"user-{i}": 10 for i in range(4)}


def test_waiting_threads_never_beat_the_refill_rate() -> None:
    clock = Clock()
    limits = limiter(clock, global_per_minute=60, per_user_per_minute=None, policy="wait", max_wait_s=1e9)

    def work(_: int) -> None:
        for _ in range(30):
            limits.acquire()

    run_threads(8, work)
    # 240 calls through a bucket of 60 refilled at 1 a second: at least 180 s must have passed on the clock
    # (more: threads that slept together each moved it), and the bucket never went below empty.
    assert clock.now >= 180 - 1e-6
    assert limits._global.tokens >= -1e-9
