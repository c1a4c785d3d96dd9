"""Activation per person and for a range's sign-ups: definitions met, score, activated, time to activate.

Per person (see definitions.py for when a definition is met):
- a definition is met at the time of its ``min_count``-th matching event that is within its window
  (sign-up + ``window_days``, inclusive) and at or after the moment its last prerequisite was met;
- score = 100 × (weights of the met definitions) ÷ (weights of all definitions);
- activated = every core definition met; activated at = when the last core definition was met; time to
  activate = activated at − sign-up (0 when the milestones came before the sign-up, anonymously);
- in progress = not activated while every unmet core definition is still possible at ``as_of`` (its
  window open, its prerequisites met or still possible): such a person may still activate, so they are
  left out of the activation rate (not counted as failing).

For the range: activation rate = activated ÷ (sign-ups − in progress); time to activate: median and
75th percentile interpolated between order statistics (as ``quantile_cont``), and a distribution; per
definition: reach = met ÷ sign-ups, and conversion from prerequisites = met ÷ people who met all of
its prerequisites (None for a definition without prerequisites).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from growthos.analysis.activation.definitions import ActivationConfig
from growthos.analysis.activation.events import SignupEvents, signup_events
from growthos.core.errors import NotFound
from growthos.metrics.product.common import Result, aware, check_dates, day_bounds, ratio, zone
from growthos.warehouse.engine import Engine

SCORE_BUCKETS = 10
"""Score distribution buckets of 10 points: [0, 10) ... [90, 100]."""
TIME_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("under 1 hour", 3600), ("1–24 hours", 86400), ("1–2 days", 2 * 86400), ("2–3 days", 3 * 86400),
    ("3–7 days", 7 * 86400), ("7 days or more", None),
)
"""Time-to-activate buckets: label and exclusive upper bound in seconds (None: no bound)."""


@dataclass(frozen=True)
class DefinitionStatus(Result):
    name: str
    met: bool
    met_at: datetime | None
    """When it was met (the min_count-th counted event)."""
    events: int
    """Matching events within the window (before prerequisites were met too)."""
    window_open: bool
    """Not met but still possible at as_of: its window is open and each prerequisite met or still possible."""


@dataclass(frozen=True)
class PersonActivation(Result):
    person_id: str
    signup_at: datetime
    score: float
    """0-100."""
    activated: bool
    activated_at: datetime | None
    seconds_to_activate: float | None
    in_progress: bool
    definitions: tuple[DefinitionStatus, ...]


@dataclass(frozen=True)
class DefinitionSummary(Result):
    name: str
    label: str
    core: bool
    weight: float
    prerequisites: tuple[str, ...]
    reached: int
    """Sign-ups who met it."""
    reach_rate: float | None
    """reached ÷ sign-ups."""
    prerequisites_met: int
    """Sign-ups who met all of its prerequisites (all sign-ups when it has none)."""
    conversion_from_prerequisites: float | None
    """reached ÷ prerequisites_met; None without prerequisites."""


@dataclass(frozen=True)
class Bucket(Result):
    label: str
    people: int


@dataclass(frozen=True)
class TimeToActivate(Result):
    median_seconds: float | None
    p75_seconds: float | None
    mean_seconds: float | None
    distribution: tuple[Bucket, ...]


@dataclass(frozen=True)
class ActivationReport(Result):
    start: date
    end: date
    tz: str
    as_of: datetime
    signups: int
    activated: int
    in_progress: int
    activation_rate: float | None
    """activated ÷ (signups − in_progress)."""
    average_score: float | None
    median_score: float | None
    score_distribution: tuple[Bucket, ...]
    time_to_activate: TimeToActivate
    definitions: tuple[DefinitionSummary, ...]


def evaluate(person: SignupEvents, config: ActivationConfig, as_of: datetime) -> PersonActivation:
    """One person's activation from their sign-up and event times (definitions in prerequisite order)."""
    met_at: dict[str, datetime | None] = {}
    possible: dict[str, bool] = {}
    statuses = []
    for k, d in enumerate(config.definitions):
        deadline = person.signup_at + timedelta(days=d.window_days)
        times = sorted(t for t in person.times.get(k, ()) if t <= deadline)
        needed = [met_at.get(p) for p in d.prerequisites]
        at = None
        if all(t is not None for t in needed):
            since = max(needed, default=None)  # type: ignore[type-var]
            counted = [t for t in times if since is None or t >= since]
            if len(counted) >= d.criteria.min_count:
                at = counted[d.criteria.min_count - 1]
        met_at[d.name] = at
        still = at is None and deadline > as_of and all(possible[p] for p in d.prerequisites)
        possible[d.name] = at is not None or still
        statuses.append(DefinitionStatus(d.name, at is not None, at, len(times), still))
    total = sum(d.weight for d in config.definitions)
    score = 100.0 * sum(d.weight for d in config.definitions if met_at[d.name] is not None) / total
    core = [d for d in config.definitions if d.core]
    activated = all(met_at[d.name] is not None for d in core)
    activated_at = max(met_at[d.name] for d in core) if activated else None  # type: ignore[type-var]
    seconds = max(0.0, (activated_at - person.signup_at).total_seconds()) if activated_at else None
    may_activate = all(possible[d.name] for d in core)
    return PersonActivation(person.person_id, person.signup_at, round(score, 6), activated, activated_at, seconds,
                            not activated and may_activate, tuple(statuses))


def quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between order statistics (DuckDB's quantile_cont, numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _score_buckets(scores: list[float]) -> tuple[Bucket, ...]:
    counts = [0] * SCORE_BUCKETS
    width = 100 / SCORE_BUCKETS
    for s in scores:
        counts[min(int(s // width), SCORE_BUCKETS - 1)] += 1
    return tuple(Bucket(f"{int(i * width)}–{int((i + 1) * width)}", n) for i, n in enumerate(counts))


def _time_buckets(seconds: list[float]) -> tuple[Bucket, ...]:
    counts = [0] * len(TIME_BUCKETS)
    for s in seconds:
        counts[next(i for i, (_, top) in enumerate(TIME_BUCKETS) if top is None or s < top)] += 1
    return tuple(Bucket(label, n) for (label, _), n in zip(TIME_BUCKETS, counts, strict=True))


def summarize(people: list[PersonActivation], config: ActivationConfig, start: date, end: date, tz: str,
              as_of: datetime) -> ActivationReport:
    """The range's report from its people's activations."""
    n = len(people)
    activated = [p for p in people if p.activated]
    pending = sum(p.in_progress for p in people)
    scores = [p.score for p in people]
    seconds = [p.seconds_to_activate for p in activated if p.seconds_to_activate is not None]
    summaries = []
    index = {d.name: k for k, d in enumerate(config.definitions)}
    for k, d in enumerate(config.definitions):
        reached = sum(p.definitions[k].met for p in people)
        base = sum(all(p.definitions[index[q]].met for q in d.prerequisites) for p in people)
        summaries.append(DefinitionSummary(d.name, d.title, d.core, d.weight, d.prerequisites, reached,
                                           ratio(reached, n), base,
                                           ratio(reached, base) if d.prerequisites else None))
    return ActivationReport(
        start, end, tz, as_of, n, len(activated), pending, ratio(len(activated), n - pending),
        sum(scores) / n if n else None, quantile(scores, 0.5), _score_buckets(scores),
        TimeToActivate(quantile(seconds, 0.5), quantile(seconds, 0.75), sum(seconds) / len(seconds) if seconds
                       else None, _time_buckets(seconds)),
        tuple(summaries),
    )


def range_activations(engine: Engine, config: ActivationConfig, *, start: date, end: date, tz: str,
                      as_of: datetime) -> list[PersonActivation]:
    """Every person whose sign-up falls on [start, end], evaluated."""
    check_dates(start, end)
    aware(as_of, "as_of")
    lo, hi = day_bounds(start, end, zone(tz))
    rows = signup_events(engine, config.definitions, config.signup_event, as_of=as_of, lo=lo, hi=hi)
    return [evaluate(person, config, as_of) for person in rows]


def activation_report(engine: Engine, config: ActivationConfig, *, start: date, end: date, tz: str,
                      as_of: datetime) -> ActivationReport:
    """Activation of the sign-ups of [start, end] (see the module doc)."""
    people = range_activations(engine, config, start=start, end=end, tz=tz, as_of=as_of)
    return summarize(people, config, start, end, tz, as_of)


def person_activation(engine: Engine, config: ActivationConfig, user: str, *, as_of: datetime) -> PersonActivation:
    """One person's activation, found by any of their ids; NotFound without events or without a sign-up."""
    aware(as_of, "as_of")
    person_id = _person_of(engine, user)
    rows = signup_events(engine, config.definitions, config.signup_event, as_of=as_of, person_id=person_id)
    if not rows:
        raise NotFound(f"{user!r} has not signed up ({config.signup_event!r}) by {as_of.date()}", field="person_id")
    return evaluate(rows[0], config, as_of)


def _person_of(engine: Engine, user: str) -> str:
    if engine.table_exists("identity_map"):
        rows = engine.query("SELECT person_id FROM identity_map WHERE id = $id OR person_id = $id LIMIT 1",
                            {"id": user}).to_pylist()
        if rows:
            return rows[0]["person_id"]
    raise NotFound(f"no person has the id {user!r}", field="person_id")
