"""How many new customers each touch brings on each day: growth, weekly rhythm, holidays, campaigns."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from growthos.sources.demo.period import DEMO_DAYS, DEMO_END_DATE
from growthos.sources.demo.touches import GOOGLE_CAMPAIGNS, META_CAMPAIGNS, NEW_CUSTOMER_MIX, TOUCH_BY_KEY

GROWTH = 1.15
"""New-customer volume on the last day relative to the first (before weekday and holiday effects);
orders grow about three times as fast, as the base of returning customers builds up."""
WEEKDAY_FACTORS = (1.2, 1.0, 0.95, 0.9, 0.75, 0.9, 1.3)
"""Monday..Sunday: people plan the week's meals on Sunday and Monday."""
TARGET_NEW_CUSTOMERS = 2430
"""Expected new customers over the default period at scale 1 (before the anomalies, which lose a few)."""
VIRAL_EXTRA_SHARE = 1.5
"""Extra new customers on the viral day, as a share of the day's normal new customers."""


def _thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def holiday_factor(day: date) -> float:
    """Demand on holidays relative to a normal day (New Year's resolutions lift early January)."""
    if day == _thanksgiving(day.year):
        return 0.55
    if day == _thanksgiving(day.year) + timedelta(days=1):
        return 0.8
    special = {(12, 24): 0.6, (12, 25): 0.35, (12, 31): 0.7, (1, 1): 0.8}
    if (day.month, day.day) in special:
        return special[(day.month, day.day)]
    if day.month == 1 and 2 <= day.day <= 12:
        return 1.2
    return 1.0


def period_days(end_date: date, days: int) -> list[date]:
    start = end_date - timedelta(days=days - 1)
    return [start + timedelta(days=i) for i in range(days)]


def _day_weight(day: date, index: int, days: int) -> float:
    growth = GROWTH ** (index / max(days - 1, 1))
    return growth * WEEKDAY_FACTORS[day.weekday()] * holiday_factor(day)


def touch_shares(index: int, days: int) -> dict[str, float]:
    """Share of the day's new customers by touch key: unpaid mix plus every live campaign's share."""
    shares = dict(NEW_CUSTOMER_MIX)
    for campaign in META_CAMPAIGNS + GOOGLE_CAMPAIGNS:
        if campaign.live(index, days):
            shares[f"{campaign.platform}:{campaign.name}"] = campaign.new_share
    return shares


@lru_cache(maxsize=1)
def _base_rate() -> float:
    """New customers per day at the period's start, scale 1, such that the default period expects
    TARGET_NEW_CUSTOMERS."""
    total = 0.0
    for i, day in enumerate(period_days(DEMO_END_DATE, DEMO_DAYS)):
        total += _day_weight(day, i, DEMO_DAYS) * sum(touch_shares(i, DEMO_DAYS).values())
    return TARGET_NEW_CUSTOMERS / total


class Demand:
    """Expected new customers per touch per day for one generated period."""

    def __init__(self, end_date: date, days: int, scale: float) -> None:
        self.days = period_days(end_date, days)
        self.n_days = days
        self.scale = scale
        base = _base_rate() * scale
        self._rates: list[dict[str, float]] = []
        for i, day in enumerate(self.days):
            weight = base * _day_weight(day, i, days)
            self._rates.append({key: weight * share for key, share in touch_shares(i, days).items()})

    def new_rates(self, index: int) -> dict[str, float]:
        """touch key -> expected new customers on day ``index`` (normal conditions)."""
        return self._rates[index]

    def total_new(self, index: int) -> float:
        return sum(self._rates[index].values())

    def live_campaign_touch(self, key: str, index: int) -> bool:
        touch = TOUCH_BY_KEY[key]
        return touch.campaign is None or touch.campaign.live(index, self.n_days)
