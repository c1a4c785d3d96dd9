"""Settings the models read, written as small cfg_* tables so SQL joins them instead of pasting values."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa

from growthos.config import Settings
from growthos.warehouse.engine import Engine

CHANNEL_LABELS = {
    "meta": ("Meta Ads", True),
    "google_ads": ("Google Ads", True),
    "organic_search": ("Organic search", False),
    "email": ("Email", False),
    "direct": ("Direct", False),
    "referral": ("Referral", False),
    "organic_social": ("Organic social", False),
    "unknown": ("Unknown", False),
}

_DEC = pa.decimal128(18, 6)


def _dec(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.000001"))


def config_tables(settings: Settings) -> dict[str, pa.Table]:
    """The cfg_* tables for these settings."""
    as_of = settings.today()
    cfg_settings = pa.table(
        {
            "reporting_tz": [settings.timezone],
            "reporting_currency": [settings.currency],
            "as_of_date": pa.array([as_of], pa.date32()),
            "shipping_cost_per_order": pa.array([_dec(settings.shipping_cost_per_order)], _DEC),
            "payment_fee_rate": pa.array([_dec(settings.payment_fee_rate)], _DEC),
            "payment_fee_fixed": pa.array([_dec(settings.payment_fee_fixed)], _DEC),
            "default_margin": pa.array([_dec(settings.default_margin)], _DEC),
        }
    )
    rates = dict(settings.fx_rates)
    rates.setdefault(settings.currency, Decimal(1))
    cfg_fx = pa.table(
        {
            "currency": list(rates),
            "rate": pa.array([_dec(v) for v in rates.values()], _DEC),
        }
    )
    cfg_margins = pa.table(
        {
            "category": list(settings.category_margins),
            "margin": pa.array([_dec(v) for v in settings.category_margins.values()], _DEC),
        }
    )
    rules = settings.channel_rules
    cfg_rules = pa.table(
        {
            "priority": pa.array(range(1, len(rules) + 1), pa.int32()),
            "channel": [r.channel for r in rules],
            "click_id": pa.array([r.click_id for r in rules], pa.string()),
            "source_pattern": pa.array([r.source for r in rules], pa.string()),
            "medium_pattern": pa.array([r.medium for r in rules], pa.string()),
            "referrer_pattern": pa.array([r.referrer for r in rules], pa.string()),
        }
    )
    channels = dict.fromkeys([r.channel for r in rules] + list(CHANNEL_LABELS))
    cfg_channels = pa.table(
        {
            "channel": list(channels),
            "label": [CHANNEL_LABELS.get(c, (c.replace("_", " ").capitalize(), False))[0] for c in channels],
            "is_paid": [CHANNEL_LABELS.get(c, ("", False))[1] for c in channels],
        }
    )
    return {
        "cfg_settings": cfg_settings,
        "cfg_fx_rates": cfg_fx,
        "cfg_category_margins": cfg_margins,
        "cfg_channel_rules": cfg_rules,
        "cfg_channels": cfg_channels,
    }


def write_config_tables(engine: Engine, settings: Settings) -> None:
    """Replace the cfg_* tables with the current settings."""
    for name, table in config_tables(settings).items():
        engine.register("__cfg", table)
        try:
            engine.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM __cfg")
        finally:
            engine.unregister("__cfg")
