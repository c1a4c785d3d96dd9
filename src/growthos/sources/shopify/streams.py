"""The Shopify streams: which connection each reads, the entity it stores and its page size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from growthos.sources.base import RawRecord
from growthos.sources.shopify import queries
from growthos.sources.sync_state import parse_instant


@dataclass(frozen=True, slots=True)
class Stream:
    name: str
    """State key within the connection (``orders``)."""
    entity: str
    """``RawRecord.entity`` of its records (``order``)."""
    operation: str
    """GraphQL operation name (``Orders``)."""
    root: str
    """The root connection field (``orders``)."""
    query: str
    """The paged GraphQL document (variables ``first``, ``after``, ``query``)."""
    fields: str
    """The node's selection, for the bulk variant of the read."""
    connections: tuple[str, ...] = ()
    """Dotted paths of the nested connections in a node (rebuilt from a bulk operation's JSONL lines)."""
    page_size: int = 100
    """``first:`` of each page (halved while Shopify answers MAX_COST_EXCEEDED)."""
    node_cost: float | None = None
    """Points Shopify charges per node requested, when high: the first page waits for ``2 + first x node_cost``
    points instead of being THROTTLED (later pages wait for the cost Shopify reported for the previous one)."""

    def first_page_cost(self, size: int) -> float | None:
        return None if self.node_cost is None else 2 + size * self.node_cost

    def record(self, node: dict[str, Any]) -> RawRecord:
        """The node, unchanged, as a raw record versioned by its ``updatedAt``."""
        updated = node.get("updatedAt")
        return RawRecord("shopify", self.entity, node.get("id"), node, parse_instant(updated) if updated else None)


ORDERS = Stream("orders", "order", "Orders", "orders", queries.ORDERS, queries.ORDER_FIELDS,
                ("discountApplications", "lineItems", "shippingLines", "refunds.refundLineItems"))
CUSTOMERS = Stream("customers", "customer", "Customers", "customers", queries.CUSTOMERS, queries.CUSTOMER_FIELDS)
PRODUCTS = Stream("products", "product", "Products", "products", queries.PRODUCTS, queries.PRODUCT_FIELDS,
                  ("variants",), page_size=3, node_cost=1 + queries.PRODUCT_VARIANTS_FIRST * 3)
"""Small pages: each product asks for up to 100 variants, so Shopify charges about 1 + 100 x 3 points per
product (variant, inventoryItem, unitCost) and a page of 3 stays under the 1,000-point query maximum."""

STREAMS: dict[str, Stream] = {stream.name: stream for stream in (ORDERS, CUSTOMERS, PRODUCTS)}
"""Streams by name, in sync order."""
