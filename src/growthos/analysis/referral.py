"""Referral over a range of reporting days: who invites, how many invites are accepted, the viral coefficient.

- ``active_users``: people with any tracked event, page or screen view in the range (as analysis/aarrr.py);
- ``senders``: people who sent at least one ``Invite Sent`` in the range; ``sender_rate`` = senders ÷ active;
- ``invites_sent``: ``Invite Sent`` events in the range; ``invites_accepted``: those of them whose
  ``invite_id`` property appears on an ``Invite Accepted`` event by ``as_of``;
- ``invites_per_user`` i = invites_sent ÷ active_users; ``acceptance_rate`` c = invites_accepted ÷ invites_sent;
- ``viral_coefficient`` K = i × c = invites_accepted ÷ active_users: the new people each active user brought
  in through accepted invites (K > 1 would grow the user base on invites alone);
- ``referral_rate``: sign-ups of the range who accepted an invite in it ÷ sign-ups (analysis/aarrr.py's
  ``referred_new_users`` ÷ ``new_users``): the share of new users who came by invitation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from growthos.analysis.aarrr import AARRR_EVENTS, aarrr_counts
from growthos.core.periods import DateRange
from growthos.metrics.product.common import Result, aware, check_dates, day_bounds, property_path, ratio, zone
from growthos.warehouse.engine import Engine

INVITE_SENT = "Invite Sent"
INVITE_ID = "invite_id"
"""The property that ties an accepted invite to the sent one."""

_INVITES_SQL = """
WITH sent AS (
    SELECT person_id, properties ->> $id_path AS invite_id FROM events_people
    WHERE type = 'track' AND event = $sent AND "timestamp" >= $lo AND "timestamp" < $hi AND "timestamp" <= $as_of
), accepted AS (
    SELECT DISTINCT properties ->> $id_path AS invite_id FROM events_people
    WHERE type = 'track' AND event = $accepted AND "timestamp" >= $lo AND "timestamp" <= $as_of
)
SELECT count(DISTINCT person_id) AS senders, count(*) AS invites_sent,
       count(*) FILTER (WHERE invite_id IN (SELECT invite_id FROM accepted WHERE invite_id IS NOT NULL))
           AS invites_accepted
FROM sent
"""


@dataclass(frozen=True)
class Referral(Result):
    active_users: int
    senders: int
    sender_rate: float | None
    invites_sent: int
    invites_accepted: int
    invites_per_user: float | None
    """i."""
    acceptance_rate: float | None
    """c."""
    viral_coefficient: float | None
    """K = i × c."""
    signups: int
    referred_signups: int
    referral_rate: float | None


def referral(engine: Engine, *, start: date, end: date, tz: str, as_of: datetime) -> Referral:
    """The range's referral numbers (see the module doc); zeros without collected events."""
    check_dates(start, end)
    aware(as_of, "as_of")
    if not engine.table_exists("events_people"):
        return Referral(0, 0, None, 0, 0, None, None, None, 0, 0, None)
    rng = DateRange(start, end)
    counts = aarrr_counts(engine, rng, rng.previous(), tz)
    lo, hi = day_bounds(start, end, zone(tz))
    row = engine.query(_INVITES_SQL, {"id_path": property_path(INVITE_ID, "invite_id"), "sent": INVITE_SENT,
                                      "accepted": AARRR_EVENTS["referral"], "lo": lo, "hi": hi,
                                      "as_of": as_of}).to_pylist()[0]
    active, sent, accepted = int(counts["active_users"] or 0), int(row["invites_sent"]), int(row["invites_accepted"])
    signups, referred = int(counts["new_users"] or 0), int(counts["referred_new_users"] or 0)
    per_user, acceptance = ratio(sent, active), ratio(accepted, sent)
    return Referral(
        active, int(row["senders"]), ratio(int(row["senders"]), active), sent, accepted, per_user, acceptance,
        per_user * acceptance if per_user is not None and acceptance is not None else (0.0 if active else None),
        signups, referred, ratio(referred, signups),
    )
