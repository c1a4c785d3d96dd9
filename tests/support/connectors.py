"""A tiny connector for tests of connection management, registered only while a test runs (``registered_fake``).

Kind ``testapi``: ``account`` (plain, required), ``token`` (secret, required), ``region`` (plain, optional),
``refresh_token`` (secret, optional). Its ``test`` accepts the token ``GOOD_TOKEN`` and answers with the
account; any other token fails with an API-style error that quotes the token back (as careless APIs do), so
tests can check that the stored message never carries the secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from growthos.sources.connectors import REGISTRY, ConfigField, ConnectionConfig
from growthos.sources.http.errors import ConnectorError

KIND = "testapi"
GOOD_TOKEN = "tk_live_9f8e7d6c5b4a3210"
"""The token the fake API accepts."""


@dataclass
class FakeConnector:
    name: str = KIND
    label: str = "Test API"
    fields: tuple[ConfigField, ...] = (
        ConfigField("account", "Account", help="acme"),
        ConfigField("token", "API token", secret=True),
        ConfigField("region", "Region", required=False),
        ConfigField("refresh_token", "Refresh token", secret=True, required=False),
    )
    calls: list[ConnectionConfig] = field(default_factory=list)
    """Every config ``test`` was called with."""

    def test(self, config: ConnectionConfig) -> str:
        self.calls.append(config)
        if config.secrets.get("token") != GOOD_TOKEN:
            raise ConnectorError(f"401 Unauthorized: invalid API token {config.secrets.get('token')!r}",
                                 http_status=401)
        where = config.api_base_url or "https://api.test.example"
        return f"account {config.settings['account']} at {where}"


@contextmanager
def registered_fake() -> Iterator[FakeConnector]:
    """A new ``FakeConnector`` registered as ``testapi`` until the block ends."""
    from growthos.store.connections import connectors

    connectors()  # import the shipped connectors first, so they do not register after ours is removed
    connector = FakeConnector()
    REGISTRY[KIND] = connector
    try:
        yield connector
    finally:
        REGISTRY.pop(KIND, None)
