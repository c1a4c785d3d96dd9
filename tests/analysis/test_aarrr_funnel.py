"""The AARRR funnel, referral and revenue on people made by hand (New York days, May 2024, EDT). Range
05-06..05-12, activation = the default core milestone (first Meal Plan Created within 7 days of signing up).

  v1   anonymous page 05-06                                   new person, never signs up
  u2   anonymous av2 page 05-07 09:00, identify av2 → u2 09:30, Signed Up 10:00 (one person: new once);
       plan 05-08; active 05-15 (day 8: retained); Invite Sent i1 05-16; Subscription Started 05-17 (mrr 9.99)
  u3   Signed Up 05-08 10:00; plan 11:00; active 05-14 09:00 (day 5.96) and 05-22 11:00 (day 14.04): both
       outside days 7..14, not retained; Invite Sent i2 05-09; Subscription Started 05-10 (mrr 6.67)
  u4   anonymous av4 page 04-20 (first seen before the range), identify, Signed Up 05-09: a sign-up of the range
       first seen earlier — still one of its new people; no plan
  u5   Signed Up 05-10 10:00; plan 05-18 (8 days: too late)
  u6   Signed Up 05-11 10:00; plan 11:00; Invite Sent i5 05-11 (never accepted); page 05-18 10:00 (exactly day 7:
       retained); Invite Sent i3 05-18
  u7   Signed Up 04-25 (not new); page 05-06; Invite Sent i4 05-07
  u8   anonymous av8 page 05-09, identify, Signed Up 05-09 12:00, Invite Accepted i4 12:01 (a referred sign-up)
  u9   Signed Up 05-20 12:00, Invite Accepted i2 12:01 (after the range)

as_of 05-27: new people v1 u2 u3 u4 u5 u6 u8 = 7; signed up u2 u3 u4 u5 u6 u8 = 6; activated u2 u3 u6 = 3;
retained u2 u6 = 2; referring (retained who invited) u2 u6 = 2; paying (retained who subscribed) u2 = 1.
rates from parent 6/7, 3/6, 2/3, 2/2, 1/2; from the top 6/7, 3/7, 2/7, 2/7, 1/7.
Referral in the range: active v1 u2 u3 u4 u5 u6 u7 u8 = 8; invites sent i4 i2 i5 = 3 by 3 senders; accepted by
as_of i4 i2 = 2 → i = 3/8, c = 2/3, K = 3/8 × 2/3 = 0.25; referral rate 1/6 (u8 of the 6 sign-ups).
Revenue in the range: u3's subscription: 1 subscriber, MRR 6.67 (u2's is on 05-17).

as_of 05-20 00:00: u3's days 7..14 (05-15 10:00 .. 05-22 10:00) are still open: pending, so retention is
2 / (3 − 1) = 1.0; u9 has not accepted i2 yet: accepted 1, K = 1/8.
"""

from __future__ import annotations

from datetime import date

import pytest
from fixtures.events import identify, ny, page, track, write

from growthos.analysis.aarrr_funnel import aarrr_funnel
from growthos.analysis.activation import DEFAULT_CONFIG


def events() -> list:
    return [
        page(ny(5, 6), anon="v1"),
        page(ny(5, 7, 9), anon="av2"), identify(ny(5, 7, 9, 30), user="u2", anon="av2"),
        track("Signed Up", ny(5, 7, 10), user="u2"), track("Meal Plan Created", ny(5, 8), user="u2"),
        page(ny(5, 15), user="u2"), track("Invite Sent", ny(5, 16), user="u2", props={"invite_id": "i1"}),
        track("Subscription Started", ny(5, 17), user="u2", props={"plan": "plus_monthly", "mrr": 9.99}),
        track("Signed Up", ny(5, 8, 10), user="u3"), track("Meal Plan Created", ny(5, 8, 11), user="u3"),
        page(ny(5, 14, 9), user="u3"), page(ny(5, 22, 11), user="u3"),
        track("Invite Sent", ny(5, 9), user="u3", props={"invite_id": "i2"}),
        track("Subscription Started", ny(5, 10), user="u3", props={"plan": "plus_annual", "mrr": 6.67}),
        page(ny(4, 20), anon="av4"), identify(ny(5, 9, 9), user="u4", anon="av4"),
        track("Signed Up", ny(5, 9, 10), user="u4"),
        track("Signed Up", ny(5, 10, 10), user="u5"), track("Meal Plan Created", ny(5, 18), user="u5"),
        track("Signed Up", ny(5, 11, 10), user="u6"), track("Meal Plan Created", ny(5, 11, 11), user="u6"),
        track("Invite Sent", ny(5, 11, 12), user="u6", props={"invite_id": "i5"}),
        page(ny(5, 18, 10), user="u6"), track("Invite Sent", ny(5, 18, 11), user="u6", props={"invite_id": "i3"}),
        track("Signed Up", ny(4, 25), user="u7"), page(ny(5, 6), user="u7"),
        track("Invite Sent", ny(5, 7), user="u7", props={"invite_id": "i4"}),
        page(ny(5, 9, 11), anon="av8"), identify(ny(5, 9, 11, 30), user="u8", anon="av8"),
        track("Signed Up", ny(5, 9, 12), user="u8"),
        track("Invite Accepted", ny(5, 9, 12, 1), user="u8", props={"invite_id": "i4", "inviter_id": "u7"}),
        track("Signed Up", ny(5, 20, 12), user="u9"),
        track("Invite Accepted", ny(5, 20, 12, 1), user="u9", props={"invite_id": "i2", "inviter_id": "u3"}),
    ]


def run(engine, as_of):
    return aarrr_funnel(engine, DEFAULT_CONFIG, start=date(2024, 5, 6), end=date(2024, 5, 12),
                        tz="America/New_York", as_of=as_of, last_full_day=date(2024, 5, 26))


def test_stage_counts_and_rates(engine) -> None:
    write(engine, events())
    f = run(engine, ny(5, 27, 0))
    assert [(s.key, s.people, s.parent) for s in f.stages] == [
        ("new_people", 7, None), ("signed_up", 6, "new_people"), ("activated", 3, "signed_up"),
        ("retained", 2, "activated"), ("referring", 2, "retained"), ("paying", 1, "retained")]
    assert [s.rate_from_parent for s in f.stages] == [None, 6 / 7, 0.5, 2 / 3, 1.0, 0.5]
    assert [s.rate_from_top for s in f.stages] == [1.0, 6 / 7, 3 / 7, 2 / 7, 2 / 7, 1 / 7]
    assert [s.stage for s in f.stages] == ["Acquisition", "Acquisition", "Activation", "Retention", "Referral",
                                           "Revenue"]


def test_referral_and_viral_coefficient(engine) -> None:
    write(engine, events())
    r = run(engine, ny(5, 27, 0)).referral
    assert (r.active_users, r.senders, r.invites_sent, r.invites_accepted) == (8, 3, 3, 2)
    assert (r.invites_per_user, r.acceptance_rate) == (3 / 8, pytest.approx(2 / 3))
    assert r.viral_coefficient == pytest.approx(0.25)
    assert (r.signups, r.referred_signups, r.referral_rate) == (6, 1, 1 / 6)


def test_revenue_of_the_range(engine) -> None:
    write(engine, events())
    revenue = run(engine, ny(5, 27, 0)).revenue
    assert (revenue.subscribers, revenue.subscriptions, revenue.new_mrr, revenue.net_revenue) == (1, 1, 6.67, None)


def test_open_windows_are_pending_not_drop_offs(engine) -> None:
    write(engine, events())
    f = run(engine, ny(5, 20, 0))
    retained = f.stages[3]
    assert (retained.people, retained.pending, retained.rate_from_parent) == (2, 1, 1.0)
    assert (f.referral.invites_accepted, f.referral.viral_coefficient) == (1, pytest.approx(1 / 8))


def test_without_events_everything_is_zero(engine) -> None:
    f = run(engine, ny(5, 27, 0))
    assert [s.people for s in f.stages] == [0] * 6
    assert (f.referral.viral_coefficient, f.revenue.subscribers) == (None, 0)
