"""``sync_google_ads``: campaign-day metrics by GAQL ``searchStream``, window by window from the saved cursor
(the last day stored completely) minus a lookback for late conversions, up to yesterday.

Each result row is stored unchanged as a ``campaign_daily`` raw record (the shape the demo emits and
staging reads: lowerCamelCase, int64 metrics as strings), keyed ``{campaign id}:{date}``. A row whose
metrics changed since the last sync is stored as a newer version; an unchanged one is not stored again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from growthos.sources.base import RawRecord
from growthos.sources.connectors import ConnectionConfig
from growthos.sources.google_ads.api import GoogleAdsApi
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

SOURCE = "google_ads"
ENTITY = "campaign_daily"
STREAM = "campaign_daily"

FIELDS = (
    "customer.id",
    "customer.currency_code",
    "campaign.id",
    "campaign.name",
    "campaign.status",
    "campaign.advertising_channel_type",
    "segments.date",
    "metrics.impressions",
    "metrics.clicks",
    "metrics.cost_micros",
    "metrics.conversions",
    "metrics.conversions_value",
)
"""What each campaign-day row carries: every field staging (int_spend_checked.sql) and the demo's rows hold."""


def campaign_daily_query(first: date, last: date) -> str:
    """The GAQL of one window, oldest day first."""
    return (f"SELECT {', '.join(FIELDS)} FROM campaign "
            f"WHERE segments.date BETWEEN '{first.isoformat()}' AND '{last.isoformat()}' "
            f"ORDER BY segments.date")


def record(row: dict[str, Any]) -> RawRecord:
    """A searchStream result row, unchanged, as a raw record keyed ``{campaign id}:{date}``."""
    campaign_id = (row.get("campaign") or {}).get("id")
    day = (row.get("segments") or {}).get("date")
    external_id = f"{campaign_id}:{day}" if campaign_id and day else None
    return RawRecord(SOURCE, ENTITY, external_id, row)


def sync_google_ads(
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
) -> SyncResult:
    """Fetch campaign-day rows into the raw layer.

    ``full`` ignores the saved cursor and reads from the ``start_date`` setting (default: two years back).
    ``lookback`` (default 3 days) is how far before the cursor a sync reads again. ``today`` (a date or a
    function returning one; default the UTC date) ends the range at the day before. ``retry``,
    ``timeouts`` and ``tokens`` are injectable.
    """
    result = SyncResult(config.name, SOURCE, full=full)
    window = lookback if lookback is not None else timedelta(days=DEFAULT_LOOKBACK_DAYS)
    now = (today() if callable(today) else today) or utc_today()
    state = load_state(engine, config.name, STREAM, lookback=window)
    if full:
        state = StreamState(config.name, STREAM, None, window, state.records)
    start = first_day(state.cursor, window, now, config.settings.get("start_date"))
    result.fetched[ENTITY] = result.inserted[ENTITY] = 0
    with GoogleAdsApi(config, tokens=tokens, retry=retry, timeouts=timeouts) as api:
        try:
            for first, last in day_windows(start, now - timedelta(days=1), window_days):
                pages = api.search_stream(campaign_daily_query(first, last))
                records = [record(row) for page in pages for row in page.items]
                _check_days(records, first, last)
                state = StreamState(config.name, STREAM, last.isoformat(), window, state.records + len(records))
                stored = store_page(engine, records, state)
                result.pages += len(pages)
                api.client.stats.pages += len(pages)
                result.count(ENTITY, stored.received, stored.inserted)
        finally:
            stats = api.client.stats
            result.requests = stats.requests + api.tokens.requests
            result.retries, result.errors, result.waited = stats.retries, stats.errors, stats.waited
    return result


def _check_days(records: list[RawRecord], first: date, last: date) -> None:
    """Every row belongs to the asked window (a cursor never moves past rows the API did not send)."""
    for rec in records:
        day = rec.payload.get("segments", {}).get("date", "")
        if not first.isoformat() <= day <= last.isoformat():
            raise TerminalConnectorError(f"Google Ads returned a row for {day!r} outside {first}..{last}")
