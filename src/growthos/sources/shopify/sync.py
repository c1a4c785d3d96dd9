"""``sync_shopify``: read each stream page by page since its saved cursor (minus the lookback) and store
every page together with the advanced cursor; or, for backfills, read each stream with one bulk operation."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from growthos.sources.connectors import ConnectionConfig
from growthos.sources.http import RetryPolicy, Timeouts
from growthos.sources.http.paginators import CursorPaginator
from growthos.sources.shopify.bulk import run_bulk
from growthos.sources.shopify.graphql import QueryTooCostly, ShopifyGraphQL
from growthos.sources.shopify.streams import STREAMS, Stream
from growthos.sources.sync import SyncResult
from growthos.sources.sync_state import StreamState, advance, load_state, store_page
from growthos.warehouse.engine import Engine


def search_since(since: datetime | None) -> str | None:
    """The ``query:`` filter of an incremental read: ``updated_at:>='2026-01-05T13:03:22Z'``."""
    if since is None:
        return None
    return f"updated_at:>='{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def sync_shopify(
    config: ConnectionConfig,
    engine: Engine,
    *,
    full: bool = False,
    bulk: bool = False,
    streams: Iterable[str] | None = None,
    lookback: timedelta | None = None,
    retry: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    clock: Callable[[], float] = time.monotonic,
    poll_interval: float = 2.0,
) -> SyncResult:
    """Fetch the shop's orders, customers and products (with variant unit costs) into the raw layer.

    ``full`` ignores the saved cursors (every record is read again; the raw layer keeps what it already
    holds). ``bulk`` reads each stream with one bulk operation instead of pages (for backfills; its
    records and cursor are stored in one transaction at the end). ``lookback`` overrides the saved
    window; ``retry``, ``timeouts``, ``clock`` and ``poll_interval`` (seconds between bulk polls) are
    injectable.
    """
    result = SyncResult(config.name, "shopify", full=full)
    with ShopifyGraphQL(config, retry=retry, timeouts=timeouts, clock=clock) as api:
        try:
            for name in streams or STREAMS:
                stream = STREAMS[name]
                state = load_state(engine, config.name, stream.name, lookback=lookback)
                if full:
                    state = StreamState(config.name, stream.name, None, state.lookback, state.records)
                if bulk:
                    _bulk_stream(api, engine, stream, state, result, poll_interval)
                else:
                    _paged_stream(api, engine, stream, state, result)
        finally:
            stats = api.client.stats
            result.requests, result.retries, result.errors = stats.requests, stats.retries, stats.errors
            result.waited = stats.waited
    return result


def _paged_stream(api: ShopifyGraphQL, engine: Engine, stream: Stream, state: StreamState, result: SyncResult) -> None:
    search = search_since(state.since())
    size = stream.page_size
    first_cost = stream.first_page_cost(size)
    if first_cost is not None:
        api.throttle.expected.setdefault(stream.operation, first_cost)

    def fetch(after: str | None) -> dict[str, Any]:
        nonlocal size
        while True:
            try:
                return api.execute(stream.operation, stream.query, {"first": size, "after": after, "query": search})
            except QueryTooCostly:
                if size <= 1:
                    raise
                size = max(1, size // 2)

    for page in CursorPaginator(fetch, (stream.root,)).pages():
        records = [stream.record(node) for node in page.items]
        state = advance(state, records)
        stored = store_page(engine, records, state)
        result.pages += 1
        api.client.stats.pages += 1
        result.count(stream.entity, stored.received, stored.inserted)


def _bulk_stream(
    api: ShopifyGraphQL, engine: Engine, stream: Stream, state: StreamState, result: SyncResult, poll_interval: float
) -> None:
    nodes = run_bulk(api, stream, search_since(state.since()), poll_interval=poll_interval)
    records = [stream.record(node) for node in nodes]
    stored = store_page(engine, records, advance(state, records))
    result.pages += 1
    api.client.stats.pages += 1
    result.count(stream.entity, stored.received, stored.inserted)
