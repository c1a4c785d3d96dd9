"""Weekly retention Signup → Use, 3 periods, cohorts 2024-04-29..2024-05-12 (Monday weeks W0 = 04-29,
W1 = 05-06), New York days, as_of 2024-05-21 12:00 New York.

Period k of a cohort ends at the start of week cohort + k + 1:
  W0: p1 ends 05-13, p2 ends 05-20 (both complete at as_of), p3 ends 05-27 (not complete)
  W1: p1 ends 05-20 (complete), p2 05-27 and p3 06-03 (not complete)

  R1  Signup 04-30 (W0); Use 05-07 (p1), 05-15 (p2)
  R2  anon b2 Signup 05-01 (W0); identify b2→r2; Use as r2 05-14 (p2)  — one person
  R3  Signup 05-02 (W0); Use 05-02 (own week: not a return); Use 05-21 09:00 (p3, before as_of)
  R4  Signup Sunday 05-05 23:30 New York (W0; it is Monday 05-06 in UTC); Use 05-06 10:00 (p1)
  R5  Signup 05-07 (W1); Use 05-14 (p1)
  R6  Signup 05-08 (W1); no return
  R7  Signup 04-20 (first ever, before the range) and 05-07: in no cohort; Use 05-14
  R8  Signup 05-09 (W1); Use 05-21 10:00 (p2, incomplete)
  R9  Signup 05-10 (W1); Use 05-22 (after as_of: ignored)

W0 = R1 R2 R3 R4 (4): p1 R1 R4 = 2/4; p2 R1 R2 = 2/4; p3 R3 = 1 returning so far, rate None
W1 = R5 R6 R8 R9 (4): p1 R5 = 1/4; p2 R8 = 1 so far, None; p3 0, None
overall (size 8): p1 (2 + 1) / (4 + 4) = 3/8; p2 only W0 is complete: 2/4; p3 nobody eligible: None
"""

from __future__ import annotations

from datetime import date

import pytest
from fixtures.events import identify, ny, track, write

from growthos.core.errors import InvalidInput
from growthos.metrics.product import retention


def events():
    return [
        track("Signup", ny(4, 30), user="r1"), track("Use", ny(5, 7), user="r1"), track("Use", ny(5, 15), user="r1"),
        track("Signup", ny(5, 1, 9), anon="b2"), identify(ny(5, 1, 10), anon="b2", user="r2"),
        track("Use", ny(5, 14), user="r2"),
        track("Signup", ny(5, 2, 9), user="r3"), track("Use", ny(5, 2, 10), user="r3"),
        track("Use", ny(5, 21, 9), user="r3"),
        track("Signup", ny(5, 5, 23, 30), user="r4"), track("Use", ny(5, 6, 10), user="r4"),
        track("Signup", ny(5, 7), user="r5"), track("Use", ny(5, 14), user="r5"),
        track("Signup", ny(5, 8), user="r6"),
        track("Signup", ny(4, 20), user="r7"), track("Signup", ny(5, 7), user="r7"), track("Use", ny(5, 14), user="r7"),
        track("Signup", ny(5, 9), user="r8"), track("Use", ny(5, 21, 10), user="r8"),
        track("Signup", ny(5, 10), user="r9"), track("Use", ny(5, 22), user="r9"),
    ]


def run(engine, **overrides):
    args = dict(start_event="Signup", return_event="Use", interval="week", periods=3, start=date(2024, 4, 29),
                end=date(2024, 5, 12), tz="America/New_York", as_of=ny(5, 21, 12))
    args.update(overrides)
    return retention(engine, **args)


def table(cohort) -> list[tuple]:
    return [(p.returning, p.eligible, p.rate) for p in cohort.periods]


def test_weekly_cohorts_count_only_complete_periods_in_the_denominator(engine) -> None:
    write(engine, events())
    result = run(engine)
    assert [(c.cohort, c.size) for c in result.cohorts] == [(date(2024, 4, 29), 4), (date(2024, 5, 6), 4)]
    assert table(result.cohorts[0]) == [(2, 4, 0.5), (2, 4, 0.5), (1, 0, None)]
    assert table(result.cohorts[1]) == [(1, 4, 0.25), (1, 0, None), (0, 0, None)]
    assert result.overall.size == 8
    assert table(result.overall) == [(3, 8, 3 / 8), (2, 4, 0.5), (0, 0, None)]


def test_daily_cohorts(engine) -> None:
    write(engine, events())
    # Day cohorts 05-07..05-08, 2 periods, as_of 05-21: every period complete.
    #   05-07: R5 (R7 started 04-20) — Use 05-14 is day 7, beyond 2 periods → 0, 0
    #   05-08: R6 → 0
    result = run(engine, interval="day", periods=2, start=date(2024, 5, 7), end=date(2024, 5, 8))
    assert [(c.cohort, c.size) for c in result.cohorts] == [(date(2024, 5, 7), 1), (date(2024, 5, 8), 1)]
    assert table(result.overall) == [(0, 2, 0.0), (0, 2, 0.0)]
    # Day cohort 04-30 (R1), 7 periods: Use 05-07 is day 7
    result = run(engine, interval="day", periods=7, start=date(2024, 4, 30), end=date(2024, 4, 30))
    assert [p.returning for p in result.cohorts[0].periods] == [0, 0, 0, 0, 0, 0, 1]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"interval": "month"}, "interval"),
    ({"periods": 0}, "periods"),
    ({"start_event": ""}, "start_event"),
    ({"as_of": ny(5, 21).replace(tzinfo=None)}, "as_of"),
])
def test_invalid_input_names_the_field(engine, overrides, field) -> None:
    with pytest.raises(InvalidInput) as err:
        run(engine, **overrides)
    assert err.value.field == field
