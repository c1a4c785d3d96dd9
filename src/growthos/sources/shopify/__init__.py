"""The Shopify GraphQL Admin API connector (orders, customers, products with unit costs), registered as ``shopify``."""

from growthos.sources.connectors import REGISTRY, register
from growthos.sources.shopify.connector import ShopifyConnector
from growthos.sources.shopify.graphql import ShopifyGraphQL, shop_domain
from growthos.sources.shopify.sync import sync_shopify

if "shopify" not in REGISTRY:
    register(ShopifyConnector())

__all__ = ["ShopifyConnector", "ShopifyGraphQL", "shop_domain", "sync_shopify"]
