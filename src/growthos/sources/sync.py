"""Run a connection's sync through the connector registry: ``sync_connection(config, engine)``.

Connector packages register themselves on import; ``CONNECTOR_PACKAGES`` lists the ones to import.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from growthos.core.errors import ConfigError
from growthos.sources.connectors import REGISTRY, ConnectionConfig, Connector
from growthos.warehouse.engine import Engine

CONNECTOR_PACKAGES: tuple[str, ...] = ("growthos.sources.shopify", "growthos.sources.google_ads",
                                       "growthos.sources.ga4", "growthos.sources.meta")
"""Modules whose import registers a connector in ``REGISTRY``."""


@dataclass
class SyncResult:
    connection: str
    """The connection's name."""
    kind: str
    """The connector's registry name."""
    full: bool = False
    """Whether saved cursors were ignored (a full re-read)."""
    fetched: dict[str, int] = field(default_factory=dict)
    """Records received per entity (``order``: 1200)."""
    inserted: dict[str, int] = field(default_factory=dict)
    """New record versions stored per entity (unchanged records are not stored again)."""
    pages: int = 0
    """Pages read."""
    requests: int = 0
    """HTTP requests sent, retries included."""
    retries: int = 0
    """Requests repeated after a retryable failure."""
    errors: int = 0
    """Failed requests (retried or not)."""
    waited: float = 0.0
    """Seconds spent waiting: backoff, Retry-After and throttling."""

    def count(self, entity: str, fetched: int, inserted: int) -> None:
        self.fetched[entity] = self.fetched.get(entity, 0) + fetched
        self.inserted[entity] = self.inserted.get(entity, 0) + inserted


def load_connectors() -> dict[str, Connector]:
    """Import every connector package so that each registers itself; returns the registry."""
    for module in CONNECTOR_PACKAGES:
        importlib.import_module(module)
    return REGISTRY


def sync_connection(config: ConnectionConfig, engine: Engine, *, full: bool = False) -> SyncResult:
    """Sync one connection into the raw layer with the connector its ``kind`` names."""
    connectors = load_connectors()
    try:
        connector = connectors[config.kind]
    except KeyError:
        known = ", ".join(sorted(connectors))
        raise ConfigError(f"unknown connector {config.kind!r} (known: {known})", field="kind") from None
    return connector.sync(config, engine, full=full)
