"""Shopify GraphQL Admin API shapes (Order and Customer nodes) built from the simulation's drafts.

All amounts are integer cents in the store's shop currency until they are written as strings with
two decimals; ``presentmentMoney`` equals ``shopMoney``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from growthos.sources.demo.catalog import DiscountCode, Product, Store
from growthos.sources.demo.clock import iso
from growthos.sources.demo.touches import Touch


def amount(cents: int) -> str:
    """Cents as a decimal string with exactly two decimals (``6297`` -> ``"62.97"``)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def money_set(cents: int, currency: str) -> dict[str, Any]:
    money = {"amount": amount(cents), "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


@dataclass(slots=True)
class LineDraft:
    gid: str
    product: Product
    quantity: int
    unit_cents: int
    discount_cents: int = 0

    @property
    def gross_cents(self) -> int:
        return self.unit_cents * self.quantity

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.discount_cents


@dataclass(slots=True)
class RefundDraft:
    gid: str
    created_at: datetime
    note: str
    items: list[tuple[int, int, int]]
    """(line index, quantity, refunded cents)."""
    day_index: int = 0
    """Index of the refund's reporting day in the period."""

    @property
    def total_cents(self) -> int:
        return sum(cents for _, _, cents in self.items)


@dataclass(slots=True)
class Visit:
    touch: Touch
    occurred_at: datetime
    click_value: str | None


@dataclass(slots=True)
class OrderDraft:
    store: Store
    number: int
    created_at: datetime
    customer_gid: str
    customer_order_index: int
    lines: list[LineDraft]
    code: DiscountCode | None
    shipping_cents: int
    journey: tuple[Visit, Visit, int] | None
    """(first visit, last visit, days to conversion), or None when Shopify recorded no journey."""
    refund: RefundDraft | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gid(self) -> str:
        return f"gid://shopify/Order/{self.store.order_id_base + self.number}"

    @property
    def name(self) -> str:
        return f"#{1000 + self.number}"

    @property
    def gross_cents(self) -> int:
        return sum(line.gross_cents for line in self.lines)

    @property
    def discount_cents(self) -> int:
        return sum(line.discount_cents for line in self.lines)

    @property
    def subtotal_cents(self) -> int:
        return self.gross_cents - self.discount_cents

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.shipping_cents


def _visit(visit: Visit) -> dict[str, Any]:
    touch = visit.touch
    utm = None
    if touch.utm is not None:
        source, medium, campaign = touch.utm
        utm = {"source": source, "medium": medium, "campaign": campaign, "content": None, "term": None}
    return {
        "landingPage": touch.landing_page(visit.click_value),
        "referrerUrl": touch.referrer,
        "source": touch.visit_source,
        "occurredAt": iso(visit.occurred_at),
        "utmParameters": utm,
    }


def _journey(draft: OrderDraft) -> dict[str, Any] | None:
    if draft.journey is None:
        return None
    first, last, days = draft.journey
    return {"customerOrderIndex": draft.customer_order_index, "daysToConversion": days,
            "firstVisit": _visit(first), "lastVisit": _visit(last)}


def _line(line: LineDraft, store: Store) -> dict[str, Any]:
    currency = store.currency
    allocations = []
    if line.discount_cents:
        allocations.append({"allocatedAmountSet": money_set(line.discount_cents, currency),
                            "discountApplication": {"index": 0}})
    return {
        "id": line.gid,
        "title": line.product.title,
        "sku": line.product.sku,
        "quantity": line.quantity,
        "product": {"id": line.product.product_gid(store), "productType": line.product.product_type},
        "variant": {"id": line.product.variant_gid(store)},
        "originalUnitPriceSet": money_set(line.unit_cents, currency),
        "discountAllocations": allocations,
    }


def _refund(refund: RefundDraft, draft: OrderDraft) -> dict[str, Any]:
    currency = draft.store.currency
    return {
        "id": refund.gid,
        "createdAt": iso(refund.created_at),
        "note": refund.note,
        "totalRefundedSet": money_set(refund.total_cents, currency),
        "refundLineItems": {"nodes": [
            {"lineItem": {"id": draft.lines[index].gid}, "quantity": quantity, "restockType": "NO_RESTOCK",
             "subtotalSet": money_set(cents, currency)}
            for index, quantity, cents in refund.items
        ]},
    }


def order_payload(draft: OrderDraft, refunded: bool) -> dict[str, Any]:
    """The Order node: as first synced (``refunded=False``) or after its refund (``refunded=True``)."""
    currency = draft.store.currency
    created = iso(draft.created_at)
    refunds = [draft.refund] if refunded and draft.refund is not None else []
    refunded_cents = sum(r.total_cents for r in refunds)
    if not refunds:
        status = "PAID"
    elif refunded_cents >= draft.total_cents:
        status = "REFUNDED"
    else:
        status = "PARTIALLY_REFUNDED"
    code = draft.code
    return {
        "id": draft.gid,
        "name": draft.name,
        "createdAt": created,
        "processedAt": created,
        "updatedAt": iso(refunds[-1].created_at) if refunds else created,
        "cancelledAt": None,
        "test": False,
        "currencyCode": currency,
        "presentmentCurrencyCode": currency,
        "displayFinancialStatus": status,
        "displayFulfillmentStatus": "FULFILLED",
        "sourceName": "web",
        "shop": draft.store.handle,
        "customer": {"id": draft.customer_gid},
        "subtotalPriceSet": money_set(draft.subtotal_cents, currency),
        "totalDiscountsSet": money_set(draft.discount_cents, currency),
        "totalShippingPriceSet": money_set(draft.shipping_cents, currency),
        "totalTaxSet": money_set(0, currency),
        "totalPriceSet": money_set(draft.total_cents, currency),
        "totalRefundedSet": money_set(refunded_cents, currency),
        "discountCodes": [code.code] if code else [],
        "discountApplications": {"nodes": [{
            "__typename": "DiscountCodeApplication", "code": code.code, "allocationMethod": "ACROSS",
            "targetSelection": "ALL", "targetType": "LINE_ITEM",
            "value": {"__typename": "PricingPercentageValue", "percentage": float(code.percentage)},
        }] if code else []},
        "lineItems": {"nodes": [_line(line, draft.store) for line in draft.lines]},
        "refunds": [_refund(r, draft) for r in refunds],
        "customerJourneySummary": _journey(draft),
    }


def customer_payload(
    *, gid: str, created_at: datetime, updated_at: datetime, first_name: str, last_name: str, orders: int,
    spent_cents: int, store: Store, province: str, tags: list[str],
) -> dict[str, Any]:
    """The Customer node as of the end of the period."""
    number = gid.rsplit("/", 1)[-1]
    return {
        "id": gid,
        "createdAt": iso(created_at),
        "updatedAt": iso(updated_at),
        "email": f"cust{number}@example.com",
        "firstName": first_name,
        "lastName": last_name,
        "state": "ENABLED",
        "numberOfOrders": str(orders),
        "amountSpent": {"amount": amount(spent_cents), "currencyCode": store.currency},
        "tags": tags,
        "defaultAddress": {"countryCodeV2": store.country, "provinceCode": province},
    }


def decimal_amount(value: Decimal) -> str:
    """A MoneyV2 amount as Shopify writes it: no trailing zeros beyond one decimal (``40.8828``, ``12.0``)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    return text


def product_payload(product: Product, store: Store, updated_at: datetime, unit_cost: Decimal | None) -> dict[str, Any]:
    """The Product node with its one variant (``Default Title``), the variant's price and its inventory item's
    unit cost in the shop currency (null when none was entered)."""
    variant_gid = product.variant_gid(store)
    number = variant_gid.rsplit("/", 1)[-1]
    cost = None if unit_cost is None else {"amount": decimal_amount(unit_cost), "currencyCode": store.currency}
    return {
        "id": product.product_gid(store),
        "title": product.title,
        "productType": product.product_type,
        "updatedAt": iso(updated_at),
        "variants": {"nodes": [{
            "id": variant_gid,
            "sku": product.sku,
            "title": "Default Title",
            "price": amount(product.price_cents(store)),
            "inventoryItem": {"id": f"gid://shopify/InventoryItem/{number}", "unitCost": cost},
        }]},
    }
