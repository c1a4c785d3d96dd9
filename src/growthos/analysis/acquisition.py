"""Acquisition by channel: the catalogue's channel KPIs (metrics.channels) grouped into paid / organic /
referral / direct, plus cost per conversion.

Definitions (all reused from the metric catalogue unless noted): spend = ad_spend, CPC, CTR, orders,
new customers, conversion rate, CPA = nCAC (spend ÷ new customers), ROAS = platform ROAS.
cost_per_conversion (new here) = spend ÷ orders, None when there are no orders or no spend.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from growthos.core.periods import DateRange
from growthos.metrics.channels import channels
from growthos.warehouse.engine import Engine

GROUP_OF_CHANNEL: dict[str, str] = {"direct": "direct", "referral": "referral", "unknown": "unknown"}
"""Channels with a group of their own; every other channel is 'paid' when dim_channel says so, else 'organic'."""


def channel_group(channel: str | None, is_paid: bool) -> str:
    if channel in GROUP_OF_CHANNEL:
        return GROUP_OF_CHANNEL[channel]
    return "paid" if is_paid else "organic"


def _current(row: dict[str, Any], name: str) -> float | None:
    value = row["kpis"].get(name, {}).get("value")
    return None if value is None else float(value)


def acquisition(engine: Engine, rng: DateRange, last_full_day: date) -> dict[str, Any]:
    """Each channel's row of metrics.channels with its ``group`` and ``cost_per_conversion``."""
    data = channels(engine, rng, last_full_day)
    for row in data["rows"]:
        row["group"] = channel_group(row["channel"], row["is_paid"])
        spend, orders = _current(row, "ad_spend"), _current(row, "orders")
        row["cost_per_conversion"] = spend / orders if spend and orders else None
    return data
