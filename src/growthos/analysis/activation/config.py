"""``<data dir>/activation.yaml``: the workspace's activation definitions and onboarding steps.

```yaml
signup_event: Signed Up          # optional (default "Signed Up")
definitions:                     # optional: replaces the default definitions when given
  - name: first_meal_plan
    event: Meal Plan Created
    criteria: {where: {first_plan: "true"}, min_count: 1}   # optional
    weight: 3                    # default 1
    window_days: 7               # default 7
    prerequisites: [onboarding_completed]                   # optional
    core: true                   # default false; at least one definition must be core
    label: First meal plan       # optional
onboarding:                      # optional: each key defaults to the recipe app's
  event: Onboarding Step Completed
  property: step_name
  steps: [goals, household, dietary_preferences, favourite_cuisines]
  window_days: 7
  breakdown: platform            # property of the sign-up event to compare segments by (null: none)
```

Every error names the field (``definitions[1].window_days``) and its line in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from growthos.analysis.activation.definitions import (
    DEFAULT_CONFIG,
    ActivationConfig,
    ActivationDefinition,
    Criteria,
    Onboarding,
    check_definitions,
    check_onboarding,
)
from growthos.core.errors import GrowthOSError, InvalidInput
from growthos.metrics.product.common import event_name

CONFIG_FILE = "activation.yaml"
_TOP_LEVEL = ("signup_event", "definitions", "onboarding")
_DEFINITION_KEYS = ("name", "event", "criteria", "weight", "window_days", "prerequisites", "core", "label")
_CRITERIA_KEYS = ("where", "min_count")
_ONBOARDING_KEYS = ("event", "property", "steps", "window_days", "breakdown")


def load_activation_config(data_dir: Path) -> ActivationConfig:
    """The data directory's activation.yaml, else the defaults."""
    path = data_dir / CONFIG_FILE
    if not path.exists():
        return DEFAULT_CONFIG
    return parse_activation_config(path.read_text(encoding="utf-8"), str(path))


def parse_activation_config(text: str, filename: str = CONFIG_FILE) -> ActivationConfig:
    """Parse activation.yaml's text; InvalidInput naming the field and its line."""
    try:
        data = yaml.safe_load(text)
        lines = _line_map(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(f"{filename}{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}",
                           field=CONFIG_FILE) from None
    if data is None:
        return ActivationConfig(DEFAULT_CONFIG.definitions, source=filename)
    try:
        return _parse(data, filename)
    except GrowthOSError as exc:
        name = exc.field or ""
        line = _line_of(lines, name)
        raise InvalidInput(f"{filename}{f' line {line}' if line else ''}: {exc.message}",
                           field=name or CONFIG_FILE) from None


def _parse(data: Any, filename: str) -> ActivationConfig:
    mapping = _mapping(data, "", _TOP_LEVEL)
    signup = mapping.get("signup_event", DEFAULT_CONFIG.signup_event)
    event_name(signup, "signup_event")
    definitions = DEFAULT_CONFIG.definitions
    if mapping.get("definitions") is not None:
        items = mapping["definitions"]
        if not isinstance(items, list):
            raise InvalidInput("definitions must be a list", field="definitions")
        definitions = check_definitions([_definition(item, f"definitions[{i}]") for i, item in enumerate(items)])
    onboarding = DEFAULT_CONFIG.onboarding
    if mapping.get("onboarding") is not None:
        onboarding = check_onboarding(_onboarding(mapping["onboarding"]))
    return ActivationConfig(definitions, signup, onboarding, source=filename)


def _definition(item: Any, where: str) -> ActivationDefinition:
    d = _mapping(item, where, _DEFINITION_KEYS)
    for key in ("name", "event"):
        if not isinstance(d.get(key), str):
            raise InvalidInput(f"{where}.{key} is required (a text)", field=f"{where}.{key}")
    criteria = _criteria(d.get("criteria"), f"{where}.criteria")
    prerequisites = d.get("prerequisites") or []
    if not isinstance(prerequisites, list) or not all(isinstance(p, str) for p in prerequisites):
        raise InvalidInput(f"{where}.prerequisites must be a list of definition names", field=f"{where}.prerequisites")
    core = d.get("core", False)
    if not isinstance(core, bool):
        raise InvalidInput(f"{where}.core must be true or false, got {core!r}", field=f"{where}.core")
    label = d.get("label", "")
    if not isinstance(label, str):
        raise InvalidInput(f"{where}.label must be a text", field=f"{where}.label")
    return ActivationDefinition(d["name"], d["event"], criteria, d.get("weight", 1.0), d.get("window_days", 7),
                                tuple(prerequisites), core, label)


def _criteria(value: Any, where: str) -> Criteria:
    if value is None:
        return Criteria()
    c = _mapping(value, where, _CRITERIA_KEYS)
    filters = c.get("where") or {}
    if not isinstance(filters, Mapping):
        raise InvalidInput(f"{where}.where must be a mapping of property: value", field=f"{where}.where")
    texts = {}
    for key, raw in filters.items():
        if isinstance(raw, bool):
            texts[str(key)] = "true" if raw else "false"  # JSON's spelling, as properties ->> gives it
        elif isinstance(raw, str | int | float):
            texts[str(key)] = str(raw)
        else:
            raise InvalidInput(f"{where}.where.{key} must be a text or a number", field=f"{where}.where.{key}")
    return Criteria(MappingProxyType(texts), c.get("min_count", 1))


def _onboarding(value: Any) -> Onboarding:
    o = _mapping(value, "onboarding", _ONBOARDING_KEYS)
    default = DEFAULT_CONFIG.onboarding
    steps = o.get("steps", list(default.steps))
    if not isinstance(steps, list):
        raise InvalidInput("onboarding.steps must be a list of the step property's values", field="onboarding.steps")
    return Onboarding(o.get("event", default.event), o.get("property", default.property),
                      tuple(str(s) if isinstance(s, int) and not isinstance(s, bool) else s for s in steps),
                      o.get("window_days", default.window_days), o.get("breakdown", default.breakdown))


def _mapping(value: Any, where: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    label = where or CONFIG_FILE
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{label} must be a mapping with {', '.join(keys)}", field=where or CONFIG_FILE)
    for key in value:
        if key not in keys:
            path = f"{where}.{key}" if where else str(key)
            raise InvalidInput(f"{key} is not a field of {label} (fields: {', '.join(keys)})", field=path)
    return value


def _line_map(node: yaml.Node | None, path: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """Field path (``definitions[1].window_days``) -> 1-based line of its key (mappings) or item (lists)."""
    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = f"{path}.{key_node.value}" if path else str(key_node.value)
            out[child] = key_node.start_mark.line + 1
            _line_map(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[f"{path}[{i}]"] = item.start_mark.line + 1
            _line_map(item, f"{path}[{i}]", out)
    return out


def _line_of(lines: dict[str, int], name: str) -> int | None:
    """The line of the field, else of its nearest parent in the file."""
    while name:
        if name in lines:
            return lines[name]
        cut = max(name.rfind("."), name.rfind("["))
        name = name[:cut] if cut > 0 else ""
    return None
