"""A loop's bottlenecks: steps converting below ``bottleneck_below`` (default 60%), each with its likely causes,
the opportunity and recommendations.

- **Likely causes**: the closed cycles that entered the step, split by the platform, app version and source of the event
  of the step before (growthos.analysis.loops.executions.DIMENSIONS). A segment of at least ``MIN_SEGMENT``
  cycles converting ``MIN_GAP`` (10 points) or more below the rest of the step is a likely cause; ``lost`` =
  segment size × (the rest's conversion − the segment's): the cycles it would have converted at the rest's rate.
  Causes are ordered by ``lost``, at most ``MAX_CAUSES``.
- **Opportunity**: ``extra_completions`` = completions × (threshold ÷ conversion − 1), the completed cycles gained
  if this step alone converted at the threshold and every later step as now (0 completions give 0).
- **Recommendations**: one per cause (a registry by dimension) and one for the step (a registry by loop type).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from growthos.analysis.loops.definitions import Loop
from growthos.analysis.loops.executions import DIMENSIONS, Execution
from growthos.analysis.loops.metrics import LoopMetrics
from growthos.metrics.product.common import Result, ratio

MIN_SEGMENT = 10
MIN_GAP = 0.10
MAX_CAUSES = 3
NOT_SET = "(not set)"


@dataclass(frozen=True)
class Cause(Result):
    dimension: str
    value: str
    entered: int
    conversion: float
    rest_conversion: float
    lost: float


@dataclass(frozen=True)
class Bottleneck(Result):
    step: str
    label: str
    previous_step: str
    conversion: float
    threshold: float
    entered: int
    reached: int
    extra_completions: float
    causes: tuple[Cause, ...]
    recommendations: tuple[str, ...]


CAUSE_ADVICE: dict[str, Callable[[str, Cause], str]] = {
    "platform": lambda step, c: f"Test the '{step}' flow on {c.value}: it converts {c.conversion:.0%} there "
                                f"against {c.rest_conversion:.0%} elsewhere ({c.entered} cycles).",
    "app_version": lambda step, c: f"Look for a regression in app version {c.value}: '{step}' converts "
                                   f"{c.conversion:.0%} there against {c.rest_conversion:.0%} on other versions.",
    "source": lambda step, c: f"People from {c.value} convert {c.conversion:.0%} at '{step}' against "
                              f"{c.rest_conversion:.0%}: tailor their onboarding or the acquisition spend.",
}
"""Dimension -> the recommendation for a likely cause."""

STEP_ADVICE: dict[str, str] = {
    "viral": "Make '{step}' easier for the invited: a clear reason to accept, one-tap sign-up, a reminder "
             "(a trigger with a delay on '{previous}').",
    "content": "Give people a reason to go on from '{previous}' to '{step}': surface the action where the content "
               "is, and nudge those who stop (a trigger on '{previous}').",
    "paid": "Check that what the ad promises matches what '{step}' asks for, and the cost per cycle at this rate.",
    "product": "Shorten the path from '{previous}' to '{step}' and prompt at the moment it is useful.",
}
"""Loop type -> the recommendation for a bottleneck step ({step}, {previous} filled in)."""


def bottlenecks(loop: Loop, metrics: LoopMetrics, executions: list[Execution]) -> list[Bottleneck]:
    """The loop's bottleneck steps in step order."""
    out = []
    for i, step in enumerate(metrics.steps):
        if not step.bottleneck or step.conversion is None:
            continue
        previous = metrics.steps[i - 1]
        causes = _causes(i, executions)
        extra = metrics.completions * (loop.bottleneck_below / step.conversion - 1) if step.conversion else 0.0
        advice = [CAUSE_ADVICE[c.dimension](step.label, c) for c in causes]
        advice.append(STEP_ADVICE[loop.type].format(step=step.label, previous=previous.label))
        out.append(Bottleneck(step.name, step.label, previous.name, step.conversion, loop.bottleneck_below,
                              step.entered, step.reached, round(extra, 2), tuple(causes), tuple(advice)))
    return out


def _causes(i: int, executions: list[Execution]) -> list[Cause]:
    """Segments of the closed cycles that entered step i (reached i−1) converting clearly worse."""
    entered = [x for x in executions if len(x.reached) >= i and not x.window_open]
    found = []
    for dim in DIMENSIONS:
        groups: dict[str, list[bool]] = defaultdict(list)
        for x in entered:
            groups[x.reached[i - 1].context.get(dim) or NOT_SET].append(len(x.reached) > i)
        if len(groups) < 2:
            continue
        total, converted = len(entered), sum(len(x.reached) > i for x in entered)
        for value, outcomes in groups.items():
            n, k = len(outcomes), sum(outcomes)
            rest = ratio(converted - k, total - n)
            if n < MIN_SEGMENT or rest is None:
                continue
            conv = k / n
            if rest - conv >= MIN_GAP:
                found.append(Cause(dim, value, n, round(conv, 4), round(rest, 4), round(n * (rest - conv), 2)))
    found.sort(key=lambda c: (-c.lost, c.dimension, c.value))
    return found[:MAX_CAUSES]
