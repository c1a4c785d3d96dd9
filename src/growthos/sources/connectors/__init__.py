"""Connectors: one per third-party API, registered by name (``REGISTRY["shopify"]``).

The contract between the connectors (sources layer) and what manages connections (store, CLI, API):

- ``Connector.fields`` describes the settings a connection of this kind takes; ``secret`` fields are
  stored encrypted and never shown back (at most their last 4 characters).
- ``Connector.test(config)`` makes one cheap authenticated call and returns what it saw (e.g. the shop's
  name), or raises ``ConnectorError`` carrying the API's own message.
- ``Connector.sync(config, engine, ...)`` fetches records into the raw layer (see the connector modules).

``ConnectionConfig`` is what a connector gets: the connection's name, kind, plain settings, decrypted
secrets and an optional ``api_base_url`` (proxies and tests' fake servers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from growthos.sources.sync import SyncResult
    from growthos.warehouse.engine import Engine


@dataclass(frozen=True, slots=True)
class ConfigField:
    name: str
    """Key in the connection's settings or secrets (``shop_domain``, ``access_token``)."""
    label: str
    """What the form and the CLI call it."""
    secret: bool = False
    """Stored encrypted, never returned or logged."""
    required: bool = True
    """A connection cannot be saved without it."""
    help: str = ""
    """One line shown beside the field."""


@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    name: str
    """The connection's unique name (``main-shop``)."""
    kind: str
    """The connector's registry name (``shopify``)."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Plain (non-secret) settings."""
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    """Decrypted secrets; only ever held in memory."""
    api_base_url: str | None = None
    """Overrides the API's base URL (a proxy, or a fake server in tests)."""


class Connector(Protocol):
    name: str
    """Registry name: ``shopify``, ``meta``, ``google_ads``, ``ga4``."""
    label: str
    """Human name: ``Shopify``."""
    fields: tuple[ConfigField, ...]
    """The settings a connection of this kind takes."""

    def test(self, config: ConnectionConfig) -> str:
        """One cheap authenticated call; a short description of what answered, else ConnectorError."""
        ...

    def sync(self, config: ConnectionConfig, engine: Engine, *, full: bool = False) -> SyncResult:
        """Fetch records into the raw layer since the saved state (everything when ``full``); see sources/sync.py."""
        ...


REGISTRY: dict[str, Connector] = {}
"""Connectors by name; each connector module registers itself on import (see ``register``)."""


def register(connector: Connector) -> Connector:
    if connector.name in REGISTRY:
        raise ValueError(f"connector {connector.name!r} registered twice")
    REGISTRY[connector.name] = connector
    return connector
