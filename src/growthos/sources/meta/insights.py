"""Ads insights (level=ad, time_increment=1) for a date window: a synchronous paged read, or an async
report run (POST → poll → paged results) for long windows and for windows Meta finds too big.

Rows are stored unchanged as ``RawRecord("meta", "ads_insights", "{ad_id}:{date_start}", row)`` — the
shape and id ``growthos.sources.demo.ads`` emits and ``int_spend_checked.sql`` reads. Rows carry no
version stamp: a re-fetched row with changed values is a new payload, stored as a newer version.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from growthos.sources.base import RawRecord
from growthos.sources.http import RetryableConnectorError, TerminalConnectorError
from growthos.sources.http.paginators import Page
from growthos.sources.meta.graph import MetaGraph, split_next

FIELDS = ("account_id", "account_currency", "campaign_id", "campaign_name", "adset_id", "adset_name", "ad_id",
          "ad_name", "spend", "impressions", "clicks", "actions", "action_values")
"""What each row asks for (``date_start``/``date_stop`` always come back): the demo's row shape."""

DONE = "Job Completed"
FAILED = frozenset({"Job Failed", "Job Skipped"})


def record(row: dict[str, Any]) -> RawRecord:
    """An insights row as a raw record; a row without ad id or date keeps ``external_id`` None (quarantined)."""
    ad, day = row.get("ad_id"), row.get("date_start")
    return RawRecord("meta", "ads_insights", f"{ad}:{day}" if ad and day else None, row)


def insights_params(since: date, until: date, limit: int) -> dict[str, str]:
    return {
        "level": "ad",
        "time_increment": "1",
        "fields": ",".join(FIELDS),
        "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}, separators=(",", ":")),
        "limit": str(limit),
    }


def pages(graph: MetaGraph, path: str, params: dict[str, str]) -> Iterator[Page]:
    """``data`` pages following ``paging.next`` until an answer has none (cursors alone do not mean more)."""
    seen: set[tuple[str, str]] = set()
    number = 0
    while True:
        body = graph.get(path, params)
        number += 1
        data = body.get("data")
        if not isinstance(data, list):
            raise TerminalConnectorError(f"Meta API GET {path}: the answer has no data list")
        following = (body.get("paging") or {}).get("next")
        yield Page(data, number, following)
        if not following:
            return
        path, params = split_next(following)
        key = (path, json.dumps(params, sort_keys=True))
        if key in seen:
            raise TerminalConnectorError(f"pagination loop: Meta linked the same next page twice ({path})")
        seen.add(key)


def sync_pages(graph: MetaGraph, since: date, until: date, limit: int) -> Iterator[Page]:
    """The window's rows from the synchronous insights edge (raises ``TooMuchData`` when Meta refuses)."""
    return pages(graph, f"{graph.account_path}/insights", insights_params(since, until, limit))


@dataclass
class Polling:
    interval: float = 2.0
    """Seconds before the first re-poll."""
    factor: float = 1.5
    """Each wait grows by this factor..."""
    max_interval: float = 30.0
    """...up to this many seconds."""
    max_wait: float = 3600.0
    """A run still going after this many seconds of waiting is given up (retryable)."""


def start_run(graph: MetaGraph, since: date, until: date, polling: Polling) -> str:
    """POST the async report run and poll it until ``Job Completed``; its id.

    ``Job Failed`` / ``Job Skipped`` and a run outliving ``polling.max_wait`` are retryable errors (the
    caller starts a new run)."""
    params = insights_params(since, until, 1)
    params.pop("limit")
    answer = graph.post(f"{graph.account_path}/insights", params)
    run_id = str(answer.get("report_run_id") or "")
    if not run_id:
        raise TerminalConnectorError(f"Meta API: starting a report run answered no report_run_id: {answer}")
    waited, interval = 0.0, polling.interval
    while True:
        status = graph.get(graph.path(run_id), {"fields": "async_status,async_percent_completion"})
        state = status.get("async_status")
        percent = float(status.get("async_percent_completion") or 0)
        if state == DONE and percent >= 100:
            return run_id
        if state in FAILED:
            raise RetryableConnectorError(f"Meta report run {run_id} for {since}..{until}: {state}")
        if waited >= polling.max_wait:
            raise RetryableConnectorError(
                f"Meta report run {run_id} for {since}..{until} still {state} ({percent:.0f}%) after {waited:.0f}s")
        graph.client.sleep(interval)
        waited += interval
        interval = min(polling.max_interval, interval * polling.factor)


def async_pages(graph: MetaGraph, since: date, until: date, limit: int, polling: Polling,
                on_retry: Callable[[BaseException, float], None] | None = None) -> Iterator[Page]:
    """The window's rows from an async report run; a failed or skipped run is started again (the client's
    retry policy bounds how often)."""
    run_id = graph.client.retry.run(lambda: start_run(graph, since, until, polling), on_retry=on_retry)
    return pages(graph, f"{graph.path(run_id)}/insights", {"limit": str(limit)})
