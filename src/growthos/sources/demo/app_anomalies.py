"""The facts planted in the recipe app's event stream: the ground truth that later analyses are judged against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from growthos.sources.demo.anomalies import QUIET_DAYS
from growthos.sources.demo.period import DEMO_END_DATE

ANDROID_STEP3_SUCCESS = 0.12
"""Share of Android onboarders who get past step 3 while the broken release is live (normally 0.90)."""
INVITE_CAMPAIGN_MULTIPLIER = 3.0
"""Invites sent per session during the invite campaign, relative to a normal week."""


@dataclass(frozen=True)
class AppAnomaly:
    """A planted fact of the app stream, on reporting days (America/New_York) start..end."""

    kind: str
    start: date
    end: date
    visible: tuple[str, ...]
    """What an analysis of the messages should find."""
    description: str

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "visible": list(self.visible), "description": self.description}


APP_ANOMALIES: tuple[AppAnomaly, ...] = (
    AppAnomaly("android_onboarding_step3_broken", date(2025, 11, 18), date(2025, 11, 22), (
        "Onboarding Step Completed step 3 / step 2 for Android signups drops from about 90% to about 12%",
        "Android activations (first Meal Plan Created) of those signups fall; iOS and web are unaffected",
        "context.app.version of the Android messages in the window is the new release x.y.0, x.y.1 after it",
    ), "Android release 3.x.0 crashed on onboarding step 3 (dietary preferences) for five days until the "
       "hotfix x.y.1; most Android signups of those days stalled at step 2."),
    AppAnomaly("invite_campaign_week", date(2026, 1, 19), date(2026, 1, 25), (
        "Invite Sent per active user is about 3x the surrounding weeks",
        "Invite Accepted and signups with signup_source 'invite' rise during the week and the days after it",
    ), "'Cook together' week: invite a friend and both get a free box; users sent about three times as "
       "many invites as usual, about a third of them accepted as in normal weeks."),
)
"""Ground truth for the default period (the demo's DEMO_END_DATE, 180 days)."""


def app_anomalies_for(start: date, end: date) -> tuple[AppAnomaly, ...]:
    """The planted facts of a range: the default ones moved with its end date, kept when they fall
    after the range's first four weeks."""
    shift = end - DEMO_END_DATE
    first_allowed = start + timedelta(days=QUIET_DAYS)
    moved = (AppAnomaly(a.kind, a.start + shift, a.end + shift, a.visible, a.description) for a in APP_ANOMALIES)
    return tuple(a for a in moved if a.start >= first_allowed and a.end <= end)


def app_anomalies_as_dicts(start: date, end: date) -> list[dict[str, Any]]:
    """The planted facts of a range as JSON-ready dicts (dates as ISO strings)."""
    return [a.as_dict() for a in app_anomalies_for(start, end)]


class AppCalendar:
    """The simulation's view of the planted facts: what differs on which reporting day."""

    def __init__(self, anomalies: tuple[AppAnomaly, ...]) -> None:
        self.by_kind = {a.kind: a for a in anomalies}

    def android_broken(self) -> AppAnomaly | None:
        return self.by_kind.get("android_onboarding_step3_broken")

    def step3_success(self, day: date, platform: str, normal: float) -> float:
        """Chance of completing onboarding step 3 after step 2 on that day and platform."""
        broken = self.android_broken()
        if platform == "android" and broken is not None and broken.covers(day):
            return ANDROID_STEP3_SUCCESS
        return normal

    def invite_multiplier(self, day: date) -> float:
        campaign = self.by_kind.get("invite_campaign_week")
        return INVITE_CAMPAIGN_MULTIPLIER if campaign is not None and campaign.covers(day) else 1.0
