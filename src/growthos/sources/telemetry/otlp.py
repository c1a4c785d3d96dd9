"""OpenTelemetry traces (OTLP, decoded from its JSON encoding) mapped to telemetry records: spans of LLM calls
(``gen_ai.*`` attributes) become ``ai_call`` records and spans of database queries (``db.system``) become
``db_query`` records; other spans are ignored. Pure functions: the route decodes and stores.

The request shape (OTLP/HTTP JSON, the protobuf ``ExportTraceServiceRequest`` in proto3 JSON with two
OTLP rules: ``traceId``/``spanId`` are hex, enums may be integers)::

    {"resourceSpans": [{"resource": {"attributes": [...]},
                        "scopeSpans": [{"scope": {...}, "spans": [{"traceId", "spanId", "name",
                            "startTimeUnixNano": "…", "endTimeUnixNano": "…", "attributes": [...],
                            "status": {"code": 2, "message": "…"}, "events": [...]}]}]}]}

Attributes are ``[{"key": k, "value": {"stringValue" | "intValue" | "doubleValue" | "boolValue" |
"arrayValue" | "kvlistValue" | "bytesValue": …}}]``; 64-bit integers may come as strings. Base64 ids (the
plain proto3 JSON mapping some clients use) are accepted too.

**AI calls** — a span with any ``gen_ai.*`` attribute and a model (``gen_ai.request.model``, else
``gen_ai.response.model``); agent and tool spans (``gen_ai.operation.name`` invoke_agent, create_agent,
execute_tool) and gen_ai spans without a model are ignored, since the model calls inside them have spans
of their own. provider = ``gen_ai.provider.name`` or the older ``gen_ai.system``; tokens =
``gen_ai.usage.input_tokens``/``output_tokens`` or the older ``prompt_tokens``/``completion_tokens``;
user_id = ``enduser.id`` or ``user.id``.

**Database queries** — a span with ``db.system.name`` or the older ``db.system``. fingerprint = the SQL
fingerprint of ``db.query.text`` / ``db.statement`` (values removed, growthos.telemetry.fingerprint); for a
non-SQL system (Redis, MongoDB...) or a span without a statement, the operation and collection
(``GET``, ``find users``), else ``db.query.summary``, else the span's name. operation =
``db.operation.name`` / ``db.operation`` (upper-cased), else the statement's first keyword; rows =
``db.response.returned_rows``; slow = duration >= ``slow_ms`` (1000 ms).

**Both** — latency/duration = end − start; timestamp = the span's start; status error when the span's
status code is ERROR (2) or it has ``error.type``; error_type = ``error.type``, else the ``exception.type`` of
its first exception event, else ``_OTHER`` (OpenTelemetry's own fallback); endpoint = the span's
``http.route``, else the resource's ``service.name``; trace_id / span_id from the span. Strings longer than
the record's field are cut, not refused.

A span whose record fails the kind's checks (no valid start or end time, a negative or too long duration,
a timestamp in the future...) is *rejected*, named ``resourceSpans[i].scopeSpans[j].spans[k]``; the rest
of the request is stored (OTLP's partial success).
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from growthos.core.errors import InvalidInput
from growthos.sources.telemetry.ai_calls import AI_CALL
from growthos.sources.telemetry.db_queries import DB_QUERY
from growthos.sources.telemetry.records import MAX_RECORDS, RecordKind
from growthos.telemetry.fingerprint import fingerprint, operation

SLOW_MS = 1000.0
MAX_SPANS = 20_000
"""Spans in one request at most."""
STATUS_ERROR = 2
AGENT_OPERATIONS = frozenset(("invoke_agent", "create_agent", "execute_tool"))
NON_SQL_SYSTEMS = frozenset(("redis", "valkey", "memcached", "mongodb", "elasticsearch", "opensearch", "couchdb",
                             "couchbase", "aws.dynamodb", "dynamodb", "cosmosdb", "azure.cosmosdb", "neo4j",
                             "hbase", "geode", "influxdb"))
"""Systems whose statements are not SQL: their fingerprint is the operation and collection, never the text."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Span:
    """One span with the attributes the mapping reads."""

    ref: str
    """Where it was in the request: resourceSpans[i].scopeSpans[j].spans[k]."""
    name: str
    trace_id: str | None
    span_id: str | None
    start_ns: int | None
    end_ns: int | None
    error: bool
    attributes: Mapping[str, Any]
    resource: Mapping[str, Any]
    exception_type: str | None
    malformed: bool = False
    """Not a JSON object: rejected."""


@dataclass
class Mapped:
    """A request's spans sorted by what they became."""

    ai_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(span ref, record) pairs."""
    db_queries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    ignored: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """(span ref, reason)."""


@dataclass
class Checked:
    """Records that passed their kind's checks, as rows to store, and the spans that did not."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    """Kind name -> rows (only kinds with rows)."""
    ignored: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def stored(self, kind: RecordKind) -> int:
        table = self.tables.get(kind.name)
        return 0 if table is None else table.num_rows


def map_traces(body: Any, *, slow_ms: float = SLOW_MS) -> Mapped:
    """The records of a decoded OTLP/JSON traces request; InvalidInput when its structure is not OTLP's."""
    mapped = Mapped()
    for span in iter_spans(body):
        try:
            kind = classify(span)
            if kind is None:
                mapped.ignored += 1
            elif kind is AI_CALL:
                mapped.ai_calls.append((span.ref, ai_call_record(span)))
            else:
                mapped.db_queries.append((span.ref, db_query_record(span, slow_ms=slow_ms)))
        except InvalidInput as exc:
            mapped.rejected.append((span.ref, exc.message))
    return mapped


def check(mapped: Mapped, *, received_at: datetime) -> Checked:
    """Each kind's records through its own ``parse`` (the same checks as the JSON ingest API); a failing
    record rejects its span only."""
    out = Checked(ignored=mapped.ignored, rejected=list(mapped.rejected))
    for kind, records in ((AI_CALL, mapped.ai_calls), (DB_QUERY, mapped.db_queries)):
        tables = []
        for start in range(0, len(records), MAX_RECORDS):
            chunk = records[start:start + MAX_RECORDS]
            try:
                tables.append(kind.parse([r for _, r in chunk], received_at=received_at))
            except InvalidInput:  # find the bad ones; keep the rest
                for ref, record in chunk:
                    try:
                        tables.append(kind.parse([record], received_at=received_at))
                    except InvalidInput as exc:
                        out.rejected.append((ref, exc.message))
        if tables:
            out.tables[kind.name] = pa.concat_tables(tables)
    return out


# -- the request's structure ---------------------------------------------------------------------------


def iter_spans(body: Any) -> Iterator[Span]:
    """Every span of the request with its resource's attributes."""
    if not isinstance(body, dict):
        raise InvalidInput("an OTLP traces request is a JSON object", field="body")
    resource_spans = body.get("resourceSpans", body.get("resource_spans", []))
    if not isinstance(resource_spans, list):
        raise InvalidInput("resourceSpans must be a list", field="resourceSpans")
    count = 0
    for i, rs in enumerate(resource_spans):
        if not isinstance(rs, dict):
            raise InvalidInput("each resourceSpans item must be an object", field=f"resourceSpans[{i}]")
        resource = attributes((rs.get("resource") or {}).get("attributes"))
        scopes = rs.get("scopeSpans", rs.get("scope_spans", rs.get("instrumentationLibrarySpans", [])))
        if not isinstance(scopes, list):
            raise InvalidInput("scopeSpans must be a list", field=f"resourceSpans[{i}].scopeSpans")
        for j, ss in enumerate(scopes):
            spans = ss.get("spans", []) if isinstance(ss, dict) else None
            if not isinstance(spans, list):
                raise InvalidInput("spans must be a list", field=f"resourceSpans[{i}].scopeSpans[{j}].spans")
            count += len(spans)
            if count > MAX_SPANS:
                raise InvalidInput(f"more than {MAX_SPANS} spans in one request", field="resourceSpans")
            for k, raw in enumerate(spans):
                yield span_of(raw, f"resourceSpans[{i}].scopeSpans[{j}].spans[{k}]", resource)


def span_of(raw: Any, ref: str, resource: Mapping[str, Any]) -> Span:
    """A span from its OTLP/JSON object (a malformed one gives a span that classify() rejects)."""
    if not isinstance(raw, dict):
        return Span(ref=ref, name="", trace_id=None, span_id=None, start_ns=None, end_ns=None, error=False,
                    attributes={}, resource=resource, exception_type=None, malformed=True)
    status = raw.get("status") or {}
    code = status.get("code") if isinstance(status, dict) else None
    error = code in (STATUS_ERROR, str(STATUS_ERROR), "STATUS_CODE_ERROR")
    return Span(
        ref=ref, name=str(raw.get("name") or ""),
        trace_id=hex_id(raw.get("traceId", raw.get("trace_id")), 16),
        span_id=hex_id(raw.get("spanId", raw.get("span_id")), 8),
        start_ns=_nanos(raw.get("startTimeUnixNano", raw.get("start_time_unix_nano"))),
        end_ns=_nanos(raw.get("endTimeUnixNano", raw.get("end_time_unix_nano"))),
        error=error, attributes=attributes(raw.get("attributes")), resource=resource,
        exception_type=_exception_type(raw.get("events")),
    )


def attributes(items: Any) -> dict[str, Any]:
    """OTLP key-value list -> dict (later duplicates win; malformed items are skipped)."""
    out: dict[str, Any] = {}
    if not isinstance(items, list):
        return out
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = any_value(item.get("value"))
    return out


def any_value(value: Any) -> Any:
    """An OTLP AnyValue as a Python value (None when empty or malformed)."""
    if not isinstance(value, dict):
        return None
    if "stringValue" in value:
        return value["stringValue"] if isinstance(value["stringValue"], str) else None
    if "intValue" in value:
        return _int(value["intValue"])
    if "doubleValue" in value:
        try:
            number = float(value["doubleValue"])
        except (TypeError, ValueError):
            return None
        return number if math.isfinite(number) else None
    if "boolValue" in value:
        return value["boolValue"] if isinstance(value["boolValue"], bool) else None
    if "arrayValue" in value:
        values = (value["arrayValue"] or {}).get("values") or []
        return [any_value(v) for v in values] if isinstance(values, list) else None
    if "kvlistValue" in value:
        return attributes((value["kvlistValue"] or {}).get("values"))
    if "bytesValue" in value:
        return value["bytesValue"] if isinstance(value["bytesValue"], str) else None
    return None


def hex_id(value: Any, size: int) -> str | None:
    """A trace id (16 bytes) or span id (8 bytes) as lower-case hex, from hex (OTLP/JSON) or base64 (proto3
    JSON); None when absent, all zero or malformed."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) == size * 2:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = b""
    else:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
    if len(raw) != size or not any(raw):
        return None
    return raw.hex()


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _nanos(value: Any) -> int | None:
    number = _int(value)
    return number if number is not None and number > 0 else None


def _exception_type(events: Any) -> str | None:
    if not isinstance(events, list):
        return None
    for item in events:
        if isinstance(item, dict) and item.get("name") == "exception":
            kind = attributes(item.get("attributes")).get("exception.type")
            if isinstance(kind, str) and kind:
                return kind
    return None


# -- spans to records -----------------------------------------------------------------------------------


def classify(span: Span) -> RecordKind | None:
    """AI_CALL, DB_QUERY or None (ignored); InvalidInput for a malformed span."""
    if span.malformed:
        raise InvalidInput("a span must be a JSON object")
    attrs = span.attributes
    if any(key.startswith("gen_ai.") for key in attrs):
        if attrs.get("gen_ai.operation.name") in AGENT_OPERATIONS or not _model(attrs):
            return None
        return AI_CALL
    if _text(attrs, "db.system.name", "db.system"):
        return DB_QUERY
    return None


def ai_call_record(span: Span) -> dict[str, Any]:
    """The ``ai_call`` record of an LLM span (not yet checked: AI_CALL.parse does that)."""
    attrs = span.attributes
    error = span.error or "error.type" in attrs
    record = {
        "model": _cut(_model(attrs), 128),
        "provider": _cut(_text(attrs, "gen_ai.provider.name", "gen_ai.system"), 64),
        "latency_ms": _duration_ms(span),
        "tokens_in": _whole(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
        "tokens_out": _whole(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
        "status": "error" if error else "ok",
        "error_type": _cut(_error_type(span), 128) if error else None,
        "user_id": _cut(_text(attrs, "enduser.id", "user.id"), 256),
        **_common(span),
    }
    return {k: v for k, v in record.items() if v is not None}


def db_query_record(span: Span, *, slow_ms: float = SLOW_MS) -> dict[str, Any]:
    """The ``db_query`` record of a database span (not yet checked: DB_QUERY.parse does that)."""
    attrs = span.attributes
    system = _text(attrs, "db.system.name", "db.system")
    statement = _text(attrs, "db.query.text", "db.statement")
    op = _text(attrs, "db.operation.name", "db.operation")
    collection = _text(attrs, "db.collection.name", "db.mongodb.collection", "db.sql.table")
    if statement and system not in NON_SQL_SYSTEMS:
        shape = fingerprint(statement)
        op = op or operation(shape)
    else:
        op = op or (statement.split(None, 1)[0] if statement else None)
        shape = " ".join(p for p in (op, collection) if p) or _text(attrs, "db.query.summary") or span.name
    duration = _duration_ms(span)
    error = span.error or "error.type" in attrs
    record = {
        "fingerprint": _cut(shape, 4000), "duration_ms": duration,
        "rows": _whole(attrs, "db.response.returned_rows"),
        "cached": False, "slow": duration >= slow_ms, "system": _cut(system, 64),
        "operation": _cut(op.upper() if op else None, 32),
        "error_type": _cut(_error_type(span), 128) if error else None,
        **_common(span),
    }
    return {k: v for k, v in record.items() if v is not None}


def _common(span: Span) -> dict[str, Any]:
    endpoint = _text(span.attributes, "http.route") or _text(span.resource, "service.name")
    return {"endpoint": _cut(endpoint, 256), "trace_id": span.trace_id, "span_id": span.span_id,
            "timestamp": (_EPOCH + timedelta(microseconds=span.start_ns // 1000)).isoformat()}


def _duration_ms(span: Span) -> float:
    if span.start_ns is None or span.end_ns is None:
        raise InvalidInput("the span needs startTimeUnixNano and endTimeUnixNano")
    if span.end_ns < span.start_ns:
        raise InvalidInput("the span ends before it starts")
    return (span.end_ns - span.start_ns) / 1e6


def _model(attrs: Mapping[str, Any]) -> str | None:
    return _text(attrs, "gen_ai.request.model", "gen_ai.response.model")


def _error_type(span: Span) -> str:
    return _text(span.attributes, "error.type") or span.exception_type or "_OTHER"


def _text(attrs: Mapping[str, Any], *keys: str) -> str | None:
    """The first of ``keys`` holding a non-empty string (numbers and booleans as text)."""
    for key in keys:
        value = attrs.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    return None


def _whole(attrs: Mapping[str, Any], *keys: str) -> int | float | None:
    """The first of ``keys`` holding a number (checked later by the kind: whole, within limits)."""
    for key in keys:
        value = attrs.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    return None


def _cut(value: str | None, length: int) -> str | None:
    return value[:length] if value else None
