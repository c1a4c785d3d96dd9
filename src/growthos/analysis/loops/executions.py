"""Loop executions: each person's progress through a loop, cycle by cycle, from the events_people view.

A query result, not a table: the step events of the range (plus the loop's window after it) are read with one
fixed query (bound parameters, property paths from an allow-list pattern) and assembled here.

- Every event of the first step in the range starts a cycle (an invite, a generated recipe), its person the
  cycle's person. A cycle reaches step i at the first event of one of the step's events, meeting its ``where``
  conditions, at or after the time of the step it follows (``after``, default the previous step) and within
  ``window`` of the cycle's start, done by the cycle's person (``actor: same``) or by anyone (``actor: any``),
  whose ``match`` properties equal the cycle's (taken from its earliest step event that has them). That event's
  person becomes the cycle's person. An event advances at most one cycle per step (cycles in start order).
- A cycle is *completed* when it reaches the last step; *returned* when it is completed, the loop closes (the
  last step leads back to the first) and its person then does the first step within ``window``.
- A cycle whose window is still open at ``as_of`` is *open*: its outcome is not final, so rates leave it out; an
  open cycle short of the last step is *in progress* (never a drop-off).
- Value: the ``value`` event's property (summed, else counted) by the cycle's final person within the window.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlglot import exp

from growthos.analysis.loops.definitions import Loop, Step
from growthos.metrics.product.common import Result, in_list, render
from growthos.warehouse.engine import Engine

DIMENSIONS: dict[str, str] = {
    "platform": "coalesce(lower(context ->> '$.os.name'), CASE WHEN context ->> '$.library.name' = 'analytics.js' "
                "THEN 'web' END, properties ->> '$.platform')",
    "app_version": "context ->> '$.app.version'",
    "source": "coalesce(properties ->> '$.signup_source', context ->> '$.campaign.source')",
}
"""Breakdown dimensions of a step's event (fixed SQL, no input): where bottlenecks look for likely causes.
A person's ``source`` is their first known signup source when the event itself has none."""

_EVENTS_SQL = """
WITH loop_events AS (
    SELECT person_id, event, "timestamp" AS at, message_id, properties, {dims}
    FROM events_people
    WHERE type = 'track' AND $events AND "timestamp" >= $lo AND "timestamp" < $hi
),
sources AS (
    SELECT person_id, min(coalesce(properties ->> '$.signup_source', traits ->> '$.signup_source')) AS first_source
    FROM events_people WHERE person_id IN (SELECT person_id FROM loop_events)
    GROUP BY person_id
)
SELECT e.*, s.first_source FROM loop_events e LEFT JOIN sources s USING (person_id)
ORDER BY at, message_id
"""


@dataclass(frozen=True)
class LoopEvent:
    person_id: str
    event: str
    at: datetime
    id: str
    properties: dict[str, Any] = field(default_factory=dict)
    dims: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Reach(Result):
    step: str
    person_id: str
    at: datetime
    context: dict[str, str | None]
    """The event's platform, app version and source."""


@dataclass(frozen=True)
class Execution(Result):
    cycle: str
    """The id of the event that started the cycle."""
    person_id: str
    started_at: datetime
    reached: tuple[Reach, ...]
    completed: bool
    cycle_time_s: float | None
    """First step to last step, completed cycles only."""
    returned: bool
    window_open: bool
    in_progress: bool
    value: float


def read_loop_events(engine: Engine, loop: Loop, lo: datetime, hi: datetime) -> list[LoopEvent]:
    """The track events of the loop's steps (and value event) in [lo, hi), oldest first."""
    if not engine.table_exists("events_people"):
        return []
    names = sorted({e for s in loop.steps for e in s.events} | ({loop.value.event} if loop.value else set()))
    params: dict[str, Any] = {"lo": lo, "hi": hi}
    dims = ", ".join(f"{sql} AS dim_{name}" for name, sql in DIMENSIONS.items())

    text = _EVENTS_SQL.replace("{dims}", dims)
    query = render(text, events=in_list(exp.column("event"), names, "ev", params))
    out = []
    for row in engine.query(query, params).to_pylist():
        props = json.loads(row["properties"]) if row["properties"] else {}
        dims_of = {name: row[f"dim_{name}"] for name in DIMENSIONS}
        dims_of["source"] = dims_of["source"] or row["first_source"]
        out.append(LoopEvent(row["person_id"], row["event"], row["at"], row["message_id"],
                             props if isinstance(props, dict) else {}, dims_of))
    return out


def _text(value: Any) -> str | None:
    """A property as ``properties ->> key`` reads it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def meets(step_where: tuple[tuple[str, tuple[str, ...]], ...], event: LoopEvent) -> bool:
    return all(_text(event.properties.get(key)) in values for key, values in step_where)


class _StepIndex:
    """A step's candidate events by (person or None, match values), each list in time order."""

    def __init__(self, step: Step, events: list[LoopEvent]) -> None:
        self.step = step
        self.lists: dict[tuple, list[LoopEvent]] = defaultdict(list)
        for e in events:
            if e.event in step.events and meets(step.where, e):
                self.lists[self.key(e.person_id, {m: _text(e.properties.get(m)) for m in step.match})].append(e)
        self.times = {k: [e.at for e in v] for k, v in self.lists.items()}
        self.used: set[str] = set()

    def key(self, person: str, carried: dict[str, str | None]) -> tuple:
        return (person if self.step.actor == "same" else None, *(carried.get(m) for m in self.step.match))

    def first(self, person: str, carried: dict[str, str | None], lo: datetime, hi: datetime) -> LoopEvent | None:
        key = self.key(person, carried)
        if any(v is None for v in key[1:]) or key not in self.lists:
            return None
        events = self.lists[key]
        for e in events[bisect.bisect_left(self.times[key], lo):]:
            if e.at > hi:
                return None
            if e.id not in self.used:
                self.used.add(e.id)
                return e
        return None


def assemble(loop: Loop, events: list[LoopEvent], start_lo: datetime, start_hi: datetime,
             as_of: datetime) -> list[Execution]:
    """The cycles started in [start_lo, start_hi) from the loop's events (any order), as of ``as_of``."""
    events = sorted(events, key=lambda e: (e.at, e.id))
    indexes = [_StepIndex(step, events) for step in loop.steps]
    first = indexes[0]
    starts = [e for v in first.lists.values() for e in v if start_lo <= e.at < start_hi]
    starts.sort(key=lambda e: (e.at, e.id))
    position = {s.name: i for i, s in enumerate(loop.steps)}
    values: dict[str, list[LoopEvent]] = defaultdict(list)
    if loop.value is not None:
        for e in events:
            if e.event == loop.value.event:
                values[e.person_id].append(e)
    out = []
    for start in starts:
        first.used.add(start.id)
        end = start.at + loop.window
        person, times = start.person_id, [start.at]
        carried = {k: _text(v) for k, v in start.properties.items()}
        reached = [Reach(loop.steps[0].name, person, start.at, start.dims)]
        for i, step in enumerate(loop.steps[1:], 1):
            anchor = times[position[step.after]] if step.after else times[i - 1]
            hit = indexes[i].first(person, carried, anchor, end)
            if hit is None:
                break
            person = hit.person_id
            times.append(hit.at)
            for k, v in hit.properties.items():
                carried.setdefault(k, _text(v))
            reached.append(Reach(step.name, person, hit.at, hit.dims))
        completed = len(reached) == len(loop.steps)
        returned = completed and loop.closes and _returns(first, person, reached[-1].at, loop)
        value = 0.0
        if loop.value is not None:
            for e in values.get(person, ()):
                if start.at <= e.at <= end:
                    value += _number(e.properties.get(loop.value.property)) if loop.value.property else 1.0
        out.append(Execution(
            cycle=start.id, person_id=start.person_id, started_at=start.at, reached=tuple(reached),
            completed=completed, cycle_time_s=(reached[-1].at - start.at).total_seconds() if completed else None,
            returned=returned, window_open=end > as_of, in_progress=not completed and end > as_of, value=value))
    return out


def _returns(first: _StepIndex, person: str, after: datetime, loop: Loop) -> bool:
    key = first.key(person, {})
    times = first.times.get(key, [])
    i = bisect.bisect_left(times, after)
    return i < len(times) and times[i] <= after + loop.window


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            return float(value)
        except (TypeError, ValueError):
            return 0.0
    return float(value)


_ACTIVE_SQL = """
SELECT count(DISTINCT person_id) AS n FROM events_people
WHERE type IN ('track', 'page', 'screen') AND "timestamp" >= $lo AND "timestamp" < $hi
"""


def active_people(engine: Engine, lo: datetime, hi: datetime) -> int:
    """People with any tracked event, page or screen view in [lo, hi) (the 'users' of a viral loop's K)."""
    if not engine.table_exists("events_people"):
        return 0
    return int(engine.query(_ACTIVE_SQL, {"lo": lo, "hi": hi}).column("n")[0].as_py() or 0)
