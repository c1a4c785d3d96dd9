"""A hand-built invite loop and its events (New York times, May 2024), with the answers worked out by hand.

Loop (window 3d, target cycle 3d, bottlenecks below 70%): invite_sent → invite_accepted (anyone, same invite_id)
→ signed_up (after the invite) → meal_plan → back to invite_sent. Range 05-06..05-12, as of 05-14 00:00.

  i1  a sends 05-06 12:00; b signs up 05-07 12:00, accepts 12:01, plans 05-08 12:00, subscribes (mrr 9.99)
      05-09 10:00 and sends i4 05-10 12:00          → completed in 2d (172,800 s), returned, value 9.99
  i2  a sends 05-06 13:00; c signs up 05-08 12:00, accepts 12:01, never plans   → stops at signed_up
  i3  a sends 05-07 12:00; nobody accepts                                       → stops at invite_sent
  i4  b sends 05-10 12:00; d signs up 05-11 12:00, accepts 12:01, plans 05-12 18:00
                                                    → completed in 2d 6h (194,400 s), not returned, value 0
  i5  e sends 05-12 20:00; window open until 05-15 20:00 > as of                → in progress
  f sends an invite 05-13 01:00 (after the range); an Invite Accepted of an unknown invite is ignored.

starts 5, in progress 1 (i5), closed 4 (i1..i4: windows over by 05-14), completions 2, completion rate 2/4 = 0.5.
reached: 5, 3, 3, 2. entered (closed cycles at the step before) → converted: invite_accepted 4 → 3 = 0.75;
signed_up 3 → 3 = 1; meal_plan 3 → 2 ≈ 0.667 < 0.7: the bottleneck; extra completions 2 × (0.7 ÷ (2/3) − 1) = 0.1.
cycle time mean = median = (172,800 + 194,400) / 2 = 183,600 s. returns 1 → return rate 1/2.
K: active people in the range a, b, c, d, e, g = 6; invites 5 → i = 5/6; c = closed cycles that reached
signed_up 3 ÷ 4 closed = 0.75; K = 5/6 × 0.75 = 0.625. loop value 9.99 / 2 = 4.995.
efficiency = 100 × 0.5^(1/3) × min(1, 259,200 / 183,600) = 100 × 0.793700… = 79.4.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from growthos.analysis.loops.parse import parse_loop
from growthos.core.periods import DateRange

NY = ZoneInfo("America/New_York")
RANGE = DateRange(date(2024, 5, 6), date(2024, 5, 12))
AS_OF = datetime(2024, 5, 14, tzinfo=NY)

LOOP = parse_loop({
    "name": "invite", "type": "viral", "window": "3d", "target_cycle_time": "3d", "bottleneck_below": 0.7,
    "conversion_step": "signed_up", "value": {"event": "Subscription Started", "property": "mrr"},
    "steps": [
        {"name": "invite_sent", "event": "Invite Sent"},
        {"name": "invite_accepted", "event": "Invite Accepted", "actor": "any", "match": ["invite_id"]},
        {"name": "signed_up", "event": "Signed Up", "after": "invite_sent"},
        {"name": "meal_plan", "event": "Meal Plan Created", "next": ["invite_sent"]},
    ],
})


def ny(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute, tzinfo=NY).astimezone(UTC)


EVENTS: list[tuple[str, str, datetime, dict]] = [
    ("a", "Invite Sent", ny(6), {"invite_id": "i1"}),
    ("b", "Signed Up", ny(7), {"platform": "ios"}),
    ("b", "Invite Accepted", ny(7, 12, 1), {"invite_id": "i1"}),
    ("b", "Meal Plan Created", ny(8), {}),
    ("b", "Subscription Started", ny(9, 10), {"mrr": 9.99}),
    ("b", "Invite Sent", ny(10), {"invite_id": "i4"}),
    ("a", "Invite Sent", ny(6, 13), {"invite_id": "i2"}),
    ("c", "Signed Up", ny(8), {}),
    ("c", "Invite Accepted", ny(8, 12, 1), {"invite_id": "i2"}),
    ("a", "Invite Sent", ny(7), {"invite_id": "i3"}),
    ("d", "Signed Up", ny(11), {}),
    ("d", "Invite Accepted", ny(11, 12, 1), {"invite_id": "i4"}),
    ("d", "Meal Plan Created", ny(12, 18), {}),
    ("e", "Invite Sent", ny(12, 20), {"invite_id": "i5"}),
    ("f", "Invite Sent", ny(13, 1), {"invite_id": "i6"}),
    ("g", "Invite Accepted", ny(9), {"invite_id": "nope"}),
]
