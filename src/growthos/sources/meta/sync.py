"""``sync_meta``: daily ad-level insights from the saved cursor (minus the late-attribution window) to
yesterday in the ad account's time zone, stored page by page with the cursor in the same transaction.

The date range:

- ``until`` is yesterday in the account's ``timezone_name`` (read from the account node at the start of
  each sync; UTC if Meta names none): only complete days are read, and today's partial row never churns
  the raw layer.
- ``since`` is the day after the cursor minus ``refetch_days`` (the last ``refetch_days`` stored days are
  read again, so late attribution lands as new versions; unchanged rows are not stored twice). A first
  sync, or a ``full`` one, starts at the ``start_date`` setting, else ``backfill_days`` before today;
  never more than Meta's 37 months back.

The range is read in windows of ``window_days``: a range that fits in one window is one synchronous
paged read; a longer one is read window by window through async report runs (as is a window Meta
refuses as too much data for a synchronous call). Within a window every page is stored as it arrives;
the cursor (the last fully stored date, ``YYYY-MM-DD``) moves to the window's last day with its last
page, since Meta does not promise rows in date order. An interrupted sync resumes from the last
completed window minus the re-fetch window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from growthos.sources.connectors import ConnectionConfig
from growthos.sources.http import RetryPolicy, Timeouts
from growthos.sources.http.paginators import Page
from growthos.sources.meta import graph as settings
from growthos.sources.meta.graph import MetaGraph, TooMuchData
from growthos.sources.meta.insights import Polling, async_pages, record, sync_pages
from growthos.sources.sync import SyncResult
from growthos.sources.sync_state import StreamState, load_state, store_page
from growthos.warehouse.engine import Engine

STREAM = "ads_insights"
ENTITY = "ads_insights"
DEFAULT_BACKFILL_DAYS = 90
DEFAULT_WINDOW_DAYS = 30
DEFAULT_PAGE_SIZE = 500
MAX_HISTORY_DAYS = 37 * 30
"""Meta keeps insights for 37 months; older ranges are refused."""


def account_today(now: datetime, timezone_name: str | None) -> date:
    """The calendar date at ``now`` in the account's time zone (UTC when unknown)."""
    try:
        zone = ZoneInfo(timezone_name) if timezone_name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return now.astimezone(zone).date()


def first_day(state: StreamState, refetch: int, today: date, start: date | None, backfill_days: int) -> date:
    """Where a sync starts: the cursor's day + 1 - ``refetch`` days, else the configured start."""
    cursor = _cursor_date(state.cursor)
    if cursor is not None:
        since = cursor + timedelta(days=1 - refetch)
    else:
        since = start if start is not None else today - timedelta(days=backfill_days)
    return max(since, today - timedelta(days=MAX_HISTORY_DAYS))


def _cursor_date(cursor: str | None) -> date | None:
    if not cursor:
        return None
    try:
        return date.fromisoformat(cursor[:10])
    except ValueError:
        return None


def windows(since: date, until: date, window_days: int) -> list[tuple[date, date, bool]]:
    """``(first, last, run_async)`` per window: one synchronous window when the range fits in one."""
    if since > until:
        return []
    days = (until - since).days + 1
    if days <= window_days:
        return [(since, until, False)]
    out = []
    while since <= until:
        last = min(until, since + timedelta(days=window_days - 1))
        out.append((since, last, True))
        since = last + timedelta(days=1)
    return out


def sync_meta(
    config: ConnectionConfig,
    engine: Engine,
    *,
    full: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    retry: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    polling: Polling | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    window_days: int = DEFAULT_WINDOW_DAYS,
    backfill_days: int = DEFAULT_BACKFILL_DAYS,
) -> SyncResult:
    """Fetch the ad account's daily ad-level insights into the raw layer (see the module docstring).

    ``full`` ignores the saved cursor. ``now``, ``retry`` (its ``sleep`` is every wait: backoff,
    throttling, polls), ``timeouts`` and ``polling`` are injectable; ``page_size`` is the ``limit`` of
    each page.
    """
    refetch = settings.refetch_days(config.settings.get("refetch_days"))
    start = settings.start_date(config.settings.get("start_date"))
    result = SyncResult(config.name, "meta", full=full)
    result.count(ENTITY, 0, 0)
    with MetaGraph(config, retry=retry, timeouts=timeouts) as graph:
        try:
            account = graph.get(graph.account_path, {"fields": "name,currency,timezone_name"})
            today = account_today(now(), account.get("timezone_name"))
            state = load_state(engine, config.name, STREAM, lookback=timedelta(days=refetch))
            if full:
                state = StreamState(config.name, STREAM, None, state.lookback, state.records)
            since = first_day(state, refetch, today, start, backfill_days)
            for first, last, run_async in windows(since, today - timedelta(days=1), window_days):
                state = _window(graph, engine, state, first, last, run_async, result, page_size,
                                polling or Polling())
        finally:
            stats = graph.client.stats
            result.requests, result.retries, result.errors = stats.requests, stats.retries, stats.errors
            result.waited = stats.waited
    return result


def _window(graph: MetaGraph, engine: Engine, state: StreamState, first: date, last: date, run_async: bool,
            result: SyncResult, page_size: int, polling: Polling) -> StreamState:
    def count_retry(error: BaseException, wait: float) -> None:
        graph.client.stats.retries += 1
        graph.client.stats.waited += wait

    def read_async() -> Iterator[Page]:
        return async_pages(graph, first, last, page_size, polling, on_retry=count_retry)

    if run_async:
        return _store(graph, engine, state, last, read_async(), result)
    try:
        return _store(graph, engine, state, last, sync_pages(graph, first, last, page_size), result)
    except TooMuchData:
        return _store(graph, engine, state, last, read_async(), result)


def _store(graph: MetaGraph, engine: Engine, state: StreamState, last: date, pages: Iterator[Page],
           result: SyncResult) -> StreamState:
    """Store each page; the last one moves the cursor to ``last`` (never back)."""
    old = _cursor_date(state.cursor)
    done = last.isoformat() if old is None or last > old else state.cursor
    for page in pages:
        records = [record(row) for row in page.items]
        cursor = done if page.cursor is None else state.cursor
        state = StreamState(state.connection, state.stream, cursor, state.lookback, state.records + len(records))
        stored = store_page(engine, records, state)
        result.pages += 1
        graph.client.stats.pages += 1
        result.count(ENTITY, stored.received, stored.inserted)
    return state
