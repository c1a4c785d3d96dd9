"""Growth-loop definitions: a typed model and its validation (from loops.yaml or the API's JSON).

A loop is a chain of steps. Each step is a user action (one of its ``event`` names, optionally with
property conditions ``where``) and may carry a system action (a webhook that triggers fire). ``next`` names the
steps that follow: the following step of the list and, to close the loop, the first step; no other edges
(loops are linear, and a cycle may only go back to the first step). Triggers watch the event stream and, after a
delay, fire the system action of their target step for a person.

Parsing and validation: growthos.analysis.loops.parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

LOOP_TYPES: tuple[str, ...] = ("viral", "content", "paid", "product")
STATUSES: tuple[str, ...] = ("draft", "active", "paused", "archived")
ACTORS: tuple[str, ...] = ("same", "any")
"""``same``: the cycle's current person does the step; ``any``: anyone (matched by ``match``), who then
becomes the cycle's person (an invitee accepting an invite)."""
FREQUENCIES: tuple[str, ...] = ("once", "every")
"""``once``: a trigger fires at most once per person; ``every``: once per matching event."""
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PROPERTY = re.compile(r"^[A-Za-z0-9_.$-]{1,64}$")
MAX_STEPS = 12
MAX_TRIGGERS = 20
DEFAULT_WINDOW = timedelta(days=14)
DEFAULT_TARGET_CYCLE = timedelta(days=7)
DEFAULT_MAX_LATE = timedelta(days=1)
BOTTLENECK_BELOW = 0.6

Conditions = tuple[tuple[str, tuple[str, ...]], ...]
"""(property, accepted values as text) pairs; all must hold."""


@dataclass(frozen=True)
class SystemAction:
    webhook: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    events: tuple[str, ...]
    where: Conditions = ()
    actor: str = "same"
    match: tuple[str, ...] = ()
    """Properties whose value must equal the cycle's (taken from its earliest step event that has them)."""
    after: str | None = None
    """The step whose time this step's event must follow (default: the previous step)."""
    next: tuple[str, ...] | None = None
    """Filled in by parsing (default: the following step; the last step: the first)."""
    system_action: SystemAction | None = None


@dataclass(frozen=True)
class Trigger:
    name: str
    event: str
    target_step: str
    where: Conditions = ()
    frequency: str = "once"
    delay: timedelta = timedelta(0)
    max_late: timedelta = DEFAULT_MAX_LATE
    """Events whose action fell due longer ago than this (e.g. before the loop existed) are not acted on."""


@dataclass(frozen=True)
class LoopValue:
    event: str
    property: str | None = None
    """Summed (a number) per value event; None counts the events."""
    label: str = ""


@dataclass(frozen=True)
class Loop:
    name: str
    label: str
    type: str
    status: str
    steps: tuple[Step, ...]
    triggers: tuple[Trigger, ...] = ()
    window: timedelta = DEFAULT_WINDOW
    target_cycle_time: timedelta = DEFAULT_TARGET_CYCLE
    bottleneck_below: float = BOTTLENECK_BELOW
    conversion_step: str | None = None
    """Viral loops: the step that counts an invite as converted (default: the second step)."""
    value: LoopValue | None = None
    source: str = "yaml"
    """``yaml`` (loops.yaml, the demo's included) or ``api`` (stored in the app database)."""

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    @property
    def closes(self) -> bool:
        """Whether the last step leads back to the first (the loop closes)."""
        return self.steps[0].name in (self.steps[-1].next or ())

    def to_dict(self, *, mask_urls: bool = True) -> dict[str, Any]:
        """The JSON form parse_loop reads back; webhook URLs show only their origin unless ``mask_urls`` is off."""
        return _loop_dict(self, mask_urls)


def _loop_dict(loop: Loop, mask: bool) -> dict[str, Any]:
    def conds(where: Conditions) -> dict[str, Any]:
        return {k: list(v) if len(v) > 1 else v[0] for k, v in where}

    def step(s: Step) -> dict[str, Any]:
        out: dict[str, Any] = {"name": s.name, "label": s.label, "event": list(s.events), "where": conds(s.where),
                               "actor": s.actor, "match": list(s.match), "after": s.after, "next": list(s.next or ())}
        if s.system_action is not None:
            url = s.system_action.webhook
            out["system_action"] = {"webhook": _origin(url) + "/…" if mask else url,
                                    "headers": {k: "••••" if mask else v for k, v in s.system_action.headers.items()}}
        return out

    return {
        "name": loop.name, "label": loop.label, "type": loop.type, "status": loop.status, "source": loop.source,
        "window": _span(loop.window), "target_cycle_time": _span(loop.target_cycle_time),
        "bottleneck_below": loop.bottleneck_below, "conversion_step": loop.conversion_step,
        "value": None if loop.value is None else {"event": loop.value.event, "property": loop.value.property,
                                                  "label": loop.value.label},
        "steps": [step(s) for s in loop.steps],
        "triggers": [{"name": t.name, "event": t.event, "where": conds(t.where), "frequency": t.frequency,
                      "delay": _span(t.delay), "max_late": _span(t.max_late), "target_step": t.target_step}
                     for t in loop.triggers],
    }


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].rsplit('@', 1)[-1]}"


def _span(value: timedelta) -> str:
    """A timedelta as parse_duration reads it back (``0m`` for none)."""
    minutes = int(value.total_seconds() // 60)
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes and minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"
