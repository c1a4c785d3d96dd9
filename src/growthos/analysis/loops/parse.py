"""Parsing and validating loop definitions (loops.yaml items and the API's JSON bodies) into the typed model of
growthos.analysis.loops.definitions; every error is InvalidInput naming the field (``loops[0].steps[2].next[0]``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from growthos.analysis.loops.definitions import (
    ACTORS,
    BOTTLENECK_BELOW,
    DEFAULT_MAX_LATE,
    DEFAULT_TARGET_CYCLE,
    DEFAULT_WINDOW,
    FREQUENCIES,
    LOOP_TYPES,
    MAX_STEPS,
    MAX_TRIGGERS,
    NAME,
    PROPERTY,
    STATUSES,
    Conditions,
    Loop,
    LoopValue,
    Step,
    SystemAction,
    Trigger,
)
from growthos.core.errors import InvalidInput
from growthos.core.periods import parse_duration

RESERVED_NAMES = frozenset({"overview", "actions"})
"""Loop names the API's paths use."""


def parse_loop(data: Any, where: str = "", source: str = "yaml") -> Loop:
    """A loop from its mapping; InvalidInput naming the field (prefixed by ``where``, e.g. ``loops[0]``)."""
    at = _At(where)
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{at('')} must be a mapping".lstrip(), field=at("") or "loop")
    _known(data, ("name", "label", "type", "status", "steps", "triggers", "window", "target_cycle_time",
                  "bottleneck_below", "conversion_step", "value", "source"), at, "")
    name = _name(data.get("name"), at("name"))
    if name in RESERVED_NAMES:
        raise InvalidInput(f"{at('name')} {name!r} is reserved (/api/loops/{name} lists something else)",
                           field=at("name"))
    steps_data = data.get("steps")
    if not isinstance(steps_data, list) or not 2 <= len(steps_data) <= MAX_STEPS:
        raise InvalidInput(f"{at('steps')} must be a list of 2 to {MAX_STEPS} steps", field=at("steps"))
    steps = [_step(item, at(f"steps[{i}]")) for i, item in enumerate(steps_data)]
    _check_graph(steps, at)
    triggers_data = data.get("triggers") or []
    if not isinstance(triggers_data, list) or len(triggers_data) > MAX_TRIGGERS:
        raise InvalidInput(f"{at('triggers')} must be a list of at most {MAX_TRIGGERS}", field=at("triggers"))
    triggers = [_trigger(item, at(f"triggers[{i}]"), steps) for i, item in enumerate(triggers_data)]
    _unique([t.name for t in triggers], at, "triggers")
    names = [s.name for s in steps]
    conversion = data.get("conversion_step")
    if conversion is not None and conversion not in names:
        raise InvalidInput(f"{at('conversion_step')} must name a step ({', '.join(names)}); got {conversion!r}",
                           field=at("conversion_step"))
    threshold = data.get("bottleneck_below", BOTTLENECK_BELOW)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise InvalidInput(f"{at('bottleneck_below')} must be a number in (0, 1]; got {threshold!r}",
                           field=at("bottleneck_below"))
    return Loop(
        name=name, label=_text(data.get("label", name), at("label")),
        type=_choice(data.get("type"), LOOP_TYPES, at("type")),
        status=_choice(data.get("status", "active"), STATUSES, at("status")),
        steps=tuple(steps), triggers=tuple(triggers),
        window=_duration(data.get("window"), at("window"), DEFAULT_WINDOW),
        target_cycle_time=_duration(data.get("target_cycle_time"), at("target_cycle_time"), DEFAULT_TARGET_CYCLE),
        bottleneck_below=float(threshold), conversion_step=conversion,
        value=_value(data.get("value"), at("value")), source=source,
    )


class _At:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, path: str) -> str:
        if not path:
            return self.prefix
        return f"{self.prefix}.{path}" if self.prefix else path


def _step(data: Any, where: str) -> Step:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where} must be a mapping with name and event", field=where)
    _known(data, ("name", "label", "event", "where", "actor", "match", "after", "next", "system_action"),
           _At(where), "")
    name = _name(data.get("name"), f"{where}.name")
    events = data.get("event")
    events = [events] if isinstance(events, str) else events
    if not isinstance(events, list) or not events or not all(isinstance(e, str) and e.strip() and len(e) <= 200
                                                            for e in events):
        raise InvalidInput(f"{where}.event must be an event name or a list of event names", field=f"{where}.event")
    match = data.get("match") or []
    if not isinstance(match, list):
        raise InvalidInput(f"{where}.match must be a list of property names", field=f"{where}.match")
    for i, prop in enumerate(match):
        _property(prop, f"{where}.match[{i}]")
    actor = _choice(data.get("actor", "same"), ACTORS, f"{where}.actor")
    if actor == "any" and not match:
        raise InvalidInput(f"{where}.match is required when actor is any (which event belongs to the cycle?)",
                           field=f"{where}.match")
    nxt = data.get("next")
    if nxt is not None and (not isinstance(nxt, list) or not all(isinstance(n, str) for n in nxt)):
        raise InvalidInput(f"{where}.next must be a list of step names", field=f"{where}.next")
    return Step(name=name, label=_text(data.get("label", name.replace("_", " ").capitalize()), f"{where}.label"),
                events=tuple(dict.fromkeys(events)), where=_conditions(data.get("where"), f"{where}.where"),
                actor=actor, match=tuple(match), after=data.get("after"),
                next=tuple(nxt) if nxt is not None else None,
                system_action=_system_action(data.get("system_action"), f"{where}.system_action"))


def _check_graph(steps: list[Step], at: _At) -> None:
    """Fill in default ``next`` edges and check every edge and ``after`` reference."""
    names = [s.name for s in steps]
    _unique(names, at, "steps")
    first = names[0]
    for i, step in enumerate(steps):
        following = names[i + 1] if i + 1 < len(names) else None
        nxt = step.next if step.next is not None else ((following,) if following else (first,))
        for j, target in enumerate(nxt):
            fieldname = at(f"steps[{i}].next[{j}]")
            if target not in names:
                raise InvalidInput(f"{fieldname}: no step is named {target!r} (steps: {', '.join(names)})",
                                   field=fieldname)
            if target not in (following, first) or (target == first and i == 0):
                allowed = " or ".join(repr(n) for n in dict.fromkeys(filter(None, (following, first if i else None))))
                raise InvalidInput(f"{fieldname}: a loop is a chain that may only go back to its first step; "
                                   f"{step.name!r} may lead to {allowed}, not {target!r}", field=fieldname)
        if following is not None and following not in nxt:
            raise InvalidInput(f"{at(f'steps[{i}].next')} must include the following step {following!r}",
                               field=at(f"steps[{i}].next"))
        if step.after is not None and step.after not in names[:i]:
            raise InvalidInput(f"{at(f'steps[{i}].after')} must name an earlier step; got {step.after!r}",
                               field=at(f"steps[{i}].after"))
        if i == 0 and step.actor != "same":
            raise InvalidInput(f"{at('steps[0].actor')}: the first step starts the cycle, its actor is 'same'",
                               field=at("steps[0].actor"))
        steps[i] = dataclasses.replace(step, next=tuple(dict.fromkeys(nxt)))


def _trigger(data: Any, where: str, steps: list[Step]) -> Trigger:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where} must be a mapping", field=where)
    _known(data, ("name", "event", "where", "frequency", "delay", "max_late", "target_step"), _At(where), "")
    target = data.get("target_step")
    by_name = {s.name: s for s in steps}
    if target not in by_name:
        raise InvalidInput(f"{where}.target_step must name a step ({', '.join(by_name)}); got {target!r}",
                           field=f"{where}.target_step")
    if by_name[target].system_action is None:
        raise InvalidInput(f"{where}.target_step: step {target!r} has no system_action to fire",
                           field=f"{where}.target_step")
    event = data.get("event")
    if not isinstance(event, str) or not event.strip() or len(event) > 200:
        raise InvalidInput(f"{where}.event must be an event name", field=f"{where}.event")
    return Trigger(name=_name(data.get("name"), f"{where}.name"), event=event, target_step=target,
                   where=_conditions(data.get("where"), f"{where}.where"),
                   frequency=_choice(data.get("frequency", "once"), FREQUENCIES, f"{where}.frequency"),
                   delay=_duration(data.get("delay"), f"{where}.delay", timedelta(0), zero=True),
                   max_late=_duration(data.get("max_late"), f"{where}.max_late", DEFAULT_MAX_LATE))


def _system_action(data: Any, where: str) -> SystemAction | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where} must be a mapping with webhook", field=where)
    _known(data, ("webhook", "headers"), _At(where), "")
    url = data.get("webhook")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2048:
        raise InvalidInput(f"{where}.webhook must be an http:// or https:// URL", field=f"{where}.webhook")
    headers = data.get("headers") or {}
    if not isinstance(headers, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in headers.items()):
        raise InvalidInput(f"{where}.headers must map header names to strings", field=f"{where}.headers")
    return SystemAction(url, dict(headers))


def _value(data: Any, where: str) -> LoopValue | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where} must be a mapping with event (and property)", field=where)
    _known(data, ("event", "property", "label"), _At(where), "")
    event = data.get("event")
    if not isinstance(event, str) or not event.strip():
        raise InvalidInput(f"{where}.event must be an event name", field=f"{where}.event")
    prop = data.get("property")
    return LoopValue(event, None if prop is None else _property(prop, f"{where}.property"),
                     _text(data.get("label", ""), f"{where}.label"))


def _conditions(data: Any, where: str) -> Conditions:
    if data is None:
        return ()
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where} must map property names to values", field=where)
    out = []
    for key, value in data.items():
        _property(key, f"{where}.{key}")
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str | int | float | bool) for v in values):
            raise InvalidInput(f"{where}.{key} must be a value or a list of values", field=f"{where}.{key}")
        out.append((key, tuple(_as_text(v) for v in values)))
    return tuple(out)


def _as_text(value: str | int | float | bool) -> str:
    """A condition value as ``properties ->> key`` reads it (JSON true/false, numbers as written)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _duration(value: Any, where: str, default: timedelta, zero: bool = False) -> timedelta:
    if value is None:
        return default
    if zero and value in (0, "0", "0m", "0h", "0d"):
        return timedelta(0)
    return parse_duration(value, where)


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise InvalidInput(f"{where} must be 1-64 lowercase letters, digits, _ or -; got {value!r}", field=where)
    return value


def _property(value: Any, where: str) -> str:
    if not isinstance(value, str) or not PROPERTY.match(value):
        raise InvalidInput(f"{where} must be a property name (A-Z a-z 0-9 _ . $ -); got {value!r}", field=where)
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise InvalidInput(f"{where} must be a text of at most 200 characters", field=where)
    return value


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"{where} must be one of {', '.join(allowed)}; got {value!r}", field=where)
    return value


def _known(data: Mapping[str, Any], keys: tuple[str, ...], at: _At, path: str) -> None:
    for key in data:
        if key not in keys:
            fieldname = at(f"{path}.{key}" if path else str(key))
            raise InvalidInput(f"{fieldname} is not a field here (fields: {', '.join(keys)})", field=fieldname)


def _unique(names: list[str], at: _At, section: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise InvalidInput(f"{at(f'{section}[{i}].name')} {name!r} is used twice", field=at(f"{section}[{i}].name"))
        seen.add(name)
