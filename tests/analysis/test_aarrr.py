"""AARRR counts of a snapshot, against counts made by hand on a few people (New York days, May 2024).

Periods: this week 05-06..05-12, the previous week 04-29..05-05.

  a  Signed Up 05-06, Meal Plan Created 05-07          new, activated
  b  Signed Up 05-07                                   new, not activated
  c  Signed Up 05-01, Meal Plan Created 05-08          active both weeks → retained; activated but not new
  d  Signed Up 05-08, Invite Accepted 05-08            new, referred (a new user who came by invitation)
  e  page view 05-02                                   active last week only
  f  Signed Up 04-20, Invite Accepted 05-09            referred but not new
  g  Signed Up 05-12 23:30 New York (05-13 03:30 UTC)  new: the reporting day is 05-12
  h  Signed Up 05-13 00:30 New York                    next week: not counted, not active

new = a b d g = 4; activated = a = 1; active = a b c d f g = 6; active last week = c e = 2;
retained = c = 1; referred = d f = 2; referred and new = d = 1.
activation rate 1/4, retention rate 1/2, referral rate (new users who came by invitation) 1/4.
"""

from __future__ import annotations

from datetime import date

import pytest
from fixtures.events import ny, page, track, write

from growthos.analysis.aarrr import AARRR_METRICS, aarrr_counts, aarrr_value
from growthos.analysis.samples import SAMPLERS
from growthos.core.periods import DateRange

WEEK = DateRange(date(2024, 5, 6), date(2024, 5, 12))
PREVIOUS = DateRange(date(2024, 4, 29), date(2024, 5, 5))
TZ = "America/New_York"


def people():
    return [
        track("Signed Up", ny(5, 6), user="a"), track("Meal Plan Created", ny(5, 7), user="a"),
        track("Signed Up", ny(5, 7), user="b"),
        track("Signed Up", ny(5, 1), user="c"), track("Meal Plan Created", ny(5, 8), user="c"),
        track("Signed Up", ny(5, 8), user="d"), track("Invite Accepted", ny(5, 8, 12, 5), user="d"),
        page(ny(5, 2), user="e"),
        track("Signed Up", ny(4, 20), user="f"), track("Invite Accepted", ny(5, 9), user="f"),
        track("Signed Up", ny(5, 12, 23, 30), user="g"),
        track("Signed Up", ny(5, 13, 0, 30), user="h"),
    ]


def test_counts_by_hand(engine) -> None:
    write(engine, people())
    counts = aarrr_counts(engine, WEEK, PREVIOUS, TZ)
    assert counts == {"new_users": 4, "activated_users": 1, "active_users": 6, "active_previous": 2,
                      "retained_users": 1, "referred_users": 2, "referred_new_users": 1}


def test_rates_and_their_samples(engine) -> None:
    write(engine, people())
    counts = aarrr_counts(engine, WEEK, PREVIOUS, TZ)
    values = {name: aarrr_value(name, counts, {"net_revenue": 120.0}) for name, *_ in AARRR_METRICS}
    assert values["activation_rate"] == pytest.approx(1 / 4)
    assert values["retention_rate"] == pytest.approx(1 / 2)
    assert values["referral_rate"] == pytest.approx(1 / 4)
    assert values["revenue"] == 120.0
    _, referral = SAMPLERS["referral_rate"]
    assert referral(counts, {}, 7) == {"successes": 1.0, "trials": 4.0}
    _, retention = SAMPLERS["retention_rate"]
    assert retention(counts, {}, 7) == {"successes": 1.0, "trials": 2.0}


def test_no_collected_events(engine) -> None:
    assert aarrr_counts(engine, WEEK, PREVIOUS, TZ) == {}
