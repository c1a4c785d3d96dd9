"""KPIs per marketing channel and per campaign, with each group's label from the channel and campaign
dimensions (the dashboard's channel and campaign tables)."""

from __future__ import annotations

from datetime import date
from typing import Any

from growthos.core.periods import DateRange
from growthos.metrics.evaluate import breakdown
from growthos.warehouse.engine import Engine

CHANNEL_METRICS: tuple[str, ...] = (
    "ad_spend", "net_revenue", "orders", "new_customers", "platform_roas", "mer", "ncac", "cpc", "ctr",
    "conversion_rate",
)
"""The KPIs of the channel and campaign tables."""

NO_CAMPAIGN_LABEL = "(no campaign)"

_CHANNELS_SQL = "SELECT channel, label, is_paid FROM dim_channel"
_CAMPAIGNS_SQL = "SELECT campaign_key, channel, campaign_name FROM dim_campaign"


def channel_dimension(engine: Engine) -> dict[str, dict[str, Any]]:
    """channel -> {"label", "is_paid"} for every channel of dim_channel."""
    return {
        row["channel"]: {"label": row["label"], "is_paid": bool(row["is_paid"])}
        for row in engine.query(_CHANNELS_SQL).to_pylist()
    }


def _campaign_dimension(engine: Engine) -> dict[str, dict[str, Any]]:
    return {
        row["campaign_key"]: {"channel": row["channel"], "campaign_name": row["campaign_name"]}
        for row in engine.query(_CAMPAIGNS_SQL).to_pylist()
    }


def channels(engine: Engine, rng: DateRange, last_full_day: date) -> dict[str, Any]:
    """Each channel's KPIs (CHANNEL_METRICS) with its previous-period values, label and is_paid; rows by net
    revenue. A channel missing from dim_channel is labelled by its key and counted as unpaid."""
    data = breakdown(engine, rng, "channel", last_full_day, list(CHANNEL_METRICS))
    dimension = channel_dimension(engine)
    for row in data["rows"]:
        known = dimension.get(row["channel"], {})
        row["label"] = known.get("label", row["channel"] or "Unknown")
        row["is_paid"] = known.get("is_paid", False)
    return data


def campaigns(engine: Engine, rng: DateRange, last_full_day: date) -> dict[str, Any]:
    """Each campaign's KPIs (CHANNEL_METRICS) with its name, channel and whether the channel is paid; orders
    without a campaign form one row whose campaign is None."""
    data = breakdown(engine, rng, "campaign", last_full_day, list(CHANNEL_METRICS))
    campaign_dim = _campaign_dimension(engine)
    channel_dim = channel_dimension(engine)
    for row in data["rows"]:
        key = row["campaign"]
        known = campaign_dim.get(key, {}) if key is not None else {}
        channel = known.get("channel") or (key.partition(":")[0] if key else None)
        row["label"] = known.get("campaign_name") or ((key.partition(":")[2] or key) if key else NO_CAMPAIGN_LABEL)
        row["channel"] = channel
        row["channel_label"] = channel_dim.get(channel, {}).get("label", channel) if channel else None
        row["is_paid"] = channel_dim.get(channel, {}).get("is_paid", False) if channel else False
    return data
