"""The retry policy: full-jitter backoff, the API's own waits honoured, the last error raised at the limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from growthos.sources.http.errors import AuthError, RetryableConnectorError
from growthos.sources.http.retry import RetryPolicy, parse_duration, parse_retry_after


def _policy(sleeps: list[float], *, random: float = 0.5, **kw) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps.append, random=lambda: random, **kw)


def _failing(errors: list[Exception], result: str = "ok"):
    calls = []

    def call() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return call, calls


def test_backoff_is_jittered_within_a_doubling_capped_ceiling():
    sleeps: list[float] = []
    policy = _policy(sleeps, random=0.5, max_attempts=6, base_delay=1.0, max_delay=5.0)
    call, calls = _failing([RetryableConnectorError("503")] * 5)
    assert policy.run(call) == "ok"
    # 0.5 x min(5, 1 x 2^n) for n = 0..4
    assert sleeps == [0.5, 1.0, 2.0, 2.5, 2.5]
    assert len(calls) == 6


def test_full_jitter_uses_the_random_draw():
    assert RetryPolicy(random=lambda: 0.0).delay(3, RetryableConnectorError("x")) == 0.0
    assert RetryPolicy(random=lambda: 0.999, base_delay=2, max_delay=100).delay(2, RetryableConnectorError("x")) \
        == pytest.approx(0.999 * 8)


def test_the_apis_own_wait_is_honoured_exactly_even_above_the_cap():
    sleeps: list[float] = []
    policy = _policy(sleeps, max_delay=1.0)
    call, _ = _failing([RetryableConnectorError("throttled", retry_after=8.04),
                        RetryableConnectorError("429", retry_after=0)])
    assert policy.run(call) == "ok"
    assert sleeps == [8.04, 0.0]


def test_after_the_last_attempt_the_last_error_is_raised():
    sleeps: list[float] = []
    errors = [RetryableConnectorError(f"failure {i}") for i in range(3)]
    call, calls = _failing(list(errors))
    with pytest.raises(RetryableConnectorError) as info:
        _policy(sleeps, max_attempts=3).run(call)
    assert info.value is errors[2]
    assert len(calls) == 3 and len(sleeps) == 2


def test_terminal_errors_are_not_retried():
    sleeps: list[float] = []
    call, calls = _failing([AuthError("bad token")])
    with pytest.raises(AuthError):
        _policy(sleeps).run(call)
    assert calls == [1] and sleeps == []


def test_a_wait_longer_than_the_limit_is_not_waited_for():
    sleeps: list[float] = []
    call, _ = _failing([RetryableConnectorError("quota", retry_after=86400)])
    with pytest.raises(RetryableConnectorError):
        _policy(sleeps, max_retry_after=900).run(call)
    assert sleeps == []


def test_on_retry_sees_each_error_and_wait():
    seen: list[tuple[str, float]] = []
    call, _ = _failing([RetryableConnectorError("a", retry_after=1.5)])
    _policy([]).run(call, on_retry=lambda e, w: seen.append((str(e), w)))
    assert seen == [("a", 1.5)]


def test_retry_after_header_values():
    now = datetime(2026, 2, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("Sun, 01 Feb 2026 12:00:45 GMT", now=now) == 45.0
    assert parse_retry_after("Sun, 01 Feb 2026 11:59:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_google_retry_delay_durations():
    assert parse_duration("60s") == 60.0
    assert parse_duration("1.5s") == 1.5
    assert parse_duration("60") is None
    assert parse_duration(None) is None


def test_errors_are_core_retryable_and_terminal_errors():
    from growthos.core.errors import RetryableError, TerminalError
    from growthos.sources.http.errors import ConnectorError, TerminalConnectorError

    retryable = RetryableConnectorError("x", retry_after=3, http_status=429)
    assert isinstance(retryable, RetryableError) and isinstance(retryable, ConnectorError)
    assert (retryable.retry_after, retryable.http_status, retryable.message) == (3, 429, "x")
    auth = AuthError("denied", http_status=401)
    assert isinstance(auth, TerminalConnectorError) and isinstance(auth, TerminalError)
    assert not isinstance(auth, RetryableError)
