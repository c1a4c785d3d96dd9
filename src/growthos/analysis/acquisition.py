"""Acquisition by channel: the catalogue's channel KPIs (metrics.channels) grouped into paid / organic /
referral / direct, with cost per conversion, impressions and clicks, LTV, budgets and their utilisation, and the
sign-ups of the product events with their quality.

Definitions (all reused from the metric catalogue unless noted): spend = ad_spend, CPC, CTR, impressions, clicks,
orders (conversions), new customers, conversion rate, CPA = nCAC (spend ÷ new customers), ROAS = platform ROAS,
LTV = the catalogue's ``ltv_90`` by acquisition channel (average net revenue in their first 90 days of the
customers whose first order was on the channel and whose 90-day window ends in the range).
New here: cost_per_conversion = spend ÷ orders, None when there are no orders or no spend; budgets
(acquisition_budget.py); sign-ups and user quality (acquisition_signups.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from growthos.analysis.acquisition_budget import budget_summary, utilisation
from growthos.analysis.acquisition_signups import SIGNUP_LOOKBACK_DAYS, ChannelSignups, signups_by_channel
from growthos.config import Settings
from growthos.core.periods import DateRange
from growthos.metrics.channels import channels
from growthos.metrics.evaluate import breakdown
from growthos.warehouse.engine import Engine

GROUP_OF_CHANNEL: dict[str, str] = {"direct": "direct", "referral": "referral", "unknown": "unknown"}
"""Channels with a group of their own; every other channel is 'paid' when dim_channel says so, else 'organic'."""

LTV_METRIC = "ltv_90"
LTV_WINDOW_DAYS = 90
EXTRA_METRICS = ("impressions", "clicks", LTV_METRIC)
"""Catalogue metrics per channel beyond metrics.channels' KPIs (as top-level fields of each row)."""


def channel_group(channel: str | None, is_paid: bool) -> str:
    if channel in GROUP_OF_CHANNEL:
        return GROUP_OF_CHANNEL[channel]
    return "paid" if is_paid else "organic"


def _current(row: dict[str, Any], name: str) -> float | None:
    value = row["kpis"].get(name, {}).get("value")
    return None if value is None else float(value)


def acquisition(engine: Engine, settings: Settings, rng: DateRange, last_full_day: date) -> dict[str, Any]:
    """Each channel's row of metrics.channels with its ``group``, ``cost_per_conversion``, ``impressions``,
    ``clicks``, ``ltv``, budget fields and sign-up fields; plus the budget totals and the sign-ups summary."""
    data = channels(engine, rng, last_full_day)
    extra = {row["channel"]: row for row in breakdown(engine, rng, "channel", last_full_day,
                                                      list(EXTRA_METRICS))["rows"]}
    signups = signups_by_channel(engine, settings, rng)
    spend_of: dict[str, float | None] = {}
    for row in data["rows"]:
        channel = row["channel"]
        row["group"] = channel_group(channel, row["is_paid"])
        spend, orders = _current(row, "ad_spend"), _current(row, "orders")
        row["cost_per_conversion"] = spend / orders if spend and orders else None
        more = extra.get(channel, {"kpis": {}})
        row["impressions"] = _current(more, "impressions")
        row["clicks"] = _current(more, "clicks")
        row["ltv"] = _current(more, LTV_METRIC)
        monthly = settings.budgets.get(channel)
        row["budget_monthly"] = None if monthly is None else float(monthly)
        row.update(utilisation(monthly, spend, rng).as_dict())
        spend_of[channel] = spend
        if signups is None:
            row.update(signups=None, activated=None, signups_in_progress=None, user_quality=None)
        else:
            row.update(signups.channels.get(channel, ChannelSignups()).as_dict())
    data["budgets"] = budget_summary(settings.budgets, spend_of, rng)
    data["ltv_window_days"] = LTV_WINDOW_DAYS
    data["signups"] = None if signups is None else {
        "event": signups.event, "lookback_days": SIGNUP_LOOKBACK_DAYS, "total": signups.total,
        "other_channels": {c: s.as_dict() for c, s in signups.channels.items() if c not in spend_of},
    }
    return data
