"""Core Web Vitals queries against values worked out by hand: p75 by linear interpolation (h = 0.75 (n - 1)),
ratings by Google's thresholds (good <= first, poor > second), shares, one sample per metric instance, p75 per
route, the hourly and daily trend, the routes that got worse than in the previous window, and empty data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from growthos.core.errors import InvalidInput
from growthos.metrics.telemetry import vitals
from growthos.sources.telemetry import KINDS

KIND = KINDS["web_vital"]
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(hours=24)


def write(engine, records: list[dict]) -> None:
    """Store records as the ingest route would (checked by the web_vital declaration)."""
    engine.execute(KIND.ddl())
    engine.append(KIND.table, KIND.parse(records, received_at=NOW))


def sample(name: str, value: float, *, at: datetime, route: str = "/", **extra) -> dict:
    return {"name": name, "value": value, "route": route, "timestamp": at.isoformat(), **extra}


def by_name(metrics) -> dict:
    return {m.name: m for m in metrics}


def test_ratings_at_the_thresholds() -> None:
    assert [vitals.rate("LCP", v) for v in (2500, 2500.1, 4000, 4000.1)] == [
        "good", "needs-improvement", "needs-improvement", "poor"]
    assert [vitals.rate("CLS", v) for v in (0.1, 0.11, 0.25, 0.26)] == [
        "good", "needs-improvement", "needs-improvement", "poor"]
    assert vitals.rate("INP", None) is None


def test_p75_rating_and_shares_by_hand(engine) -> None:
    hour = timedelta(hours=1)
    write(engine, [
        *(sample("LCP", v, at=NOW - (i + 1) * hour) for i, v in enumerate([5000, 1000, 3000, 2000])),
        *(sample("CLS", v, at=NOW - hour) for v in (0.3, 0.05, 0.1)),
        sample("INP", 200, at=NOW - hour),
        sample("LCP", 90_000, at=NOW),  # until is exclusive
        sample("LCP", 90_000, at=SINCE - timedelta(seconds=1)),  # before since
    ])
    got = by_name(vitals.summary(engine, SINCE, NOW))
    # LCP sorted 1000 2000 3000 5000: h = 0.75 x 3 = 2.25 -> 3000 + 0.25 x (5000 - 3000) = 3500: needs-improvement
    lcp = got["LCP"]
    assert (lcp.samples, lcp.p75, lcp.rating) == (4, 3500.0, "needs-improvement")
    assert (lcp.share_good, lcp.share_needs_improvement, lcp.share_poor) == (0.5, 0.25, 0.25)
    # CLS sorted 0.05 0.1 0.3: h = 1.5 -> 0.1 + 0.5 x 0.2 = 0.2; 0.1 itself is good (<= 0.1)
    cls = got["CLS"]
    assert cls.p75 == pytest.approx(0.2) and cls.rating == "needs-improvement"
    assert (cls.share_good, cls.share_needs_improvement, cls.share_poor) == (2 / 3, 0, 1 / 3)
    assert (got["INP"].p75, got["INP"].rating) == (200.0, "good")
    fid = got["FID"]
    assert (fid.samples, fid.p75, fid.rating, fid.share_good) == (0, None, None, None)
    assert [m.name for m in vitals.summary(engine, SINCE, NOW)] == ["LCP", "INP", "CLS", "FCP", "TTFB", "FID"]
    headline = vitals.headline(engine, SINCE, NOW)
    assert headline == {"lcp_p75_ms": 3500.0, "fid_p75_ms": None, "inp_p75_ms": 200.0, "cls_p75": pytest.approx(0.2)}


def test_a_metric_instance_reported_twice_counts_once(engine) -> None:
    write(engine, [
        sample("LCP", 1000, at=NOW - timedelta(minutes=10), metric_id="v6-1-a"),
        sample("LCP", 4500, at=NOW - timedelta(minutes=9), metric_id="v6-1-a"),  # the same page view, later
        sample("LCP", 1000, at=NOW - timedelta(minutes=8)),  # no id: counts on its own
        sample("LCP", 1000, at=NOW - timedelta(minutes=8)),
    ])
    lcp = by_name(vitals.summary(engine, SINCE, NOW))["LCP"]
    # 1000 1000 4500: h = 1.5 -> 1000 + 0.5 x 3500 = 2750
    assert (lcp.samples, lcp.p75, lcp.share_poor) == (3, 2750.0, 1 / 3)


def test_p75_per_route(engine) -> None:
    at = NOW - timedelta(hours=2)
    write(engine, [
        *(sample("LCP", v, at=at, route="/recipes/{id}") for v in (1000, 2000, 3000)),
        *(sample("TTFB", v, at=at, route="/recipes/{id}") for v in (100, 900)),
        *(sample("FCP", v, at=at, route="/") for v in (1500, 1600)),
        sample("INP", 600, at=at, route="/"),  # one sample: below min_samples
        sample("LCP", 1000, at=at, route="/rare"),
    ])
    routes = vitals.by_route(engine, SINCE, NOW, min_samples=2)
    assert [(r.route, r.samples) for r in routes] == [("/recipes/{id}", 3), ("/", 2)]
    recipes, home = routes
    # LCP 1000 2000 3000: h = 1.5 -> 2500 (good: <= 2500); TTFB 100 900: h = 0.75 -> 100 + 0.75 x 800 = 700
    assert {n: (m.p75, m.rating, m.samples) for n, m in recipes.metrics.items()} == {
        "LCP": (2500.0, "good", 3), "TTFB": (700.0, "good", 2)}
    assert {n: (m.p75, m.rating) for n, m in home.metrics.items()} == {"FCP": (1575.0, "good")}
    assert [r.route for r in vitals.by_route(engine, SINCE, NOW, min_samples=1, limit=2)] == ["/recipes/{id}", "/"]
    with pytest.raises(InvalidInput) as err:
        vitals.by_route(engine, SINCE, NOW, min_samples=0)
    assert err.value.field == "min_samples"


def test_trend_by_hour_and_by_reporting_day(engine) -> None:
    write(engine, [
        sample("LCP", 1000, at=NOW - timedelta(hours=3, minutes=50)),  # 08:10 UTC
        sample("LCP", 3000, at=NOW - timedelta(hours=3, minutes=10)),  # 08:50 UTC
        sample("LCP", 2000, at=NOW - timedelta(minutes=30)),  # 11:30 UTC
        sample("LCP", 4000, at=datetime(2026, 3, 8, 4, 30, tzinfo=UTC)),  # 23:30 on Mar 7 in New York
    ])
    lcp = by_name(vitals.trend(engine, SINCE, NOW))["LCP"]
    assert len(lcp.points) == 24 and lcp.points[0].bucket == "2026-03-09T12:00:00+00:00"
    filled = {p.bucket: (p.p75, p.samples) for p in lcp.points if p.samples}
    # 08:00 holds 1000 and 3000: h = 0.75 -> 1000 + 0.75 x 2000 = 2500
    assert filled == {"2026-03-10T08:00:00+00:00": (2500.0, 2), "2026-03-10T11:00:00+00:00": (2000.0, 1)}
    assert all(p.p75 is None for p in lcp.points if not p.samples)

    days = by_name(vitals.trend(engine, NOW - timedelta(days=7), NOW, tz="America/New_York"))["LCP"]
    assert days.points[0].bucket == "2026-03-03" and days.points[-1].bucket == "2026-03-10"
    by_day = {p.bucket: (p.p75, p.samples) for p in days.points if p.samples}
    assert by_day == {"2026-03-07": (4000.0, 1), "2026-03-10": (2500.0, 3)}  # 1000 2000 3000: h = 1.5 -> 2500
    assert vitals.bucket_for(SINCE, NOW) == "hour" and vitals.bucket_for(NOW - timedelta(days=7), NOW) == "day"


def test_routes_that_got_worse_than_the_previous_window(engine) -> None:
    before, after = SINCE - timedelta(hours=6), NOW - timedelta(hours=6)

    def pair(route: str, name: str, old: list[float], new: list[float]) -> list[dict]:
        return [sample(name, v, at=before, route=route) for v in old] + \
               [sample(name, v, at=after, route=route) for v in new]

    write(engine, [
        *pair("/checkout", "LCP", [2000, 2000], [3000, 3000]),  # good -> needs-improvement (+50 %)
        *pair("/search", "TTFB", [300, 300], [360, 360]),  # still good, +20 % exactly
        *pair("/home", "LCP", [1000, 1000], [1100, 1100]),  # +10 %: not worse enough
        *pair("/better", "INP", [400, 400], [150, 150]),  # improved
        *pair("/rare", "CLS", [0.01], [0.3]),  # worse, but one sample a window
        sample("LCP", 9000, at=SINCE - timedelta(hours=25), route="/home"),  # older than the previous window
    ])
    worse = vitals.worsened_routes(engine, SINCE, NOW, min_samples=2)
    assert [(w.route, w.name, w.reason) for w in worse] == [("/checkout", "LCP", "rating"), ("/search", "TTFB", "p75")]
    checkout = worse[0]
    assert (checkout.p75_before, checkout.p75_after, checkout.rating_before, checkout.rating_after) == (
        2000.0, 3000.0, "good", "needs-improvement")
    assert checkout.change == pytest.approx(0.5) and (checkout.samples_before, checkout.samples_after) == (2, 2)
    assert worse[1].change == pytest.approx(0.2)
    rare = vitals.worsened_routes(engine, SINCE, NOW, min_samples=1)
    assert ("/rare", "CLS", "rating") in [(w.route, w.name, w.reason) for w in rare]


def test_empty_data_gives_nulls(engine) -> None:
    report = vitals.report(engine, SINCE, NOW)  # the table does not exist yet
    assert [(m.samples, m.p75, m.rating) for m in report.metrics] == [(0, None, None)] * 6
    assert report.routes == () and report.worsened == ()
    assert all(p.p75 is None for s in report.trend for p in s.points)
    engine.execute(KIND.ddl())  # created, still empty
    assert vitals.headline(engine, SINCE, NOW) == {
        "lcp_p75_ms": None, "fid_p75_ms": None, "inp_p75_ms": None, "cls_p75": None}
    data = vitals.report(engine, SINCE, NOW).to_dict()
    assert data["bucket"] == "hour" and data["previous_since"] == (SINCE - timedelta(hours=24)).isoformat()
    assert data["metrics"][0] == {"name": "LCP", "unit": "ms", "good_threshold": 2500, "poor_threshold": 4000,
                                  "samples": 0, "p75": None, "rating": None, "share_good": None,
                                  "share_needs_improvement": None, "share_poor": None}


def test_invalid_windows(engine) -> None:
    with pytest.raises(InvalidInput) as err:
        vitals.summary(engine, NOW, NOW)
    assert err.value.field == "since"
    with pytest.raises(InvalidInput) as err:
        vitals.summary(engine, datetime(2026, 3, 9), NOW)
    assert err.value.field == "since"
