"""The recipe app's people, day by day: visitors arrive, some sign up, onboard, activate, come back week
after week (or drift away), invite friends, subscribe and cancel.

Each person's whole life is simulated when they arrive, from a random stream of their own, into
:class:`Action` records (what their device does, when); invited friends are queued for the day they
accept. ``run()`` returns every action in time order.
"""

from __future__ import annotations

import bisect
import random
from datetime import date, timedelta

from growthos.sources.demo import app_catalog as cat
from growthos.sources.demo.app_actions import Action, Invite
from growthos.sources.demo.app_anomalies import AppCalendar
from growthos.sources.demo.app_devices import LOCALE_WEIGHTS, LOCALES, new_device
from growthos.sources.demo.app_sessions import Life
from growthos.sources.demo.clock import DayClock
from growthos.sources.demo.demand import holiday_factor
from growthos.sources.demo.period import DEMO_DAYS
from growthos.sources.demo.sampling import poisson, stream

TARGET_VISITORS = 2200
"""Expected visitors who arrive on their own over a 180-day range at scale 1 (invited friends come on top)."""
GROWTH = 2.2
"""Arrivals on the range's last day relative to its first (before weekday and holiday effects)."""
HOUR_WEIGHTS = (1, 3, 4, 3, 3, 5, 5, 3, 3, 4, 6, 9, 10, 9, 7, 5, 3, 1)
"""Local hours 06..23."""
DAY_MS = 86_400_000

_HOUR_CUM = tuple(sum(HOUR_WEIGHTS[: i + 1]) for i in range(len(HOUR_WEIGHTS)))


def _base_rate() -> float:
    """Arrivals per day at a range's start (scale 1) such that a 180-day range expects TARGET_VISITORS
    on ordinary weekdays (one week's average weekday factor)."""
    growth = sum(GROWTH ** (i / (DEMO_DAYS - 1)) for i in range(DEMO_DAYS))
    return TARGET_VISITORS / (growth * sum(cat.WEEKDAY_FACTORS) / 7)


class AppSimulation:
    """One run of the app over ``start..end`` (reporting days); call ``run()`` once."""

    def __init__(self, seed: int | str, start: date, end: date, scale: float, calendar: AppCalendar) -> None:
        self.seed = seed
        self.calendar = calendar
        self.days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        self.day_start_ms = [_ms(DayClock(d).at(0).timestamp()) for d in self.days]
        self.end_ms = _ms(DayClock(end + timedelta(days=1)).at(0).timestamp())
        self.actions: list[Action] = []
        self._scale = scale
        self._arrivals = stream(seed, "app:arrivals")
        self._invited: dict[int, list[Invite]] = {}
        self._people = 0

    def run(self) -> list[Action]:
        base = _base_rate() * self._scale
        n = len(self.days)
        for index, day in enumerate(self.days):
            rate = base * GROWTH ** (index / max(n - 1, 1)) * cat.WEEKDAY_FACTORS[day.weekday()] * holiday_factor(day)
            arrivals = sorted(self.session_ms(self._arrivals, index) for _ in range(poisson(self._arrivals, rate)))
            for at in arrivals:
                self._person(at, index, None)
            while self._invited.get(index):
                for invite in self._invited.pop(index):
                    self._person(invite.accept_ms, index, invite)
        self.actions.sort(key=lambda a: (a.at_ms, a.person, a.seq))
        return self.actions

    @property
    def people(self) -> int:
        """People simulated so far (everyone who arrived, signed up or not)."""
        return self._people

    # -- services for a Life ---------------------------------------------------------------------

    def session_ms(self, rng: random.Random, index: int) -> int:
        """A session start on reporting day ``index``: a local hour from HOUR_WEIGHTS, any minute."""
        hour = 6 + bisect.bisect_right(_HOUR_CUM, rng.random() * _HOUR_CUM[-1])
        return self.day_start_ms[index] + hour * 3_600_000 + rng.randrange(3_600_000)

    def day_of(self, at_ms: int) -> int:
        return bisect.bisect_right(self.day_start_ms, at_ms) - 1

    def schedule_invitee(self, invite: Invite) -> None:
        if invite.accept_ms < self.end_ms:
            self._invited.setdefault(self.day_of(invite.accept_ms), []).append(invite)

    # -- arrivals --------------------------------------------------------------------------------

    def _person(self, arrive_ms: int, index: int, invite: Invite | None) -> None:
        number = self._people
        self._people += 1
        rng = random.Random(f"{self.seed}:app:person:{number}")
        weights = cat.INVITEE_PLATFORM_WEIGHTS if invite else cat.PLATFORM_WEIGHTS
        platform = rng.choices(cat.PLATFORMS, weights)[0]
        locale = rng.choices(LOCALES, LOCALE_WEIGHTS)[0]
        device = new_device(rng, platform, locale)
        if invite is not None:
            source = "invite"
        elif platform == "web":
            source = rng.choices(cat.WEB_SOURCES, cat.WEB_SOURCE_WEIGHTS)[0]
        else:
            source = rng.choices(cat.APP_SOURCES, cat.APP_SOURCE_WEIGHTS)[0]
        life = Life(self, number, rng, device, locale, source)
        life.live(arrive_ms, index, invite)


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))

