"""Meta ads-insights rows (ad x day) and Google Ads campaign-day rows, consistent with the orders.

Spend follows each campaign's planned acquisitions (budget), clicks follow the visits it brings,
and the platforms' reported purchases over-attribute the orders that really came through them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from growthos.sources.base import RawRecord
from growthos.sources.demo.anomalies import AnomalyCalendar
from growthos.sources.demo.demand import Demand
from growthos.sources.demo.sampling import noise, poisson, stream
from growthos.sources.demo.shop import TouchDay
from growthos.sources.demo.shopify_shapes import amount
from growthos.sources.demo.touches import GOOGLE_CAMPAIGNS, META_CAMPAIGNS, Campaign
from growthos.sources.demo.traffic import expected_sessions, touch_day

META_ACCOUNT_ID = "1029384756"
GOOGLE_CUSTOMER_ID = "1234567890"
FALLBACK_ORDER_VALUE_CENTS = 7800
META_OVER_ATTRIBUTION = 0.7
"""Extra purchases Meta claims (view-through and 7-day click), per real order through its links."""


def _split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """``total`` units spread over ``weights`` (integer parts, remainder drawn by weight)."""
    parts = [int(total * w) for w in weights]
    rest = total - sum(parts)
    if rest:
        for i in rng.choices(range(len(weights)), weights=weights, k=rest):
            parts[i] += 1
    return parts


def meta_rows(seed: int, demand: Demand, stats: list[dict[str, TouchDay]],
              calendar: AnomalyCalendar) -> Iterator[RawRecord]:
    rng = stream(seed, "meta")
    for index, day in enumerate(demand.days):
        spike = calendar.meta_spend_multiplier(day)
        for campaign in META_CAMPAIGNS:
            if campaign.live(index, demand.n_days):
                yield from _meta_campaign_day(rng, demand, stats, index, campaign, spike)


def _meta_campaign_day(rng: random.Random, demand: Demand, stats: list[dict[str, TouchDay]], index: int,
                       campaign: Campaign, spike: float) -> Iterator[RawRecord]:
    key = f"meta:{campaign.name}"
    day = demand.days[index].isoformat()
    planned = demand.new_rates(index).get(key, 0.0)
    spend_cents = round(planned * campaign.cpa * noise(rng, 0.08) * spike * 100)
    link_clicks = expected_sessions(demand, stats, index, key) / 0.85 * noise(rng, 0.06)
    if spike > 1.0:
        link_clicks *= 1.3
    raw = [ad.weight * noise(rng, 0.15) for ad in campaign.ads]
    weights = [w / sum(raw) for w in raw]
    real = touch_day(stats, index, key)
    purchases = real.orders + poisson(rng, META_OVER_ATTRIBUTION * real.orders + 0.1 * planned)
    if real.orders:
        value_cents = round(real.value_usd_cents * purchases / real.orders)
    else:
        value_cents = round(purchases * FALLBACK_ORDER_VALUE_CENTS * noise(rng, 0.1))
    ad_spend = _split(rng, spend_cents, weights)
    ad_purchases = _split(rng, purchases, weights)
    ad_values = _split(rng, value_cents, [p / purchases for p in ad_purchases]) if purchases else [0] * len(weights)
    for ad, weight, spend, bought, value in zip(campaign.ads, weights, ad_spend, ad_purchases, ad_values,
                                                strict=True):
        links = round(link_clicks * weight)
        clicks = links + round(links * rng.uniform(0.15, 0.35))
        impressions = max(clicks, round(clicks / (campaign.ctr * noise(rng, 0.1)) * (2.2 if spike > 1.0 else 1.0)))
        payload: dict[str, Any] = {
            "account_id": META_ACCOUNT_ID, "account_currency": "USD",
            "campaign_id": campaign.campaign_id, "campaign_name": campaign.name,
            "adset_id": ad.adset_id, "adset_name": ad.adset_name, "ad_id": ad.ad_id, "ad_name": ad.ad_name,
            "date_start": day, "date_stop": day,
            "spend": amount(spend), "impressions": str(impressions), "clicks": str(clicks),
        }
        actions = []
        if links:
            actions.append({"action_type": "link_click", "value": str(links)})
        if bought:
            actions += [{"action_type": "purchase", "value": str(bought)},
                        {"action_type": "offsite_conversion.fb_pixel_purchase", "value": str(bought)}]
            payload["action_values"] = [
                {"action_type": "purchase", "value": amount(value)},
                {"action_type": "offsite_conversion.fb_pixel_purchase", "value": amount(value)},
            ]
        if actions:
            payload["actions"] = actions
        yield RawRecord("meta", "ads_insights", f"{ad.ad_id}:{day}", payload)


def google_rows(seed: int, demand: Demand, stats: list[dict[str, TouchDay]],
                calendar: AnomalyCalendar) -> Iterator[RawRecord]:
    rng = stream(seed, "google")
    for index, day in enumerate(demand.days):
        tracked = calendar.google_conversions_tracked(day)
        for campaign in GOOGLE_CAMPAIGNS:
            if campaign.live(index, demand.n_days):
                yield _google_campaign_day(rng, demand, stats, index, campaign, tracked)


def _google_campaign_day(rng: random.Random, demand: Demand, stats: list[dict[str, TouchDay]], index: int,
                         campaign: Campaign, tracked: bool) -> RawRecord:
    key = f"google_ads:{campaign.name}"
    day = demand.days[index].isoformat()
    planned = demand.new_rates(index).get(key, 0.0)
    cost_micros = round(planned * campaign.cpa * noise(rng, 0.07) * 100) * 10_000 + rng.randrange(10_000)
    clicks = round(expected_sessions(demand, stats, index, key) / 0.92 * noise(rng, 0.05))
    if cost_micros >= 10_000:
        clicks = max(clicks, 1)  # search ads are paid per click
    impressions = max(clicks, round(clicks / (campaign.ctr * noise(rng, 0.08))))
    real = touch_day(stats, index, key)
    conversions = round(real.orders * rng.uniform(1.25, 1.55), 2) if tracked else 0.0
    value = 0.0
    if conversions and real.orders:
        value = round(real.value_usd_cents / 100 * conversions / real.orders * rng.uniform(0.97, 1.05), 2)
    live_at_end = campaign.live(demand.n_days - 1, demand.n_days)
    payload = {
        "customer": {"id": GOOGLE_CUSTOMER_ID, "currencyCode": "USD"},
        "campaign": {
            "resourceName": f"customers/{GOOGLE_CUSTOMER_ID}/campaigns/{campaign.campaign_id}",
            "id": campaign.campaign_id, "name": campaign.name, "status": "ENABLED" if live_at_end else "PAUSED",
            "advertisingChannelType": campaign.channel_type,
        },
        "segments": {"date": day},
        "metrics": {"impressions": str(impressions), "clicks": str(clicks), "costMicros": str(cost_micros),
                    "conversions": float(conversions), "conversionsValue": float(value)},
    }
    return RawRecord("google_ads", "campaign_daily", f"{campaign.campaign_id}:{day}", payload)
