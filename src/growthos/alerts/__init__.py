"""Alerts: rules (a registry of kinds; the seven commerce rules in commerce.py), their evaluation into alerts with
dedup, cooldown and auto-resolve, and notification channels (webhook, Slack, email).

Rule packs of other areas plug in by name: ``register_rule_kind("my_kind", fn)`` where ``fn(rule, context)``
returns an ``Evaluation``; rules of kind ``my_kind`` can then be configured in alerts.yaml or through the API.
"""

from growthos.alerts.evaluate import EvaluationReport, evaluate_alerts, evaluate_rules
from growthos.alerts.notify import CHANNEL_KINDS, Channel, register_channel_kind
from growthos.alerts.rules import RULE_KINDS, AlertContext, Evaluation, Rule, register_rule_kind

__all__ = [
    "CHANNEL_KINDS",
    "RULE_KINDS",
    "AlertContext",
    "Channel",
    "Evaluation",
    "EvaluationReport",
    "Rule",
    "evaluate_alerts",
    "evaluate_rules",
    "register_channel_kind",
    "register_rule_kind",
]
