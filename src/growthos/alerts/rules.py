"""Alert rules: what a rule is, the registry of rule kinds, and the checks that turn a mapping (from alerts.yaml
or an API body) into a rule, each failure naming the field.

A rule kind is a function ``(rule, context) -> Evaluation`` registered by name with ``register_rule_kind``;
the seven commerce kinds live in commerce.py, and rule packs of other areas register theirs the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from growthos.core.errors import InvalidInput
from growthos.core.periods import parse_duration
from growthos.metrics.catalogue import CATALOGUE
from growthos.store.alerts import SEVERITIES
from growthos.store.records import CheckOutcome, JobRun

DEFAULT_COOLDOWN_S = 24 * 3600
RULE_SOURCES = ("default", "yaml", "api")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}", re.ASCII)


class AlertContext(Protocol):
    """What rules read: the warehouse's daily base aggregates, the latest checks and job runs, and the time."""

    @property
    def last_full_day(self) -> date: ...

    @property
    def now(self) -> datetime: ...

    @property
    def data_now(self) -> datetime:
        """The workspace's clock (the demo's pinned day), where windows over the data end."""
        ...

    @property
    def currency(self) -> str: ...

    def daily_bases(self, start: date, end: date, needs: frozenset[str]) -> dict[date, dict[str, float | None]]:
        """Base aggregates per day (days without data may be missing); NotFound when nothing was built."""
        ...

    def check_results(self) -> list[CheckOutcome]:
        """The newest data-quality check outcomes."""
        ...

    def last_job(self, kind: str, status: str | None = None) -> JobRun | None: ...

    def telemetry(self, since: datetime, until: datetime) -> dict[str, float | None]:
        """The app's telemetry measures over [since, until) (metrics/telemetry/headline.py)."""
        ...

    def active_users(self, start: date, end: date) -> dict[date, int]:
        """Daily active users of the collected product events, per reporting day."""
        ...


@dataclass(frozen=True)
class Evaluation:
    """One rule's verdict at one evaluation."""

    fired: bool
    message: str
    observed: float | None = None
    baseline: float | None = None
    recommendation: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    """Every number behind the verdict (windows, volumes, thresholds...), JSON-ready."""
    skipped: bool = False
    """Not enough data or volume to judge: existing alerts are left as they are."""
    severity: str | None = None
    """Overrides the rule's severity for this firing (e.g. past a critical threshold)."""
    key: str = ""
    """Distinguishes several conditions of one rule in the dedup key (empty: one per rule)."""

    def to_dict(self) -> dict[str, Any]:
        return {"fired": self.fired, "skipped": self.skipped, "message": self.message, "observed": self.observed,
                "baseline": self.baseline, "recommendation": self.recommendation, "values": self.values,
                "severity": self.severity}


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    metric: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    """The kind's defaults overlaid with what was configured."""
    severity: str = "warning"
    cooldown_s: int = DEFAULT_COOLDOWN_S
    """After an alert of this rule, a new one (once the last is resolved) waits this long from its firing."""
    enabled: bool = True
    source: str = "default"
    """``default`` (built in), ``yaml`` (alerts.yaml) or ``api`` (stored through the API)."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "metric": self.metric, "params": self.params,
                "severity": self.severity, "cooldown_s": self.cooldown_s, "enabled": self.enabled,
                "source": self.source}


RuleFunction = Callable[[Rule, AlertContext], Evaluation]


@dataclass(frozen=True)
class RuleKind:
    name: str
    evaluate: RuleFunction
    description: str = ""
    params: dict[str, Any] | None = None
    """Default of every parameter the kind takes (others are refused); None: any parameters, no defaults."""
    metric: str | None = None
    """The metric a rule of this kind watches when it names none."""
    needs_metric: bool = False
    severity: str = "warning"
    """Severity of a rule that gives none."""
    validate: Callable[[dict[str, Any], str], None] | None = None
    """Further checks of the parameters (InvalidInput naming ``<where>.<param>``)."""


RULE_KINDS: dict[str, RuleKind] = {}


def register_rule_kind(name: str, fn: RuleFunction, *, description: str = "", params: dict[str, Any] | None = None,
                       metric: str | None = None, needs_metric: bool = False, severity: str = "warning",
                       validate: Callable[[dict[str, Any], str], None] | None = None) -> RuleKind:
    """Make rules of kind ``name`` evaluate with ``fn(rule, context) -> Evaluation``; replaces a kind of that name."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(f"rule kind name must be lowercase letters, digits, _ or -; got {name!r}", field="kind")
    if severity not in SEVERITIES:
        raise InvalidInput(f"severity must be one of {', '.join(SEVERITIES)}; got {severity!r}", field="severity")
    kind = RuleKind(name, fn, description, dict(params) if params is not None else None, metric, needs_metric,
                    severity, validate)
    RULE_KINDS[name] = kind
    return kind


def rule_kind(name: str, fieldname: str = "kind") -> RuleKind:
    _ensure_builtin_kinds()
    try:
        return RULE_KINDS[name]
    except (KeyError, TypeError):
        raise InvalidInput(f"{fieldname} must be a registered rule kind ({', '.join(sorted(RULE_KINDS))}); "
                           f"got {name!r}", field=fieldname) from None


def _ensure_builtin_kinds() -> None:
    import growthos.alerts.commerce  # noqa: F401  (registers the commerce kinds)
    import growthos.alerts.performance  # noqa: F401  (registers the performance kinds and pack)


# -- parsing -----------------------------------------------------------------------------------------

_RULE_FIELDS = ("name", "kind", "metric", "params", "severity", "cooldown", "cooldown_s", "enabled")


def parse_rule(data: Any, where: str = "", *, source: str = "api") -> Rule:
    """A rule from a mapping (``where`` prefixes field names in errors, e.g. ``rules[2]``); InvalidInput names the
    field. ``cooldown`` is a duration ('30m', '24h', '7d') or ``cooldown_s`` seconds."""
    def name_of(fieldname: str) -> str:
        return f"{where}.{fieldname}" if where else fieldname

    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where or 'rule'} must be a mapping of rule fields; got {type(data).__name__}",
                           field=where or "rule")
    for key in data:
        if key not in _RULE_FIELDS:
            raise InvalidInput(f"{name_of(str(key))} is not a rule field (fields: {', '.join(_RULE_FIELDS)})",
                               field=name_of(str(key)))
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(f"{name_of('name')} must be 1-64 lowercase letters, digits, _ or - (starting with a letter "
                           f"or digit); got {name!r}", field=name_of("name"))
    kind = rule_kind(data.get("kind"), name_of("kind"))
    metric = data.get("metric", kind.metric)
    if metric is not None and (not isinstance(metric, str) or metric not in CATALOGUE):
        raise InvalidInput(f"{name_of('metric')} must be a catalogue metric (growthos catalogue); got {metric!r}",
                           field=name_of("metric"))
    if metric is None and kind.needs_metric:
        raise InvalidInput(f"{name_of('metric')} is required by rule kind {kind.name!r}", field=name_of("metric"))
    params = _params(kind, data.get("params"), name_of("params"))
    severity = data.get("severity", kind.severity)
    if severity not in SEVERITIES:
        raise InvalidInput(f"{name_of('severity')} must be one of {', '.join(SEVERITIES)}; got {severity!r}",
                           field=name_of("severity"))
    cooldown_s = _cooldown(data, name_of)
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InvalidInput(f"{name_of('enabled')} must be true or false; got {enabled!r}", field=name_of("enabled"))
    return Rule(name=name, kind=kind.name, metric=metric, params=params, severity=severity, cooldown_s=cooldown_s,
                enabled=enabled, source=source)


def _cooldown(data: Mapping[str, Any], name_of: Callable[[str], str]) -> int:
    if "cooldown" in data and "cooldown_s" in data:
        raise InvalidInput(f"give {name_of('cooldown')} or {name_of('cooldown_s')}, not both",
                           field=name_of("cooldown"))
    if "cooldown_s" in data:
        value = data["cooldown_s"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 366 * 86400:
            raise InvalidInput(f"{name_of('cooldown_s')} must be whole seconds from 0 to 366 days; got {value!r}",
                               field=name_of("cooldown_s"))
        return value
    if "cooldown" in data:
        value = data["cooldown"]
        if value in (0, "0") and not isinstance(value, bool):
            return 0
        if not isinstance(value, str):
            raise InvalidInput(f"{name_of('cooldown')} must be a duration such as 30m, 12h, 7d or 2w; got {value!r}",
                               field=name_of("cooldown"))
        return int(parse_duration(value, name_of("cooldown")).total_seconds())
    return DEFAULT_COOLDOWN_S


def _params(kind: RuleKind, given: Any, where: str) -> dict[str, Any]:
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise InvalidInput(f"{where} must be a mapping; got {type(given).__name__}", field=where)
    if kind.params is None:
        return dict(given)
    params = dict(kind.params)
    for key, value in given.items():
        fieldname = f"{where}.{key}"
        if key not in kind.params:
            raise InvalidInput(f"{fieldname} is not a parameter of rule kind {kind.name!r} (parameters: "
                               f"{', '.join(kind.params) or 'none'})", field=fieldname)
        params[key] = _typed(kind.params[key], value, fieldname)
    if kind.validate is not None:
        kind.validate(params, where)
    return params


def _typed(default: Any, value: Any, fieldname: str) -> Any:
    """Check a parameter against its default's type (numbers: finite and not negative; None: a number or null)."""
    if value is None and default is None:
        return None
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise InvalidInput(f"{fieldname} must be true or false; got {value!r}", field=fieldname)
        return value
    if default is None or isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0 \
                or value == float("inf"):
            raise InvalidInput(f"{fieldname} must be a number at least 0; got {value!r}", field=fieldname)
        if isinstance(default, int) and default is not None and not isinstance(value, int):
            raise InvalidInput(f"{fieldname} must be a whole number; got {value!r}", field=fieldname)
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise InvalidInput(f"{fieldname} must be a string; got {value!r}", field=fieldname)
        return value
    if isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(f"{fieldname} must be a list of strings; got {value!r}", field=fieldname)
        return value
    return value


# -- the effective rule set ---------------------------------------------------------------------------

COMMERCE_RULES: tuple[dict[str, Any], ...] = (
    {"name": "net_revenue_drop", "kind": "net_revenue_drop"},
    {"name": "mer_drop", "kind": "mer_drop"},
    {"name": "ncac_spike", "kind": "ncac_spike"},
    {"name": "conversion_rate_drop", "kind": "conversion_rate_drop"},
    {"name": "spend_pacing", "kind": "spend_pacing"},
    {"name": "refund_rate_spike", "kind": "refund_rate_spike"},
    {"name": "data_freshness", "kind": "data_freshness"},
)

RULE_PACKS: dict[str, tuple[dict[str, Any], ...]] = {"commerce": COMMERCE_RULES}
"""Pack name -> its rules as alerts.yaml gives them; other areas add theirs with ``register_rule_pack``."""
DEFAULT_PACKS: tuple[str, ...] = ("commerce", "performance")
"""The packs in force when alerts.yaml names no ``rules`` and no ``packs``."""


def register_rule_pack(name: str, rules: tuple[dict[str, Any], ...]) -> None:
    """Make a named set of rules available to ``packs:`` in alerts.yaml; replaces a pack of that name."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(f"rule pack name must be lowercase letters, digits, _ or -; got {name!r}", field="packs")
    RULE_PACKS[name] = tuple(rules)


def pack_rules(names: tuple[str, ...] | list[str] = DEFAULT_PACKS, where: str = "packs") -> list[Rule]:
    """The rules of the named packs, in order (InvalidInput naming ``where`` for an unknown pack)."""
    _ensure_builtin_kinds()
    rules = []
    for i, name in enumerate(names):
        if name not in RULE_PACKS:
            raise InvalidInput(f"{where}[{i}] must be a rule pack ({', '.join(sorted(RULE_PACKS))}); got {name!r}",
                               field=f"{where}[{i}]")
        rules += [parse_rule(data, f"{name} rule {data['name']}", source="default") for data in RULE_PACKS[name]]
    return rules


def default_rules() -> list[Rule]:
    """The rules of the default packs (the seven commerce rules and the performance pack) with their defaults."""
    return pack_rules(DEFAULT_PACKS)


def effective_rules(configured: list[Rule] | None, stored: list[Rule]) -> list[Rule]:
    """The rules evaluated: alerts.yaml's ``rules`` (or the defaults when it has none), then the rules stored
    through the API, which replace a rule of the same name or add to the set. Order: base order, then added."""
    rules = {r.name: r for r in (configured if configured is not None else default_rules())}
    for rule in stored:
        rules[rule.name] = rule
    return list(rules.values())
