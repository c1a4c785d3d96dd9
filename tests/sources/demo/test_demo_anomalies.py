"""Every injected anomaly is really in the generated records: the anomalous day against the median of
the same weekday in the four weeks around it (anomaly days excluded), computed from the raw records."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest

from growthos.sources.demo import ANOMALIES, DEMO_DAYS, DEMO_END_DATE, anomalies_as_dicts, anomalies_for, generate

NY = ZoneInfo("America/New_York")
FX = {"USD": Decimal(1), "CAD": Decimal("0.73")}
START = DEMO_END_DATE - timedelta(days=DEMO_DAYS - 1)
SOCIAL = ("instagram.com", "tiktok.com", "pinterest.com")
Daily = dict[str, dict[date, float]]


def _ny_day(ts: str) -> date:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(NY).date()


@lru_cache(maxsize=1)
def daily() -> Daily:
    """Per-day series computed from the records alone (current order versions, first orders, GA4, ads)."""
    orders: dict[str, dict] = {}
    series: Daily = defaultdict(lambda: defaultdict(float))
    for rec in generate(scale=1.0):
        p = rec.payload
        if rec.entity == "order":
            if rec.external_id not in orders or p["updatedAt"] >= orders[rec.external_id]["updatedAt"]:
                orders[rec.external_id] = p
        elif rec.source == "meta":
            series["meta_spend"][date.fromisoformat(p["date_start"])] += float(p["spend"])
        elif rec.source == "google_ads":
            day = date.fromisoformat(p["segments"]["date"])
            series["google_conversions"][day] += p["metrics"]["conversions"]
            series["google_cost"][day] += int(p["metrics"]["costMicros"]) / 1e6
        elif rec.source == "ga4":
            day = datetime.strptime(p["dimensionValues"][0]["value"], "%Y%m%d").date()
            sessions = int(p["metricValues"][0]["value"])
            series["sessions"][day] += sessions
            series["checkouts"][day] += int(p["metricValues"][4]["value"])
            if p["dimensionValues"][1]["value"] in SOCIAL:
                series["social_sessions"][day] += sessions
    first_order: dict[str, tuple[str, date]] = {}
    for o in orders.values():
        day = _ny_day(o["createdAt"])
        fx = FX[o["currencyCode"]]
        subtotal = Decimal(o["subtotalPriceSet"]["shopMoney"]["amount"])
        refunded = Decimal(o["totalRefundedSet"]["shopMoney"]["amount"])
        series["orders"][day] += 1
        series["net_revenue"][day] += float((subtotal - refunded) * fx)
        series["refunds"][day] += float(refunded * fx)
        series["sales"][day] += float(subtotal * fx)
        series["refunded_orders"][day] += refunded > 0
        visit = (o["customerJourneySummary"] or {}).get("firstVisit") or {}
        if (visit.get("utmParameters") or {}).get("medium") == "cpc":
            series["google_orders"][day] += 1
        if any(s.split(".")[0] in (visit.get("referrerUrl") or "") for s in SOCIAL):
            series["social_orders"][day] += 1
        cid = o["customer"]["id"]
        if cid not in first_order or o["createdAt"] < first_order[cid][0]:
            first_order[cid] = (o["createdAt"], day)
    for _, day in first_order.values():
        series["new_customers"][day] += 1
    for day, n in series["orders"].items():
        series["mer"][day] = series["net_revenue"][day] / (series["meta_spend"][day] + series["google_cost"][day])
        series["conversion_rate"][day] = n / series["sessions"][day]
        series["refund_share"][day] = series["refunded_orders"][day] / n
        series["refund_rate"][day] = series["refunds"][day] / series["sales"][day]
    return series


def baseline(metric: str, day: date) -> float:
    """Median of the metric on the same weekday up to four weeks before and after, skipping anomaly days."""
    values = []
    for k in (-4, -3, -2, -1, 1, 2, 3, 4):
        other = day + timedelta(days=7 * k)
        if START <= other <= DEMO_END_DATE and not any(a.covers(other) for a in ANOMALIES):
            values.append(daily()[metric].get(other, 0.0))
    assert len(values) >= 3
    return statistics.median(values)


def anomaly(kind: str):
    return next(a for a in ANOMALIES if a.kind == kind)


def days_of(kind: str) -> list[date]:
    a = anomaly(kind)
    return [a.start + timedelta(days=i) for i in range((a.end - a.start).days + 1)]


def ratio(metric: str, day: date) -> float:
    return daily()[metric].get(day, 0.0) / baseline(metric, day)


def test_ground_truth_is_well_formed() -> None:
    kinds = {a.kind for a in ANOMALIES}
    assert {"meta_spend_spike", "checkout_conversion_drop", "ga4_tracking_outage", "viral_organic_day",
            "refund_spike"} <= kinds
    spans = sorted((a.start, a.end) for a in ANOMALIES)
    assert spans[0][0] >= START + timedelta(days=28)
    assert spans[-1][1] <= DEMO_END_DATE
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert end < start, "anomalies overlap"
    rows = json.loads(json.dumps(anomalies_as_dicts()))
    assert [r["kind"] for r in rows] == [a.kind for a in ANOMALIES]
    assert rows[0]["start"] == ANOMALIES[0].start.isoformat() and isinstance(rows[0]["metrics"], list)


def test_anomalies_move_with_the_period() -> None:
    shifted = anomalies_for(DEMO_END_DATE + timedelta(days=7), DEMO_DAYS)
    assert [a.start for a in shifted] == [a.start + timedelta(days=7) for a in ANOMALIES]
    short = anomalies_for(DEMO_END_DATE, 60)
    assert all(a.start >= DEMO_END_DATE - timedelta(days=59 - 28) for a in short)
    assert len(short) < len(ANOMALIES)


def test_meta_spend_spike() -> None:
    (day,) = days_of("meta_spend_spike")
    assert ratio("meta_spend", day) >= 2.5
    assert ratio("mer", day) <= 0.75
    assert ratio("orders", day) <= 1.6, "no lift in orders"
    assert ratio("net_revenue", day) <= 1.6, "no lift in revenue"


def test_checkout_conversion_drop() -> None:
    days = days_of("checkout_conversion_drop")
    assert len(days) == 3
    for metric, low, high in (("orders", 0.0, 0.7), ("net_revenue", 0.0, 0.75), ("conversion_rate", 0.0, 0.7),
                              ("sessions", 0.8, 1.25), ("checkouts", 0.7, 1.4)):
        observed = sum(daily()[metric].get(day, 0.0) for day in days)
        usual = sum(baseline(metric, day) for day in days)
        assert low <= observed / usual <= high, metric
    assert all(ratio("orders", day) < 1.0 for day in days)


def test_ga4_tracking_outage() -> None:
    (day,) = days_of("ga4_tracking_outage")
    assert ratio("sessions", day) <= 0.2
    assert ratio("orders", day) >= 0.6
    assert ratio("conversion_rate", day) >= 4


def test_viral_organic_day() -> None:
    (day,) = days_of("viral_organic_day")
    assert ratio("social_sessions", day) >= 5
    assert ratio("new_customers", day) >= 1.5
    assert ratio("orders", day) >= 1.2
    assert daily()["social_orders"][day] >= 3 * max(baseline("social_orders", day), 1.0)


def test_refund_spike() -> None:
    (day,) = days_of("refund_spike")
    assert daily()["refund_share"][day] >= 0.2
    assert baseline("refund_share", day) <= 0.12
    assert daily()["refund_rate"][day] >= 0.2
    assert ratio("refund_rate", day) >= 3
    assert ratio("refunds", day) >= 3


def test_google_ads_conversion_tracking_gap() -> None:
    for day in days_of("google_ads_conversion_tracking_gap"):
        assert daily()["google_conversions"][day] == 0
        assert baseline("google_conversions", day) > 0
        assert 0.6 <= ratio("google_cost", day) <= 1.6
    assert sum(daily()["google_orders"][d] for d in days_of("google_ads_conversion_tracking_gap")) >= 1


@pytest.mark.parametrize("kind", [a.kind for a in ANOMALIES])
def test_every_anomaly_is_tested(kind: str) -> None:
    tests: dict[str, Callable[[], None]] = {
        "meta_spend_spike": test_meta_spend_spike,
        "checkout_conversion_drop": test_checkout_conversion_drop,
        "ga4_tracking_outage": test_ga4_tracking_outage,
        "viral_organic_day": test_viral_organic_day,
        "refund_spike": test_refund_spike,
        "google_ads_conversion_tracking_gap": test_google_ads_conversion_tracking_gap,
    }
    assert kind in tests
