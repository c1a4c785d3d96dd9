"""Evaluating the alert rules: each enabled rule judges the data, firing conditions open (or refresh) alerts,
cleared ones resolve theirs, and new alerts go to the notification channels and to open dashboards.

``evaluate_alerts(workspace)`` is the service the CLI, the API and the server (after each successful build) call.
A rule that raises is reported as ``error`` and the others still run; notifications never raise.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from growthos.alerts.config import AlertsConfig, load_config
from growthos.alerts.notify import deliver
from growthos.alerts.rules import AlertContext, Evaluation, Rule, effective_rules, parse_rule, rule_kind
from growthos.core.errors import GrowthOSError, InvalidInput
from growthos.core.periods import DateRange
from growthos.store.alerts import Alert, NotificationAttempt, StoredRule
from growthos.store.records import CheckOutcome, JobRun
from growthos.store.types import utcnow

if TYPE_CHECKING:
    from growthos.store import AppStore
    from growthos.warehouse.engine import Engine
    from growthos.workspace import Workspace

log = logging.getLogger("growthos.alerts")

Publish = Callable[[str, dict[str, Any]], None]


class WarehouseContext:
    """AlertContext over a warehouse engine and the app database."""

    def __init__(self, engine: Engine, store: AppStore, last_full_day: date, now: datetime | None = None,
                 currency: str = "USD", timezone: str = "UTC", data_now: datetime | None = None) -> None:
        self._engine, self._store = engine, store
        self.last_full_day = last_full_day
        self.now = now or utcnow()
        self.data_now = data_now or self.now
        self.currency = currency
        self.timezone = timezone

    def daily_bases(self, start: date, end: date, needs: frozenset[str]) -> dict[date, dict[str, float | None]]:
        from growthos.core.errors import NotFound
        from growthos.metrics.queries import compute_bases

        if not self._engine.table_exists("fact_orders"):
            raise NotFound("the warehouse has not been built yet")
        per_day = compute_bases(self._engine, DateRange(start, end), "day", self.last_full_day, needs)
        return {_as_date(key): bases for key, bases in per_day.items() if key is not None}

    def check_results(self) -> list[CheckOutcome]:
        return self._store.latest_check_results()

    def last_job(self, kind: str, status: str | None = None) -> JobRun | None:
        return self._store.last_job(kind, status)

    def telemetry(self, since: datetime, until: datetime) -> dict[str, float | None]:
        from growthos.metrics.telemetry.headline import telemetry_headline

        return telemetry_headline(self._engine, since, until)

    def active_users(self, start: date, end: date) -> dict[date, int]:
        from growthos.metrics.product.trends import active_users

        if not self._engine.table_exists("events_people"):
            return {}
        return {d.day: d.dau for d in active_users(self._engine, start=start, end=end, tz=self.timezone).days}


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class RuleOutcome:
    rule: str
    kind: str
    status: str
    """``new``, ``updated`` (still firing), ``suppressed`` (cooldown), ``resolved`` (cleared), ``ok``,
    ``skipped`` (not enough data) or ``error``."""
    evaluation: Evaluation | None
    alert_id: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "kind": self.kind, "status": self.status, "alert_id": self.alert_id,
                "error": self.error, "evaluation": self.evaluation.to_dict() if self.evaluation else None}


@dataclass
class EvaluationReport:
    evaluated_at: datetime
    outcomes: list[RuleOutcome] = field(default_factory=list)
    new: list[Alert] = field(default_factory=list)
    updated: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)
    notifications: list[NotificationAttempt] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "evaluated_at": self.evaluated_at.isoformat(),
            "rules": [o.to_dict() for o in self.outcomes],
            "new": [a.to_dict() for a in self.new],
            "updated": [a.to_dict() for a in self.updated],
            "resolved": [a.to_dict() for a in self.resolved],
            "notifications": [n.to_dict() for n in self.notifications],
        }


def stored_rule(row: StoredRule) -> Rule:
    """A rule stored through the API, checked again against its kind (which may have changed since)."""
    return parse_rule({"name": row.name, "kind": row.kind, "metric": row.metric, "params": row.params,
                       "severity": row.severity, "cooldown_s": row.cooldown_s, "enabled": row.enabled},
                      source="api")


def current_rules(store: AppStore, config: AlertsConfig) -> list[Rule]:
    """The effective rule set: alerts.yaml's rules (or the defaults), overlaid with the API's."""
    stored = []
    for row in store.list_alert_rules():
        try:
            stored.append(stored_rule(row))
        except InvalidInput as exc:  # e.g. a plugin kind no longer registered: skip it, loudly
            log.warning("stored alert rule %s is no longer valid and is skipped: %s", row.name, exc.message)
    return effective_rules(config.rules, stored)


def dedup_key(rule: Rule, evaluation: Evaluation) -> str:
    return f"{rule.name}:{evaluation.key}" if evaluation.key else rule.name


def evaluate_rules(store: AppStore, ctx: AlertContext, rules: list[Rule], config: AlertsConfig | None = None, *,
                   publish: Publish | None = None, sleep: Callable[[float], None] | None = None) -> EvaluationReport:
    """Judge every enabled rule, record the alerts, notify the channels of the new ones; never raises for one
    rule or one channel."""
    config = config or AlertsConfig()
    report = EvaluationReport(evaluated_at=ctx.now)
    for rule in rules:
        if not rule.enabled:
            continue
        report.outcomes.append(_evaluate_one(store, ctx, rule, report))
    kwargs = {"sleep": sleep} if sleep is not None else {}
    report.notifications = deliver(report.new, config.channels, store.record_notification_attempt, config.delivery,
                                   **kwargs)
    if publish is not None:
        for alert in report.new:
            _publish(publish, "alert_fired", alert.to_dict())
        for alert in report.resolved:
            _publish(publish, "alert_resolved", alert.to_dict())
    return report


def _evaluate_one(store: AppStore, ctx: AlertContext, rule: Rule, report: EvaluationReport) -> RuleOutcome:
    try:
        evaluation = rule_kind(rule.kind).evaluate(rule, ctx)
    except Exception as exc:  # a rule (perhaps a plugin's) failing must not stop the others
        message = exc.message if isinstance(exc, GrowthOSError) else f"{type(exc).__name__}: {exc}"
        log.warning("alert rule %s failed: %s", rule.name, message)
        return RuleOutcome(rule.name, rule.kind, "error", None, error=message)
    key = dedup_key(rule, evaluation)
    if evaluation.skipped:
        return RuleOutcome(rule.name, rule.kind, "skipped", evaluation)
    if not evaluation.fired:
        resolved = store.resolve_cleared_alerts(key)
        report.resolved.extend(resolved)
        return RuleOutcome(rule.name, rule.kind, "resolved" if resolved else "ok", evaluation,
                           alert_id=resolved[-1].id if resolved else None)
    firing = store.record_alert_firing(
        rule=rule.name, kind=rule.kind, dedup_key=key, severity=evaluation.severity or rule.severity,
        message=evaluation.message, recommendation=evaluation.recommendation, observed=evaluation.observed,
        baseline=evaluation.baseline, values=evaluation.values, cooldown_s=rule.cooldown_s)
    if firing.outcome == "new":
        report.new.append(firing.alert)
    elif firing.outcome == "updated":
        report.updated.append(firing.alert)
    return RuleOutcome(rule.name, rule.kind, firing.outcome, evaluation, alert_id=firing.alert.id)


def _publish(publish: Publish, event: str, data: dict[str, Any]) -> None:
    try:
        publish(event, data)
    except Exception:  # pragma: no cover - the hub only queues
        log.exception("could not publish %s", event)


def workspace_config(workspace: Workspace, env: Mapping[str, str] | None = None) -> AlertsConfig:
    """The workspace's alerts.yaml (secrets named by ``*_env`` options come from the process environment)."""
    return load_config(workspace.settings.data_dir, os.environ if env is None else env)


def evaluate_alerts(workspace: Workspace, *, engine: Engine | None = None, publish: Publish | None = None,
                    now: datetime | None = None) -> EvaluationReport:
    """Evaluate the workspace's rules on its warehouse (or on ``engine``, e.g. a server's reader)."""
    config = workspace_config(workspace)
    store = workspace.store
    ctx = WarehouseContext(engine if engine is not None else workspace.engine, store, workspace.last_full_day, now,
                           workspace.settings.currency, workspace.settings.timezone, workspace.settings.now())
    return evaluate_rules(store, ctx, current_rules(store, config), config, publish=publish)


# -- rule management (CLI and API) --------------------------------------------------------------------


def list_rules(workspace: Workspace) -> list[Rule]:
    return current_rules(workspace.store, workspace_config(workspace))


def create_rule(workspace: Workspace, data: Mapping[str, Any]) -> Rule:
    """Store a new rule; Conflict when a rule of that name exists (in alerts.yaml, the defaults or the store)."""
    from growthos.core.errors import Conflict

    rule = parse_rule(data, source="api")
    if any(r.name == rule.name for r in list_rules(workspace)):
        raise Conflict(f"alert rule {rule.name!r} exists; change it with PUT /api/alerts/rules/{rule.name}",
                       field="name")
    _store(workspace, rule, create_only=True)
    return rule


def replace_rule(workspace: Workspace, name: str, data: Mapping[str, Any]) -> Rule:
    """Store the rule ``name`` (overriding a default or alerts.yaml rule of that name); NotFound when no rule has
    that name; the body's name, if any, must match."""
    from growthos.core.errors import NotFound

    body = dict(data)
    if body.setdefault("name", name) != name:
        raise InvalidInput(f"name {body['name']!r} does not match the rule in the path ({name!r})", field="name")
    if not any(r.name == name for r in list_rules(workspace)):
        raise NotFound(f"no alert rule {name!r}; create it with POST /api/alerts/rules", field="name")
    rule = parse_rule(body, source="api")
    _store(workspace, rule)
    return rule


def delete_rule(workspace: Workspace, name: str) -> None:
    """Remove a rule stored through the API (a default or alerts.yaml rule of that name applies again);
    Conflict for a rule that only alerts.yaml or the defaults define (disable it with enabled=false instead)."""
    from growthos.core.errors import Conflict

    if workspace.store.get_alert_rule(name) is None:
        if any(r.name == name for r in list_rules(workspace)):
            raise Conflict(f"alert rule {name!r} comes from alerts.yaml or the defaults; disable it with "
                           "PUT enabled=false instead", field="name")
    workspace.store.delete_alert_rule(name)


def _store(workspace: Workspace, rule: Rule, create_only: bool = False) -> None:
    workspace.store.save_alert_rule(name=rule.name, kind=rule.kind, metric=rule.metric, params=rule.params,
                                    severity=rule.severity, cooldown_s=rule.cooldown_s, enabled=rule.enabled,
                                    create_only=create_only)
