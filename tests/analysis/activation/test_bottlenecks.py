"""Onboarding bottlenecks on a hand-built population (New York days, May 2024; as_of 05-20 00:00, so every
7-day window of the sign-ups is closed). Onboarding steps a → b → c, breakdown by the sign-up's platform.

This week 05-06..05-12, 40 sign-ups (their apps send context.app.version: ios 3.11.0, android 3.12.0):
  ios      20 people complete a, b, c
  android  2 complete a, b, c; 16 stop after b; 2 stop after a
  people per step: Signed Up 40, a 40, b 38, c 22
  transitions: → a 40/40 = 1.0; a → b 38/40 = 0.95; b → c 22/38 = 0.5789
Previous week 04-29..05-05, 40 sign-ups: ios 20 complete; android 19 complete, 1 stops after b
  transitions: 1.0, 1.0, 39/40 = 0.975

Findings (Rules(min_people=10)), ranked by people lost:
  segment_drop  step 3 on android: 2/18 = 0.111 vs ios 20/20 = 1.0 → lost 18 × (1 − 1/9) = 16
  release_drop  step 3 on version 3.12.0: the same people, the same 16 (ties keep the detectors' order)
  period_drop   step 3: 0.5789 vs 0.975 → lost 38 × 0.975 − 22 = 15.05
  low_step      step 3: 0.5789 ≤ min(1.0, 0.95) − 0.10 → lost 38 × 0.95 − 22 = 14.1
Not findings: a → b fell 1.0 → 0.95 (5 points) but p ≈ 0.15; android's b (0.9 vs 1.0) is only 10 points below.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from fixtures.events import ny, track, write

from growthos.analysis.activation import ActivationConfig, Onboarding
from growthos.analysis.activation.bottlenecks import Rules, onboarding_bottlenecks
from growthos.analysis.activation.definitions import DEFAULT_DEFINITIONS

CONFIG = ActivationConfig(DEFAULT_DEFINITIONS, onboarding=Onboarding(steps=("a", "b", "c"), breakdown="platform"))


VERSIONS = {"ios": "3.11.0", "android": "3.12.0"}


def person(uid: str, month: int, day: int, platform: str, reached: int) -> list:
    out = [track("Signed Up", ny(month, day, 10), user=uid, props={"platform": platform})]
    for k, name in enumerate(("a", "b", "c")[:reached], 1):
        out.append(track("Onboarding Step Completed", ny(month, day, 10, k), user=uid,
                         props={"step": k, "step_name": name}))
    if month == 5 and day >= 6:  # this week's sign-ups use the apps, which send their version
        out = [replace(e, context={"app": {"version": VERSIONS[platform]}}) for e in out]
    return out


def population() -> list:
    events = []
    groups = [  # (prefix, first day (month, day), platform, how many, steps reached)
        ("ios", (5, 6), "ios", 20, 3), ("and3", (5, 6), "android", 2, 3), ("and2", (5, 6), "android", 16, 2),
        ("and1", (5, 6), "android", 2, 1),
        ("pios", (4, 29), "ios", 20, 3), ("pand3", (4, 29), "android", 19, 3), ("pand2", (4, 29), "android", 1, 2),
    ]
    for prefix, (month, first), platform, count, reached in groups:
        for i in range(count):
            day = first + i % 7
            m, d = (month, day) if day <= 30 or month == 5 else (5, day - 30)
            events += person(f"{prefix}{i}", m, d, platform, reached)
    return events


def run(engine):
    return onboarding_bottlenecks(engine, CONFIG, start=date(2024, 5, 6), end=date(2024, 5, 12),
                                  tz="America/New_York", as_of=ny(5, 20, 0), rules=Rules(min_people=10))


def test_funnel_transitions_and_previous_period(engine) -> None:
    write(engine, population())
    r = run(engine)
    assert r.steps == ("Signed Up", "a", "b", "c")
    assert r.people == (40, 40, 38, 22)
    assert [(t.rate, t.previous_rate) for t in r.transitions] == [
        (1.0, 1.0), (0.95, 1.0), (pytest.approx(22 / 38), 0.975)]
    assert (r.previous_start, r.previous_end) == (date(2024, 4, 29), date(2024, 5, 5))
    segments = {s.value: (s.signups, s.rates) for s in r.segments}
    assert segments == {"ios": (20, (1.0, 1.0, 1.0)), "android": (20, (1.0, 0.9, pytest.approx(2 / 18)))}
    releases = {(x.step, x.version): (x.entered, x.converted) for x in r.releases}
    assert releases == {(1, "3.11.0"): (20, 20), (1, "3.12.0"): (20, 20), (2, "3.11.0"): (20, 20),
                        (2, "3.12.0"): (20, 18), (3, "3.11.0"): (20, 20), (3, "3.12.0"): (18, 2)}


def test_bottlenecks_ranked_by_people_lost_with_recommendations(engine) -> None:
    write(engine, population())
    r = run(engine)
    found = [(f.kind, f.step, f.segment, round(f.people_lost, 6)) for f in r.findings]
    assert found == [("segment_drop", 3, "android", 16.0), ("release_drop", 3, "3.12.0", 16.0),
                     ("period_drop", 3, None, 15.05), ("low_step", 3, None, 14.1)]
    assert r.bottleneck == r.findings[0]
    assert r.bottleneck.recommendation == (
        "For android sign-ups, step 3 (c) converts 11% vs 100% elsewhere: check that platform's latest release "
        "(crash reports, app versions) and the step's screen there.")
    assert r.findings[1].recommendation.startswith(
        "On app version 3.12.0, step 3 (c) converts 11% vs 100% on the other versions: roll that release back")
    low = r.findings[3]
    assert low.recommendation.startswith("Step 3 (c) converts 58% vs ≥95% for the other steps: shorten it")
    assert r.findings[2].p_value < 0.05


def test_segments_need_the_minimum_people(engine) -> None:
    write(engine, population())
    r = onboarding_bottlenecks(engine, CONFIG, start=date(2024, 5, 6), end=date(2024, 5, 12), tz="America/New_York",
                               as_of=ny(5, 20, 0))  # default min_people 20: android's 18 at step b are too few
    assert [f.kind for f in r.findings] == ["release_drop", "period_drop", "low_step"]  # releases from 8 people
