"""Telemetry ingestion over HTTP: ``POST /api/analytics/performance`` (Core Web Vitals),
``/ai-performance`` (AI calls), ``/database-performance`` (database queries) and ``/resources`` (resource
samples). Each takes one record, a list, or ``{"records": [...]}`` and answers 200 ``{"stored": n}`` once
they are committed; a bad record fails the batch with 422 naming ``records[i].field``.

Authentication: an ingest key as ``Authorization: Bearer``, or — for browsers, whose ``sendBeacon`` cannot
set headers — as the ``key`` query parameter (ingest keys only: they ship inside web pages). Bodies are
read as JSON whatever their content type (beacons post text/plain, which needs no CORS preflight); the
answers allow any origin, as the snippet posts from the customer's own site.

The GET side of each kind (summaries over ``range=24h|7d|30d``) lives in the kind's own module."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from growthos.server.api.collector import read_body
from growthos.server.api.params import AUTH_RESPONSES, problem_response, server_state
from growthos.server.auth import Principal, authenticate_write_key, identify, scope_allows
from growthos.sources.telemetry import KINDS, RecordKind, decode
from growthos.sources.telemetry.records import MAX_BODY_BYTES

router = APIRouter(prefix="/analytics", tags=["telemetry"])

PATHS: dict[str, str] = {
    "performance": "web_vital",
    "ai-performance": "ai_call",
    "database-performance": "db_query",
    "resources": "resource_sample",
}
"""URL path under /api/analytics -> record kind."""

CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type", "Access-Control-Max-Age": "86400"}

RANGES: dict[str, timedelta] = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
TelemetryRange = Annotated[Literal["24h", "7d", "30d"], Query(alias="range", description="How far back from now.")]
"""The GET side's window, as /api/analytics/events takes it."""


def window(request: Request, range_: str) -> tuple[datetime, datetime]:
    """[now − range, now] for a GET summary, by the workspace's clock."""
    now = server_state(request).settings.now().astimezone(UTC)
    return now - RANGES[range_], now


def ingest_principal(request: Request) -> Principal:
    """The key of a POST: ``Authorization: Bearer`` (a key whose scope allows ingest), else the ``key`` query
    parameter (an ingest key). 401 without a valid key, 403 for a key that may not ingest."""
    if request.headers.get("authorization") is not None:
        principal = identify(request)
        if principal is None or not scope_allows(principal.scope, "ingest"):
            raise HTTPException(403, "this needs a key with scope 'ingest'")
        return principal
    return authenticate_write_key(request, request.query_params.get("key"))


def _ingest_route(kind: RecordKind) -> Callable[..., Any]:
    async def ingest(request: Request) -> JSONResponse:
        received_at = datetime.now(UTC)
        await run_in_threadpool(ingest_principal, request)
        raw = await read_body(request, MAX_BODY_BYTES)
        state = server_state(request)
        context = {"user_agent": request.headers.get("user-agent", "")}

        def store() -> int:
            rows = kind.parse(decode(raw), received_at=received_at, context=context)
            return state.telemetry.submit(kind, rows)

        stored = await run_in_threadpool(store)
        return JSONResponse({"stored": stored}, headers=CORS)

    return ingest


async def _preflight() -> Response:
    return Response(status_code=204, headers=CORS)


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": 'Stored: {"stored": <records>}'},
    **AUTH_RESPONSES,
    413: problem_response("A body above 1 MB"),
    422: problem_response("A missing or invalid field, named in invalid_params as records[i].field"),
    429: problem_response("Overloaded (the telemetry queue is full): nothing stored; retry after Retry-After seconds"),
    503: problem_response("The writer is down or the commit timed out: retry after Retry-After seconds"),
}

for _path, _kind_name in PATHS.items():
    _kind = KINDS[_kind_name]
    router.add_api_route(
        f"/{_path}", _ingest_route(_kind), methods=["POST"], responses=_RESPONSES,
        summary=f"Record {_kind.description[0].lower()}{_kind.description[1:]} "
        f"(fields: {', '.join(f.name for f in _kind.fields)})",
    )
    router.add_api_route(f"/{_path}", _preflight, methods=["OPTIONS"], include_in_schema=False)
