"""Database-query numbers worked out by hand on a tiny fixture: rates over all queries, duration percentiles over
executed ones only (linear interpolation, h = q (n - 1)), the stored slow flag with the 1000 ms fallback, the
slowest fingerprints by total time, the hourly and daily trend, the alert headline, and empty data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from growthos.core.errors import InvalidInput
from growthos.metrics.telemetry import database
from growthos.sources.telemetry import KINDS

KIND = KINDS["db_query"]
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(hours=24)
ORDERS = "SELECT * FROM orders WHERE id = ?"
CARTS = "UPDATE carts SET total = ? WHERE id = ?"
PING = "SELECT ?"


def at(hour: int, minute: int = 0, day: int = 10) -> str:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC).isoformat()


def query(fingerprint: str, ms: float, when: str, **extra) -> dict:
    return {"fingerprint": fingerprint, "duration_ms": ms, "timestamp": when, "system": "postgresql",
            "operation": fingerprint.split()[0], **extra}


FIXTURE = [
    # orders: four executions and one result-cache hit
    query(ORDERS, 10, at(10, 5)), query(ORDERS, 20, at(10, 20)), query(ORDERS, 30, at(10, 40)),
    query(ORDERS, 40, at(11, 30), rows=1), query(ORDERS, 0.5, at(11, 31), cached=True),
    # carts: slow by the client's flag, not slow (no flag, < 1000), slow (no flag, >= 1000), a failure
    query(CARTS, 1500, at(3), slow=True), query(CARTS, 800, at(3, 10)), query(CARTS, 1200, at(3, 20)),
    query(CARTS, 50, at(3, 30), slow=False, error_type="DeadlockDetected"),
    # flagged slow by a client with a 2 ms threshold, at the window's first instant (included)
    query(PING, 5, at(12, day=9), slow=True),
    # outside [since, until)
    query(ORDERS, 99_999, at(12)), query(ORDERS, 7, (SINCE - timedelta(seconds=1)).isoformat()),
]
# executed durations in the window, sorted: 5 10 20 30 40 50 800 1200 1500 (n = 9); total 3655


@pytest.fixture
def loaded(engine):
    engine.execute(KIND.ddl())
    engine.append(KIND.table, KIND.parse(FIXTURE, received_at=NOW))
    return engine


def test_overall_by_hand(loaded) -> None:
    stats = database.overall(loaded, SINCE, NOW)
    assert (stats.queries, stats.executed, stats.cache_hits, stats.errors, stats.slow) == (10, 9, 1, 1, 3)
    assert stats.cache_hit_rate == pytest.approx(0.1)
    assert stats.slow_query_rate == pytest.approx(0.3)
    assert stats.error_rate == pytest.approx(0.1)
    assert stats.p50_ms == pytest.approx(40.0)  # h = 4
    assert stats.p95_ms == pytest.approx(1380.0)  # h = 7.6: 1200 + 0.6 × 300
    assert stats.p99_ms == pytest.approx(1476.0)  # h = 7.92: 1200 + 0.92 × 300
    assert stats.max_ms == 1500.0 and stats.total_ms == pytest.approx(3655.0)
    assert stats.avg_ms == pytest.approx(3655 / 9)


def test_slow_fallback_threshold(loaded) -> None:
    # with 500 ms, the unflagged 800 ms carts update is slow too; flagged rows keep their flag (50 ms: False)
    assert database.overall(loaded, SINCE, NOW, slow_ms=500).slow == 4


def test_slowest_fingerprints_by_total_time(loaded) -> None:
    rows = database.slowest_fingerprints(loaded, SINCE, NOW)
    assert [r.fingerprint for r in rows] == [CARTS, ORDERS, PING]
    carts, orders, ping = rows
    assert (carts.calls, carts.executed, carts.cache_hits, carts.errors, carts.slow) == (4, 4, 0, 1, 2)
    assert carts.total_ms == pytest.approx(3550.0) and carts.avg_ms == pytest.approx(887.5)
    assert carts.p95_ms == pytest.approx(1455.0)  # 50 800 1200 1500: h = 2.85
    assert carts.max_ms == 1500.0 and carts.share_of_time == pytest.approx(3550 / 3655)
    assert (carts.system, carts.operation) == ("postgresql", "UPDATE")
    assert (orders.calls, orders.executed, orders.cache_hits, orders.slow) == (5, 4, 1, 0)
    assert orders.total_ms == pytest.approx(100.0) and orders.p95_ms == pytest.approx(38.5)
    assert (ping.calls, ping.slow, ping.total_ms) == (1, 1, 5.0)
    assert [r.fingerprint for r in database.slowest_fingerprints(loaded, SINCE, NOW, top=1)] == [CARTS]


def test_hourly_series(loaded) -> None:
    points = database.series(loaded, SINCE, NOW)
    assert len(points) == 24
    assert points[0].bucket == "2026-03-09T12:00:00+00:00" and points[-1].bucket == "2026-03-10T11:00:00+00:00"
    by_hour = {p.bucket: p for p in points}
    three = by_hour["2026-03-10T03:00:00+00:00"]
    assert (three.queries, three.slow, three.errors, three.cache_hits) == (4, 2, 1, 0)
    assert three.p95_ms == pytest.approx(1455.0)
    assert by_hour["2026-03-10T10:00:00+00:00"].p95_ms == pytest.approx(29.0)  # 10 20 30: h = 1.9
    eleven = by_hour["2026-03-10T11:00:00+00:00"]
    assert (eleven.queries, eleven.cache_hits, eleven.p95_ms) == (2, 1, 40.0)  # the hit is not a duration
    first = points[0]
    assert (first.queries, first.slow, first.p95_ms) == (1, 1, 5.0)
    assert sum(p.queries for p in points) == 10
    empty = by_hour["2026-03-10T05:00:00+00:00"]
    assert (empty.queries, empty.p95_ms) == (0, None)


def test_daily_series_in_the_reporting_time_zone(loaded) -> None:
    # New York: UTC-5 until 2026-03-08 02:00, UTC-4 after. 03:00 UTC on the 10th is 23:00 on the 9th there.
    points = database.series(loaded, NOW - timedelta(days=7), NOW, tz="America/New_York")
    assert [p.bucket for p in points] == [f"2026-03-{d:02d}" for d in range(3, 11)]
    counts = {p.bucket: p.queries for p in points}
    assert counts["2026-03-09"] == 6  # carts ×4, ping, and the orders query at 11:59:59 UTC on the 9th
    assert counts["2026-03-10"] == 5
    assert sum(counts.values()) == 11


def test_report_and_headline(loaded) -> None:
    report = database.report(loaded, SINCE, NOW, top=2)
    assert report.bucket == "hour" and report.slow_ms == 1000.0 and len(report.fingerprints) == 2
    assert report.to_dict()["overall"]["queries"] == 10
    assert database.headline(loaded, SINCE, NOW) == pytest.approx({
        "db_max_query_ms": 1500.0, "db_p99_query_ms": 1476.0, "db_p95_query_ms": 1380.0,
        "db_slow_query_rate": 0.3, "db_cache_hit_rate": 0.1, "db_error_rate": 0.1,
    })


def test_empty_and_absent_data(engine) -> None:
    for _ in range(2):  # first without the table, then with an empty one
        stats = database.overall(engine, SINCE, NOW)
        assert (stats.queries, stats.p95_ms, stats.slow_query_rate, stats.total_ms) == (0, None, None, 0.0)
        assert database.slowest_fingerprints(engine, SINCE, NOW) == ()
        assert [p.queries for p in database.series(engine, SINCE, NOW)] == [0] * 24
        assert set(database.headline(engine, SINCE, NOW).values()) == {None}
        engine.execute(KIND.ddl())


def test_bad_input(engine) -> None:
    with pytest.raises(InvalidInput, match="since"):
        database.overall(engine, NOW, SINCE)
    with pytest.raises(InvalidInput, match="timezone-aware"):
        database.overall(engine, SINCE.replace(tzinfo=None), NOW)
    with pytest.raises(InvalidInput, match="top"):
        database.slowest_fingerprints(engine, SINCE, NOW, top=0)
    with pytest.raises(InvalidInput, match="bucket"):
        database.series(engine, SINCE, NOW, bucket="minute")
