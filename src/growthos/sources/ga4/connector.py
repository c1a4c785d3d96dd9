"""The GA4 connector as the registry sees it: its settings, ``test`` and ``sync``."""

from __future__ import annotations

from growthos.sources.connectors import ConfigField, ConnectionConfig
from growthos.sources.ga4.api import GA4Api
from growthos.sources.ga4.sync import sync_ga4
from growthos.sources.http import RetryPolicy
from growthos.sources.sync import SyncResult
from growthos.warehouse.engine import Engine

TEST_REPORT = {
    "dateRanges": [{"startDate": "yesterday", "endDate": "yesterday"}],
    "dimensions": [{"name": "date"}],
    "metrics": [{"name": "sessions"}],
    "limit": "1",
}
"""A one-row report of yesterday's sessions: proves the token and the access to the property."""


class GA4Connector:
    name = "ga4"
    label = "Google Analytics 4"
    fields = (
        ConfigField("property_id", "Property ID", help="Numeric, from Admin > Property settings (not G-…)"),
        ConfigField("client_id", "OAuth client ID", help="Google Cloud OAuth client (…apps.googleusercontent.com)"),
        ConfigField("client_secret", "OAuth client secret", secret=True),
        ConfigField("refresh_token", "Refresh token", secret=True, required=False,
                    help="Set by Connect with Google (scope analytics.readonly); or paste one"),
        ConfigField("start_date", "First day to import", required=False,
                    help="YYYY-MM-DD; default two years back"),
        ConfigField("token_url", "OAuth token endpoint", required=False,
                    help="Default https://oauth2.googleapis.com/token"),
    )

    def test(self, config: ConnectionConfig) -> str:
        """``GA4 property 123456789 (USD, America/New_York): 1 row yesterday``; else Google's error."""
        with GA4Api(config, retry=RetryPolicy(max_attempts=2)) as api:
            report = api.run_report(TEST_REPORT)
        metadata = report.get("metadata") or {}
        about = ", ".join(str(v) for v in (metadata.get("currencyCode"), metadata.get("timeZone")) if v)
        rows = int(report.get("rowCount") or 0)
        return (f"GA4 property {api.property_id}" + (f" ({about})" if about else "")
                + f": {rows} row{'s' if rows != 1 else ''} yesterday")

    def sync(self, config: ConnectionConfig, engine: Engine, *, full: bool = False) -> SyncResult:
        return sync_ga4(config, engine, full=full)
