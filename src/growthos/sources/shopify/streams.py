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

    def record(self, node: dict[str, Any]) -> RawRecord:
        """The node, unchanged, as a raw record versioned by its ``updatedAt``."""
        updated = node.get("updatedAt")
        return RawRecord("shopify", self.entity, node.get("id"), node, parse_instant(updated) if updated else None)


ORDERS = Stream("orders", "order", "Orders", "orders", queries.ORDERS, queries.ORDER_FIELDS,
                ("discountApplications", "lineItems", "shippingLines", "refunds.refundLineItems"))
CUSTOMERS = Stream("customers", "customer", "Customers", "customers", queries.CUSTOMERS, queries.CUSTOMER_FIELDS)

STREAMS: dict[str, Stream] = {stream.name: stream for stream in (ORDERS, CUSTOMERS)}
"""Streams by name, in sync order."""
