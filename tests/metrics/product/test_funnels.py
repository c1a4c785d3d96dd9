"""Funnel Signup → Activate (within 1 day of Signup) → Pay (method=card), 7-day window, entries on
2024-05-06..2024-05-07 in New York, exclusion: Cancel between Activate and Pay. All times New York.

  P1  anon a1: Signup 05-06 10:00 (plan pro); identify a1→u1 11:00; Activate 12:00; Pay card 05-08 09:00
      → all 3 steps only if the anonymous Signup is merged into u1. Gaps 2 h = 7200 s, 45 h = 162000 s.
  P2  Signup 05-06 09:00 (free); Activate 05-08 10:00 (49 h: beyond `within` 1 day) → step 1.
  P3  Signup 05-07 08:00 (pro); Activate 09:00; Cancel 10:00; Pay card 11:00 → excluded.
  P4  Signup 05-05 23:30 (free, before the range: not the entry) and 05-06 12:00 (pro) = entry;
      Activate 05-07 06:00 (18 h = 64800 s after the entry; 30.5 h after the early Signup); Cancel 05-14
      12:00 (after the window closed at 05-13 12:00: not an exclusion) → step 2.
  P5  Signup 05-08 10:00 → after the range: not entered.
  P6  Signup 05-07 10:00 (no plan); Cancel 10:30 (before Activate: not between 2 and 3); Activate 11:00
      (3600 s); Pay card 05-15 11:00 (beyond 7 days) → step 2.
  P7  Signup 05-07 12:00 (free) → step 1.
  P8  Activate 05-06 10:00 then Signup 11:00 (free) → step 1 (order matters).
  P10 Signup 05-06 10:00 (pro); Activate 11:00 (3600 s); Pay paypal 12:00 (filtered out); Pay card 05-07
      12:00 (25 h = 90000 s) → all 3.
  P11 Signup 05-07 13:00 (free); Activate 14:00; Cancel 05-08 09:00, never pays → excluded (Cancel after
      Activate within the window, step 3 not reached).

as_of 05-20 (every window closed):
  counted entrants P1 P2 P4 P6 P7 P8 P10 = 7, excluded P3 P11 = 2, in progress 0
  step 2: P1 P4 P6 P10 = 4 (4/7); gaps 7200, 64800, 3600, 3600 → median (3600+7200)/2 = 5400,
          mean 79200/4 = 19800
  step 3: P1 P10 = 2 (2/4, 2/7 of the first); gaps 162000, 90000 → median = mean = 126000
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fixtures.events import identify, ny, track, write

from growthos.core.errors import InvalidInput
from growthos.metrics.product import Exclusion, FunnelStep, funnel

STEPS = [FunnelStep("Signup"), FunnelStep("Activate", within=timedelta(days=1)),
         FunnelStep("Pay", where={"method": "card"})]
EXCLUDE = [Exclusion("Cancel", after_step=2)]


def events():
    return [
        track("Signup", ny(5, 6, 10), anon="a1", props={"plan": "pro"}),
        identify(ny(5, 6, 11), anon="a1", user="u1"),
        track("Activate", ny(5, 6, 12), user="u1"),
        track("Pay", ny(5, 8, 9), user="u1", props={"method": "card"}),
        track("Signup", ny(5, 6, 9), user="u2", props={"plan": "free"}),
        track("Activate", ny(5, 8, 10), user="u2"),
        track("Signup", ny(5, 7, 8), user="u3", props={"plan": "pro"}),
        track("Activate", ny(5, 7, 9), user="u3"),
        track("Cancel", ny(5, 7, 10), user="u3"),
        track("Pay", ny(5, 7, 11), user="u3", props={"method": "card"}),
        track("Signup", ny(5, 5, 23, 30), user="u4", props={"plan": "free"}),
        track("Signup", ny(5, 6, 12), user="u4", props={"plan": "pro"}),
        track("Activate", ny(5, 7, 6), user="u4"),
        track("Cancel", ny(5, 14, 12), user="u4"),
        track("Signup", ny(5, 8, 10), user="u5"),
        track("Signup", ny(5, 7, 10), user="u6"),
        track("Cancel", ny(5, 7, 10, 30), user="u6"),
        track("Activate", ny(5, 7, 11), user="u6"),
        track("Pay", ny(5, 15, 11), user="u6", props={"method": "card"}),
        track("Signup", ny(5, 7, 12), user="u7", props={"plan": "free"}),
        track("Activate", ny(5, 6, 10), user="u8"),
        track("Signup", ny(5, 6, 11), user="u8", props={"plan": "free"}),
        track("Signup", ny(5, 6, 10), user="u10", props={"plan": "pro"}),
        track("Activate", ny(5, 6, 11), user="u10"),
        track("Pay", ny(5, 6, 12), user="u10", props={"method": "paypal"}),
        track("Pay", ny(5, 7, 12), user="u10", props={"method": "card"}),
        track("Signup", ny(5, 7, 13), user="u11", props={"plan": "free"}),
        track("Activate", ny(5, 7, 14), user="u11"),
        track("Cancel", ny(5, 8, 9), user="u11"),
    ]


def run(engine, **overrides):
    args = dict(steps=STEPS, window=timedelta(days=7), start=date(2024, 5, 6), end=date(2024, 5, 7),
                tz="America/New_York", as_of=ny(5, 20), exclusions=EXCLUDE)
    args.update(overrides)
    return funnel(engine, **args)


def people(group) -> list[int]:
    return [s.people for s in group.steps]


def test_closed_windows_per_step_window_filter_exclusion_and_merged_ids(engine) -> None:
    write(engine, events())
    total = run(engine).total
    assert (total.entered, total.converted, total.in_progress, total.excluded) == (7, 2, 0, 2)
    assert people(total) == [7, 4, 2]
    s1, s2, s3 = total.steps
    assert s1.conversion_from_previous is None and s1.conversion_from_first == 1.0
    assert s2.conversion_from_previous == pytest.approx(4 / 7) and s3.conversion_from_previous == 0.5
    assert s3.conversion_from_first == pytest.approx(2 / 7)
    assert (s2.median_seconds_from_previous, s2.avg_seconds_from_previous) == (5400, 19800)
    assert (s3.median_seconds_from_previous, s3.avg_seconds_from_previous) == (126000, 126000)
    assert s1.median_seconds_from_previous is None


def test_without_exclusions_the_excluded_people_count_where_they_got(engine) -> None:
    write(engine, events())
    total = run(engine, exclusions=()).total
    # P3 reaches all 3 steps, P11 steps 1-2: 9 entrants, step 2 = 4 + 2, step 3 = 2 + 1
    assert people(total) == [9, 6, 3] and total.excluded == 0


def test_open_windows_are_in_progress_not_drop_offs(engine) -> None:
    write(engine, events())
    # as_of 05-08 10:00; later events are ignored.
    #   P1, P10 converted. P3 (Cancel 05-07 10:00) and P11 (Cancel 05-08 09:00) excluded.
    #   P2: next deadline = min(entry + 7 d, Signup + 1 d) = 05-07 09:00 < as_of → dropped at step 1.
    #   P8: deadline 05-07 11:00 → dropped at step 1.
    #   P4 (step 2, window to 05-13 12:00), P6 (step 2, to 05-14 10:00), P7 (step 1, Activate due by
    #   05-08 12:00) → in progress: 3, of whom 2 reached step 2.
    total = run(engine, as_of=ny(5, 8, 10)).total
    assert (total.entered, total.converted, total.in_progress, total.excluded) == (4, 2, 3, 2)
    assert people(total) == [4, 2, 2]
    assert [s.in_progress for s in total.steps] == [3, 2, 0]
    assert total.steps[1].conversion_from_previous == 0.5


def test_breakdown_by_a_property_of_the_entry_event(engine) -> None:
    write(engine, events())
    result = run(engine, breakdown="plan")
    # pro: P1 (3 steps), P4 (2: its entry Signup says pro, the earlier one free), P10 (3); P3 excluded
    # free: P2, P7, P8 (step 1 each); P11 excluded.  (not set): P6 (2 steps)
    # entrants incl. excluded: free 4, pro 4 (tie → by name), (not set) 1
    got = {g.value: (people(g), g.excluded) for g in result.groups}
    assert [g.value for g in result.groups] == ["free", "pro", "(not set)"]
    assert got == {"free": ([3, 0, 0], 1), "pro": ([3, 3, 2], 1), "(not set)": ([1, 1, 0], 0)}
    assert people(result.total) == [7, 4, 2]


def test_breakdown_beyond_the_limit_is_other(engine) -> None:
    write(engine, events())
    result = run(engine, breakdown="plan", limit_breakdown=1)
    # top 1 by entrants (ties by name): free; pro + (not set) → (other): [3+1, 3+1, 2+0], excluded 1
    got = {g.value: (people(g), g.excluded) for g in result.groups}
    assert got == {"free": ([3, 0, 0], 1), "(other)": ([4, 4, 2], 1)}


def test_a_funnel_on_utc_days_moves_the_entry_of_p4(engine) -> None:
    write(engine, events())
    # In UTC, P4's 05-05 23:30 New York Signup is 05-06 03:30Z, inside 05-06..05-07: it becomes the entry,
    # and Activate 30.5 h later misses the 1-day step window. P2's 05-06 09:00 NY = 13:00Z, unchanged.
    total = run(engine, tz="UTC").total
    assert people(total) == [7, 3, 2]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"steps": []}, "steps"),
    ({"steps": [FunnelStep("Signup")]}, "steps"),
    ({"window": timedelta(0)}, "window"),
    ({"steps": [FunnelStep("A"), FunnelStep("B", within=timedelta(hours=-1))]}, "steps[1].within"),
    ({"steps": [FunnelStep("A"), FunnelStep("B", where={"bad key": "x"})]}, "steps[1].where"),
    ({"exclusions": [Exclusion("Cancel", after_step=3)]}, "exclusions[0].after_step"),
    ({"breakdown": "plan; drop"}, "breakdown"),
    ({"tz": "Mars/Olympus"}, "tz"),
    ({"start": date(2024, 5, 8)}, "start"),
])
def test_invalid_input_names_the_field(engine, overrides, field) -> None:
    with pytest.raises(InvalidInput) as err:
        run(engine, **overrides)
    assert err.value.field == field
