"""The Meta connector as the registry sees it: its settings, ``test`` and ``sync``."""

from __future__ import annotations

from growthos.sources.connectors import ConfigField, ConnectionConfig
from growthos.sources.http import RetryPolicy
from growthos.sources.meta.graph import DEFAULT_API_VERSION, DEFAULT_REFETCH_DAYS, MetaGraph
from growthos.sources.meta.sync import DEFAULT_BACKFILL_DAYS, sync_meta
from growthos.sources.sync import SyncResult
from growthos.warehouse.engine import Engine


class MetaConnector:
    name = "meta"
    label = "Meta Ads"
    fields = (
        ConfigField("ad_account_id", "Ad account ID", help="Digits, with or without act_ (act_1029384756)"),
        ConfigField("access_token", "Access token", secret=True,
                    help="A system-user token with the ads_read permission"),
        ConfigField("api_version", "Graph API version", required=False, help=f"Default {DEFAULT_API_VERSION}"),
        ConfigField("refetch_days", "Re-fetch window (days)", required=False,
                    help=f"Recent days read again for late attribution; default {DEFAULT_REFETCH_DAYS}"),
        ConfigField("start_date", "First sync from", required=False,
                    help=f"YYYY-MM-DD; default {DEFAULT_BACKFILL_DAYS} days back"),
    )

    def test(self, config: ConnectionConfig) -> str:
        """The ad account's name, from ``GET /act_{id}?fields=name,currency``; AuthError with Meta's message
        on a bad token (code 190)."""
        with MetaGraph(config, retry=RetryPolicy(max_attempts=2)) as graph:
            account = graph.get(graph.account_path, {"fields": "name,currency"})
        return str(account.get("name") or f"act_{graph.account_id}")

    def sync(self, config: ConnectionConfig, engine: Engine, *, full: bool = False) -> SyncResult:
        """Daily ad-level insights since the saved cursor minus the re-fetch window (see meta/sync.py)."""
        return sync_meta(config, engine, full=full)
