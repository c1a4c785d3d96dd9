"""The demo workspace: every raw record of Forkful's store, ads and analytics over the period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from growthos.sources.base import RawRecord
from growthos.sources.demo.ads import google_rows, meta_rows
from growthos.sources.demo.anomalies import AnomalyCalendar, anomalies_for
from growthos.sources.demo.demand import Demand
from growthos.sources.demo.ga4 import ga4_rows
from growthos.sources.demo.period import DEMO_DAYS, DEMO_END_DATE, DEMO_SEED
from growthos.sources.demo.shop import ShopSimulation


def generate(
    seed: int = DEMO_SEED, scale: float = 1.0, end_date: date = DEMO_END_DATE, days: int = DEMO_DAYS
) -> Iterator[RawRecord]:
    """Stream the demo records: Shopify products, then orders and customers (day by day), then Meta ads insights,
    then Google Ads campaign days, then GA4 traffic rows. The same arguments give the same records
    in the same order; ``scale`` multiplies customers, orders, sessions and spend."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    if days < 1:
        raise ValueError("days must be at least 1")
    demand = Demand(end_date, days, scale)
    calendar = AnomalyCalendar(anomalies_for(end_date, days))
    shop = ShopSimulation(seed, demand, calendar)
    yield from shop.records()
    yield from meta_rows(seed, demand, shop.stats, calendar)
    yield from google_rows(seed, demand, shop.stats, calendar)
    yield from ga4_rows(seed, demand, shop.stats, calendar)
