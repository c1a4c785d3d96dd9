"""GA4 runReport rows (day x sessionSource / sessionMedium / sessionCampaignName) consistent with orders.

Sessions follow the shoppers who meant to buy through each touch (so a checkout failure leaves them
normal); ecommerce purchases and revenue are the orders GA4 actually recorded.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from growthos.sources.base import RawRecord
from growthos.sources.demo.anomalies import AnomalyCalendar
from growthos.sources.demo.demand import Demand
from growthos.sources.demo.sampling import binomial, noise, stream
from growthos.sources.demo.shop import TouchDay
from growthos.sources.demo.shopify_shapes import amount
from growthos.sources.demo.touches import TOUCHES
from growthos.sources.demo.traffic import expected_sessions, touch_day

VIRAL_SESSION_MULTIPLIER = 8.0
CHECKOUTS_PER_INTENDED_ORDER = 1.8
ADD_TO_CARTS_PER_CHECKOUT = 2.0

_GA4_KEYS: dict[tuple[str, str, str], list[str]] = {}
for _touch in TOUCHES:
    _GA4_KEYS.setdefault(_touch.ga4, []).append(_touch.key)


def ga4_rows(seed: int, demand: Demand, stats: list[dict[str, TouchDay]],
             calendar: AnomalyCalendar) -> Iterator[RawRecord]:
    rng = stream(seed, "ga4")
    for index, day in enumerate(demand.days):
        capture = calendar.ga4_capture(day)
        expected = {dims: sum(expected_sessions(demand, stats, index, k) for k in keys)
                    for dims, keys in _GA4_KEYS.items()}
        if calendar.viral(day):
            social = sum(v for dims, v in expected.items() if _is_organic_social(dims))
            expected[("tiktok.com", "referral", "(referral)")] += (VIRAL_SESSION_MULTIPLIER - 1.0) * social
        date_value = day.strftime("%Y%m%d")
        for dims, keys in _GA4_KEYS.items():
            row = _row(rng, expected[dims], [touch_day(stats, index, k) for k in keys], capture)
            if row is None:
                continue
            source, medium, campaign = dims
            payload = {
                "dimensionValues": [{"value": date_value}, {"value": source}, {"value": medium},
                                    {"value": campaign}],
                "metricValues": [{"value": v} for v in row],
            }
            yield RawRecord("ga4", "traffic_daily", f"{day.isoformat()}|{source}|{medium}|{campaign}", payload)


def _is_organic_social(dims: tuple[str, str, str]) -> bool:
    return dims[1] == "referral" and dims[0] in ("instagram.com", "tiktok.com", "pinterest.com")


def _row(rng: random.Random, expected: float, days: list[TouchDay], capture: float) -> list[str] | None:
    """Metric values in the order of ga4_report.METRICS, or None when GA4 would return no row."""
    intended = sum(d.new_intended + d.returning_intended for d in days)
    purchases = sum(d.tracked for d in days)
    revenue = sum(d.tracked_revenue_usd_cents for d in days)
    checkouts = max(purchases, round(intended * CHECKOUTS_PER_INTENDED_ORDER * noise(rng, 0.08)))
    add_to_carts = max(checkouts, round(checkouts * ADD_TO_CARTS_PER_CHECKOUT * noise(rng, 0.08)))
    sessions = max(add_to_carts // 2, round(expected * noise(rng, 0.05)))
    if capture < 1.0:
        sessions = round(sessions * capture * noise(rng, 0.1))
        add_to_carts = round(add_to_carts * capture)
        checkouts = round(checkouts * capture)
        kept = binomial(rng, purchases, capture)
        revenue = round(revenue * kept / purchases) if purchases else 0
        purchases = kept
    if sessions <= 0 and purchases <= 0:
        return None
    sessions = max(sessions, checkouts, purchases, 1)
    users = max(1, round(sessions * rng.uniform(0.8, 0.9)))
    engaged = round(sessions * rng.uniform(0.55, 0.7))
    return [str(sessions), str(users), str(engaged), str(add_to_carts), str(checkouts), str(purchases),
            amount(revenue)]
