"""Google-like connectors for tests of the OAuth flow, registered as ``google_ads`` and ``ga4`` while a test runs
(``registered_google``), standing in for the real ones (which are put back afterwards, if installed).

Fields as the real connectors have them (client_id, client_secret (secret), refresh_token (secret, optional),
token_url (optional)) plus ``auth_url`` (optional), so a connection can point both endpoints at the fake
Google OAuth server. ``test`` trades the stored refresh token for an access token at ``token_url``: it passes
only with a refresh token the (fake) Google really issued to this client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from growthos.sources.connectors import REGISTRY, ConfigField, ConnectionConfig
from growthos.sources.http.errors import ConnectorError

KINDS = ("google_ads", "ga4")


@dataclass
class GoogleLikeConnector:
    name: str
    label: str
    fields: tuple[ConfigField, ...] = (
        ConfigField("client_id", "OAuth client ID"),
        ConfigField("client_secret", "OAuth client secret", secret=True),
        ConfigField("refresh_token", "Refresh token", secret=True, required=False,
                    help="Filled in by Connect with Google"),
        ConfigField("token_url", "Token URL", required=False),
        ConfigField("auth_url", "Authorization URL", required=False),
    )

    def test(self, config: ConnectionConfig) -> str:
        refresh = config.secrets.get("refresh_token")
        if not refresh:
            raise ConnectorError("no refresh token: connect with Google first")
        response = httpx.post(config.settings.get("token_url", "https://oauth2.googleapis.com/token"), data={
            "grant_type": "refresh_token", "refresh_token": refresh,
            "client_id": config.settings["client_id"], "client_secret": config.secrets["client_secret"],
        }, timeout=10)
        if response.status_code != 200:
            raise ConnectorError(f"token refresh refused: {response.json().get('error')}",
                                 http_status=response.status_code)
        return f"access token issued for {response.json()['scope']}"


@contextmanager
def registered_google() -> Iterator[dict[str, GoogleLikeConnector]]:
    from growthos.store.connections import connectors

    connectors()  # the shipped connectors register first, so none registers while ours stand in
    previous = {kind: REGISTRY.get(kind) for kind in KINDS}
    ours = {"google_ads": GoogleLikeConnector("google_ads", "Google Ads (test)"),
            "ga4": GoogleLikeConnector("ga4", "Google Analytics 4 (test)")}
    REGISTRY.update(ours)
    try:
        yield ours
    finally:
        for kind, connector in previous.items():
            if connector is None:
                REGISTRY.pop(kind, None)
            else:
                REGISTRY[kind] = connector
