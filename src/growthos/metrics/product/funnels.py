"""Ordered conversion funnels over collected events, counted in people.

Semantics (Mixpanel's default "unique users" funnel; Amplitude instead keeps each person's
earliest-longest attempt, and Mixpanel's optional "optimized re-entry" tries later entries):
- Entry: a person enters once, at their FIRST step-1 event whose reporting day is in [start, end]; later
  step-1 events neither restart the window nor give a second attempt.
- Steps: each later step is matched to the person's first event of that step at or after the previous
  step's event (strictly after when that event name already matched an earlier step), within ``window``
  of the entry (inclusive) and, when the step sets ``within``, within that long of the previous step.
  Other events may happen in between (loose order). A step's ``where`` keeps only events whose
  ``properties ->> key`` equals the given text.
- Exclusions: ``Exclusion(event, after_step, before_step)`` (1-based; before_step defaults to the next
  step) disqualifies a person who did ``event`` strictly after their ``after_step`` event and before
  their ``before_step`` event (or, if that step was not reached, up to the end of the window). As in
  Mixpanel, a disqualified person is removed from every step and reported as ``excluded``.
- In progress: a person who has not completed the funnel and could still complete it at ``as_of`` (the
  deadline of their next step, entry + window or previous step + ``within`` whichever comes first, is
  after ``as_of``) is reported as ``in_progress`` and is left out of the step counts and conversion
  rates: they are not drop-offs yet. Events after ``as_of`` are ignored.
- Breakdown: by ``properties ->> name`` of the entry event ("(not set)" when missing); the
  ``limit_breakdown`` values with the most entrants keep their label, the rest are "(other)".
- Time to convert: seconds from the previous step's event, over people counted at the step; the median
  is interpolated (mean of the two middle values for an even count).

SQL: one scan of the relevant events (identities resolved by ``events_people``) into a per-event table
of step flags, then one hash join + aggregate per step against the previous step's one-row-per-person
table, so the cost grows with the number of steps times the events, never with their square.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlglot import exp

from growthos.core.errors import InvalidInput
from growthos.metrics.product.common import (
    NOT_SET,
    OTHER,
    Result,
    aware,
    check_dates,
    day_bounds,
    event_name,
    in_list,
    param,
    positive_int,
    property_path,
    ratio,
    render,
    zone,
)
from growthos.warehouse.engine import Engine

MAX_STEPS = 20
MAX_FILTERS = 10


@dataclass(frozen=True)
class FunnelStep:
    """One step of a funnel."""

    event: str
    """Track event name."""
    within: timedelta | None = None
    """Longest time allowed since the previous step's event (None: only the funnel window applies)."""
    where: Mapping[str, str] | None = None
    """Only events whose properties ->> key equal these texts."""


@dataclass(frozen=True)
class Exclusion:
    """An event that disqualifies a person when done between two of their steps (1-based)."""

    event: str
    """Track event name."""
    after_step: int
    """From this step's event (exclusive)..."""
    before_step: int | None = None
    """...to this step's event (exclusive); default after_step + 1."""


@dataclass(frozen=True)
class FunnelStepResult(Result):
    step: int
    """1-based position."""
    event: str
    """Track event name."""
    people: int
    """People counted who reached this step (in-progress and excluded people are not counted)."""
    conversion_from_previous: float | None
    """people / people of the previous step (None for step 1 or a zero base)."""
    conversion_from_first: float | None
    """people / people of step 1."""
    median_seconds_from_previous: float | None
    """Median seconds from the previous step's event (interpolated)."""
    avg_seconds_from_previous: float | None
    """Mean seconds from the previous step's event."""
    in_progress: int
    """In-progress people who have reached this step so far."""


@dataclass(frozen=True)
class FunnelGroup(Result):
    value: str | None
    """Breakdown value; None for all people."""
    entered: int
    """People counted at step 1 (entered, window closed or funnel completed, not excluded)."""
    converted: int
    """People who completed every step."""
    in_progress: int
    """Entered, not completed, still able to complete at as_of."""
    excluded: int
    """Disqualified by an exclusion."""
    steps: tuple[FunnelStepResult, ...]
    """One row per step."""


@dataclass(frozen=True)
class FunnelResult(Result):
    start: date
    """First reporting day an entry may happen on."""
    end: date
    """Last reporting day an entry may happen on (inclusive)."""
    tz: str
    """Reporting time zone."""
    window: timedelta
    """Conversion window from entry."""
    as_of: datetime
    """The instant the funnel is evaluated at."""
    breakdown: str | None
    """Property of the entry event broken down by."""
    total: FunnelGroup
    """All people."""
    groups: tuple[FunnelGroup, ...]
    """Per breakdown value (most entrants first, "(other)" last); empty without breakdown."""


def _validate(steps: Sequence[FunnelStep], window: timedelta, exclusions: Sequence[Exclusion]) -> None:
    if not steps:
        raise InvalidInput("a funnel needs at least two steps, got none", field="steps")
    if len(steps) < 2 or len(steps) > MAX_STEPS:
        raise InvalidInput(f"a funnel has 2 to {MAX_STEPS} steps, got {len(steps)}", field="steps")
    if not isinstance(window, timedelta) or window <= timedelta(0):
        raise InvalidInput(f"window must be a positive duration, got {window!r}", field="window")
    for i, step in enumerate(steps):
        field = f"steps[{i}]"
        if not isinstance(step, FunnelStep):
            raise InvalidInput(f"{field} must be a FunnelStep", field=field)
        event_name(step.event, f"{field}.event")
        if step.within is not None:
            if i == 0:
                raise InvalidInput("the first step has no previous step to be within", field=f"{field}.within")
            if not isinstance(step.within, timedelta) or step.within <= timedelta(0):
                raise InvalidInput(f"{field}.within must be a positive duration", field=f"{field}.within")
        where = step.where or {}
        if len(where) > MAX_FILTERS:
            raise InvalidInput(f"{field}.where may have at most {MAX_FILTERS} conditions", field=f"{field}.where")
        for key, value in where.items():
            property_path(key, f"{field}.where")
            if not isinstance(value, str):
                raise InvalidInput(f"{field}.where[{key!r}] must be a string", field=f"{field}.where")
    for i, excl in enumerate(exclusions):
        field = f"exclusions[{i}]"
        event_name(excl.event, f"{field}.event")
        before = excl.before_step if excl.before_step is not None else excl.after_step + 1
        if not (isinstance(excl.after_step, int) and 1 <= excl.after_step < len(steps)):
            raise InvalidInput(f"{field}.after_step must be 1..{len(steps) - 1}", field=f"{field}.after_step")
        if not (isinstance(before, int) and excl.after_step < before <= len(steps)):
            raise InvalidInput(f"{field}.before_step must be {excl.after_step + 1}..{len(steps)}",
                               field=f"{field}.before_step")


def _step_flag(k: int, step: FunnelStep, params: dict[str, Any]) -> exp.Expression:
    params[f"s{k}"] = step.event
    cond: exp.Expression = exp.EQ(this=exp.column("event"), expression=param(f"s{k}"))
    for j, (key, value) in enumerate(sorted((step.where or {}).items())):
        params[f"s{k}_p{j}"] = property_path(key, "where")
        params[f"s{k}_v{j}"] = value
        prop = exp.JSONExtractScalar(this=exp.column("properties"), expression=param(f"s{k}_p{j}"))
        cond = exp.and_(cond, exp.EQ(this=prop, expression=param(f"s{k}_v{j}")))
    return cond


def _events_cte(steps: Sequence[FunnelStep], exclusions: Sequence[Exclusion], breakdown: str | None,
                params: dict[str, Any]) -> str:
    names = list(dict.fromkeys([s.event for s in steps] + [x.event for x in exclusions]))
    columns = ['person_id', '"timestamp" AS ts'] + (["ingest_seq AS seq"] if breakdown is not None else [])
    pieces: dict[str, exp.Expression] = {"names_filter": in_list(exp.column("event"), names, "name", params)}
    for k, step in enumerate(steps, 1):
        columns.append(f"$flag{k} AS f{k}")
        pieces[f"flag{k}"] = _step_flag(k, step, params)
    for j, excl in enumerate(exclusions, 1):
        params[f"x{j}"] = excl.event
        columns.append(f"event = $x{j} AS x{j}")
    if breakdown is not None:
        params["prop"] = property_path(breakdown, "breakdown")
        params["not_set"] = NOT_SET
        columns.append("coalesce(properties ->> $prop, $not_set) AS value")
    text = (f"SELECT {', '.join(columns)} FROM events_people "
            'WHERE $names_filter AND "timestamp" >= $lo AND "timestamp" <= $scan_hi')
    return render(text, **pieces)


def _funnel_sql(steps: Sequence[FunnelStep], exclusions: Sequence[Exclusion], breakdown: str | None,
                limit_breakdown: int, params: dict[str, Any]) -> str:
    n = len(steps)
    # materialized: read once (events joined to identity_map), then probed by every step (halves the time at 10M)
    ctes = [f"ev AS MATERIALIZED ({_events_cte(steps, exclusions, breakdown, params)})"]
    value = ", arg_min(value, (ts, seq)) AS value" if breakdown is not None else ""
    ctes.append(f"s1 AS (SELECT person_id, min(ts) AS t1{value} FROM ev WHERE f1 AND ts < $hi GROUP BY person_id)")
    carried: list[str] = []
    for k in range(2, n + 1):
        carried.append(f"t{k - 1}")
        after = ">" if steps[k - 1].event in {s.event for s in steps[:k - 1]} else ">="
        within = ""
        if steps[k - 1].within is not None:
            params[f"within{k}"] = steps[k - 1].within
            within = f" AND ev.ts <= p.t{k - 1} + $within{k}"
        cols = ", ".join(f"p.{c}" for c in ["person_id", *carried])
        # only the people who reached step k-1 go on: each step is one hash join on person + one aggregate
        ctes.append(
            f"s{k} AS (SELECT {cols}, min(ev.ts) AS t{k} FROM s{k - 1} p JOIN ev ON ev.person_id = p.person_id "
            f"WHERE ev.f{k} AND ev.ts {after} p.t{k - 1} AND ev.ts <= p.t1 + $window{within} GROUP BY {cols})"
        )
    joins = " ".join(f"LEFT JOIN s{k} ON s{k}.person_id = s1.person_id" for k in range(2, n + 1))
    ctes.append(f"chain AS (SELECT s1.*, {', '.join(f's{k}.t{k}' for k in range(2, n + 1))} FROM s1 {joins})")
    excluded = []
    for j, excl in enumerate(exclusions, 1):
        a = excl.after_step
        b = excl.before_step if excl.before_step is not None else a + 1
        ctes.append(
            f"x{j} AS (SELECT DISTINCT p.person_id FROM chain p JOIN ev ON ev.person_id = p.person_id "
            f"WHERE ev.x{j} AND p.t{a} IS NOT NULL AND ev.ts > p.t{a} "
            f"AND CASE WHEN p.t{b} IS NULL THEN ev.ts <= p.t1 + $window ELSE ev.ts < p.t{b} END)"
        )
        excluded.append(f"p.person_id IN (SELECT person_id FROM x{j})")
    deadline = ["CASE"]
    for r in range(n - 1, 0, -1):
        nxt = steps[r]
        step_deadline = f"least(t1 + $window, t{r} + $within{r + 1})" if nxt.within is not None else "t1 + $window"
        deadline.append(f"WHEN t{r} IS NOT NULL THEN {step_deadline}")
    deadline.append("END")
    ctes.append(
        f"flagged AS (SELECT p.*, {' OR '.join(excluded) or 'false'} AS excluded FROM chain p)"
    )
    ctes.append(
        f"people AS (SELECT *, NOT excluded AND t{n} IS NULL AND {' '.join(deadline)} > $as_of AS in_progress "
        "FROM flagged)"
    )
    group = ""
    source = "people"
    if breakdown is not None:
        params["top"] = limit_breakdown
        params["other"] = OTHER
        ctes.append("ranked AS (SELECT value, row_number() OVER (ORDER BY count(*) DESC, value) AS value_rank "
                    "FROM people GROUP BY value)")
        source = ("(SELECT p.*, CASE WHEN value_rank <= $top THEN p.value ELSE $other END AS label "
                  "FROM people p JOIN ranked r ON r.value = p.value)")
        group = " GROUP BY GROUPING SETS ((), (label))"
    counted = "NOT excluded AND NOT in_progress"
    aggregates = [
        "label AS value" if breakdown is not None else "NULL AS value",
        "count(*) FILTER (WHERE excluded) AS excluded",
        "count(*) FILTER (WHERE in_progress) AS in_progress",
    ]
    for k in range(1, n + 1):
        aggregates.append(f"count(t{k}) FILTER (WHERE {counted}) AS people{k}")
        aggregates.append(f"count(t{k}) FILTER (WHERE in_progress) AS progress{k}")
        if k > 1:
            gap = f"epoch(t{k}) - epoch(t{k - 1})"
            aggregates.append(f"avg({gap}) FILTER (WHERE {counted}) AS avg{k}")
            aggregates.append(f"quantile_cont({gap}, 0.5) FILTER (WHERE {counted}) AS median{k}")
    text = f"WITH {', '.join(ctes)} SELECT {', '.join(aggregates)} FROM {source} AS q{group}"
    return render(text)


def _group(row: dict[str, Any], steps: Sequence[FunnelStep]) -> FunnelGroup:
    results = []
    first = int(row["people1"])
    for k, step in enumerate(steps, 1):
        people = int(row[f"people{k}"])
        before = int(row[f"people{k - 1}"]) if k > 1 else None
        median = row.get(f"median{k}")
        avg = row.get(f"avg{k}")
        results.append(FunnelStepResult(
            step=k, event=step.event, people=people,
            conversion_from_previous=ratio(people, before) if k > 1 else None,
            conversion_from_first=ratio(people, first),
            median_seconds_from_previous=float(median) if median is not None else None,
            avg_seconds_from_previous=float(avg) if avg is not None else None,
            in_progress=int(row[f"progress{k}"]),
        ))
    return FunnelGroup(value=row["value"], entered=first, converted=results[-1].people,
                       in_progress=int(row["in_progress"]), excluded=int(row["excluded"]), steps=tuple(results))


def funnel(engine: Engine, *, steps: Sequence[FunnelStep], window: timedelta, start: date, end: date, tz: str,
           as_of: datetime, exclusions: Sequence[Exclusion] = (), breakdown: str | None = None,
           limit_breakdown: int = 10) -> FunnelResult:
    """People entering the funnel in [start, end] and how far they got within ``window`` (see module doc)."""
    steps, exclusions = list(steps), list(exclusions)
    _validate(steps, window, exclusions)
    check_dates(start, end)
    aware(as_of, "as_of")
    zone_info = zone(tz)
    if breakdown is not None:
        property_path(breakdown, "breakdown")
        positive_int(limit_breakdown, "limit_breakdown", 1000)
    lo, hi = day_bounds(start, end, zone_info)
    params: dict[str, Any] = {"lo": lo, "hi": hi, "window": window, "as_of": as_of,
                              "scan_hi": min(hi + window, as_of)}
    text = _funnel_sql(steps, exclusions, breakdown, limit_breakdown, params)
    rows = engine.query(text, params).to_pylist()
    empty = {"value": None, "excluded": 0, "in_progress": 0,
             **{f"{c}{k}": 0 for k in range(1, len(steps) + 1) for c in ("people", "progress")}}
    total_row = next((r for r in rows if r["value"] is None), empty)
    groups = []
    if breakdown is not None:
        by_value = [r for r in rows if r["value"] is not None]
        by_value.sort(key=lambda r: (r["value"] == OTHER, -(r["people1"] + r["in_progress"] + r["excluded"]),
                                     r["value"]))
        groups = [_group(r, steps) for r in by_value]
    return FunnelResult(start, end, tz, window, as_of, breakdown, _group(total_row, steps), tuple(groups))
