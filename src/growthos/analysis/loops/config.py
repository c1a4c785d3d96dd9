"""``<data dir>/loops.yaml``: growth loops defined in a file (the API stores its own in the app database).

```yaml
loops:
  - name: invite                 # 1-64 lowercase letters, digits, _ and -
    label: Invite loop
    type: viral                  # viral, content, paid or product
    status: active               # draft, active (default), paused or archived; only active loops fire actions
    window: 14d                  # a cycle's steps happen within this time of its first step (default 14d)
    target_cycle_time: 3d        # the efficiency score's full-speed cycle time (default 7d)
    bottleneck_below: 0.6        # steps converting below this are bottlenecks (default 0.6)
    conversion_step: signed_up   # viral loops: the step that converts an invite (default: the second step)
    value: {event: Subscription Started, property: mrr, label: MRR}   # loop value (property summed, else counted)
    steps:
      - {name: invite_sent, event: Invite Sent}
      - {name: invite_accepted, event: Invite Accepted, actor: any, match: [invite_id],
         system_action: {webhook: "https://example.com/hooks/remind", headers: {X-Token: abc}}}
      - {name: signed_up, event: Signed Up, after: invite_sent}
      - {name: meal_plan, event: Meal Plan Created, next: [invite_sent]}
    triggers:
      - {name: remind, event: Invite Sent, where: {channel: email}, frequency: once, delay: 2d,
         target_step: invite_accepted}
```

Every error names the field (``loops[0].steps[1].match``) and its line in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from growthos.analysis.loops.definitions import Loop
from growthos.analysis.loops.parse import parse_loop
from growthos.core.errors import GrowthOSError, InvalidInput

CONFIG_FILE = "loops.yaml"


def config_path(data_dir: Path) -> Path:
    return data_dir / CONFIG_FILE


def load_file_loops(data_dir: Path) -> list[Loop]:
    """The loops of the data directory's loops.yaml (none when there is no file)."""
    path = config_path(data_dir)
    if not path.exists():
        return []
    return parse_loops_yaml(path.read_text(encoding="utf-8"), str(path))


def parse_loops_yaml(text: str, filename: str = CONFIG_FILE) -> list[Loop]:
    """Parse loops.yaml's text; InvalidInput naming the field and its line."""
    try:
        data = yaml.safe_load(text)
        lines = _line_map(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(f"{filename}{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}",
                           field=CONFIG_FILE) from None
    if data is None:
        return []
    try:
        return _parse(data)
    except GrowthOSError as exc:
        fieldname = exc.field or ""
        line = _line_of(lines, fieldname)
        raise InvalidInput(f"{filename}{f' line {line}' if line else ''}: {exc.message}",
                           field=fieldname or CONFIG_FILE) from None


def _parse(data: Any) -> list[Loop]:
    if not isinstance(data, dict) or set(data) - {"loops"}:
        raise InvalidInput("loops.yaml must be a mapping with one section, loops", field="loops")
    items = data.get("loops") or []
    if not isinstance(items, list):
        raise InvalidInput("loops must be a list of loops", field="loops")
    loops = [parse_loop(item, f"loops[{i}]", source="yaml") for i, item in enumerate(items)]
    seen: set[str] = set()
    for i, loop in enumerate(loops):
        if loop.name in seen:
            raise InvalidInput(f"loops[{i}].name {loop.name!r} is used twice", field=f"loops[{i}].name")
        seen.add(loop.name)
    return loops


def _line_map(node: yaml.Node | None, path: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """Field path (``loops[0].steps[1].event``) -> 1-based line of its key (mappings) or item (lists)."""
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


def _line_of(lines: dict[str, int], fieldname: str) -> int | None:
    """The line of the field, else of its nearest parent present in the file."""
    path = fieldname
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
