"""The companion recipe app's product events: a deterministic stream of Segment HTTP Tracking API batches.

``recipe_app_batches()`` yields ``{"batch": [...], "sentAt": ...}`` bodies in time order, as analytics.js
(web) and the iOS and Android SDKs send them to ``POST /v1/batch``: every message has ``type``,
``messageId``, ``timestamp``, ``anonymousId`` and/or ``userId``, ``context`` (library, page or
app/device/os, userAgent, locale, timezone) and ``properties`` or ``traits``. Each body mixes the
devices of one stretch of time (a relay's view, not one device's queue).

The story (app_people.py, app_sessions.py): visitors arrive anonymously (page views, screen views and
``Application Installed``/``Opened`` in the apps); some sign up (``identify`` with traits email, name,
plan, signup_source, then ``Signed Up``), complete ``Onboarding Step Completed`` steps 1..4, activate
with their first ``Meal Plan Created``, use ``Recipe Generated`` (with a cuisine), ``Recipe Saved``,
``Shopping List Exported`` and ``Pantry Scanned``, send ``Invite Sent`` (friends who accept arrive as
new people who sign up and send ``Invite Accepted`` with ``inviter_id`` and ``invite_id``), start
(``Subscription Started`` with plan and mrr) and cancel subscriptions. A fifth of the users later sign
in on a second device (``identify``, or for a few ``alias``). Arrivals grow over the range with a
weekly rhythm (Sundays highest); weekly retention falls steeply and flattens. Volumes over 180 days at
scale 1: about 2,300 people and 105,000 messages (generated in about 2 s). ``APP_ANOMALIES``
(app_anomalies.py) lists the planted facts: a broken Android onboarding step 3 and an invite campaign week.

Times: messages carry the client's ``timestamp``; with ``sentAt`` (the default, as SDKs send it) the
collector corrects every timestamp by ``receivedAt - sentAt`` (collector/timestamps.py), which is right
when the batches are sent as they happen. To replay history into a live collector pass
``with_sent_at=False``: the collector then keeps each timestamp as sent.

``send_batches()`` posts the bodies to a collector (``/v1/batch``, write key as Basic-auth user name)
with retries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from growthos.core.errors import InvalidInput, RetryableError, TerminalError
from growthos.sources.demo.app_anomalies import AppCalendar, app_anomalies_for
from growthos.sources.demo.app_messages import MAX_BATCH_MESSAGES, batch_bodies, segment_messages
from growthos.sources.demo.app_people import AppSimulation

BATCH_PATH = "/v1/batch"


def recipe_app_batches(*, seed: int, start: date, end: date, scale: float = 1.0, batch_size: int = 100,
                       with_sent_at: bool = True) -> Iterator[dict[str, Any]]:
    """The app's messages over reporting days ``start..end`` (America/New_York) as batch bodies in time
    order. The same arguments give byte-identical bodies; ``scale`` multiplies the arriving visitors."""
    if not scale > 0:
        raise InvalidInput("scale must be positive", field="scale")
    if end < start:
        raise InvalidInput("end must not be before start", field="end")
    if not 1 <= batch_size <= MAX_BATCH_MESSAGES:
        raise InvalidInput(f"batch_size must be between 1 and {MAX_BATCH_MESSAGES}", field="batch_size")
    return _batches(seed, start, end, scale, batch_size, with_sent_at)


def _batches(seed: int, start: date, end: date, scale: float, batch_size: int,
             with_sent_at: bool) -> Iterator[dict[str, Any]]:
    calendar = AppCalendar(app_anomalies_for(start, end))
    simulation = AppSimulation(seed, start, end, scale, calendar)
    actions = simulation.run()
    messages = segment_messages(actions, seed=seed, days=simulation.days, broken=calendar.android_broken())
    yield from batch_bodies(messages, seed=seed, batch_size=batch_size, with_sent_at=with_sent_at)


def send_batches(client: httpx.Client, batches: Iterable[dict[str, Any]], *, write_key: str,
                 max_attempts: int = 5, backoff_s: float = 0.5, max_wait_s: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep) -> int:
    """POST each body to ``/v1/batch`` of ``client``'s base URL, in order; returns the number of messages
    acknowledged (2xx).

    5xx, 429 and transport errors are retried up to ``max_attempts`` per body, waiting Retry-After when
    the answer gives one, else ``backoff_s`` doubling per attempt (each wait capped at ``max_wait_s``);
    retries are safe because the collector deduplicates by ``messageId``. Raises ``TerminalError`` on
    any other answer (a 4xx: retrying will not help) and ``RetryableError`` when the attempts run out;
    both say which body failed and how many messages were acknowledged before it."""
    if max_attempts < 1:
        raise InvalidInput("max_attempts must be at least 1", field="max_attempts")
    acknowledged = 0
    for number, body in enumerate(batches):
        _post(client, body, number, acknowledged, write_key=write_key, max_attempts=max_attempts,
              backoff_s=backoff_s, max_wait_s=max_wait_s, sleep=sleep)
        acknowledged += len(body.get("batch") or ())
    return acknowledged


def _post(client: httpx.Client, body: dict[str, Any], number: int, acknowledged: int, *, write_key: str,
          max_attempts: int, backoff_s: float, max_wait_s: float, sleep: Callable[[float], None]) -> None:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    where = f"POST {BATCH_PATH}: body {number} ({len(body.get('batch') or ())} messages)"
    done = f"{acknowledged} messages were acknowledged before it"
    for attempt in range(1, max_attempts + 1):
        wait: float | None = None
        try:
            response = client.post(BATCH_PATH, content=content, headers=headers, auth=(write_key, ""))
        except httpx.TransportError as exc:
            failure = f"{type(exc).__name__}: {exc}"
        else:
            if response.is_success:
                return
            status = response.status_code
            if status != 429 and status < 500:
                raise TerminalError(f"{where} was refused with HTTP {status}: {response.text[:300]}; {done}",
                                    field="batch")
            failure = f"HTTP {status}"
            wait = retry_after_seconds(response.headers.get("retry-after"))
        if attempt == max_attempts:
            raise RetryableError(f"{where} still failed after {max_attempts} attempts (last: {failure}); {done}",
                                 retry_after=wait, field="batch")
        sleep(min(max_wait_s, wait if wait is not None else backoff_s * 2 ** (attempt - 1)))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
