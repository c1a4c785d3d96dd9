"""The Shopify connector as the registry sees it: its settings, ``test`` and ``sync``."""

from __future__ import annotations

from growthos.sources.connectors import ConfigField, ConnectionConfig
from growthos.sources.http import RetryPolicy
from growthos.sources.shopify import queries
from growthos.sources.shopify.graphql import DEFAULT_API_VERSION, ShopifyGraphQL
from growthos.sources.shopify.sync import sync_shopify
from growthos.sources.sync import SyncResult
from growthos.warehouse.engine import Engine


class ShopifyConnector:
    name = "shopify"
    label = "Shopify"
    fields = (
        ConfigField("shop_domain", "Shop domain", help="your-shop.myshopify.com"),
        ConfigField("access_token", "Admin API access token", secret=True,
                    help="From a custom app with read_orders, read_customers, read_products and "
                         "read_inventory scopes (shpat_…)"),
        ConfigField("api_version", "API version", required=False, help=f"Default {DEFAULT_API_VERSION}"),
    )

    def test(self, config: ConnectionConfig) -> str:
        """The shop's name, from ``{ shop { name } }``; AuthError with Shopify's message on a bad token."""
        retry = RetryPolicy(max_attempts=2)
        with ShopifyGraphQL(config, retry=retry) as api:
            data = api.execute("Shop", queries.SHOP)
        return str(data["shop"]["name"])

    def sync(self, config: ConnectionConfig, engine: Engine, *, full: bool = False) -> SyncResult:
        """Incremental paged reads; a full re-read runs as bulk operations."""
        return sync_shopify(config, engine, full=full, bulk=full)
