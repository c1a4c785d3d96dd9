"""Activation scores, rate and time to activate on people made by hand (New York days, May 2024, EDT).

Definitions (weights total 6):
  tour     Onboarding Step Completed where step_name=goals, window 1 day, weight 1
  plan     Meal Plan Created, window 7 days, weight 3, CORE, prerequisite tour
  saver    Recipe Saved, at least 2, window 7 days, weight 1
  inviter  Invite Sent, window 14 days, weight 1, prerequisite plan
Range 05-06..05-12; as_of 05-18 12:00 New York.

  p1  Signed Up 05-06 10:00; goals 10:05; saved 11:00 and 05-08; plan 05-07 10:00; invite 05-10
      -> all met, score 6/6 = 100; activated 24 h after sign-up (86400 s)
  p2  anonymous a2: saved 05-05 09:00 (before signing up); identify a2 -> p2 05-07 09:00; Signed Up 09:05;
      goals 09:10; plan 11:05; saved 12:00 -> tour, plan, saver (the anonymous save is theirs) = 5/6;
      activated after 2 h (7200 s)
  p3  Signed Up 05-08 10:00; plan 11:00 BEFORE goals 12:00; invite 05-09 -> plan not met (its prerequisite came
      later), so invite not met either: 1/6; not activated, window closed
  p4  Signed Up 05-09 10:00; goals 05-10 11:00 (25 h: outside the 1-day window); plan 12:00; one save
      -> nothing met: 0; not activated
  p5  Signed Up 05-10 10:00; step household 10:05 (filtered out); goals 10:10; plan 05-17 10:00 (exactly 7 days:
      the window is inclusive) -> tour, plan = 4/6; activated after 604800 s
  p6  Signed Up 05-12 20:00; goals 20:05 -> 1/6; plan window open until 05-19 20:00: in progress
  p9  Signed Up 05-12 23:30 New York (05-13 in UTC: still the range's last day) -> 0; NOT in progress: the plan
      window is open but its prerequisite tour's 1-day window closed unmet (05-13 23:30), so it cannot be met
  p7  Signed Up 05-05 (before the range); p8 first Signed Up 04-20, again 05-07 -> neither is in the range

sign-ups 7, activated p1 p2 p5 = 3, in progress p6 = 1 -> activation rate 3 / (7 - 1) = 0.5
scores 100, 83.33, 16.67, 0, 66.67, 16.67, 0: mean 283.33 / 7 = 40.476; median 16.67
time to activate [7200, 86400, 604800]: median 86400; p75 at position 1.5 = 86400 + 0.5 × 518400 = 345600;
mean 698400 / 3 = 232800
reach: tour 5/7 (p1 p2 p3 p5 p6); plan 3/7, from tour 3/5; saver 2/7; inviter 1/7, from plan 1/3
"""

from __future__ import annotations

from datetime import date

import pytest
from fixtures.events import identify, ny, page, track, write

from growthos.analysis.activation import (
    ActivationConfig,
    ActivationDefinition,
    Criteria,
    activation_report,
    person_activation,
)
from growthos.core.errors import NotFound

TZ = "America/New_York"
AS_OF = ny(5, 18, 12)
CONFIG = ActivationConfig((
    ActivationDefinition("tour", "Onboarding Step Completed", Criteria({"step_name": "goals"}), weight=1,
                         window_days=1),
    ActivationDefinition("plan", "Meal Plan Created", weight=3, window_days=7, prerequisites=("tour",), core=True),
    ActivationDefinition("saver", "Recipe Saved", Criteria(min_count=2), weight=1, window_days=7),
    ActivationDefinition("inviter", "Invite Sent", weight=1, window_days=14, prerequisites=("plan",)),
))


def goals(at, user):
    return track("Onboarding Step Completed", at, user=user, props={"step": 1, "step_name": "goals"})


def events():
    return [
        track("Signed Up", ny(5, 6, 10), user="p1"), goals(ny(5, 6, 10, 5), "p1"),
        track("Recipe Saved", ny(5, 6, 11), user="p1"), track("Recipe Saved", ny(5, 8, 11), user="p1"),
        track("Meal Plan Created", ny(5, 7, 10), user="p1"), track("Invite Sent", ny(5, 10), user="p1"),

        page(ny(5, 5, 8), anon="a2"), track("Recipe Saved", ny(5, 5, 9), anon="a2"),
        identify(ny(5, 7, 9), user="p2", anon="a2"), track("Signed Up", ny(5, 7, 9, 5), user="p2"),
        goals(ny(5, 7, 9, 10), "p2"), track("Meal Plan Created", ny(5, 7, 11, 5), user="p2"),
        track("Recipe Saved", ny(5, 7, 12), user="p2"),

        track("Signed Up", ny(5, 8, 10), user="p3"), track("Meal Plan Created", ny(5, 8, 11), user="p3"),
        goals(ny(5, 8, 12), "p3"), track("Invite Sent", ny(5, 9), user="p3"),

        track("Signed Up", ny(5, 9, 10), user="p4"), goals(ny(5, 10, 11), "p4"),
        track("Meal Plan Created", ny(5, 10, 12), user="p4"), track("Recipe Saved", ny(5, 10, 13), user="p4"),

        track("Signed Up", ny(5, 10, 10), user="p5"),
        track("Onboarding Step Completed", ny(5, 10, 10, 5), user="p5", props={"step": 2, "step_name": "household"}),
        goals(ny(5, 10, 10, 10), "p5"), track("Meal Plan Created", ny(5, 17, 10), user="p5"),

        track("Signed Up", ny(5, 12, 20), user="p6"), goals(ny(5, 12, 20, 5), "p6"),
        track("Signed Up", ny(5, 12, 23, 30), user="p9"),

        track("Signed Up", ny(5, 5, 10), user="p7"), goals(ny(5, 5, 10, 5), "p7"),
        track("Signed Up", ny(4, 20), user="p8"), track("Signed Up", ny(5, 7), user="p8"),
    ]


def report(engine):
    return activation_report(engine, CONFIG, start=date(2024, 5, 6), end=date(2024, 5, 12), tz=TZ, as_of=AS_OF)


def test_activation_rate_scores_and_time_to_activate(engine) -> None:
    write(engine, events())
    r = report(engine)
    assert (r.signups, r.activated, r.in_progress) == (7, 3, 1)
    assert r.activation_rate == pytest.approx(0.5)
    assert r.average_score == pytest.approx(100 * (6 + 5 + 1 + 0 + 4 + 1 + 0) / 6 / 7)
    assert r.median_score == pytest.approx(100 / 6)
    assert [b.people for b in r.score_distribution] == [2, 2, 0, 0, 0, 0, 1, 0, 1, 1]
    t = r.time_to_activate
    assert (t.median_seconds, t.p75_seconds, t.mean_seconds) == (86400, 345600, pytest.approx(232800))
    assert {b.label: b.people for b in t.distribution if b.people} == {"1–24 hours": 1, "1–2 days": 1,
                                                                       "7 days or more": 1}


def test_per_definition_reach_and_conversion_from_prerequisites(engine) -> None:
    write(engine, events())
    rows = {d.name: (d.reached, d.reach_rate, d.prerequisites_met, d.conversion_from_prerequisites)
            for d in report(engine).definitions}
    assert rows == {"tour": (5, 5 / 7, 7, None), "plan": (3, 3 / 7, 5, 3 / 5), "saver": (2, 2 / 7, 7, None),
                    "inviter": (1, 1 / 7, 3, 1 / 3)}


def test_one_person_by_any_of_their_ids(engine) -> None:
    write(engine, events())
    p2 = person_activation(engine, CONFIG, "a2", as_of=AS_OF)  # the anonymous id finds the merged person
    assert p2.person_id == person_activation(engine, CONFIG, "p2", as_of=AS_OF).person_id
    assert p2.score == pytest.approx(500 / 6)
    assert (p2.activated, p2.seconds_to_activate) == (True, 7200)
    assert {d.name: (d.met, d.events) for d in p2.definitions} == {
        "tour": (True, 1), "plan": (True, 1), "saver": (True, 2), "inviter": (False, 0)}
    p3 = person_activation(engine, CONFIG, "p3", as_of=AS_OF)
    assert (p3.score, p3.activated, p3.in_progress) == (pytest.approx(100 / 6), False, False)
    assert [d.met for d in p3.definitions] == [True, False, False, False]
    p6 = person_activation(engine, CONFIG, "p6", as_of=AS_OF)
    assert p6.in_progress and p6.definitions[1].window_open


def test_events_after_as_of_are_ignored_and_unknown_people_are_not_found(engine) -> None:
    write(engine, events())
    early = activation_report(engine, CONFIG, start=date(2024, 5, 6), end=date(2024, 5, 12), tz=TZ,
                              as_of=ny(5, 12, 21))
    # at 05-12 21:00: p9 has not signed up yet; p5's plan (05-17) has not happened yet. In progress: p3 (tour met,
    # plan window open until 05-15), p5, p6; not p4, whose tour window closed unmet, so its plan is impossible
    assert (early.signups, early.activated, early.in_progress) == (6, 2, 3)
    with pytest.raises(NotFound):
        person_activation(engine, CONFIG, "nobody", as_of=AS_OF)
    with pytest.raises(NotFound):
        person_activation(engine, CONFIG, "p9", as_of=ny(5, 12, 21))  # known id, no sign-up yet


def test_no_events_table_means_no_signups(engine) -> None:
    r = report(engine)
    assert (r.signups, r.activation_rate, r.time_to_activate.median_seconds) == (0, None, None)
