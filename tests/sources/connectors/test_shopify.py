"""The Shopify connector against the fake GraphQL Admin API over real HTTP on 127.0.0.1.

Expectations come from the fixture shop itself (the nodes the fake holds), not from the connector: a
full sync stores exactly those nodes; an incremental one asks only for what changed since the cursor
minus the lookback; faults and interruptions end with the same raw layer as a clean run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fakes.shopify import (
    INVALID_TOKEN,
    FakeShopify,
    ManualClock,
    fixture_products,
    fixture_shop,
    iso,
    make_customer,
    make_order,
)

from growthos.sources.connectors import REGISTRY, ConnectionConfig
from growthos.sources.http import AuthError, RetryPolicy, Timeouts
from growthos.sources.shopify import sync_shopify
from growthos.sources.shopify.graphql import shop_domain
from growthos.sources.shopify.sync import search_since
from growthos.sources.sync import sync_connection
from growthos.sources.sync_state import load_state, parse_instant
from growthos.warehouse.raw import ensure_raw_table

TOKEN = "shpat_test_token"


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeShopify]:
    orders, customers = fixture_shop()
    service = FakeShopify(orders, customers, fixture_products(), token=TOKEN, clock=clock)
    with service.serve():
        yield service


def _config(fake: FakeShopify, token: str = TOKEN) -> ConnectionConfig:
    return ConnectionConfig("main-shop", "shopify", {"shop_domain": "forkful.myshopify.com"},
                            {"access_token": token}, api_base_url=fake.base_url)


def _sync(fake, warehouse, clock, **kw):
    kw.setdefault("retry", RetryPolicy(sleep=clock.advance, random=lambda: 0.5, base_delay=0.2))
    return sync_shopify(_config(fake), warehouse, clock=clock, **kw)


def _raw(warehouse) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """raw_events as {(entity, id): [payloads, oldest ingestion first]}."""
    ensure_raw_table(warehouse)
    rows = warehouse.query(
        "SELECT entity, external_id, payload, source_updated_at FROM raw_events WHERE source = 'shopify' "
        "ORDER BY ingest_seq"
    ).to_pylist()
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        payload = json.loads(row["payload"])
        assert parse_instant(payload["updatedAt"]) == row["source_updated_at"]
        out.setdefault((row["entity"], row["external_id"]), []).append(payload)
    return out


def _expected(fake: FakeShopify) -> dict[tuple[str, str], list[dict[str, Any]]]:
    nodes = {("order", k): [v] for k, v in fake.orders.items()}
    nodes.update({("customer", k): [v] for k, v in fake.customers.items()})
    nodes.update({("product", k): [v] for k, v in fake.products.items()})
    return nodes


def _variables(fake: FakeShopify, root: str) -> list[dict[str, Any]]:
    out = []
    for request in fake.log.requests:
        body = request.json() or {}
        if f"{{ {root}" in body.get("query", "").replace("\n", " ").replace("  ", " ") or \
                body.get("operationName") == root.capitalize():
            out.append(body.get("variables"))
    return out


# -- full and incremental syncs ---------------------------------------------------------------------


def test_a_full_sync_stores_exactly_the_fixture_shop(fake, warehouse, clock):
    result = _sync(fake, warehouse, clock)
    assert result.fetched == {"order": 230, "customer": 120, "product": 8}
    assert result.inserted == {"order": 230, "customer": 120, "product": 8}
    assert result.pages == 8  # orders 100 + 100 + 30, customers 100 + 20, products 3 + 3 + 2
    assert (result.retries, result.errors) == (0, 0)
    assert _raw(warehouse) == _expected(fake)

    orders = [s for s in fake.served if s.root == "orders"]
    assert [len(s.ids) for s in orders] == [100, 100, 30]
    assert [s.variables["first"] for s in orders] == [100, 100, 100]
    assert orders[0].variables["after"] is None and orders[0].variables["query"] is None
    assert all(s.variables["after"] for s in orders[1:])
    first = fake.log.requests[0]
    assert first.path == "/admin/api/2025-01/graphql.json"
    assert first.headers["x-shopify-access-token"] == TOKEN
    assert "sortKey: UPDATED_AT" in first.json()["query"]

    latest_order = max(parse_instant(o["updatedAt"]) for o in fake.orders.values())
    latest_customer = max(parse_instant(c["updatedAt"]) for c in fake.customers.values())
    latest_product = max(parse_instant(p["updatedAt"]) for p in fake.products.values())
    assert parse_instant(load_state(warehouse, "main-shop", "orders").cursor) == latest_order
    assert parse_instant(load_state(warehouse, "main-shop", "customers").cursor) == latest_customer
    assert parse_instant(load_state(warehouse, "main-shop", "products").cursor) == latest_product
    products = [s for s in fake.served if s.root == "products"]
    assert [len(s.ids) for s in products] == [3, 3, 2] and [s.variables["first"] for s in products] == [3, 3, 3]
    assert any(v["inventoryItem"]["unitCost"] is None for p in fake.products.values() for v in p["variants"]["nodes"])


def test_an_incremental_sync_asks_only_for_records_changed_since_the_cursor_minus_the_lookback(
    fake, warehouse, clock
):
    _sync(fake, warehouse, clock)
    old_cursor = parse_instant(load_state(warehouse, "main-shop", "orders").cursor)
    later = old_cursor + timedelta(days=1)
    changed = ["gid://shopify/Order/3", "gid://shopify/Order/150", "gid://shopify/Order/17"]
    for i, order_id in enumerate(changed):
        fake.touch_order(order_id, later + timedelta(minutes=i), displayFinancialStatus="REFUNDED")
    fake.customers["gid://shopify/Customer/5"] = make_customer(
        5, parse_instant(fake.customers["gid://shopify/Customer/5"]["createdAt"]), later, orders=2)
    fake.served.clear()
    fake.log.clear()

    lookback = timedelta(minutes=30)
    result = _sync(fake, warehouse, clock, lookback=lookback)

    since = old_cursor - lookback
    expected_ids = sorted(
        (node for node in fake.orders.values() if parse_instant(node["updatedAt"]) >= since),
        key=lambda n: (n["updatedAt"], int(n["id"].rsplit("/", 1)[1])),
    )
    served_orders = [i for s in fake.served if s.root == "orders" for i in s.ids]
    assert served_orders == [n["id"] for n in expected_ids]
    assert set(changed) <= set(served_orders) and len(served_orders) < 10
    assert _variables(fake, "orders")[0]["query"] == f"updated_at:>='{iso(since)}'"
    assert result.inserted == {"order": 3, "customer": 1, "product": 0}
    stored = _raw(warehouse)
    for order_id in changed:
        assert [p["displayFinancialStatus"] for p in stored[("order", order_id)]][-1] == "REFUNDED"
    assert {k: v[-1] for k, v in stored.items()} == {k: v[-1] for k, v in _expected(fake).items()}


def test_a_full_resync_reads_everything_and_stores_nothing_new(fake, warehouse, clock):
    _sync(fake, warehouse, clock)
    result = _sync(fake, warehouse, clock, full=True)
    assert result.fetched == {"order": 230, "customer": 120, "product": 8}
    assert result.inserted == {"order": 0, "customer": 0, "product": 0}
    assert _raw(warehouse) == _expected(fake)


def test_an_incremental_sync_fetches_only_the_products_changed_since_the_cursor(fake, warehouse, clock):
    _sync(fake, warehouse, clock)
    cursor = parse_instant(load_state(warehouse, "main-shop", "products").cursor)
    later = cursor + timedelta(hours=2)
    p2 = fake.products["gid://shopify/Product/2"]
    new_cost = [{**v, "inventoryItem": {**v["inventoryItem"], "unitCost": {"amount": "9.75", "currencyCode": "USD"}}}
                for v in p2["variants"]["nodes"]]
    fake.touch_product(p2["id"], later, variants={"nodes": new_cost})
    fake.touch_product("gid://shopify/Product/6", later + timedelta(minutes=1), title="Renamed")
    fake.served.clear()
    fake.log.clear()

    result = _sync(fake, warehouse, clock, streams=["products"], lookback=timedelta(0))

    # the filter is inclusive (>= the cursor): the product stamped exactly at the cursor is read again
    expected = sorted((p for p in fake.products.values() if parse_instant(p["updatedAt"]) >= cursor),
                      key=lambda p: (p["updatedAt"], int(p["id"].rsplit("/", 1)[1])))
    served = [i for s in fake.served if s.root == "products" for i in s.ids]
    assert served == [p["id"] for p in expected] == [
        "gid://shopify/Product/8", "gid://shopify/Product/2", "gid://shopify/Product/6"]
    assert _variables(fake, "products")[0]["query"] == f"updated_at:>='{iso(cursor)}'"
    assert result.fetched == {"product": 3} and result.inserted == {"product": 2}
    stored = _raw(warehouse)
    assert len(stored[("product", p2["id"])]) == 2  # both versions kept, the newest last
    assert stored[("product", p2["id"])][-1]["variants"]["nodes"][0]["inventoryItem"]["unitCost"]["amount"] == "9.75"
    assert {k: v[-1] for k, v in stored.items()} == {k: v[-1] for k, v in _expected(fake).items()}
    assert parse_instant(load_state(warehouse, "main-shop", "products").cursor) == later + timedelta(minutes=1)


# -- faults -----------------------------------------------------------------------------------------

FAULTS = {
    "429 Retry-After": lambda f: f.faults.status(429, headers={"Retry-After": "2"}),
    "500": lambda f: f.faults.status(500),
    "503": lambda f: f.faults.status(503, body="<html>Service Unavailable</html>"),
    "read timeout": lambda f: f.faults.timeout(0.1),
    "malformed JSON": lambda f: f.faults.malformed_json(),
    "truncated page": lambda f: f.faults.truncated(),
    "connection cut mid-page": lambda f: f.faults.truncated(cut_connection=True),
}


@pytest.mark.parametrize("page", [0, 2])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_sync_under_a_fault_stores_the_same_records_as_a_clean_sync(fake, warehouse, clock, fault, page):
    inject = FAULTS[fault]
    if page == 0:
        inject(fake)
    else:
        fake.after_page = lambda served: inject(fake) if served == page else None
    result = _sync(fake, warehouse, clock, timeouts=Timeouts(connect=1.0, read=0.05))
    assert result.retries >= 1 and result.errors >= 1
    assert result.fetched == {"order": 230, "customer": 120, "product": 8}
    assert _raw(warehouse) == _expected(fake)  # nothing lost, nothing stored twice
    assert sum(r.fault is not None for r in fake.log.requests) == 1
    if fault == "429 Retry-After":
        assert 2.0 in clock.sleeps


def test_an_interrupted_sync_resumes_from_its_saved_state(fake, warehouse, clock):
    fake.fail_after_pages = 2
    with pytest.raises(AuthError, match="Invalid API key"):
        _sync(fake, warehouse, clock, lookback=timedelta(0))
    stored = _raw(warehouse)
    first_two = [i for s in fake.served for i in s.ids]
    assert sorted(k[1] for k in stored) == sorted(first_two) and len(first_two) == 200
    cursor = load_state(warehouse, "main-shop", "orders").cursor
    assert parse_instant(cursor) == max(parse_instant(fake.orders[i]["updatedAt"]) for i in first_two)
    assert load_state(warehouse, "main-shop", "customers").cursor is None

    fake.fail_after_pages = None
    fake.served.clear()
    result = _sync(fake, warehouse, clock, lookback=timedelta(0))
    resumed = [i for s in fake.served if s.root == "orders" for i in s.ids]
    expected = [n["id"] for n in sorted(fake.orders.values(), key=lambda n: (n["updatedAt"], int(n["id"][20:])))
                if parse_instant(n["updatedAt"]) >= parse_instant(cursor)]
    assert resumed == expected and len(resumed) < 40
    assert result.fetched["customer"] == 120
    assert _raw(warehouse) == _expected(fake)


def test_an_expired_token_mid_sync_keeps_what_was_stored(fake, warehouse, clock):
    fake.after_page = lambda served: fake.faults.expired_token() if served == 1 else None
    with pytest.raises(AuthError, match=r"HTTP 401: \[API\] Invalid API key"):
        _sync(fake, warehouse, clock)
    assert len(_raw(warehouse)) == 100
    fake.after_page = None
    _sync(fake, warehouse, clock)
    assert _raw(warehouse) == _expected(fake)


# -- cost throttling --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 429])
def test_throttled_waits_the_computed_restore_time_then_paces_itself(fake, warehouse, clock, status):
    fake.throttled_status = status
    fake.bucket_available = 100  # bucket 1000, restore 50/s; an orders page requests 2 + 100 x 5 = 502
    result = _sync(fake, warehouse, clock, streams=["orders"])
    # THROTTLED at 100 points: (502 - 100) / 50; then each next page finds the bucket at 0 (a full page
    # costs all it requested) and waits for 502 points before asking: 502 / 50.
    assert clock.sleeps == pytest.approx([8.04, 10.04, 10.04])
    assert result.retries == 1 and result.waited == pytest.approx(28.12)
    throttled = [r for r in fake.log.requests if r.fault is None]
    assert len(throttled) == 4  # one THROTTLED answer, three pages
    assert result.fetched == {"order": 230}


def test_a_query_above_the_max_cost_is_retried_with_smaller_pages(clock, warehouse):
    orders, customers = fixture_shop(60, 10)
    fake = FakeShopify(orders, customers, token=TOKEN, clock=clock, node_cost={"orders": 20}, restore_rate=1000)
    with fake.serve():
        result = _sync(fake, warehouse, clock)
    assert [s.variables["first"] for s in fake.served if s.root == "orders"] == [25, 25, 25]
    assert result.fetched == {"order": 60, "customer": 10, "product": 0}
    assert _raw(warehouse) == _expected(fake)


# -- test(), the registry, domains ------------------------------------------------------------------


def test_the_connection_test_returns_the_shop_name(fake):
    assert REGISTRY["shopify"].test(_config(fake)) == "Forkful Test Shop"
    assert "shop { name" in fake.log.requests[-1].json()["query"]


def test_a_bad_token_is_an_auth_error_with_shopifys_message(fake, warehouse, clock):
    with pytest.raises(AuthError) as info:
        REGISTRY["shopify"].test(_config(fake, token="shpat_wrong"))
    assert INVALID_TOKEN in info.value.message and info.value.http_status == 401
    assert len(fake.log) == 1  # not retried
    with pytest.raises(AuthError, match="unrecognized login or wrong password"):
        sync_shopify(_config(fake, token="shpat_wrong"), warehouse, clock=clock)


def test_sync_connection_dispatches_through_the_registry(warehouse):
    orders = [make_order(n, parse_instant("2026-02-01T10:00:00Z"), parse_instant(f"2026-02-01T1{n}:00:00Z"), 1)
              for n in range(1, 4)]
    fake = FakeShopify(orders, [], token=TOKEN, restore_rate=100000)
    with fake.serve():
        result = sync_connection(_config(fake), warehouse)
    assert (result.kind, result.connection, result.fetched) == ("shopify", "main-shop",
                                                                {"order": 3, "customer": 0, "product": 0})


def test_shop_domains_are_normalised():
    assert shop_domain("Forkful") == "forkful.myshopify.com"
    assert shop_domain("https://forkful.myshopify.com/admin") == "forkful.myshopify.com"
    assert search_since(parse_instant("2026-02-01T12:00:00.5+01:00")) == "updated_at:>='2026-02-01T11:00:00Z'"


# -- what staging reads ------------------------------------------------------------------------------


def test_synced_records_build_into_staging_without_quarantine(fake, warehouse, clock, make_settings):
    from growthos.warehouse.build import run_models

    _sync(fake, warehouse, clock)
    run_models(warehouse, make_settings())
    counts = warehouse.query(
        "SELECT (SELECT count(*) FROM stg_orders) AS orders, (SELECT count(*) FROM stg_customers) AS customers, "
        "(SELECT count(*) FROM stg_quarantine) AS quarantined, (SELECT sum(refunds) FROM stg_orders) AS refunds, "
        "(SELECT count(*) FROM stg_variant_costs) AS variants, "
        "(SELECT count(*) FILTER (WHERE has_unit_cost) FROM stg_variant_costs) AS costed"
    ).to_pylist()[0]
    # 23 of the 230 orders (every 10th) carry a 10.00 refund.
    assert (counts["orders"], counts["customers"], counts["quarantined"]) == (230, 120, 0)
    assert float(counts["refunds"]) == 230.0
    variants = [v for p in fake.products.values() for v in p["variants"]["nodes"]]
    assert (counts["variants"], counts["costed"]) == (
        len(variants), sum(v["inventoryItem"]["unitCost"] is not None for v in variants))


def _selection(document: str) -> dict[str, Any]:
    """The selection tree of a GraphQL document (arguments dropped, fragments and inline fragments merged)."""
    import re

    tokens = re.findall(r"\.\.\.|[A-Za-z_]\w*|[{}()]|\$\w+|\"[^\"]*\"|[^\s{}()]", document)
    fragments: dict[str, list[str]] = {}
    main: list[str] = []
    i = 0
    while i < len(tokens):  # split into the operation and the named fragments (token lists of their bodies)
        depth, start = 0, i
        name = tokens[i + 1] if tokens[i] == "fragment" else None
        while True:
            if tokens[i] == "(":
                while tokens[i] != ")":
                    i += 1
            elif tokens[i] == "{":
                depth += 1
            elif tokens[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        body = tokens[tokens.index("{", start) + 1:i]
        (fragments.__setitem__(name, body) if name else main.extend(body))
        i += 1

    def parse(items: list[str]) -> dict[str, Any]:
        tree: dict[str, Any] = {}
        j = 0
        while j < len(items):
            tok = items[j]
            if tok == "(":
                while items[j] != ")":
                    j += 1
                j += 1
                continue
            if tok == "...":
                if items[j + 1] == "on":  # inline fragment: merge its selection
                    j += 3
                    sub, j = _block(items, j)
                    _merge(tree, parse(sub))
                else:
                    _merge(tree, parse(fragments[items[j + 1]]))
                    j += 2
                continue
            j += 1
            if j < len(items) and items[j] == "(":
                while items[j] != ")":
                    j += 1
                j += 1
            if j < len(items) and items[j] == "{":
                sub, j = _block(items, j)
                _merge(tree.setdefault(tok, {}), parse(sub))
            else:
                tree.setdefault(tok, {})
        return tree

    return parse(main)


def _block(items: list[str], j: int) -> tuple[list[str], int]:
    depth, start = 0, j
    while True:
        depth += {"{": 1, "}": -1}.get(items[j], 0)
        j += 1
        if depth == 0:
            return items[start + 1:j - 1], j


def _merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        _merge(into.setdefault(key, {}), value)


def _spec_paths(spec: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(spec, list):
        return _spec_paths(spec[0], prefix)
    if isinstance(spec, dict):
        return [p for key, value in spec.items() for p in _spec_paths(value, prefix + (key,))]
    return [prefix]


@pytest.mark.parametrize(("model", "stream"), [("int_orders_current", "orders"),
                                               ("int_customers_checked", "customers"),
                                               ("int_products_checked", "products")])
def test_the_query_asks_for_every_field_staging_reads(model, stream):
    import re
    from pathlib import Path

    import growthos.warehouse as warehouse_pkg
    from growthos.sources.shopify.streams import STREAMS

    sql = (Path(warehouse_pkg.__file__).parent / "models" / "staging" / f"{model}.sql").read_text()
    spec = json.loads(re.search(r"json_transform\(payload, '(\{.*?\})'\)", sql, re.S).group(1))
    tree = _selection(STREAMS[stream].query)[stream]["nodes"]
    missing = []
    for path in _spec_paths(spec):
        node = tree
        for key in path:
            if key not in node:
                missing.append(".".join(path))
                break
            node = node[key]
    assert missing == []


DEMO_ONLY_FIELDS = {"shop"}
"""The demo's Order node names its store in ``shop``; the Order object of the real API has no such field."""


@pytest.mark.parametrize(("entity", "stream"), [("order", "orders"), ("customer", "customers"),
                                                 ("product", "products")])
def test_the_query_asks_for_every_field_of_the_demos_shapes(entity, stream):
    from itertools import islice

    from growthos.sources.demo import generate
    from growthos.sources.shopify.streams import STREAMS

    def paths(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
        if isinstance(value, list):
            for item in value:
                yield from paths(item, prefix)
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from paths(item, prefix + (key,))
        else:
            yield prefix

    records = [r for r in islice(generate(), 3000) if (r.source, r.entity) == ("shopify", entity)]
    seen = {p for r in records for p in paths(r.payload)}
    tree = _selection(STREAMS[stream].query)[stream]["nodes"]
    missing = set()
    for path in seen:
        node = tree
        for key in path:
            if key not in node:
                missing.add(path[0] if path[0] in DEMO_ONLY_FIELDS else ".".join(path))
                break
            node = node[key]
    assert len(seen) > 10 and missing <= DEMO_ONLY_FIELDS


# -- bulk operations ---------------------------------------------------------------------------------


def test_a_bulk_backfill_stores_the_same_records_as_paged_reads(fake, warehouse, clock):
    result = _sync(fake, warehouse, clock, bulk=True, poll_interval=1.5)
    assert result.fetched == {"order": 230, "customer": 120, "product": 8}
    assert _raw(warehouse) == _expected(fake)  # nested connections rebuilt exactly as the paged query returns them
    assert [op["root"] for op in fake.bulk_operations] == ["orders", "customers", "products"]
    assert clock.sleeps.count(1.5) == 3  # one RUNNING poll per operation
    inner = fake.bulk_operations[0]["query"]
    assert "first:" not in inner and "edges { node { __typename" in inner and "...MoneyBagFields" not in inner
    download = fake.log.matching(r"^/bulk/")[0]
    assert "x-shopify-access-token" not in download.headers  # the signed URL gets no token
    assert parse_instant(load_state(warehouse, "main-shop", "orders").cursor) == max(
        parse_instant(o["updatedAt"]) for o in fake.orders.values())

    # Paged reads after it find nothing new; a bulk read with the saved cursor filters by updated_at.
    again = _sync(fake, warehouse, clock, bulk=True, lookback=timedelta(0))
    assert again.inserted == {"order": 0, "customer": 0, "product": 0}
    assert all(op["search"].startswith("updated_at:>='") for op in fake.bulk_operations[3:])
    assert len(fake.bulk_operations) == 6


def test_a_bulk_download_cut_short_is_fetched_again(fake, warehouse, clock):
    fake.faults.truncated(cut_connection=True, path=r"^/bulk/")
    result = _sync(fake, warehouse, clock, bulk=True, streams=["orders"], poll_interval=0.1)
    assert result.fetched == {"order": 230}
    assert len(fake.log.matching(r"^/bulk/")) == 2
    assert _raw(warehouse) == {k: v for k, v in _expected(fake).items() if k[0] == "order"}


def test_a_failed_bulk_operation_is_a_terminal_error_and_stores_nothing(fake, warehouse, clock):
    from growthos.sources.http import TerminalConnectorError

    fake.bulk_fail = "INTERNAL_SERVER_ERROR"
    with pytest.raises(TerminalConnectorError, match="failed: INTERNAL_SERVER_ERROR"):
        _sync(fake, warehouse, clock, bulk=True, poll_interval=0.1)
    assert _raw(warehouse) == {}
    assert load_state(warehouse, "main-shop", "orders").cursor is None


def test_the_bulk_document_reads_every_connection_the_paged_query_does():
    from growthos.sources.shopify.bulk import bulk_document
    from growthos.sources.shopify.streams import STREAMS

    for stream in STREAMS.values():
        paged = _selection(stream.query)[stream.root]["nodes"]
        bulk = _selection(bulk_document(stream, None))[stream.root]["edges"]["node"]

        def connections(tree: dict[str, Any], prefix: str = "") -> set[str]:
            found = set()
            for key, sub in tree.items():
                if "nodes" in sub or "edges" in sub:
                    found.add(prefix + key)
                found |= connections(sub.get("nodes") or sub.get("edges", {}).get("node") or sub, prefix + key + ".")
            return found

        assert connections(paged) == set(stream.connections)
        assert {c.replace(".edges.node.", ".") for c in connections(bulk)} == set(stream.connections)
        assert len(stream.connections) + 1 <= 5  # Shopify's limit of five connections per bulk query
