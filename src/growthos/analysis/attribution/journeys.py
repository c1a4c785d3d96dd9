"""Journeys: the touches a model divides each conversion among, and the paths that did not convert.

- A converting journey is one conversion with its person's touches at most ``lookback_days`` before it (and
  not after it); older touches are ignored. A conversion with no touch left gets one ``unknown`` touch.
- A non-converting journey (used by the Markov model only) is a person with touches in the range and no
  conversion in it: their touches in the range, at most ``lookback_days`` before their last one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from growthos.analysis.attribution.channels import UNKNOWN
from growthos.analysis.attribution.conversions import Conversion
from growthos.analysis.attribution.touchpoints import Touch


@dataclass(frozen=True)
class Journey:
    touches: tuple[Touch, ...]
    """Oldest first; never empty."""
    converted: bool
    at: datetime
    """The conversion's instant (converting) or the last touch's (not converting)."""
    value: float = 0.0

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(t.channel for t in self.touches)


def converting_journeys(conversions: Sequence[Conversion], touches: Mapping[str, Sequence[Touch]],
                        lookback_days: int) -> list[Journey]:
    window = timedelta(days=lookback_days)
    out = []
    for c in conversions:
        kept = tuple(t for t in touches.get(c.person_id, ()) if c.at - window <= t.at <= c.at)
        out.append(Journey(kept or (Touch(c.at, UNKNOWN),), True, c.at, c.value))
    return out


def non_converting_journeys(conversions: Sequence[Conversion], touches: Mapping[str, Sequence[Touch]],
                            lo: datetime, lookback_days: int) -> list[Journey]:
    window = timedelta(days=lookback_days)
    converters = {c.person_id for c in conversions}
    out = []
    for person, theirs in touches.items():
        in_range = [t for t in theirs if t.at >= lo]
        if person in converters or not in_range:
            continue
        last = in_range[-1].at
        out.append(Journey(tuple(t for t in in_range if t.at >= last - window), False, last))
    return out
