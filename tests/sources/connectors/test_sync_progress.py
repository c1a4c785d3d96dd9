"""Progress while a connector syncs: every page a connector stores goes through ``SyncResult.count``, which
reports the counts so far to the callback ``reporting`` (or ``sync_connection(progress=...)``) set, without
any connector taking a parameter for it. Against the fake Shopify GraphQL Admin API (real HTTP on 127.0.0.1):
one update per stored page, counts that only grow, and the last update equal to the final SyncResult."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fakes.shopify import FakeShopify, ManualClock, fixture_products, fixture_shop

from growthos.sources.connectors import ConnectionConfig
from growthos.sources.http import RetryPolicy
from growthos.sources.shopify import sync_shopify
from growthos.sources.sync import SyncProgress, SyncResult, reporting, sync_connection
from growthos.warehouse.duckdb_engine import DuckDBEngine

TOKEN = "shpat_progress_token"


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeShopify]:
    orders, customers = fixture_shop()  # 230 orders, 120 customers: 3 + 2 pages of 100
    service = FakeShopify(orders, customers, fixture_products(), token=TOKEN, clock=clock)
    with service.serve():
        yield service


def _config(fake: FakeShopify) -> ConnectionConfig:
    return ConnectionConfig("main-shop", "shopify", {"shop_domain": "forkful.myshopify.com"},
                            {"access_token": TOKEN}, api_base_url=fake.base_url)


def _sync(fake: FakeShopify, warehouse, clock: ManualClock, **kw) -> SyncResult:
    retry = RetryPolicy(sleep=clock.advance, random=lambda: 0.5, base_delay=0.2)
    return sync_shopify(_config(fake), warehouse, clock=clock, retry=retry, **kw)


def assert_growing_to(updates: list[SyncProgress], result: SyncResult) -> None:
    """One update per page; every count grows (pages strictly); the last one is the result's."""
    assert updates, "no progress was reported"
    assert len(updates) == result.pages
    assert [u.pages for u in updates] == list(range(1, result.pages + 1))
    seen: dict[str, tuple[int, int]] = {}
    totals = (0, 0)
    for u in updates:
        assert (u.connection, u.kind) == (result.connection, result.kind)
        before = seen.get(u.entity, (0, 0))
        assert u.fetched >= before[0] and u.inserted >= before[1]
        assert u.fetched_total >= totals[0] and u.inserted_total >= totals[1]
        seen[u.entity] = (u.fetched, u.inserted)
        totals = (u.fetched_total, u.inserted_total)
        assert u.fetched_total == sum(f for f, _ in seen.values())
        assert u.inserted_total == sum(i for _, i in seen.values())
    assert {e: f for e, (f, _) in seen.items()} == result.fetched
    assert {e: i for e, (_, i) in seen.items()} == result.inserted
    last = updates[-1]
    assert last.pages == result.pages
    assert last.fetched_total == sum(result.fetched.values())
    assert last.inserted_total == sum(result.inserted.values())


def test_every_stored_page_is_reported_with_growing_counts(fake: FakeShopify, warehouse, clock) -> None:
    updates: list[SyncProgress] = []
    with reporting(updates.append):
        result = _sync(fake, warehouse, clock)
    assert result.fetched == {"order": 230, "customer": 120, "product": 8}
    assert_growing_to(updates, result)
    assert [u.entity for u in updates[:3]] == ["order"] * 3  # 230 orders: pages of 100, 100, 30
    assert [u.fetched for u in updates[:3]] == [100, 200, 230]
    assert updates[2].fetched_total == updates[2].inserted_total == 230


def test_an_incremental_run_reports_fetched_and_no_new_records(fake: FakeShopify, warehouse, clock) -> None:
    _sync(fake, warehouse, clock)
    updates: list[SyncProgress] = []
    with reporting(updates.append):
        again = _sync(fake, warehouse, clock, full=True)
    assert_growing_to(updates, again)
    assert updates[-1].fetched_total == 358 and updates[-1].inserted_total == 0


def test_bulk_reads_report_once_per_stream(fake: FakeShopify, warehouse, clock) -> None:
    updates: list[SyncProgress] = []
    with reporting(updates.append):
        result = _sync(fake, warehouse, clock, bulk=True, poll_interval=0.0)
    assert_growing_to(updates, result)
    assert [(u.entity, u.fetched) for u in updates] == [("order", 230), ("customer", 120), ("product", 8)]


def test_sync_connection_takes_the_callback() -> None:
    orders, customers = fixture_shop(orders=30, customers=20)
    service = FakeShopify(orders, customers, fixture_products(), token=TOKEN, maximum=100_000, restore_rate=10_000)
    updates: list[SyncProgress] = []
    with service.serve():
        engine = DuckDBEngine(":memory:")
        try:
            result = sync_connection(_config(service), engine, progress=updates.append)
        finally:
            engine.close()
    assert result.fetched == {"order": 30, "customer": 20, "product": 8}
    assert_growing_to(updates, result)
    assert result.progress == updates.append


def test_no_callback_outside_reporting_and_blocks_nest() -> None:
    assert SyncResult("c", "k").progress is None
    outer: list[SyncProgress] = []
    inner: list[SyncProgress] = []
    with reporting(outer.append):
        with reporting(inner.append):
            SyncResult("c", "k").count("order", 2, 1)
        with reporting(None):
            SyncResult("c", "k").count("order", 5, 5)
        r = SyncResult("c", "k")
        r.pages = 1
        r.count("order", 3, 3)
    assert SyncResult("c", "k").progress is None
    assert inner == [SyncProgress("c", "k", "order", 2, 1, 0, 2, 1)]
    assert outer == [SyncProgress("c", "k", "order", 3, 3, 1, 3, 3)]


def test_a_failing_callback_never_fails_the_sync(fake: FakeShopify, warehouse, clock,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    calls = []

    def broken(update: SyncProgress) -> None:
        calls.append(update)
        raise RuntimeError("the terminal went away")

    with caplog.at_level(logging.WARNING, logger="growthos.sources.sync"), reporting(broken):
        result = _sync(fake, warehouse, clock)
    assert result.fetched == {"order": 230, "customer": 120, "product": 8}
    assert len(calls) == 1 and result.progress is None  # turned off after the first failure
    assert "the terminal went away" in caplog.text
