"""The event collector over HTTP: Segment's Tracking API (``/v1/*``) and GrowthOS's app-analytics shape
(``POST /api/analytics/events``, ``POST /api/analytics/conversions``), and what was collected lately
(``GET /api/analytics/events``).

Segment routes answer once their events are synced to disk in the collector's journal
(``EventWriter.append_async``; the warehouse loads them moments later and reads wait for that); the app
routes once their event is in the warehouse (``EventWriter.submit``: they report whether it was a
duplicate). Segment SDKs retry 5xx and 429 and drop other 4xx answers, so invalid messages get 400
naming the field, oversized ones 413, back-pressure (a full backlog, too many requests in flight: see
server/ingest_gate.py) 429 and a writer that is down or a failed commit 503, both with Retry-After and a
problem body (a retry is deduplicated by ``messageId``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from growthos.core.errors import InvalidInput
from growthos.metrics.product import event_counts_for_range
from growthos.server.api.params import (
    AUTH_RESPONSES,
    READ,
    READ_RESPONSES,
    bearer_scheme,
    problem_response,
    server_state,
)
from growthos.server.auth import authenticate_write_key, basic_auth_user, cached_write_key, require_ingest
from growthos.sources.collector import (
    Event,
    ParsedRequest,
    PayloadTooLarge,
    decode_body,
    parse_app_event,
    parse_segment,
)
from growthos.sources.collector.conversions import parse_conversion
from growthos.sources.collector.segment import PATH_TYPES
from growthos.sources.collector.writer import EncodedBatch

T = TypeVar("T")


class InvalidMessage(InvalidInput):
    """A Segment message that cannot be stored: 400, as Segment's own API answers."""

    status = 400
    title = "Invalid message"


_COLLECTOR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: problem_response("A message above 32 KB or a batch above 500 KB"),
    429: problem_response("Overloaded (backlog full or too many requests in flight): nothing was stored; "
                          "retry after Retry-After seconds"),
    503: problem_response("The writer is down or the commit failed: retry after Retry-After seconds (deduplicated)"),
}
_SEGMENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": 'Stored durably: {"success": true}'},
    400: problem_response("A missing or invalid field, named in invalid_params"),
    401: problem_response("No, unknown or revoked write key"),
    403: problem_response("The key is not an ingest key"),
    **_COLLECTOR_RESPONSES,
}

segment_router = APIRouter(prefix="/v1", tags=["collector"])
analytics_router = APIRouter(prefix="/analytics", tags=["collector"])


async def read_body(request: Request, limit: int) -> bytes:
    """The raw request body, refused with 413 as soon as it passes ``limit`` bytes (never read whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is {declared} bytes; the limit is {limit}", field="body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds {limit} bytes", field="body")
        chunks.append(chunk)
    return b"".join(chunks)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def parse_segment_request(request: Request, kind: str, raw: bytes, *, header_key: str | None,
                          received_at: datetime) -> ParsedRequest:
    """Decode, check and parse one Segment request body (on a worker thread); authenticates the body's
    writeKey when no Authorization header carried one. 400 naming the field, 413, 401/403."""
    options = server_state(request).collector.options
    limit = options.max_batch_bytes if kind == "batch" else options.max_message_bytes
    body = decode_body(raw, request.headers.get("content-encoding"), limit=limit)
    try:
        parsed = parse_segment(kind, body, received_at=received_at, options=options, client_ip=_client_ip(request))
    except PayloadTooLarge:
        raise
    except InvalidInput as exc:
        raise InvalidMessage(exc.message, field=exc.field) from None
    if header_key is None:
        authenticate_write_key(request, parsed.write_key)
    elif parsed.write_key not in (None, header_key):
        raise InvalidMessage("writeKey differs from the key of the Authorization header", field="writeKey")
    return parsed


async def segment_header_key(request: Request) -> str | None:
    """The Basic-auth write key (None when the body carries it), a bad key refused before the body is read."""
    header_key = basic_auth_user(request)
    if header_key is not None and cached_write_key(request, header_key) is None:
        await run_in_threadpool(authenticate_write_key, request, header_key)
    return header_key


async def read_segment_body(request: Request, kind: str) -> bytes:
    options = server_state(request).collector.options
    limit = options.max_batch_bytes if kind == "batch" else options.max_message_bytes
    return await read_body(request, limit)


async def read_segment_request(request: Request, kind: str) -> tuple[bytes, str | None]:
    """The raw body and the Basic-auth write key, a bad key refused before the body is read."""
    header_key = await segment_header_key(request)
    return await read_segment_body(request, kind), header_key


INLINE_BODY_BYTES = 64 * 1024
"""Bodies up to this size are parsed and encoded on the event loop itself (~0.7 ms for 100 messages):
handing them to a worker thread and back cost more than the work (GIL hand-offs, measured with
bench/collector.py: 31,000 acknowledged events/s through the thread pool, more inline). Larger bodies
(up to 500 KB, ~15 ms of parsing) go to a worker so the loop keeps serving other requests. Either way
the durable write happens on the collector's journal thread (``EventWriter.append_async``)."""


async def off_loop_if_large(raw: bytes, fn: Callable[[], T]) -> T:
    """``fn()`` on the event loop for a small body, on a worker thread for a large one."""
    if len(raw) <= INLINE_BODY_BYTES:
        return fn()
    return await run_in_threadpool(fn)


def _segment_route(kind: str) -> Callable[..., Any]:
    async def receive(request: Request) -> JSONResponse:
        received_at = datetime.now(UTC)
        state = server_state(request)
        header_key = await segment_header_key(request)
        with state.ingest.admit():  # 429 past the in-flight limit, before the body is read
            raw = await read_segment_body(request, kind)
            collector = state.collector

            def prepare() -> EncodedBatch:
                parsed = parse_segment_request(request, kind, raw, header_key=header_key, received_at=received_at)
                return collector.encode(parsed.events)

            await collector.append_async(await off_loop_if_large(raw, prepare))
        return JSONResponse({"success": True})

    receive.__name__ = f"segment_{kind}"
    return receive


for _path, _kind in PATH_TYPES.items():
    if len(_path) > 1:  # analytics.js's one-letter aliases stay out of the documented API
        segment_router.add_api_route(
            f"/{_path}", _segment_route(_kind), methods=["POST"], responses=_SEGMENT_RESPONSES,
            summary=f"Segment {_path} call" + (" (a batch of messages of any type)" if _kind == "batch" else ""),
        )
    else:
        segment_router.add_api_route(f"/{_path}", _segment_route(_kind), methods=["POST"], include_in_schema=False)


def _app_route(parse: Callable[..., Event]) -> Callable[..., Any]:
    async def receive(request: Request) -> JSONResponse:
        received_at = datetime.now(UTC)
        state = server_state(request)
        options = state.collector.options
        with state.ingest.admit():  # 429 past the in-flight limit, before the body is read
            raw = await read_body(request, options.max_message_bytes)

            def ingest() -> dict[str, Any]:
                event = parse(raw, received_at=received_at, options=options, client_ip=_client_ip(request))
                result = state.collector.submit([event])
                return {"success": True, "message_id": event.message_id, "duplicate": result.accepted == 0}

            answer = await run_in_threadpool(ingest)
        return JSONResponse(answer)

    return receive


_APP_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    422: problem_response("A missing or invalid field, named in invalid_params"),
    **_COLLECTOR_RESPONSES,
}
_INGEST = [Depends(require_ingest), Depends(bearer_scheme)]

analytics_router.add_api_route(
    "/events", _app_route(parse_app_event), methods=["POST"], dependencies=_INGEST, responses=_APP_RESPONSES,
    summary="Record an app event {user_id, session_id, event, properties, route, referrer, user_agent, timestamp}",
)
analytics_router.add_api_route(
    "/conversions", _app_route(parse_conversion), methods=["POST"], dependencies=_INGEST, responses=_APP_RESPONSES,
    summary="Record a conversion-funnel step {funnel, step, user_id | session_id, properties, timestamp}",
)


@analytics_router.get(
    "/events", dependencies=READ, responses=READ_RESPONSES,
    summary='Track events of the last 24h, 7d or 30d: {"events": [{"event", "count", "users"}]}, most frequent first',
)
def recent_events(
    request: Request,
    range_: Annotated[Literal["24h", "7d", "30d"], Query(alias="range", description="How far back from now.")]
    = "24h",
) -> dict[str, Any]:
    state = server_state(request)
    with state.reader() as engine:
        return {"range": range_, "events": event_counts_for_range(engine, range_, state.settings.now())}
