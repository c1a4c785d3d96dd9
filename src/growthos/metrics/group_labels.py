"""Display labels of breakdown keys: channel names, campaign names and customer segments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from growthos.metrics.channels import channel_dimension
from growthos.warehouse.engine import Engine

SEGMENT_LABELS: dict[str, str] = {
    "new": "New customers",
    "returning": "Returning customers",
    "guest": "Guest checkouts",
}
"""fact_orders.customer_segment -> label."""


def _campaigns(engine: Engine) -> dict[Any, str]:
    return {r["campaign_key"]: r["campaign_name"]
            for r in engine.query("SELECT campaign_key, campaign_name FROM dim_campaign").to_pylist()}


_LABELLERS: dict[str, Callable[[Engine], dict[Any, str]]] = {
    "channel": lambda engine: {k: v["label"] for k, v in channel_dimension(engine).items()},
    "campaign": _campaigns,
    "segment": lambda _engine: dict(SEGMENT_LABELS),
}


def group_labels(engine: Engine, by: str) -> dict[Any, str]:
    """Key -> label for the groups of ``by`` (empty for a grouping without labels)."""
    labeller = _LABELLERS.get(by)
    return labeller(engine) if labeller else {}


def label_of(labels: dict[Any, str], key: Any) -> str:
    """A key's label: its known label, else the key itself, '(none)' for no key."""
    return labels.get(key) or (str(key) if key is not None else "(none)")
