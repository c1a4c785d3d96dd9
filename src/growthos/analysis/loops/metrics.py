"""A loop's metrics from its executions (growthos.analysis.loops.executions); docs/growth/loops.md has every formula.

- ``starts``: cycles started in the range; ``in_progress``: open cycles (window not over at the workspace's now)
  short of the last step. Rates count *closed* cycles only (window over, outcome final), so recent cycles neither
  count as drop-offs nor inflate a rate by converting early.
- ``completions``: cycles that reached the last step (open ones included); ``completion_rate`` = closed cycles
  that completed ÷ closed cycles.
- Step i's ``reached``: cycles that reached it; ``entered`` = closed cycles that reached step i−1, ``converted`` =
  those of them that reached step i, ``conversion`` = converted ÷ entered. A step converting below
  ``bottleneck_below`` (default 60%) is a bottleneck.
- ``avg_cycle_time_s`` / ``median_cycle_time_s``: first step → last step of completed cycles.
- ``returns``: completed cycles whose person did the first step again (the loop closing); ``return_rate`` =
  returns ÷ completions.
- Viral loops: ``invites_per_user`` i = invites (cycles started) ÷ people active in the range; ``invite_conversion``
  c = closed cycles that reached the conversion step ÷ closed cycles;
  ``k_factor`` K = i × c, the new users each active user brings in.
- ``loop_value`` = value of completed cycles ÷ completions (e.g. MRR started by invitees per completed cycle).
- ``efficiency`` = 100 × G × S: G = completion_rate^(1/(steps−1)) (the geometric mean step conversion),
  S = min(1, target_cycle_time ÷ median cycle time) (1 when there is no completed cycle to time).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from growthos.analysis.loops.definitions import Loop
from growthos.analysis.loops.executions import Execution
from growthos.metrics.product.common import Result, ratio


@dataclass(frozen=True)
class StepMetrics(Result):
    name: str
    label: str
    events: tuple[str, ...]
    reached: int
    entered: int
    """Closed cycles that reached the step before (the first step: every start)."""
    converted: int
    """Closed cycles that went on to this step from the one before."""
    conversion: float | None
    """converted ÷ entered (None for the first step and when nothing entered)."""
    median_time_s: float | None
    """Median time from the step before (cycles that reached the step)."""
    bottleneck: bool


@dataclass(frozen=True)
class LoopMetrics(Result):
    loop: str
    type: str
    starts: int
    in_progress: int
    completions: int
    completion_rate: float | None
    avg_cycle_time_s: float | None
    median_cycle_time_s: float | None
    returns: int
    return_rate: float | None
    active_people: int | None
    invites_per_user: float | None
    invite_conversion: float | None
    k_factor: float | None
    value_total: float
    loop_value: float | None
    value_label: str
    efficiency: float | None
    steps: tuple[StepMetrics, ...]


def loop_metrics(loop: Loop, executions: list[Execution], active_people: int | None = None) -> LoopMetrics:
    """The loop's metrics; ``active_people`` (people active in the range) is needed for a viral loop's K."""
    n = len(loop.steps)
    starts = len(executions)
    closed = [x for x in executions if not x.window_open]
    reached = [sum(1 for x in executions if len(x.reached) > i) for i in range(n)]
    settled = [sum(1 for x in closed if len(x.reached) > i) for i in range(n)]
    in_progress = sum(1 for x in executions if x.in_progress)
    completed = [x for x in executions if x.completed]
    completions = len(completed)
    completion_rate = ratio(settled[-1], len(closed))
    steps = []
    for i, step in enumerate(loop.steps):
        entered = starts if i == 0 else settled[i - 1]
        converted = starts if i == 0 else settled[i]
        conversion = None if i == 0 else ratio(converted, entered)
        gaps = [(x.reached[i].at - x.reached[i - 1].at).total_seconds() for x in executions
                if i > 0 and len(x.reached) > i]
        steps.append(StepMetrics(step.name, step.label, step.events, reached[i], entered, converted, conversion,
                                 statistics.median(gaps) if gaps else None,
                                 conversion is not None and conversion < loop.bottleneck_below))
    times = [x.cycle_time_s for x in completed if x.cycle_time_s is not None]
    median_time = statistics.median(times) if times else None
    returns = sum(1 for x in completed if x.returned)
    invites = per_user = conversion = k = None
    if loop.type == "viral":
        c = loop.steps.index(loop.step(loop.conversion_step)) if loop.conversion_step else 1
        invites = starts
        per_user = ratio(invites, active_people)
        conversion = ratio(settled[c], len(closed))
        k = per_user * conversion if per_user is not None and conversion is not None else None
    value_total = sum(x.value for x in completed)
    return LoopMetrics(
        loop=loop.name, type=loop.type, starts=starts, in_progress=in_progress, completions=completions,
        completion_rate=completion_rate, avg_cycle_time_s=statistics.fmean(times) if times else None,
        median_cycle_time_s=median_time, returns=returns, return_rate=ratio(returns, completions),
        active_people=active_people if loop.type == "viral" else None, invites_per_user=per_user,
        invite_conversion=conversion, k_factor=k, value_total=value_total,
        loop_value=ratio(value_total, completions) if loop.value is not None else None,
        value_label=loop.value.label if loop.value is not None else "",
        efficiency=efficiency(completion_rate, n, median_time, loop.target_cycle_time.total_seconds()),
        steps=tuple(steps),
    )


def efficiency(completion_rate: float | None, steps: int, median_cycle_s: float | None,
               target_s: float) -> float | None:
    """100 × completion_rate^(1/(steps−1)) × min(1, target ÷ median cycle time), rounded to 0.1."""
    if completion_rate is None:
        return None
    speed = 1.0 if not median_cycle_s else min(1.0, target_s / median_cycle_s)
    return round(100 * completion_rate ** (1 / (steps - 1)) * speed, 1)


def summary(m: LoopMetrics) -> dict[str, Any]:
    """The headline numbers (no steps), for listings."""
    return {k: v for k, v in m.to_dict().items() if k != "steps"}
