"""Onboarding bottlenecks: the onboarding funnel (sign-up, then each step) step by step, the steps that lose
the most people, and what to do about them.

The funnel is the product funnel (metrics.product.funnels: people, ordered steps, a window from sign-up,
people still within their window left out) of ``signup_event`` → ``event`` where ``property`` = step 1 → … →
step n. A transition is step k-1 → step k, its rate people(k) ÷ people(k-1). Three detectors, a registry:

- ``low_step``: a transition converting at least ``min_gap`` below every other transition (all with at
  least ``min_people`` entering): the step itself is the problem;
- ``period_drop``: a transition converting at least ``min_drop`` below the previous period of equal
  length, a pooled two-proportion z-test giving p < ``alpha``: something changed;
- ``segment_drop``: within one value of ``breakdown`` (a property of the sign-up, e.g. platform), a transition
  converting at least ``segment_gap`` below the other values together, p < ``alpha`` after a Benjamini-Hochberg
  adjustment over every value and transition tested: a platform's problem;
- ``release_drop``: the same for one app version (``context.app.version``, see releases.py) against the other
  versions, from ``min_release_people`` people (a release that breaks a step stands out quickly: the demo's
  broken Android release).

Each finding gets a recommendation from RECOMMENDATIONS (kind -> text); findings are ranked by people lost
(entering × the rate gap), the first one is *the* bottleneck.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from growthos.analysis.activation.definitions import ActivationConfig
from growthos.analysis.activation.releases import ReleaseRate, release_rates
from growthos.analysis.significance import benjamini_hochberg, two_proportion_test
from growthos.metrics.product import FunnelStep, funnel
from growthos.metrics.product.common import OTHER, Result, day_bounds, zone
from growthos.metrics.product.funnels import FunnelGroup
from growthos.warehouse.engine import Engine


@dataclass(frozen=True)
class Rules:
    min_people: int = 20
    min_gap: float = 0.10
    min_drop: float = 0.05
    segment_gap: float = 0.15
    alpha: float = 0.05
    min_release_people: int = 8


@dataclass(frozen=True)
class Transition(Result):
    step: int
    """1-based index of the step reached (1 = the first onboarding step, after the sign-up)."""
    from_step: str
    to_step: str
    entered: int
    """People at the previous step."""
    converted: int
    rate: float | None
    previous_rate: float | None
    """The same transition in the previous period."""
    previous_entered: int


@dataclass(frozen=True)
class Finding(Result):
    kind: str
    """low_step, period_drop, segment_drop or release_drop."""
    step: int
    step_name: str
    rate: float
    reference: float
    """What it is compared with: the other steps' lowest rate, the previous period's, the other segments'."""
    people_lost: float
    """entered × (reference − rate)."""
    segment: str | None
    """The breakdown value or the release (segment_drop, release_drop)."""
    p_value: float | None
    """Two-proportion z-test; for segment_drop and release_drop adjusted by Benjamini-Hochberg."""
    recommendation: str


@dataclass(frozen=True)
class SegmentFunnel(Result):
    value: str
    signups: int
    rates: tuple[float | None, ...]
    """Each transition's rate in this segment."""


@dataclass(frozen=True)
class BottleneckReport(Result):
    start: date
    end: date
    previous_start: date
    previous_end: date
    steps: tuple[str, ...]
    """The sign-up event, then the onboarding steps."""
    people: tuple[int, ...]
    """People at each step."""
    in_progress: int
    transitions: tuple[Transition, ...]
    breakdown: str | None
    segments: tuple[SegmentFunnel, ...]
    releases: tuple[ReleaseRate, ...]
    """Each transition's rate per app version."""
    findings: tuple[Finding, ...]
    bottleneck: Finding | None
    """The finding that loses the most people."""


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


RECOMMENDATIONS: dict[str, Callable[[Finding], str]] = {
    "low_step": lambda f: (f"Step {f.step} ({f.step_name}) converts {_pct(f.rate)} vs ≥{_pct(f.reference)} for the "
                           "other steps: shorten it, make it optional or move it after the first meal plan."),
    "period_drop": lambda f: (f"Step {f.step} ({f.step_name}) fell to {_pct(f.rate)} from {_pct(f.reference)} in the "
                              "previous period: check what shipped in between (a release, copy, an experiment)."),
    "segment_drop": lambda f: (f"For {f.segment} sign-ups, step {f.step} ({f.step_name}) converts {_pct(f.rate)} vs "
                               f"{_pct(f.reference)} elsewhere: check that platform's latest release (crash reports, "
                               "app versions) and the step's screen there."),
    "release_drop": lambda f: (f"On app version {f.segment}, step {f.step} ({f.step_name}) converts {_pct(f.rate)} "
                               f"vs {_pct(f.reference)} on the other versions: roll that release back or ship a "
                               "hotfix, and check its crash reports for the step's screen."),
}
"""Finding kind -> its recommendation."""


@dataclass(frozen=True)
class Evidence:
    """What the detectors look at."""

    transitions: list[Transition]
    segments: list[tuple[str, FunnelGroup]]
    releases: list[ReleaseRate]
    rules: Rules


def _low_steps(ev: Evidence) -> list[Finding]:
    transitions, rules = ev.transitions, ev.rules
    usable = [t for t in transitions if t.rate is not None and t.entered >= rules.min_people]
    out = []
    for t in usable:
        others = [o.rate for o in usable if o is not t]
        if others and t.rate <= min(others) - rules.min_gap:  # type: ignore[operator]
            out.append(_finding("low_step", t, min(others), None, None))  # type: ignore[arg-type]
    return out


def _period_drops(ev: Evidence) -> list[Finding]:
    transitions, rules = ev.transitions, ev.rules
    out = []
    for t in transitions:
        if t.rate is None or t.previous_rate is None or min(t.entered, t.previous_entered) < rules.min_people:
            continue
        previous_converted = round(t.previous_rate * t.previous_entered)
        p = two_proportion_test(previous_converted, t.previous_entered, t.converted, t.entered)
        if t.previous_rate - t.rate >= rules.min_drop and p is not None and p < rules.alpha:
            out.append(_finding("period_drop", t, t.previous_rate, None, p))
    return out


def _group_drops(kind: str, groups: list[tuple[Transition, str, int, int, int, int]], minimum: int, rules: Rules
                 ) -> list[Finding]:
    """Groups (transition, label, entered, converted, total entered, total converted) converting ``segment_gap``
    below the rest of their transition; p-values adjusted by Benjamini-Hochberg over every group tested."""
    tested = []
    for t, label, entered, converted, total_entered, total_converted in groups:
        rest_entered, rest_converted = total_entered - entered, total_converted - converted
        if entered < minimum or rest_entered < minimum:
            continue
        p = two_proportion_test(rest_converted, rest_entered, converted, entered)
        tested.append((t, label, entered, converted, rest_converted / rest_entered, p))
    adjusted = benjamini_hochberg([p for *_, p in tested])
    out = []
    for (t, label, entered, converted, rest, _), q in zip(tested, adjusted, strict=True):
        rate = converted / entered
        if rest - rate >= rules.segment_gap and q is not None and q < rules.alpha:
            seg = Transition(t.step, t.from_step, t.to_step, entered, converted, rate, None, 0)
            out.append(_finding(kind, seg, rest, label, q))
    return out


def _segment_drops(ev: Evidence) -> list[Finding]:
    groups = [(t, value, g.steps[t.step - 1].people, g.steps[t.step].people, t.entered, t.converted)
              for t in ev.transitions for value, g in ev.segments]
    return _group_drops("segment_drop", groups, ev.rules.min_people, ev.rules)


def _release_drops(ev: Evidence) -> list[Finding]:
    groups = []
    for t in ev.transitions:
        versions = [r for r in ev.releases if r.step == t.step]
        total_entered, total_converted = sum(r.entered for r in versions), sum(r.converted for r in versions)
        groups += [(t, r.version, r.entered, r.converted, total_entered, total_converted) for r in versions]
    return _group_drops("release_drop", groups, ev.rules.min_release_people, ev.rules)


DETECTORS: dict[str, Callable[[Evidence], list[Finding]]] = {
    "low_step": _low_steps,
    "period_drop": _period_drops,
    "segment_drop": _segment_drops,
    "release_drop": _release_drops,
}


def _finding(kind: str, t: Transition, reference: float, segment: str | None, p: float | None) -> Finding:
    rate = t.rate or 0.0
    draft = Finding(kind, t.step, t.to_step, rate, reference, t.entered * (reference - rate), segment, p, "")
    return Finding(**{**draft.__dict__, "recommendation": RECOMMENDATIONS[kind](draft)})


def _transitions(names: list[str], now: FunnelGroup, before: FunnelGroup) -> list[Transition]:
    out = []
    for k in range(1, len(names)):
        a, b = now.steps[k - 1].people, now.steps[k].people
        pa, pb = before.steps[k - 1].people, before.steps[k].people
        out.append(Transition(k, names[k - 1], names[k], a, b, b / a if a else None, pb / pa if pa else None, pa))
    return out


def onboarding_bottlenecks(engine: Engine, config: ActivationConfig, *, start: date, end: date, tz: str,
                           as_of: datetime, rules: Rules | None = None) -> BottleneckReport:
    """The onboarding funnel of the sign-ups of [start, end], compared with the previous period and across the
    breakdown's values, and its bottlenecks (see the module doc)."""
    rules = rules or Rules()
    o = config.onboarding
    steps = [FunnelStep(config.signup_event)] + [FunnelStep(o.event, where={o.property: s}) for s in o.steps]
    window = timedelta(days=o.window_days)
    days = (end - start).days + 1
    prev_end = start - timedelta(days=1)
    prev_start = prev_end - timedelta(days=days - 1)
    names = [config.signup_event, *o.steps]
    if not engine.table_exists("events_people"):
        empty = tuple(Transition(k, names[k - 1], names[k], 0, 0, None, None, 0) for k in range(1, len(names)))
        return BottleneckReport(start, end, prev_start, prev_end, tuple(names), (0,) * len(names), 0, empty,
                                o.breakdown, (), (), (), None)
    now = funnel(engine, steps=steps, window=window, start=start, end=end, tz=tz, as_of=as_of, breakdown=o.breakdown)
    before = funnel(engine, steps=steps, window=window, start=prev_start, end=prev_end, tz=tz, as_of=as_of).total
    transitions = _transitions(names, now.total, before)
    segments = [(g.value, g) for g in now.groups if g.value is not None and g.value != OTHER]
    lo, hi = day_bounds(start, end, zone(tz))
    releases = release_rates(engine, config, lo=lo, hi=hi, as_of=as_of)
    evidence = Evidence(transitions, segments, releases, rules)
    findings = [f for detect in DETECTORS.values() for f in detect(evidence)]
    findings.sort(key=lambda f: -f.people_lost)
    return BottleneckReport(
        start, end, prev_start, prev_end, tuple(names), tuple(s.people for s in now.total.steps), now.total.in_progress,
        tuple(transitions), o.breakdown,
        tuple(SegmentFunnel(v, g.entered, tuple(s.conversion_from_previous for s in g.steps[1:])) for v, g in segments),
        tuple(releases), tuple(findings), findings[0] if findings else None,
    )
