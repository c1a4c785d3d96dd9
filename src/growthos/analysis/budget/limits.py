"""Parse per-channel limits written ``channel=min:max`` (either side may be empty: ``meta=:500``)."""

from __future__ import annotations

import math

from growthos.analysis.budget.allocate import ChannelLimit
from growthos.core.errors import InvalidInput


def _number(text: str, default: float, channel: str) -> float:
    if not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{channel}: {text!r} is not a number", field=f"limit.{channel}") from None
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(f"{channel}: limits must be non-negative numbers", field=f"limit.{channel}")
    return value


def parse_limits(items: list[str] | None) -> dict[str, ChannelLimit]:
    """["meta=100:400", "google=:250"] -> {"meta": ChannelLimit(100, 400), "google": ChannelLimit(0, 250)}."""
    out: dict[str, ChannelLimit] = {}
    for item in items or []:
        channel, sep, bounds = item.partition("=")
        low, colon, high = bounds.partition(":")
        if not sep or not colon or not channel.strip():
            raise InvalidInput(f"{item!r}: write a limit as channel=min:max", field="limit")
        name = channel.strip()
        limit = ChannelLimit(_number(low, 0.0, name), _number(high, math.inf, name))
        if limit.minimum > limit.maximum:
            raise InvalidInput(f"{name}: minimum exceeds maximum", field=f"limit.{name}")
        out[name] = limit
    return out
