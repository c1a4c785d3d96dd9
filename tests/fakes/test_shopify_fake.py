"""The Shopify GraphQL fake, driven with plain httpx: auth, cursor paging, the updated_at filter, cost and
THROTTLED, bulk JSONL lines."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from fakes.shopify import INVALID_TOKEN, FakeShopify, ManualClock, fixture_products, fixture_shop

TOKEN = "shpat_fake"
PATH = "/admin/api/2025-01/graphql.json"
ORDERS = "query Orders($first: Int!, $after: String, $query: String) { orders(first: $first, after: $after, " \
    "query: $query, sortKey: UPDATED_AT) { pageInfo { hasNextPage endCursor } nodes { id updatedAt } } }"


@pytest.fixture
def shop() -> Iterator[tuple[FakeShopify, str, ManualClock]]:
    clock = ManualClock()
    orders, customers = fixture_shop(25, 5)
    fake = FakeShopify(orders, customers, token=TOKEN, clock=clock, node_cost={"orders": 10})
    with fake.serve() as base_url:
        yield fake, base_url, clock


def post(base_url: str, document: str, token: str = TOKEN, **variables) -> httpx.Response:
    return httpx.post(base_url + PATH, json={"query": document, "variables": variables},
                      headers={"X-Shopify-Access-Token": token})


def test_a_wrong_token_gets_shopifys_401(shop):
    _, base_url, _ = shop
    response = post(base_url, "{ shop { name } }", token="nope")
    assert response.status_code == 401 and response.json() == {"errors": INVALID_TOKEN}


def test_cursor_pages_cover_every_order_once_in_updated_at_order(shop):
    fake, base_url, _ = shop
    ids, after, pages = [], None, 0
    while True:
        body = post(base_url, ORDERS, first=10, after=after).json()
        connection = body["data"]["orders"]
        ids += [n["id"] for n in connection["nodes"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == 3 and sorted(ids) == sorted(fake.orders) and len(ids) == 25
    stamps = [fake.orders[i]["updatedAt"] for i in ids]
    assert stamps == sorted(stamps)


def test_the_updated_at_filter_is_inclusive(shop):
    fake, base_url, _ = shop
    pivot = sorted(o["updatedAt"] for o in fake.orders.values())[20]
    body = post(base_url, ORDERS, first=50, query=f"updated_at:>='{pivot}'").json()
    got = {n["id"] for n in body["data"]["orders"]["nodes"]}
    assert got == {i for i, o in fake.orders.items() if o["updatedAt"] >= pivot}


def test_cost_extension_and_throttling_follow_the_leaky_bucket(shop):
    fake, base_url, clock = shop
    body = post(base_url, ORDERS, first=50).json()
    # requested 2 + 50 x 10 = 502, actual 2 + 25 x 10 = 252: the bucket keeps 1000 - 252.
    assert body["extensions"]["cost"] == {"requestedQueryCost": 502, "actualQueryCost": 252, "throttleStatus": {
        "maximumAvailable": 1000.0, "currentlyAvailable": 748.0, "restoreRate": 50.0}}
    fake.bucket_available = 100
    throttled = post(base_url, ORDERS, first=50).json()
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED" and "data" not in throttled
    assert throttled["extensions"]["cost"]["actualQueryCost"] is None
    clock.advance(8.04)  # (502 - 100) / 50
    assert "data" in post(base_url, ORDERS, first=50).json()


def test_a_bulk_operation_runs_polls_and_serves_jsonl_lines(shop):
    fake, base_url, _ = shop
    run = post(base_url, "mutation { bulkOperationRunQuery(query: $query) { bulkOperation { id } } }",
               query='{ orders(query: "updated_at:>=\'2026-02-01T12:00:00Z\'") { edges { node { id } } } }').json()
    operation = run["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
    poll = "{ currentBulkOperation { id status url } }"
    assert post(base_url, poll).json()["data"]["currentBulkOperation"]["status"] == "RUNNING"
    done = post(base_url, poll).json()["data"]["currentBulkOperation"]
    assert (done["id"], done["status"]) == (operation, "COMPLETED")
    lines = [json.loads(line) for line in httpx.get(done["url"]).text.splitlines()]
    roots = [line for line in lines if "__parentId" not in line]
    assert len(roots) == 25 and "lineItems" not in roots[0]
    items = [line for line in lines if line.get("__typename") == "LineItem"]
    assert len(items) == 25 and items[0]["__parentId"] == roots[0]["id"]
    refund_lines = [line for line in lines if line.get("__typename") == "RefundLineItem"]
    assert [r["__parentId"] for r in refund_lines] == [r["refunds"][0]["id"] for r in roots if r["refunds"]]


PRODUCTS = "query Products($first: Int!, $after: String, $query: String) { products(first: $first, after: $after, " \
    "query: $query, sortKey: UPDATED_AT) { pageInfo { hasNextPage endCursor } nodes { id updatedAt } } }"


def test_products_page_by_updated_at_cost_301_points_each_and_bulk_lines_carry_their_variants():
    clock = ManualClock()
    products = fixture_products(8)
    fake = FakeShopify([], [], products, token=TOKEN, clock=clock)
    with fake.serve() as base_url:
        body = post(base_url, PRODUCTS, first=3).json()
        # requested 2 + 3 x 301 = 905; three products returned: actual 905, the bucket keeps 1000 - 905
        assert body["extensions"]["cost"]["requestedQueryCost"] == 905
        assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 95.0
        page = body["data"]["products"]
        assert page["pageInfo"]["hasNextPage"] is True
        assert page["nodes"] == sorted(products, key=lambda p: (p["updatedAt"], int(p["id"].rsplit("/", 1)[1])))[:3]
        assert post(base_url, PRODUCTS, first=3).json()["errors"][0]["extensions"]["code"] == "THROTTLED"

        post(base_url, "mutation { bulkOperationRunQuery(query: $query) { bulkOperation { id } } }",
             query="{ products { edges { node { id variants { edges { node { id } } } } } } }")
        poll = "{ currentBulkOperation { id status url } }"
        post(base_url, poll)
        done = post(base_url, poll).json()["data"]["currentBulkOperation"]
        lines = [json.loads(line) for line in httpx.get(done["url"]).text.splitlines()]
    roots = [line for line in lines if "__parentId" not in line]
    variants = [line for line in lines if line.get("__typename") == "ProductVariant"]
    assert len(roots) == 8 and all("variants" not in r for r in roots)
    assert len(variants) == sum(len(p["variants"]["nodes"]) for p in products)
    assert {v["__parentId"] for v in variants} == {p["id"] for p in products}
    assert sum(v["inventoryItem"]["unitCost"] is None for v in variants) == 2  # products 3 and 6
