"""Sign-ups per acquisition channel from the product events, and their quality (the share who activate).

- A sign-up is a person whose first sign-up event (activation's ``signup_event``, default ``Signed Up``) falls on
  the range's reporting days — the sign-ups of the Activation page (analysis/activation).
- Its channel is the first touch of the attribution journeys (analysis/attribution): the channel of the earliest
  of the person's sessions in the ``SIGNUP_LOOKBACK_DAYS`` before the sign-up, each session's landing classified
  by the same ordered channel rules the warehouse applies to orders (``Settings.channel_rules``), so the names
  agree with the commerce channels. The sign-up's own session counts, so a sign-up whose sessions carry no
  campaign, click id or referrer is ``direct``.
- User quality = activated ÷ (sign-ups − still in progress): the activation rate of the channel's sign-ups, with
  activation's definitions (``activation.yaml`` or the defaults). None when every sign-up is still in progress.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from growthos.analysis.activation.config import load_activation_config
from growthos.analysis.activation.scoring import range_activations
from growthos.analysis.attribution.conversions import Conversion
from growthos.analysis.attribution.journeys import converting_journeys
from growthos.analysis.attribution.service import DEFAULT_LOOKBACK_DAYS
from growthos.analysis.attribution.touchpoints import person_touches
from growthos.analysis.rounding import rounded
from growthos.config import Settings
from growthos.core.periods import DateRange
from growthos.metrics.product.common import day_bounds, zone
from growthos.warehouse.engine import Engine

SIGNUP_LOOKBACK_DAYS = DEFAULT_LOOKBACK_DAYS
"""Sessions at most this many days before the sign-up can be its channel (attribution's default lookback)."""


@dataclass
class ChannelSignups:
    signups: int = 0
    activated: int = 0
    in_progress: int = 0
    """Not activated yet but still within the definitions' windows."""

    @property
    def user_quality(self) -> float | None:
        """activated ÷ (sign-ups − in progress)."""
        decided = self.signups - self.in_progress
        return rounded(self.activated / decided) if decided > 0 else None

    def as_dict(self) -> dict[str, float | int | None]:
        return {"signups": self.signups, "activated": self.activated, "signups_in_progress": self.in_progress,
                "user_quality": self.user_quality}


@dataclass(frozen=True)
class SignupsByChannel:
    event: str
    channels: dict[str, ChannelSignups]

    @property
    def total(self) -> int:
        return sum(c.signups for c in self.channels.values())


def signups_by_channel(engine: Engine, settings: Settings, rng: DateRange) -> SignupsByChannel | None:
    """The range's sign-ups per channel with their activation; None when no product events were ever collected."""
    config = load_activation_config(settings.data_dir)
    if not engine.table_exists("events_people"):
        return None
    people = range_activations(engine, config, start=rng.start, end=rng.end, tz=settings.timezone,
                               as_of=settings.now())
    lo, hi = day_bounds(rng.start, rng.end, zone(settings.timezone))
    touches = person_touches(engine, lo - timedelta(days=SIGNUP_LOOKBACK_DAYS), hi, settings.channel_rules)
    journeys = converting_journeys([Conversion(p.person_id, p.signup_at, 0.0) for p in people], touches,
                                   SIGNUP_LOOKBACK_DAYS)
    out: dict[str, ChannelSignups] = defaultdict(ChannelSignups)
    for person, journey in zip(people, journeys, strict=True):
        row = out[journey.touches[0].channel]
        row.signups += 1
        row.activated += person.activated
        row.in_progress += person.in_progress
    return SignupsByChannel(config.signup_event, dict(sorted(out.items())))
