"""The Google Ads connector as the registry sees it: its settings, ``test`` and ``sync``."""

from __future__ import annotations

from growthos.sources.connectors import ConfigField, ConnectionConfig
from growthos.sources.google_ads.api import DEFAULT_API_VERSION, GoogleAdsApi
from growthos.sources.google_ads.sync import sync_google_ads
from growthos.sources.http import RetryPolicy
from growthos.sources.sync import SyncResult
from growthos.warehouse.engine import Engine

TEST_QUERY = "SELECT customer.id, customer.currency_code FROM campaign LIMIT 1"
"""A cheap query that proves the token, the developer token and the access to the customer."""


class GoogleAdsConnector:
    name = "google_ads"
    label = "Google Ads"
    fields = (
        ConfigField("customer_id", "Customer ID", help="The account's 10-digit ID, e.g. 123-456-7890"),
        ConfigField("login_customer_id", "Manager (login) customer ID", required=False,
                    help="Only when access goes through a manager account"),
        ConfigField("developer_token", "Developer token", secret=True,
                    help="From the API Center of a Google Ads manager account"),
        ConfigField("client_id", "OAuth client ID", help="Google Cloud OAuth client (…apps.googleusercontent.com)"),
        ConfigField("client_secret", "OAuth client secret", secret=True),
        ConfigField("refresh_token", "Refresh token", secret=True, required=False,
                    help="Set by Connect with Google (scope adwords); or paste one"),
        ConfigField("api_version", "API version", required=False, help=f"Default {DEFAULT_API_VERSION}"),
        ConfigField("start_date", "First day to import", required=False,
                    help="YYYY-MM-DD; default two years back"),
        ConfigField("token_url", "OAuth token endpoint", required=False,
                    help="Default https://oauth2.googleapis.com/token"),
    )

    def test(self, config: ConnectionConfig) -> str:
        """``customer 123-456-7890 (USD)``; AuthError or TerminalConnectorError with Google's message."""
        with GoogleAdsApi(config, retry=RetryPolicy(max_attempts=2)) as api:
            pages = api.search_stream(TEST_QUERY)
        cid = api.customer_id
        shown = f"{cid[:3]}-{cid[3:6]}-{cid[6:]}"
        rows = [row for page in pages for row in page.items]
        if not rows:
            return f"Google Ads customer {shown} (no campaigns yet)"
        currency = (rows[0].get("customer") or {}).get("currencyCode")
        return f"Google Ads customer {shown}" + (f" ({currency})" if currency else "")

    def sync(self, config: ConnectionConfig, engine: Engine, *, full: bool = False) -> SyncResult:
        return sync_google_ads(config, engine, full=full)
