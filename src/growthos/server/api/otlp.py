"""``POST /v1/traces``: OpenTelemetry traces over OTLP/HTTP, the way an OpenTelemetry SDK or Collector exports
them (``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=<growthos>/v1/traces``). LLM spans (``gen_ai.*``) are stored as AI
calls and database spans (``db.*``) as database queries; other spans are ignored. The mapping is in
``growthos.sources.telemetry.otlp``.

- Encodings: ``application/json`` (OTLP/JSON) and ``application/x-protobuf`` (binary protobuf, the SDK
  exporters' default; decoded with the ``opentelemetry-proto`` package); the answer uses the request's
  encoding. Any other Content-Type: 415. ``Content-Encoding: gzip`` is accepted.
- Authentication: an ingest key as ``Authorization: Bearer`` (``OTEL_EXPORTER_OTLP_HEADERS=Authorization=
  Bearer%20gos_ingest_...``), or the ``key`` query parameter; 401/403 as problem details otherwise.
- Answers, as OTLP specifies: 200 with an empty ``ExportTraceServiceResponse`` (``{}``) when every span was
  stored or ignored; 200 with ``partialSuccess: {rejectedSpans, errorMessage}`` when some spans could not
  be turned into valid records (the others are stored); 400 with a ``google.rpc.Status`` (code 3,
  INVALID_ARGUMENT) for a body that is not an OTLP traces request; 413 above the size limit; 429 with
  Retry-After when the writer is overloaded, 503 when it is down (OTLP clients retry both).
- The counts are in headers: ``X-GrowthOS-AI-Calls``, ``X-GrowthOS-DB-Queries``, ``X-GrowthOS-Ignored-Spans``,
  ``X-GrowthOS-Rejected-Spans``.

AI calls and database queries of one request are committed as two writes (one per table).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from growthos.core.errors import InvalidInput
from growthos.server.api.collector import read_body
from growthos.server.api.params import AUTH_RESPONSES, problem_response, server_state
from growthos.server.api.telemetry import ingest_principal
from growthos.sources.collector.body import decode_body, load_json
from growthos.sources.telemetry import otlp
from growthos.sources.telemetry.ai_calls import AI_CALL
from growthos.sources.telemetry.db_queries import DB_QUERY

router = APIRouter(prefix="/v1", tags=["opentelemetry"])

JSON = "application/json"
PROTOBUF = "application/x-protobuf"
MAX_BODY_BYTES = 8_000_000
"""Bytes of one request, compressed or not, and after decompression."""
INVALID_ARGUMENT = 3
"""google.rpc.Code of a malformed request."""

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Stored: {} or {\"partialSuccess\": {\"rejectedSpans\": n, \"errorMessage\": …}}"},
    400: {"description": "Not an OTLP traces request: a google.rpc.Status {code: 3, message}"},
    **AUTH_RESPONSES,
    413: problem_response("A body above 8 MB"),
    415: {"description": "A Content-Type other than application/json or application/x-protobuf"},
    429: problem_response("Overloaded (the telemetry queue is full): nothing stored; retry after Retry-After seconds"),
    503: problem_response("The writer is down or the commit timed out: retry after Retry-After seconds"),
}


@router.post("/traces", responses=_RESPONSES, summary="Export OpenTelemetry traces (OTLP/HTTP, JSON or protobuf): "
             "gen_ai spans become AI calls, db spans database queries")
async def export_traces(request: Request) -> Response:
    received_at = datetime.now(UTC)
    await run_in_threadpool(ingest_principal, request)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in (JSON, PROTOBUF):
        return JSONResponse({"code": INVALID_ARGUMENT, "message": f"unsupported Content-Type {media or '(none)'!r}: "
                             f"send OTLP as {JSON} or {PROTOBUF}"}, status_code=415)
    raw = await read_body(request, MAX_BODY_BYTES)
    state = server_state(request)
    encoding = request.headers.get("content-encoding")

    def store() -> Response:
        try:
            body = decode_body(raw, encoding, limit=MAX_BODY_BYTES)
            decoded = load_json(body) if media == JSON else _protobuf_request(body)
            checked = otlp.check(otlp.map_traces(decoded), received_at=received_at)
        except InvalidInput as exc:
            if exc.status == 413:
                raise
            return _status(media, 400, f"{exc.field}: {exc.message}" if exc.field else exc.message)
        state.telemetry.submit_many([(kind, checked.tables[kind.name]) for kind in (AI_CALL, DB_QUERY)
                                     if kind.name in checked.tables])  # one transaction: a retry stores none twice
        return _answer(media, checked)

    return await run_in_threadpool(store)


def _answer(media: str, checked: otlp.Checked) -> Response:
    headers = {"X-GrowthOS-AI-Calls": str(checked.stored(AI_CALL)),
               "X-GrowthOS-DB-Queries": str(checked.stored(DB_QUERY)),
               "X-GrowthOS-Ignored-Spans": str(checked.ignored),
               "X-GrowthOS-Rejected-Spans": str(len(checked.rejected))}
    rejected = len(checked.rejected)
    message = ""
    if rejected:
        shown = "; ".join(f"{ref}: {reason}" for ref, reason in checked.rejected[:5])
        more = f" (and {rejected - 5} more)" if rejected > 5 else ""
        message = f"{rejected} span(s) rejected: {shown}{more}"
    if media == PROTOBUF:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

        response = ExportTraceServiceResponse()
        if rejected:
            response.partial_success.rejected_spans = rejected
            response.partial_success.error_message = message
        return Response(response.SerializeToString(), media_type=PROTOBUF, headers=headers)
    body = {"partialSuccess": {"rejectedSpans": rejected, "errorMessage": message}} if rejected else {}
    return JSONResponse(body, headers=headers)


def _protobuf_request(raw: bytes) -> dict[str, Any]:
    """A binary ExportTraceServiceRequest as the dict its OTLP/JSON encoding decodes to (ids in base64, which
    the mapping accepts beside hex)."""
    try:
        from google.protobuf.json_format import MessageToDict
        from google.protobuf.message import DecodeError
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    except ImportError:  # pragma: no cover - opentelemetry-proto is a dependency
        raise InvalidInput("protobuf is not supported by this server: send OTLP/JSON", field="Content-Type") from None
    message = ExportTraceServiceRequest()
    try:
        message.ParseFromString(raw)
    except DecodeError as exc:
        raise InvalidInput(f"body is not a protobuf ExportTraceServiceRequest: {exc}", field="body") from None
    return MessageToDict(message)


def _status(media: str, code: int, message: str) -> Response:
    """A google.rpc.Status {code: INVALID_ARGUMENT, message} in the request's encoding."""
    if media == PROTOBUF:
        text = message.encode()
        return Response(bytes([0x08, INVALID_ARGUMENT, 0x12]) + _varint(len(text)) + text, status_code=code,
                        media_type=PROTOBUF)
    return JSONResponse({"code": INVALID_ARGUMENT, "message": message}, status_code=code)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)
