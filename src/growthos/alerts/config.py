"""``<data dir>/alerts.yaml``: the alert rules and the notification channels.

```yaml
packs: [commerce, performance]   # optional: rule packs (default: these two) — alerts.yaml's rules come after
rules:                      # optional: rules of their own (a rule named as a pack's rule replaces it)
  - name: revenue_drop
    kind: net_revenue_drop  # a registered rule kind (growthos alerts rules lists them)
    severity: critical      # warning (default) or critical
    cooldown: 12h           # default 24h
    params: {threshold: 0.15, min_volume: 30}
channels:
  - {name: ops, kind: webhook, url: "https://example.com/hooks/growthos"}
  - {name: team, kind: slack, url: "https://hooks.slack.com/services/...", min_severity: critical}
  - name: email
    kind: email
    host: smtp.example.com
    port: 587
    starttls: true
    username: alerts@example.com
    password_env: GROWTHOS_SMTP_PASSWORD   # the secret stays in the environment, never in the file
    from: alerts@example.com
    to: [growth@example.com]
delivery: {max_attempts: 3, backoff_s: 1.0, timeout_s: 10}
```

Every error names the field (``rules[1].params.threshold``) and its line in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from growthos.alerts.notify import Channel, Delivery, parse_channel, parse_delivery
from growthos.alerts.rules import Rule, pack_rules, parse_rule
from growthos.core.errors import GrowthOSError, InvalidInput

CONFIG_FILE = "alerts.yaml"
_TOP_LEVEL = ("packs", "rules", "channels", "delivery")


@dataclass(frozen=True)
class AlertsConfig:
    rules: list[Rule] | None = None
    """The packs' rules then the file's own; None when the file gives neither (the default packs apply)."""
    channels: list[Channel] = field(default_factory=list)
    delivery: Delivery = field(default_factory=Delivery)
    path: Path | None = None


def config_path(data_dir: Path) -> Path:
    return data_dir / CONFIG_FILE


def load_config(data_dir: Path, env: Mapping[str, str] | None = None) -> AlertsConfig:
    """The data directory's alerts.yaml (empty config when there is none); ``env`` resolves ``*_env`` secrets."""
    path = config_path(data_dir)
    if not path.exists():
        return AlertsConfig()
    return parse_config(path.read_text(encoding="utf-8"), str(path), env or {})


def parse_config(text: str, filename: str = CONFIG_FILE, env: Mapping[str, str] | None = None) -> AlertsConfig:
    """Parse alerts.yaml's text; InvalidInput naming the field and its line."""
    try:
        data = yaml.safe_load(text)
        lines = _line_map(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(f"{filename}{where}: not valid YAML: {problem}", field="alerts.yaml") from None
    if data is None:
        return AlertsConfig(path=Path(filename))
    try:
        return _parse(data, env or {}, filename)
    except GrowthOSError as exc:
        fieldname = exc.field or ""
        line = _line_of(lines, fieldname)
        where = f" line {line}" if line else ""
        raise InvalidInput(f"{filename}{where}: {exc.message}", field=fieldname or "alerts.yaml") from None


def _parse(data: Any, env: Mapping[str, str], filename: str) -> AlertsConfig:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"the file must be a mapping with {', '.join(_TOP_LEVEL)}", field="alerts.yaml")
    for key in data:
        if key not in _TOP_LEVEL:
            raise InvalidInput(f"{key} is not a section of alerts.yaml (sections: {', '.join(_TOP_LEVEL)})",
                               field=str(key))
    rules = None
    if data.get("rules") is not None or data.get("packs") is not None:
        own = [parse_rule(item, f"rules[{i}]", source="yaml") for i, item in enumerate(_list(data, "rules"))]
        _unique([r.name for r in own], "rules")
        packs = _list(data, "packs")
        for i, name in enumerate(packs):
            if not isinstance(name, str):
                raise InvalidInput(f"packs[{i}] must be a pack name; got {name!r}", field=f"packs[{i}]")
        merged = {r.name: r for r in pack_rules(packs)}
        merged.update((r.name, r) for r in own)
        rules = list(merged.values())
    channels = [parse_channel(item, f"channels[{i}]", env) for i, item in enumerate(_list(data, "channels"))]
    _unique([c.name for c in channels], "channels")
    delivery = parse_delivery(data.get("delivery"), "delivery")
    return AlertsConfig(rules=rules, channels=channels, delivery=delivery, path=Path(filename))


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{key} must be a list; got {type(value).__name__}", field=key)
    return value


def _unique(names: list[str], section: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise InvalidInput(f"{section}[{i}].name {name!r} is used twice", field=f"{section}[{i}].name")
        seen.add(name)


def _line_map(node: yaml.Node | None, path: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """Field path (``rules[1].params.threshold``) -> 1-based line of its key (mappings) or item (lists)."""
    out = {} if out is None else out
    if node is None:
        return out
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = f"{path}.{key_node.value}" if path else str(key_node.value)
            out[child] = key_node.start_mark.line + 1
            _line_map(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            out[child] = item.start_mark.line + 1
            _line_map(item, child, out)
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
