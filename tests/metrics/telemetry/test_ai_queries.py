"""AI-call queries against values worked out by hand on a tiny fixture: model-call latency p50/p95 by linear
interpolation (h = q (n - 1)), cache-hit latency apart, rates, token sums and means, cost and unpriced calls,
per model and per endpoint, errors by type, the hourly and daily trend, the alert headline, and empty data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from growthos.core.errors import InvalidInput
from growthos.metrics.telemetry import ai
from growthos.sources.telemetry import KINDS

KIND = KINDS["ai_call"]
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(hours=24)


def write(engine, records: list[dict]) -> None:
    """Store records as the ingest route would (checked by the ai_call declaration)."""
    engine.execute(KIND.ddl())
    engine.append(KIND.table, KIND.parse(records, received_at=NOW))


def at(hour: int, minute: int = 0, day: int = 10) -> str:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC).isoformat()


def call(model: str, latency: float, when: str, *, endpoint: str | None = "summarise", tokens=(0, 0),
         cost: float | None = 0.0, **extra) -> dict:
    record = {"model": model, "latency_ms": latency, "timestamp": when, "tokens_in": tokens[0],
              "tokens_out": tokens[1], **extra}
    if endpoint is not None:
        record["endpoint"] = endpoint
    if cost is not None:
        record["cost_usd"] = cost
    return record


FIXTURE = [
    # gpt-4o-mini on summarise: four model calls and a cache hit
    call("gpt-4o-mini", 100, at(10, 5), tokens=(100, 10), cost=0.001),
    call("gpt-4o-mini", 200, at(10, 20), tokens=(200, 20), cost=0.002),
    call("gpt-4o-mini", 300, at(10, 40), tokens=(300, 30), cost=0.003),
    call("gpt-4o-mini", 400, at(11, 30), tokens=(400, 40), cost=0.004),
    call("gpt-4o-mini", 2, at(11, 31), cache_hit=True),
    # gpt-4o on chat: two errors and an unpriced model call
    call("gpt-4o", 5000, at(3), endpoint="chat", status="error", error_type="APITimeoutError"),
    call("gpt-4o", 0, at(3, 1), endpoint="chat", status="error", error_type="RateLimited"),
    call("gpt-4o", 1000, at(3, 10), endpoint="chat", tokens=(1000, 500), cost=None),
    # a call without an endpoint, at the window's first instant (included)
    call("claude-3-5-haiku", 600, at(12, day=9), endpoint=None, tokens=(50, 5), cost=0.00006),
    # outside [since, until)
    call("gpt-4o-mini", 99_999, at(12), tokens=(9, 9), cost=9.0),
    call("gpt-4o-mini", 99_999, (SINCE - timedelta(seconds=1)).isoformat(), tokens=(9, 9), cost=9.0),
]


def test_overall_by_hand(engine) -> None:
    write(engine, FIXTURE)
    got = ai.overall(engine, SINCE, NOW)
    assert (got.name, got.calls, got.model_calls, got.cache_hits, got.errors) == ("(all)", 9, 6, 1, 2)
    assert got.cache_hit_rate == pytest.approx(1 / 9) and got.error_rate == pytest.approx(2 / 9)
    # model calls' latencies sorted: 100 200 300 400 600 1000 (n = 6)
    # p50: h = 0.5 x 5 = 2.5 -> 300 + 0.5 x 100 = 350; p95: h = 0.95 x 5 = 4.75 -> 600 + 0.75 x 400 = 900
    assert (got.latency_p50_ms, got.latency_p95_ms) == (pytest.approx(350), pytest.approx(900))
    assert (got.cache_hit_latency_p50_ms, got.cache_hit_latency_p95_ms) == (2, 2)
    # tokens: in 100+200+300+400+1000+50 = 2050, out 10+20+30+40+500+5 = 605, over 6 model calls
    assert (got.tokens_in, got.tokens_out) == (2050, 605)
    assert got.tokens_in_per_call == pytest.approx(2050 / 6) and got.tokens_out_per_call == pytest.approx(605 / 6)
    assert got.tokens_per_call == pytest.approx(442.5)
    # cost: 0.001+0.002+0.003+0.004+0.00006 (errors and the hit cost 0; the gpt-4o call is unpriced)
    assert got.cost_usd == pytest.approx(0.01006) and got.unpriced_calls == 1
    assert ai.headline(engine, SINCE, NOW) == {
        "ai_p95_latency_ms": pytest.approx(900), "ai_error_rate": pytest.approx(2 / 9),
        "ai_cache_hit_rate": pytest.approx(1 / 9), "ai_tokens_per_request": pytest.approx(442.5)}


def test_per_model_and_endpoint_by_hand(engine) -> None:
    write(engine, FIXTURE)
    models = {m.name: m for m in ai.by_model(engine, SINCE, NOW)}
    assert list(models) == ["gpt-4o-mini", "gpt-4o", "claude-3-5-haiku"]  # most calls first
    mini = models["gpt-4o-mini"]
    # 100 200 300 400: p50 h = 1.5 -> 250; p95 h = 2.85 -> 300 + 0.85 x 100 = 385
    assert (mini.calls, mini.model_calls, mini.cache_hits, mini.cache_hit_rate) == (5, 4, 1, pytest.approx(0.2))
    assert (mini.latency_p50_ms, mini.latency_p95_ms) == (pytest.approx(250), pytest.approx(385))
    assert (mini.tokens_in, mini.tokens_out, mini.tokens_in_per_call, mini.tokens_out_per_call) == (1000, 100, 250, 25)
    assert mini.cost_usd == pytest.approx(0.01) and mini.error_rate == 0
    big = models["gpt-4o"]
    assert (big.calls, big.errors, big.error_rate) == (3, 2, pytest.approx(2 / 3))
    assert (big.latency_p50_ms, big.latency_p95_ms, big.cost_usd, big.unpriced_calls) == (1000, 1000, 0, 1)
    assert big.cache_hit_latency_p50_ms is None and big.cache_hit_rate == 0
    endpoints = {e.name: e.calls for e in ai.by_endpoint(engine, SINCE, NOW)}
    assert endpoints == {"summarise": 5, "chat": 3, "(not set)": 1}
    assert [(e.error_type, e.calls) for e in ai.error_types(engine, SINCE, NOW)] == [
        ("APITimeoutError", 1), ("RateLimited", 1)]


def test_hourly_series_by_hand(engine) -> None:
    write(engine, FIXTURE)
    points = ai.series(engine, SINCE, NOW)
    assert len(points) == 24 and points[0].bucket == "2026-03-09T12:00:00+00:00"
    busy = {p.bucket: (p.calls, p.errors, p.cache_hits, p.cost_usd, p.latency_p95_ms) for p in points if p.calls}
    assert busy == {
        "2026-03-09T12:00:00+00:00": (1, 0, 0, pytest.approx(0.00006), 600),
        "2026-03-10T03:00:00+00:00": (3, 2, 0, 0, 1000),  # the errors' latencies are not the model's
        # 100 200 300: p95 h = 1.9 -> 200 + 0.9 x 100 = 290
        "2026-03-10T10:00:00+00:00": (3, 0, 0, pytest.approx(0.006), pytest.approx(290)),
        "2026-03-10T11:00:00+00:00": (2, 0, 1, pytest.approx(0.004), 400),
    }
    quiet = [p for p in points if not p.calls]
    assert len(quiet) == 20 and all(p.latency_p95_ms is None and p.cost_usd == 0 for p in quiet)


def test_daily_series_in_the_reporting_time_zone(engine) -> None:
    write(engine, FIXTURE)
    since = NOW - timedelta(days=7)
    report = ai.report(engine, since, NOW, tz="America/New_York")
    assert report.bucket == "day"
    # New York is on EDT (UTC-4) from 8 March: 03:00 UTC on the 10th is still the 9th there
    calls = {p.bucket: p.calls for p in report.series}
    assert list(calls) == [f"2026-03-{d:02d}" for d in range(3, 11)]
    # the 9th: the claude call, the three at 03:00 UTC and the one a second before the 24 h window (inside 7 d)
    assert (calls["2026-03-09"], calls["2026-03-10"], sum(calls.values())) == (5, 5, 10)
    assert report.to_dict()["overall"]["calls"] == 10  # the one at `until` is still out


def test_no_table_or_no_calls_gives_zeros_and_nulls(engine) -> None:
    for _ in range(2):  # first without the table, then with an empty one
        report = ai.report(engine, SINCE, NOW)
        overall = report.overall
        assert (overall.calls, overall.cost_usd, overall.tokens_in) == (0, 0.0, 0)
        assert (overall.cache_hit_rate, overall.error_rate, overall.latency_p95_ms, overall.tokens_per_call) == (
            None, None, None, None)
        assert (report.models, report.endpoints, report.error_types) == ((), (), ())
        assert len(report.series) == 24 and all(p.calls == 0 for p in report.series)
        assert ai.headline(engine, SINCE, NOW) == {"ai_p95_latency_ms": None, "ai_error_rate": None,
                                                   "ai_cache_hit_rate": None, "ai_tokens_per_request": None}
        engine.execute(KIND.ddl())


def test_bad_windows_are_refused(engine) -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        ai.overall(engine, datetime(2026, 3, 9), NOW)
    with pytest.raises(InvalidInput, match="before"):
        ai.by_model(engine, NOW, SINCE)
    with pytest.raises(InvalidInput, match="bucket"):
        ai.series(engine, SINCE, NOW, bucket="minute")
