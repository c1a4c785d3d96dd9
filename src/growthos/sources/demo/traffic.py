"""Expected visits per touch per day, shared by the ads (clicks) and GA4 (sessions) generators."""

from __future__ import annotations

from growthos.sources.demo.demand import Demand
from growthos.sources.demo.shop import TouchDay
from growthos.sources.demo.touches import RETURNING_MIX, TOUCH_BY_KEY

EMPTY = TouchDay()


def touch_day(stats: list[dict[str, TouchDay]], index: int, key: str) -> TouchDay:
    return stats[index].get(key, EMPTY)


def returning_share(demand: Demand, index: int, key: str) -> float:
    """Share of the day's returning shoppers who come back through this touch."""
    if key == "direct":
        return RETURNING_MIX["direct"] + sum(
            share for k, share in RETURNING_MIX.items() if not demand.live_campaign_touch(k, index))
    if key in RETURNING_MIX and demand.live_campaign_touch(key, index):
        return RETURNING_MIX[key]
    return 0.0


def expected_sessions(demand: Demand, stats: list[dict[str, TouchDay]], index: int, key: str) -> float:
    """Sessions a touch brings on a day under normal conditions: the shoppers expected to mean to buy
    through it (new customers, and its share of the returning customers who reached checkout) over its
    conversion rate."""
    returning = sum(d.returning_intended for d in stats[index].values())
    intended = demand.new_rates(index).get(key, 0.0) + returning * returning_share(demand, index, key)
    return intended / TOUCH_BY_KEY[key].conversion_rate
