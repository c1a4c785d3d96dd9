"""The AARRR funnel of a range, end to end, in people (``events_people``), days in the reporting time zone.

Stages follow the range's new people forward (each a subset of its parent stage):

1. Acquisition — ``new_people``: people first seen (first event, page or screen) on the range's days, plus
   the range's sign-ups first seen earlier; ``signed_up``: people whose first sign-up event is in the range.
2. Activation — ``activated``: sign-ups who met every core activation definition (analysis/activation).
3. Retention — ``retained``: activated people active again (any event, page or screen) from day
   RETENTION_FROM_DAYS to day RETENTION_TO_DAYS after their sign-up (the week after the first).
4. Referral — ``referring``: retained people who sent an invite (by ``as_of``).
5. Revenue — ``paying``: retained people who started a subscription (by ``as_of``). Referral and Revenue are
   both children of Retention: a paying person need not have invited anyone.

``rate_from_parent`` = people ÷ (parent's people − pending), where pending are the parent's people whose
window for this stage is still open at ``as_of`` and who have not reached it yet (they are not drop-offs);
``rate_from_top`` = people ÷ new people. Beside the stages: the range's referral numbers (analysis/referral:
invites, acceptance, viral coefficient K) and revenue (subscriptions started in the range, their MRR, and
the shop's net revenue from the metric catalogue when the warehouse is built).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlglot import exp

from growthos.analysis.activation.definitions import ActivationConfig
from growthos.analysis.activation.events import SIGNUP_CTES
from growthos.analysis.activation.scoring import range_activations
from growthos.analysis.referral import INVITE_SENT, Referral, referral
from growthos.core.periods import DateRange
from growthos.metrics.product.common import Result, day_bounds, param, property_path, ratio, render, zone
from growthos.metrics.queries import TOTAL_KEY, compute_bases
from growthos.warehouse.engine import Engine

RETENTION_FROM_DAYS = 7
RETENTION_TO_DAYS = 14
SUBSCRIPTION_STARTED = "Subscription Started"

_PEOPLE_SQL = "WITH " + SIGNUP_CTES + """, new_people AS (
    SELECT person_id FROM events_people
    WHERE type IN ('track', 'page', 'screen') AND "timestamp" < $hi
    GROUP BY person_id HAVING min("timestamp") >= $lo
), after AS (
    SELECT c.person_id,
           coalesce(bool_or(e.type IN ('track', 'page', 'screen') AND e."timestamp" >= c.signup_ts + $ret_from
                            AND e."timestamp" < c.signup_ts + $ret_to), false) AS retained,
           coalesce(bool_or(e.type = 'track' AND e.event = $invite AND e."timestamp" >= c.signup_ts), false) AS invited,
           coalesce(bool_or(e.type = 'track' AND e.event = $subscribe AND e."timestamp" >= c.signup_ts), false) AS paid,
           c.signup_ts + $ret_to > $as_of AS retention_open
    FROM cohort c LEFT JOIN events_people e ON e.person_id = c.person_id AND e."timestamp" >= $lo
        AND e."timestamp" <= $as_of
    GROUP BY c.person_id, c.signup_ts
)
SELECT person_id, retained, invited, paid, retention_open, false AS new_only FROM after
UNION ALL
SELECT person_id, false, false, false, false, true FROM new_people
WHERE person_id NOT IN (SELECT person_id FROM cohort)
"""

_REVENUE_SQL = """
SELECT count(DISTINCT person_id) AS subscribers, count(*) AS subscriptions,
       coalesce(sum(TRY_CAST(properties ->> $mrr_path AS DOUBLE)), 0) AS new_mrr
FROM events_people
WHERE type = 'track' AND event = $subscribe AND "timestamp" >= $lo AND "timestamp" < $hi AND "timestamp" <= $as_of
"""


@dataclass(frozen=True)
class Stage(Result):
    key: str
    stage: str
    """Acquisition, Activation, Retention, Referral or Revenue."""
    label: str
    people: int
    parent: str | None
    pending: int
    """Parent's people whose window for this stage is still open at as_of (not counted as drop-offs)."""
    rate_from_parent: float | None
    rate_from_top: float | None


@dataclass(frozen=True)
class Revenue(Result):
    subscribers: int
    """People who started a subscription in the range."""
    subscriptions: int
    new_mrr: float
    """Sum of the started subscriptions' ``mrr`` property."""
    net_revenue: float | None
    """The shop's net revenue (metric catalogue); None while the warehouse is not built."""


@dataclass(frozen=True)
class AarrrFunnel(Result):
    start: date
    end: date
    tz: str
    as_of: datetime
    stages: tuple[Stage, ...]
    referral: Referral
    revenue: Revenue


def _stage(key: str, stage: str, label: str, people: int, parent: Stage | None, pending: int, top: int) -> Stage:
    base = parent.people - pending if parent is not None else None
    return Stage(key, stage, label, people, parent.key if parent else None, pending,
                 ratio(people, base) if parent is not None else None, ratio(people, top))


def _revenue(engine: Engine, rng: DateRange, lo: datetime, hi: datetime, as_of: datetime,
             last_full_day: date) -> Revenue:
    row = engine.query(_REVENUE_SQL, {"mrr_path": property_path("mrr", "mrr"), "subscribe": SUBSCRIPTION_STARTED,
                                      "lo": lo, "hi": hi, "as_of": as_of}).to_pylist()[0]
    net = None
    if engine.table_exists("fact_orders"):
        net = compute_bases(engine, rng, "total", last_full_day, frozenset({"net_revenue"}))[TOTAL_KEY].get(
            "net_revenue")
    return Revenue(int(row["subscribers"]), int(row["subscriptions"]), round(float(row["new_mrr"]), 2), net)


def aarrr_funnel(engine: Engine, config: ActivationConfig, *, start: date, end: date, tz: str, as_of: datetime,
                 last_full_day: date) -> AarrrFunnel:
    """The range's AARRR funnel, referral and revenue (see the module doc)."""
    rng = DateRange(start, end)
    people = range_activations(engine, config, start=start, end=end, tz=tz, as_of=as_of)
    lo, hi = day_bounds(start, end, zone(tz))
    referral_numbers = referral(engine, start=start, end=end, tz=tz, as_of=as_of)
    if not engine.table_exists("events_people"):
        rows: list[dict] = []
        revenue = Revenue(0, 0, 0.0, None)
    else:
        signup_ts = exp.column("signup_ts")
        cohort_filter = exp.and_(exp.GTE(this=signup_ts, expression=param("lo")),
                                 exp.LT(this=signup_ts.copy(), expression=param("hi")))
        rows = engine.query(render(_PEOPLE_SQL, cohort_filter=cohort_filter), {
            "signup": config.signup_event, "as_of": as_of, "lo": lo, "hi": hi, "invite": INVITE_SENT,
            "subscribe": SUBSCRIPTION_STARTED, "ret_from": timedelta(days=RETENTION_FROM_DAYS),
            "ret_to": timedelta(days=RETENTION_TO_DAYS)}).to_pylist()
        revenue = _revenue(engine, rng, lo, hi, as_of, last_full_day)
    activated = {p.person_id for p in people if p.activated}
    by_person = {r["person_id"]: r for r in rows if not r["new_only"]}
    retained = {pid for pid in activated if by_person.get(pid, {}).get("retained")}
    retention_pending = sum(1 for pid in activated - retained if by_person.get(pid, {}).get("retention_open"))
    top = len(rows)
    new = _stage("new_people", "Acquisition", "New people", top, None, 0, top)
    signed = _stage("signed_up", "Acquisition", "Signed up", len(people), new, 0, top)
    act = _stage("activated", "Activation", "Activated", len(activated), signed, sum(p.in_progress for p in people),
                 top)
    ret = _stage("retained", "Retention", f"Active again in days {RETENTION_FROM_DAYS}–{RETENTION_TO_DAYS - 1}",
                 len(retained), act, retention_pending, top)
    ref = _stage("referring", "Referral", "Sent an invite", sum(1 for p in retained if by_person[p]["invited"]), ret,
                 0, top)
    pay = _stage("paying", "Revenue", "Started a subscription", sum(1 for p in retained if by_person[p]["paid"]),
                 ret, 0, top)
    return AarrrFunnel(start, end, tz, as_of, (new, signed, act, ret, ref, pay), referral_numbers, revenue)
