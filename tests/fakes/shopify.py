"""Fake Shopify GraphQL Admin API: ``POST /admin/api/{version}/graphql.json``.

Protocol facts reproduced:

- Auth: header ``X-Shopify-Access-Token``; a missing or wrong token → 401
  ``{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}``.
- The document is matched on its first root field (``shop``, ``orders``, ``customers``, ``products``); variables
  ``first`` (1..250), ``after`` and ``query`` are read. ``query`` understands ``updated_at:>=`` / ``>`` with
  a quoted or bare ISO-8601 instant. Connections are sorted by (updatedAt, id) (``sortKey: UPDATED_AT``).
- Cursor pagination: ``pageInfo { hasNextPage endCursor }``; a cursor encodes the (updatedAt, id) of the
  last node, so records changed between pages are neither skipped nor repeated out of order.
- Cost: ``requestedQueryCost = 2 + first * node_cost[root]`` (1 for ``shop``), ``actualQueryCost = 2 +
  returned * node_cost[root]``; a product costs 301 (itself + 100 variants x (variant, inventoryItem,
  unitCost), as Shopify prices the connector's ``variants(first: 100)`` selection); a leaky bucket
  (``maximum`` points, ``restore_rate`` per second of the fake's ``clock``) is charged the requested cost up
  front and refunded the difference. Every response carries ``extensions.cost`` with ``throttleStatus``.
  Not enough points → 200 with
  ``errors: [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]`` and ``actualQueryCost: null``.
  A request above ``max_cost`` → ``MAX_COST_EXCEEDED``.
- Bulk operations: ``bulkOperationRunQuery(query:)`` (root and ``query:`` filter read from the inner
  document; a second one while one runs → userErrors), ``currentBulkOperation`` (RUNNING for
  ``bulk_polls - 1`` polls, then COMPLETED with a ``url``, or a null url when nothing matched; FAILED
  when ``bulk_fail`` is set), ``GET /bulk/{n}.jsonl`` without auth: one line per root node, then one line
  per node of its nested connections with ``__typename`` and ``__parentId`` (the Order, or the Refund
  for ``refundLineItems``; the Product for its ``variants``). Connections are flattened whatever the inner
  document selects.
- Faults from ``fakes.server`` (429 with Retry-After, 500, 503, timeouts, malformed JSON, truncated bodies,
  expired tokens) plus ``fail_after_pages``: after that many data pages, every data request answers 401
  (the token was revoked), until reset to None; ``after_page(n)`` is called after the n-th data page is
  served (to queue a fault for the next request). ``throttled_status`` is 200 (or 429: sources disagree).

Public API::

    fake = FakeShopify(orders=[...], customers=[...], products=[...], token="shpat_test", clock=clock)
    fake.orders / fake.customers / fake.products  # dicts id -> node, mutable (``fake.touch_order(id, at)`` and
                                                  # ``fake.touch_product(id, at)`` bump updatedAt)
    fake.served                     # list of Served(root, variables, ids): what each data page returned
    fake.bucket_available = 100     # set the bucket (e.g. to force THROTTLED)
    with fake.serve() as base_url: ...
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fakes.server import FakeService

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
_ROOT = re.compile(r"^\s*(?:(?:query|mutation)\b[^{]*)?\{\s*(\w+)")
_SINCE = re.compile(r"updated_at\s*:\s*(>=|>)\s*'?\"?([0-9T:.\-+Z]+)'?\"?")


@dataclass(frozen=True)
class Served:
    root: str
    """The connection asked for (``orders``)."""
    variables: dict[str, Any]
    """The request's variables."""
    ids: list[str]
    """Ids of the nodes returned, in order."""


class ManualClock:
    """Seconds that move only when ``advance`` is called: share one between the fake and the client's sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# ---------------------------------------------------------------- fixture shop


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: str, currency: str = "USD") -> dict[str, Any]:
    value = {"amount": amount, "currencyCode": currency}
    return {"shopMoney": value, "presentmentMoney": dict(value)}


def make_order(number: int, created: datetime, updated: datetime, customer: int, *, quantity: int = 1,
               unit: str = "50.00", refunded: str | None = None) -> dict[str, Any]:
    """An Order node in the shape the connector's query asks for (one line item, shipping, a sale)."""
    cents = int(unit.replace(".", "")) * quantity
    total = f"{cents // 100}.{cents % 100:02d}"
    line_id = f"gid://shopify/LineItem/{number}01"
    refunds = []
    if refunded is not None:
        refunds.append({
            "id": f"gid://shopify/Refund/{number}", "createdAt": iso(updated), "note": "damaged",
            "totalRefundedSet": money(refunded),
            "refundLineItems": {"nodes": [{"lineItem": {"id": line_id}, "quantity": 1, "restockType": "NO_RESTOCK",
                                           "subtotalSet": money(refunded)}]},
        })
    return {
        "id": f"gid://shopify/Order/{number}", "name": f"#{1000 + number}", "createdAt": iso(created),
        "processedAt": iso(created), "updatedAt": iso(updated), "cancelledAt": None, "test": False,
        "currencyCode": "USD", "presentmentCurrencyCode": "USD",
        "displayFinancialStatus": "PARTIALLY_REFUNDED" if refunded else "PAID", "displayFulfillmentStatus": "FULFILLED",
        "sourceName": "web", "customer": {"id": f"gid://shopify/Customer/{customer}"},
        "subtotalPriceSet": money(total), "totalDiscountsSet": money("0.00"), "totalShippingPriceSet": money("0.00"),
        "totalTaxSet": money("0.00"), "totalPriceSet": money(total), "totalRefundedSet": money(refunded or "0.00"),
        "discountCodes": [], "discountApplications": {"nodes": []},
        "lineItems": {"nodes": [{
            "id": line_id, "title": "Family Box", "sku": "BOX-FAM", "quantity": quantity,
            "product": {"id": "gid://shopify/Product/1", "productType": "Meal Kits"},
            "variant": {"id": "gid://shopify/ProductVariant/11"}, "originalUnitPriceSet": money(unit),
            "discountAllocations": [],
        }]},
        "shippingLines": {"nodes": [{"id": f"gid://shopify/ShippingLine/{number}", "title": "Standard", "code": "STD",
                                     "originalPriceSet": money("0.00"), "discountedPriceSet": money("0.00")}]},
        "transactions": [{"id": f"gid://shopify/OrderTransaction/{number}", "kind": "SALE", "status": "SUCCESS",
                          "gateway": "shopify_payments", "processedAt": iso(created), "amountSet": money(total)}],
        "refunds": refunds,
        "customerJourneySummary": {
            "customerOrderIndex": 0, "daysToConversion": 0,
            "firstVisit": {"landingPage": "https://forkful.example/?utm_source=google&utm_medium=cpc",
                           "referrerUrl": "https://www.google.com/", "source": "google",
                           "occurredAt": iso(created - timedelta(minutes=20)),
                           "utmParameters": {"source": "google", "medium": "cpc", "campaign": "brand",
                                             "content": None, "term": None}},
            "lastVisit": None,
        },
    }


def make_customer(number: int, created: datetime, updated: datetime, orders: int = 1) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/Customer/{number}", "createdAt": iso(created), "updatedAt": iso(updated),
        "email": f"cust{number}@example.com", "firstName": "Ada", "lastName": f"Num{number}", "state": "ENABLED",
        "numberOfOrders": str(orders), "amountSpent": {"amount": "50.00", "currencyCode": "USD"},
        "tags": [], "defaultAddress": {"countryCodeV2": "US", "provinceCode": "NY"},
    }


def make_product(number: int, updated: datetime, variants: list[tuple[str, str, str | None]], *,
                 product_type: str = "Meal Kits", created: datetime | None = None) -> dict[str, Any]:
    """A Product node in the shape the connector's query asks for; variants: (sku, price, unit cost or None
    when the merchant entered no cost: ``inventoryItem.unitCost`` is null)."""
    nodes = []
    for i, (sku, price, cost) in enumerate(variants, start=1):
        variant_id = number * 100 + i
        nodes.append({
            "id": f"gid://shopify/ProductVariant/{variant_id}", "sku": sku, "title": f"Option {i}", "price": price,
            "inventoryItem": {"id": f"gid://shopify/InventoryItem/{variant_id}",
                              "unitCost": None if cost is None else {"amount": cost, "currencyCode": "USD"}},
        })
    return {"id": f"gid://shopify/Product/{number}", "title": f"Product {number}", "productType": product_type,
            "updatedAt": iso(updated), "variants": {"nodes": nodes}}


FIXTURE_START = datetime(2026, 2, 1, 12, tzinfo=UTC)


def fixture_shop(orders: int = 230, customers: int = 120) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Orders placed 7 minutes apart (every 10th updated again an hour later by a refund; several share an
    updatedAt) and customers updated 11 minutes apart."""
    order_nodes = []
    for n in range(1, orders + 1):
        created = FIXTURE_START + timedelta(minutes=7 * (n // 2))  # pairs share a timestamp
        refunded = "10.00" if n % 10 == 0 else None
        updated = created + timedelta(hours=1) if refunded else created
        order_nodes.append(make_order(n, created, updated, 1 + n % customers, quantity=1 + n % 3, refunded=refunded))
    customer_nodes = [
        make_customer(n, FIXTURE_START - timedelta(days=1), FIXTURE_START + timedelta(minutes=11 * n))
        for n in range(1, customers + 1)
    ]
    return order_nodes, customer_nodes


def fixture_products(products: int = 8) -> list[dict[str, Any]]:
    """Products updated 13 minutes apart with 1-3 variants each; every third product's last variant has no
    unit cost, and products 2 and 3 share an updatedAt."""
    nodes = []
    for n in range(1, products + 1):
        variants: list[tuple[str, str, str | None]] = []
        count = 1 + (n + 1) % 3
        for v in range(1, count + 1):
            price = f"{10 * n + v}.00"
            cost = None if n % 3 == 0 and v == count else f"{4 * n + v}.25"
            variants.append((f"SKU-{n}-{v}", price, cost))
        updated = FIXTURE_START - timedelta(days=2) + timedelta(minutes=13 * (n if n != 3 else 2))
        nodes.append(make_product(n, updated, variants, product_type="Add-ons" if n % 2 else "Meal Kits"))
    return nodes


# ---------------------------------------------------------------- the fake


class FakeShopify(FakeService):
    def __init__(
        self,
        orders: list[dict[str, Any]] | None = None,
        customers: list[dict[str, Any]] | None = None,
        products: list[dict[str, Any]] | None = None,
        *,
        token: str = "shpat_test_token",
        shop_name: str = "Forkful Test Shop",
        clock: Callable[[], float] = time.monotonic,
        maximum: float = 1000.0,
        restore_rate: float = 50.0,
        max_cost: float = 1000.0,
        node_cost: dict[str, int] | None = None,
    ) -> None:
        super().__init__()
        self.orders = {node["id"]: node for node in orders or []}
        self.customers = {node["id"]: node for node in customers or []}
        self.products = {node["id"]: node for node in products or []}
        self.token = token
        self.shop_name = shop_name
        self.clock = clock
        self.maximum = maximum
        self.restore_rate = restore_rate
        self.max_cost = max_cost
        self.node_cost = {"orders": 5, "customers": 2, "products": 301, **(node_cost or {})}
        self.served: list[Served] = []
        self.fail_after_pages: int | None = None
        self.after_page: Callable[[int], None] | None = None
        self.throttled_status = 200
        self.bulk_polls = 2
        self.bulk_fail: str | None = None
        self.bulk_operations: list[dict[str, Any]] = []
        self._available = maximum
        self._at = clock()
        self._lock = threading.Lock()

    # -- fixture changes -------------------------------------------------------------------------

    def touch_order(self, order_id: str, at: datetime, **changes: Any) -> dict[str, Any]:
        """A new version of an order: ``updatedAt`` set to ``at``, other fields replaced by ``changes``."""
        node = {**self.orders[order_id], **changes, "updatedAt": iso(at)}
        self.orders[order_id] = node
        return node

    def touch_product(self, product_id: str, at: datetime, **changes: Any) -> dict[str, Any]:
        """A new version of a product: ``updatedAt`` set to ``at``, other fields replaced by ``changes``."""
        node = {**self.products[product_id], **changes, "updatedAt": iso(at)}
        self.products[product_id] = node
        return node

    @property
    def bucket_available(self) -> float:
        with self._lock:
            return self._refill()

    @bucket_available.setter
    def bucket_available(self, points: float) -> None:
        with self._lock:
            self._available = points
            self._at = self.clock()

    # -- protocol --------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [Route("/admin/api/{version}/graphql.json", self._graphql, methods=["POST"]),
                Route("/bulk/{number:int}.jsonl", self._bulk_file, methods=["GET"])]

    def error_body(self, status: int) -> Any:
        if status == 429:
            return {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume "
                              "uninterrupted service."}
        if status >= 500:
            return {"errors": "Internal Server Error"}
        return {"errors": "Bad Request"}

    def expired_token_response(self) -> tuple[int, Any]:
        return 401, {"errors": INVALID_TOKEN}

    async def _graphql(self, request: Request) -> JSONResponse:
        if request.headers.get("x-shopify-access-token") != self.token:
            return JSONResponse({"errors": INVALID_TOKEN}, status_code=401)
        try:
            body = json.loads(await request.body())
            document = body["query"]
            variables = body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"errors": [{"message": "Invalid JSON body"}]}, status_code=400)
        match = _ROOT.match(document)
        root = match.group(1) if match else ""
        if root == "shop":
            return self._answer(1, 1, {"shop": {"name": self.shop_name, "myshopifyDomain": "forkful.myshopify.com",
                                                "currencyCode": "USD"}})
        if root == "bulkOperationRunQuery":
            return self._answer(10, 10, {"bulkOperationRunQuery": self._bulk_run(variables.get("query") or "")})
        if root == "currentBulkOperation":
            return self._answer(1, 1, {"currentBulkOperation": self._bulk_poll(str(request.base_url).rstrip("/"))})
        if root not in ("orders", "customers", "products"):
            return JSONResponse({"errors": [{"message": f"Field '{root}' doesn't exist on type 'QueryRoot'",
                                             "extensions": {"code": "undefinedField"}}]})
        if self.fail_after_pages is not None and len(self.served) >= self.fail_after_pages:
            return JSONResponse({"errors": INVALID_TOKEN}, status_code=401)
        first = int(variables.get("first") or 0)
        if not 1 <= first <= 250:
            return JSONResponse({"errors": [{"message": "you must provide one of first or last (at most 250)",
                                             "extensions": {"code": "argumentLiteralsIncompatible"}}]})
        requested = 2 + first * self.node_cost[root]
        if requested > self.max_cost:
            return JSONResponse({
                "errors": [{"message": f"Query cost is {requested}, which exceeds the single query max cost "
                                       f"limit ({self.max_cost:g}).", "extensions": {"code": "MAX_COST_EXCEEDED",
                                                                                     "cost": requested,
                                                                                     "maxCost": self.max_cost}}],
                "extensions": {"cost": self._cost(requested, None)},
            })
        with self._lock:
            if self._refill() < requested - 1e-6:
                return JSONResponse(status_code=self.throttled_status, content={
                    "errors": [{"message": "Throttled", "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                    "extensions": {"cost": self._cost(requested, None)},
                })
            self._available -= requested
        nodes, end, more = self._page(root, variables)
        actual = 2 + len(nodes) * self.node_cost[root]
        with self._lock:
            self._available = min(self.maximum, self._available + requested - actual)
        self.served.append(Served(root, dict(variables), [node["id"] for node in nodes]))
        if self.after_page is not None:
            self.after_page(len(self.served))
        data = {root: {"pageInfo": {"hasNextPage": more, "endCursor": end}, "nodes": nodes}}
        return JSONResponse({"data": data, "extensions": {"cost": self._cost(requested, actual)}})

    # -- bulk operations -------------------------------------------------------------------------

    def _bulk_run(self, inner: str) -> dict[str, Any]:
        running = [op for op in self.bulk_operations if op["status"] in ("CREATED", "RUNNING")]
        if running:
            message = f"A bulk query operation for this app and shop is already in progress: {running[0]['id']}."
            return {"bulkOperation": None, "userErrors": [{"field": None, "message": message}]}
        root = re.search(r"\{\s*(\w+)", inner)
        search = re.search(r'query:\s*("(?:[^"\\]|\\.)*")', inner)
        operation = {"id": f"gid://shopify/BulkOperation/{len(self.bulk_operations) + 1}", "status": "CREATED",
                     "root": root.group(1) if root else "", "query": inner, "polls": 0,
                     "search": json.loads(search.group(1)) if search else None, "nodes": []}
        self.bulk_operations.append(operation)
        return {"bulkOperation": {"id": operation["id"], "status": "CREATED"}, "userErrors": []}

    def _bulk_poll(self, base_url: str) -> dict[str, Any] | None:
        if not self.bulk_operations:
            return None
        operation = self.bulk_operations[-1]
        answer = {"id": operation["id"], "errorCode": None, "objectCount": "0", "url": None, "partialDataUrl": None}
        if operation["status"] in ("COMPLETED", "FAILED"):
            return {**answer, **operation["answer"]}
        operation["polls"] += 1
        if operation["polls"] < self.bulk_polls:
            operation["status"] = "RUNNING"
            return {**answer, "status": "RUNNING"}
        if self.bulk_fail:
            operation["status"] = "FAILED"
            operation["answer"] = {"status": "FAILED", "errorCode": self.bulk_fail}
            return {**answer, **operation["answer"]}
        nodes, _, _ = self._page(operation["root"], {"first": 10**9, "query": operation["search"]})
        operation["nodes"] = json.loads(json.dumps(nodes))
        number = operation["id"].rsplit("/", 1)[1]
        operation["status"] = "COMPLETED"
        operation["answer"] = {"status": "COMPLETED", "objectCount": str(len(nodes)),
                               "url": f"{base_url}/bulk/{number}.jsonl" if nodes else None}
        return {**answer, **operation["answer"]}

    async def _bulk_file(self, request: Request) -> Response:
        operation = self.bulk_operations[int(request.path_params["number"]) - 1]
        lines = []
        for node in operation["nodes"]:
            lines.extend(_flatten(node))
        body = "".join(json.dumps(line) + "\n" for line in lines)
        return Response(body, media_type="application/jsonl")

    def _answer(self, requested: int, actual: int, data: dict[str, Any]) -> JSONResponse:
        with self._lock:
            self._refill()
        return JSONResponse({"data": data, "extensions": {"cost": self._cost(requested, actual)}})

    def _refill(self) -> float:
        now = self.clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now
        return self._available

    def _cost(self, requested: float, actual: float | None) -> dict[str, Any]:
        return {"requestedQueryCost": requested, "actualQueryCost": actual,
                "throttleStatus": {"maximumAvailable": self.maximum, "currentlyAvailable": self._available,
                                   "restoreRate": self.restore_rate}}

    def _page(self, root: str, variables: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None, bool]:
        store = {"orders": self.orders, "customers": self.customers, "products": self.products}[root]
        items = sorted(store.values(), key=_sort_key)
        search = variables.get("query") or ""
        since = _SINCE.search(search)
        if since:
            op, value = since.groups()
            at = _instant(value)
            inclusive = op == ">="
            items = [n for n in items
                     if _instant(n["updatedAt"]) > at or (inclusive and _instant(n["updatedAt"]) == at)]
        after = variables.get("after")
        if after:
            last = _decode(after)
            items = [n for n in items if _sort_key(n) > last]
        first = int(variables["first"])
        page = items[:first]
        end = _encode(_sort_key(page[-1])) if page else None
        return page, end, len(items) > first


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _sort_key(node: dict[str, Any]) -> tuple[str, int]:
    return iso(_instant(node["updatedAt"])), int(node["id"].rsplit("/", 1)[1])


def _encode(key: tuple[str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps({"last_id": key[1], "last_value": key[0]}).encode()).decode()


def _decode(cursor: str) -> tuple[str, int]:
    data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return data["last_value"], int(data["last_id"])


_TYPES = {"lineItems": "LineItem", "shippingLines": "ShippingLine", "refundLineItems": "RefundLineItem",
          "variants": "ProductVariant"}
_CONNECTIONS = ("discountApplications", "lineItems", "shippingLines", "variants")


def _flatten(node: dict[str, Any]) -> list[dict[str, Any]]:
    """A node as bulk JSONL lines: the node without its connections, then each connection's nodes."""
    root = {k: v for k, v in node.items() if k not in _CONNECTIONS}
    root["refunds"] = [{k: v for k, v in r.items() if k != "refundLineItems"} for r in node.get("refunds", [])]
    if "refunds" not in node:
        del root["refunds"]
    children = []
    for field in _CONNECTIONS:
        for child in (node.get(field) or {}).get("nodes", []):
            typed = child if "__typename" in child else {"__typename": _TYPES[field], **child}
            children.append({**typed, "__parentId": node["id"]})
    for refund in node.get("refunds", []):
        for child in refund.get("refundLineItems", {}).get("nodes", []):
            children.append({"__typename": "RefundLineItem", **child, "__parentId": refund["id"]})
    return [root, *children]
