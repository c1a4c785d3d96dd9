"""Scaling advice from resource samples, computed the way Kubernetes' Horizontal Pod Autoscaler decides.

For each sample (an evaluation, in time order) of a service with ``current`` instances at average CPU ``u``
(percent of the instances' CPU request):

    proposal = ceil(current × u ÷ target)        (HPA's desiredReplicas; target CPU 70%)

applied only outside the band: when ``u`` is above ``scale_up_above`` (80%) or below ``scale_down_below``
(30%); inside it the proposal is ``current`` (this band plays the part of HPA's 10% tolerance). A memory
target can be added; with several metrics the largest proposal wins, as in HPA. Proposals are bounded to
[min_instances, max_instances] (1 and 10).

Stabilisation, as HPA's ``behavior``: the recommendation is ``current`` moved no further than the proposals
of the stabilisation windows allow — up to the *smallest* proposal of the scale-up window (default 0 s: the
latest proposal) and down to the *largest* proposal of the scale-down window (default 300 s), so a short dip
in load never removes instances that the last five minutes still needed:

    up = min(proposals in the scale-up window); down = max(proposals in the scale-down window)
    recommendation = max(current, up) if current < up else min(current, down)

A service at 0 instances is left alone (HPA does not scale from zero).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from growthos.metrics.telemetry.resources import samples_by_service, summarise


@dataclass(frozen=True)
class ScalingPolicy:
    target_cpu_percent: float = 70.0
    """The CPU utilisation the instances should run at."""
    scale_up_above: float = 80.0
    """Scale up when CPU is above this."""
    scale_down_below: float = 30.0
    """Scale down when CPU is below this."""
    target_memory_percent: float | None = None
    """A memory target as well (None: CPU only)."""
    min_instances: int = 1
    max_instances: int = 10
    scale_up_window_s: float = 0.0
    """Scale-up stabilisation window (HPA's default 0 s)."""
    scale_down_window_s: float = 300.0
    """Scale-down stabilisation window (HPA's default 300 s)."""

    def __post_init__(self) -> None:
        if not 0 < self.target_cpu_percent:
            raise ValueError("target_cpu_percent must be above 0")
        if not self.scale_down_below <= self.target_cpu_percent <= self.scale_up_above:
            raise ValueError("need scale_down_below ≤ target_cpu_percent ≤ scale_up_above")
        if not 1 <= self.min_instances <= self.max_instances:
            raise ValueError("need 1 ≤ min_instances ≤ max_instances")


@dataclass(frozen=True)
class Sample:
    at: datetime
    instances: int
    cpu_percent: float | None
    memory_percent: float | None = None


@dataclass(frozen=True)
class Decision:
    at: datetime
    instances: int
    cpu_percent: float | None
    proposal: int
    """What this sample alone asks for (bounded)."""
    recommendation: int
    """After stabilisation."""
    action: str
    """scale_up, scale_down or hold."""
    reason: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


def _metric_proposal(current: int, value: float, target: float) -> int:
    return math.ceil(round(current * value / target, 9))  # round: 3 × 70 / 70 must not become 3.0000000001


def proposal(current: int, cpu: float | None, memory: float | None, policy: ScalingPolicy) -> tuple[int, str]:
    """The bounded instance count one sample asks for, and why."""
    if current == 0:
        return 0, "no instances running: not scaled from zero"
    proposals: list[tuple[int, str]] = []
    if cpu is not None:
        if cpu > policy.scale_up_above or cpu < policy.scale_down_below:
            raw = _metric_proposal(current, cpu, policy.target_cpu_percent)
            side = "above" if cpu > policy.scale_up_above else "below"
            limit = policy.scale_up_above if side == "above" else policy.scale_down_below
            proposals.append((raw, f"CPU {cpu:g}% is {side} {limit:g}%: ceil({current} × {cpu:g} ÷ "
                                   f"{policy.target_cpu_percent:g}) = {raw}"))
        else:
            proposals.append((current, f"CPU {cpu:g}% is within {policy.scale_down_below:g}–"
                                       f"{policy.scale_up_above:g}%"))
    if memory is not None and policy.target_memory_percent is not None:
        raw = _metric_proposal(current, memory, policy.target_memory_percent)
        proposals.append((raw, f"memory {memory:g}%: ceil({current} × {memory:g} ÷ "
                               f"{policy.target_memory_percent:g}) = {raw}"))
    if not proposals:
        return current, "no utilisation reported"
    wanted, why = max(proposals, key=lambda p: p[0])
    bounded = min(max(wanted, policy.min_instances), policy.max_instances)
    if bounded != wanted:
        why += f", bounded to {bounded} ({policy.min_instances}–{policy.max_instances})"
    return bounded, why


class _WindowExtreme:
    """The smallest (or largest) proposal of the samples within a trailing time window, in amortised O(1) per
    sample: a deque of candidates kept monotonic, oldest first, so the window's extreme is at its head."""

    def __init__(self, window_s: float, *, largest: bool) -> None:
        self._window = timedelta(seconds=window_s)
        self._largest = largest
        self._items: deque[tuple[datetime, int]] = deque()

    def push(self, at: datetime, value: int) -> int:
        """Add a sample; the extreme of the window ending at ``at``."""
        beaten = (lambda old: old <= value) if self._largest else (lambda old: old >= value)
        while self._items and beaten(self._items[-1][1]):
            self._items.pop()
        self._items.append((at, value))
        while self._items[0][0] < at - self._window:
            self._items.popleft()
        return self._items[0][1]


def decide(samples: Sequence[Sample], policy: ScalingPolicy | None = None) -> list[Decision]:
    """One decision per sample, in time order, each stabilised over the proposals of the samples before it."""
    policy = policy or ScalingPolicy()
    ordered = sorted(samples, key=lambda s: s.at)
    up_window = _WindowExtreme(policy.scale_up_window_s, largest=False)
    down_window = _WindowExtreme(policy.scale_down_window_s, largest=True)
    decisions = []
    for s in ordered:
        wanted, reason = proposal(s.instances, s.cpu_percent, s.memory_percent, policy)
        up, down = up_window.push(s.at, wanted), down_window.push(s.at, wanted)
        if s.instances == 0:
            decisions.append(Decision(s.at, 0, s.cpu_percent, 0, 0, "hold", reason))
            continue
        recommendation = up if s.instances < up else min(s.instances, down)
        action = "scale_up" if recommendation > s.instances else (
            "scale_down" if recommendation < s.instances else "hold")
        if recommendation > wanted:
            reason += (f"; stabilised at {recommendation}: the last {policy.scale_down_window_s:g} s asked for up "
                       f"to {down}")
        elif recommendation < wanted:
            reason += (f"; stabilised at {recommendation}: the last {policy.scale_up_window_s:g} s asked for as "
                       f"few as {up}")
        decisions.append(Decision(s.at, s.instances, s.cpu_percent, wanted, recommendation, action, reason))
    return decisions


# -- the report per service -----------------------------------------------------------------------------------

SERIES_POINTS = 300
"""Chart points per service at most (samples are averaged into buckets of equal time)."""
RECENT_CHANGES = 20


def _series(decisions: list[Decision]) -> list[dict[str, Any]]:
    if not decisions:
        return []
    start, end = decisions[0].at, decisions[-1].at
    width = max((end - start) / SERIES_POINTS, timedelta(seconds=1))
    buckets: dict[int, list[Decision]] = {}
    for d in decisions:
        buckets.setdefault(int((d.at - start) / width), []).append(d)
    series = []
    for group in buckets.values():
        cpu = [d.cpu_percent for d in group if d.cpu_percent is not None]
        series.append({"at": group[0].at.isoformat(), "cpu_percent": sum(cpu) / len(cpu) if cpu else None,
                       "instances": max(d.instances for d in group),
                       "recommendation": max(d.recommendation for d in group)})
    return series


def scaling_report(engine: Any, since: datetime, until: datetime, policy: ScalingPolicy | None = None
                   ) -> dict[str, Any]:
    """Per service: its resource summary, the recommendation of its latest sample and the largest of the window
    (what its peaks needed; the latest such), the recent changes the advice asked for, and a chart series."""
    policy = policy or ScalingPolicy()
    services = []
    for service, rows in samples_by_service(engine, since, until).items():
        decisions = decide([Sample(r["timestamp"], r["instance_count"], r["cpu_percent"], r["memory_percent"])
                            for r in rows], policy)
        summary = summarise(rows)
        if summary["latest"] is not None:
            summary["latest"] = {**summary["latest"], "timestamp": summary["latest"]["timestamp"].isoformat()}
        changes = [d.to_dict() for d in decisions if d.action != "hold"][-RECENT_CHANGES:]
        peak = max(decisions, key=lambda d: (d.recommendation, d.at))
        services.append({"service": service, **summary, "recommendation": decisions[-1].to_dict(),
                         "peak_recommendation": peak.to_dict(), "changes": changes, "series": _series(decisions)})
    services.sort(key=lambda s: (s["recommendation"]["action"] == "hold", s["service"]))
    return {"from": since.isoformat(), "to": until.isoformat(), "policy": asdict(policy), "services": services}
