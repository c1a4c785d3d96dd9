"""The one warehouse read behind activation: every sign-up of a range (or one person) with the events that
can meet a definition, from ``events_people`` (people, not ids).

A person's sign-up is their FIRST ``signup_event`` ever (at or before ``as_of``); the range keeps the people
whose sign-up falls on its reporting days. Their events counted are track events named by a definition,
from PRE_SIGNUP_DAYS before the sign-up to the longest window after it, never after ``as_of``; each row
carries one flag per definition (its event and property filters).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlglot import exp

from growthos.analysis.activation.definitions import PRE_SIGNUP_DAYS, ActivationDefinition
from growthos.metrics.product.common import in_list, param, property_path, render
from growthos.warehouse.engine import Engine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class SignupEvents:
    """One person's sign-up and, per definition (by position), the times of their matching events."""

    person_id: str
    signup_at: datetime
    times: dict[int, list[datetime]] = field(default_factory=lambda: defaultdict(list))


SIGNUP_CTES = """firsts AS (
    SELECT person_id, min("timestamp") AS signup_ts FROM events_people
    WHERE type = 'track' AND event = $signup AND "timestamp" <= $as_of
    GROUP BY person_id
), cohort AS (
    SELECT person_id, signup_ts FROM firsts WHERE $cohort_filter
)"""
"""The sign-ups: ``cohort(person_id, signup_ts)``, each person's first ``$signup`` kept by ``$cohort_filter``."""

_SQL = "WITH " + SIGNUP_CTES + """, ev AS (
    SELECT person_id, "timestamp" AS ts, {flags} FROM events_people
    WHERE type = 'track' AND $names_filter AND "timestamp" >= $scan_lo AND "timestamp" <= $scan_hi
)
SELECT c.person_id, c.signup_ts, ev.* EXCLUDE (person_id)
FROM cohort c LEFT JOIN ev ON ev.person_id = c.person_id
    AND ev.ts >= c.signup_ts - $before AND ev.ts <= c.signup_ts + $longest
ORDER BY c.person_id, ev.ts
"""


def event_condition(event: str, where: Mapping[str, str], prefix: str, params: dict[str, Any]) -> exp.Expression:
    """``coalesce(event = $prefix AND properties ->> $prefix_p0 = $prefix_v0 ..., false)``, values bound."""
    params[prefix] = event
    cond: exp.Expression = exp.EQ(this=exp.column("event"), expression=param(prefix))
    for j, (key, value) in enumerate(sorted(where.items())):
        params[f"{prefix}_p{j}"] = property_path(key, "criteria.where")
        params[f"{prefix}_v{j}"] = value
        prop = exp.JSONExtractScalar(this=exp.column("properties"), expression=param(f"{prefix}_p{j}"))
        cond = exp.and_(cond, exp.EQ(this=prop, expression=param(f"{prefix}_v{j}")))
    return exp.func("coalesce", exp.paren(cond), exp.false())


def signup_events(engine: Engine, definitions: Sequence[ActivationDefinition], signup_event: str, *,
                  as_of: datetime, lo: datetime | None = None, hi: datetime | None = None,
                  person_id: str | None = None) -> list[SignupEvents]:
    """Sign-ups in [lo, hi) (or the one person's) with their definitions' event times, by person id."""
    if not engine.table_exists("events_people"):
        return []
    longest = timedelta(days=max(d.window_days for d in definitions))
    before = timedelta(days=PRE_SIGNUP_DAYS)
    params: dict[str, Any] = {"signup": signup_event, "as_of": as_of, "before": before, "longest": longest}
    signup_ts = exp.column("signup_ts")
    if person_id is not None:
        params["person"] = person_id
        cohort_filter: exp.Expression = exp.EQ(this=exp.column("person_id"), expression=param("person"))
        params["scan_lo"], params["scan_hi"] = EPOCH, as_of
    else:
        assert lo is not None and hi is not None
        params["lo"], params["hi"] = lo, hi
        cohort_filter = exp.and_(exp.GTE(this=signup_ts, expression=param("lo")),
                                 exp.LT(this=signup_ts.copy(), expression=param("hi")))
        params["scan_lo"], params["scan_hi"] = lo - before, min(hi + longest, as_of)
    pieces = {f"flag{k}": event_condition(d.event, d.criteria.where, f"d{k}", params)
              for k, d in enumerate(definitions)}
    names = list(dict.fromkeys(d.event for d in definitions))
    pieces["names_filter"] = in_list(exp.column("event"), names, "n", params)
    pieces["cohort_filter"] = cohort_filter
    text = render(_SQL.format(flags=", ".join(f"$flag{k} AS f{k}" for k in range(len(definitions)))), **pieces)
    people: dict[str, SignupEvents] = {}
    for row in engine.query(text, params).to_pylist():
        person = people.get(row["person_id"])
        if person is None:
            person = people[row["person_id"]] = SignupEvents(row["person_id"], row["signup_ts"])
        if row["ts"] is None:
            continue
        for k in range(len(definitions)):
            if row[f"f{k}"]:
                person.times[k].append(row["ts"])
    return list(people.values())

