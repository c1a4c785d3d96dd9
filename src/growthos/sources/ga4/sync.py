"""``sync_ga4``: the runReport of sources/ga4_report.py (day x session source / medium / campaign), window by
window from the saved cursor (the last day stored completely) minus a lookback, up to yesterday, each
window paged by ``limit``/``offset``.

Each report row is stored unchanged as a ``traffic_daily`` raw record (the shape the demo emits and staging
reads by position), keyed ``{YYYY-MM-DD}|{source}|{medium}|{campaign}``. Every page is stored as it
arrives; the cursor moves to a window's last day with its last page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from growthos.sources import ga4_report
from growthos.sources.base import RawRecord
from growthos.sources.connectors import ConnectionConfig
from growthos.sources.ga4.api import DEFAULT_PAGE_SIZE, GA4Api
from growthos.sources.google_auth import (
    DEFAULT_LOOKBACK_DAYS,
    DEFAULT_WINDOW_DAYS,
    GoogleTokenProvider,
    day_windows,
    first_day,
    utc_today,
)
from growthos.sources.http import RetryPolicy, TerminalConnectorError, Timeouts
from growthos.sources.sync import SyncResult
from growthos.sources.sync_state import StreamState, load_state, store_page
from growthos.warehouse.engine import Engine

SOURCE = "ga4"
ENTITY = "traffic_daily"
STREAM = "traffic_daily"


def report_body(first: date, last: date) -> dict[str, Any]:
    """The runReport request of one window (without ``limit``/``offset``), rows in a stable order."""
    return {
        "dateRanges": [{"startDate": first.isoformat(), "endDate": last.isoformat()}],
        "dimensions": [{"name": name} for name in ga4_report.DIMENSIONS],
        "metrics": [{"name": name} for name in ga4_report.METRICS],
        "orderBys": [{"dimension": {"dimensionName": name}} for name in ga4_report.DIMENSIONS],
        "keepEmptyRows": False,
        "returnPropertyQuota": True,
    }


def record(row: dict[str, Any]) -> RawRecord:
    """A report row as a raw record keyed ``2026-02-01|google|cpc|Brand`` (the demo's convention)."""
    dimensions = [d.get("value") for d in row.get("dimensionValues") or []]
    payload = {"dimensionValues": row.get("dimensionValues"), "metricValues": row.get("metricValues")}
    day = str(dimensions[0] or "") if dimensions else ""
    if len(day) != 8 or not day.isdigit():
        return RawRecord(SOURCE, ENTITY, None, payload)
    source, medium, campaign = (str(v) for v in dimensions[1:4])
    return RawRecord(SOURCE, ENTITY, f"{day[:4]}-{day[4:6]}-{day[6:]}|{source}|{medium}|{campaign}", payload)


def sync_ga4(
    config: ConnectionConfig,
    engine: Engine,
    *,
    full: bool = False,
    lookback: timedelta | None = None,
    retry: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    tokens: GoogleTokenProvider | None = None,
    today: date | Callable[[], date] | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> SyncResult:
    """Fetch the property's daily traffic rows into the raw layer.

    ``full`` ignores the saved cursor and reads from the ``start_date`` setting (default: two years back).
    ``lookback`` (default 3 days) is how far before the cursor a sync reads again; ``today`` (a date or a
    function returning one; default the UTC date) ends the range at the day before; ``page_size`` is the
    runReport ``limit``. ``retry``, ``timeouts`` and ``tokens`` are injectable.
    """
    result = SyncResult(config.name, SOURCE, full=full)
    window = lookback if lookback is not None else timedelta(days=DEFAULT_LOOKBACK_DAYS)
    now = (today() if callable(today) else today) or utc_today()
    state = load_state(engine, config.name, STREAM, lookback=window)
    if full:
        state = StreamState(config.name, STREAM, None, window, state.records)
    start = first_day(state.cursor, window, now, config.settings.get("start_date"))
    result.fetched[ENTITY] = result.inserted[ENTITY] = 0
    with GA4Api(config, tokens=tokens, retry=retry, timeouts=timeouts) as api:
        try:
            for first, last in day_windows(start, now - timedelta(days=1), window_days):
                for page in api.report_pages(report_body(first, last), page_size):
                    records = [record(row) for row in page.items]
                    _check_days(records, first, last)
                    cursor = last.isoformat() if page.cursor is None else state.cursor
                    state = StreamState(config.name, STREAM, cursor, window, state.records + len(records))
                    stored = store_page(engine, records, state)
                    result.pages += 1
                    api.client.stats.pages += 1
                    result.count(ENTITY, stored.received, stored.inserted)
        finally:
            stats = api.client.stats
            result.requests = stats.requests + api.tokens.requests
            result.retries, result.errors, result.waited = stats.retries, stats.errors, stats.waited
    return result


def _check_days(records: list[RawRecord], first: date, last: date) -> None:
    for rec in records:
        day = (rec.external_id or "")[:10]
        if not first.isoformat() <= day <= last.isoformat():
            raise TerminalConnectorError(f"GA4 returned a row for {day or 'no date'!r} outside {first}..{last}")
