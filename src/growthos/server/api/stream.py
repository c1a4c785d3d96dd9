"""GET /api/stream: server-sent events (builds finishing; later alerts and anomalies)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from growthos.server.api.params import AUTH_RESPONSES, READ, server_state

router = APIRouter(tags=["events"], dependencies=READ, responses=AUTH_RESPONSES)


@router.get(
    "/stream",
    summary="Server-sent events: build_finished, build_failed...",
    response_class=StreamingResponse,
    responses={200: {"description": "An event stream", "content": {"text/event-stream": {}}}},
)
async def stream(request: Request) -> StreamingResponse:
    return StreamingResponse(
        server_state(request).events.subscribe(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
