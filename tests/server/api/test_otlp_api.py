"""POST /v1/traces on a real server with spans made by the real OpenTelemetry SDK: exported by its own OTLP/HTTP
exporter (protobuf) and as OTLP/JSON (the SDK's protobuf encoding written as JSON with hex ids), they land
in telemetry_ai_calls and telemetry_db_queries with the spans' values; partial success, 415, 400 and 401."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from support.server import LiveServer, empty_server

pytest.importorskip("opentelemetry.sdk", reason="opentelemetry-sdk (dev extra) is not installed")

from google.protobuf.json_format import MessageToDict  # noqa: E402
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, Status, StatusCode  # noqa: E402

from growthos.sources.telemetry.otlp import hex_id  # noqa: E402

MS = 1_000_000


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    with empty_server(tmp_path_factory.mktemp("otlp-server")) as live:
        yield live


def make_spans(model: str, table: str) -> list[ReadableSpan]:
    """An HTTP request span holding an LLM call and two queries, as an instrumented app would make them."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "recipes-api"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("test")
    t0 = time.time_ns() - 10_000 * MS  # ten seconds ago
    with tracer.start_as_current_span("GET /recipes/{id}", kind=SpanKind.SERVER, start_time=t0,
                                      attributes={"http.route": "/recipes/{id}"}, end_on_exit=False) as root:
        chat = tracer.start_span(f"chat {model}", kind=SpanKind.CLIENT, start_time=t0 + 5 * MS, attributes={
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": 310, "gen_ai.usage.output_tokens": 220, "http.route": "/recipes/{id}"})
        chat.end(end_time=t0 + 5 * MS + 912_500_000)  # 912.5 ms
        select = tracer.start_span("SELECT", kind=SpanKind.CLIENT, start_time=t0 + 1000 * MS, attributes={
            "db.system.name": "postgresql", "db.operation.name": "SELECT",
            "db.query.text": f"SELECT * FROM {table} WHERE id = 42 AND tag IN ('a', 'b')"})
        select.end(end_time=t0 + 1000 * MS + 1_250 * MS)  # 1250 ms: slow
        failed = tracer.start_span("INSERT", kind=SpanKind.CLIENT, start_time=t0 + 2300 * MS, attributes={
            "db.system": "postgresql", "db.statement": f"INSERT INTO {table} (id) VALUES (1)"})
        failed.set_status(Status(StatusCode.ERROR, "duplicate key"))
        failed.set_attribute("error.type", "UniqueViolation")
        failed.end(end_time=t0 + 2300 * MS + 3 * MS)
        root.end(end_time=t0 + 2400 * MS)
    provider.shutdown()
    return list(memory.get_finished_spans())


def otlp_json(spans: list[ReadableSpan]) -> dict:
    """The SDK's own protobuf request as OTLP/JSON: proto3 JSON, with trace and span ids in hex as OTLP says."""
    body = MessageToDict(encode_spans(spans))
    for rs in body["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for key, size in (("traceId", 16), ("spanId", 8), ("parentSpanId", 8)):
                    if key in span:
                        span[key] = hex_id(span[key], size)
    return body


def stored(server: LiveServer, model: str, table: str) -> tuple[list[dict], list[dict]]:
    ai = server.warehouse_rows("SELECT * FROM telemetry_ai_calls WHERE model = ?", [model])
    db = server.warehouse_rows("SELECT * FROM telemetry_db_queries WHERE fingerprint LIKE ? ORDER BY duration_ms",
                               [f"%{table}%"])
    return ai, db


def check_rows(spans: list[ReadableSpan], ai: list[dict], db: list[dict], model: str, table: str) -> None:
    by_name = {s.name: s for s in spans}
    chat = by_name[f"chat {model}"]
    [call] = ai
    assert (call["model"], call["provider"], call["tokens_in"], call["tokens_out"], call["status"]) == (
        model, "openai", 310, 220, "ok")
    assert call["latency_ms"] == 912.5 and call["endpoint"] == "/recipes/{id}"
    assert call["trace_id"] == format(chat.context.trace_id, "032x")
    assert call["span_id"] == format(chat.context.span_id, "016x")
    assert call["timestamp"].timestamp() == pytest.approx(chat.start_time / 1e9, abs=1e-6)

    insert, select = db
    assert (select["fingerprint"], select["duration_ms"], select["slow"], select["operation"]) == (
        f"SELECT * FROM {table} WHERE id = ? AND tag IN (?)", 1250.0, True, "SELECT")
    assert (select["system"], select["cached"], select["error_type"], select["endpoint"]) == (
        "postgresql", False, None, "recipes-api")
    assert (insert["fingerprint"], insert["duration_ms"], insert["slow"], insert["error_type"]) == (
        f"INSERT INTO {table}(id) VALUES (?)", 3.0, False, "UniqueViolation")
    assert insert["operation"] == "INSERT"


def test_the_sdks_own_exporter_protobuf(server) -> None:
    spans = make_spans("gpt-otlp-proto", "proto_recipes")
    exporter = OTLPSpanExporter(endpoint=f"{server.url}/v1/traces", headers=server.auth("ingest"), timeout=30)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    exporter.shutdown()
    ai, db = stored(server, "gpt-otlp-proto", "proto_recipes")
    check_rows(spans, ai, db, "gpt-otlp-proto", "proto_recipes")


def test_otlp_json_and_its_answer(server) -> None:
    spans = make_spans("gpt-otlp-json", "json_recipes")
    response = httpx.post(f"{server.url}/v1/traces", json=otlp_json(spans), headers=server.auth("ingest"),
                          timeout=30)
    assert response.status_code == 200 and response.json() == {}
    assert response.headers["content-type"].startswith("application/json")
    assert (response.headers["x-growthos-ai-calls"], response.headers["x-growthos-db-queries"],
            response.headers["x-growthos-ignored-spans"]) == ("1", "2", "1")  # the HTTP span is ignored
    ai, db = stored(server, "gpt-otlp-json", "json_recipes")
    check_rows(spans, ai, db, "gpt-otlp-json", "json_recipes")


def test_partial_success_in_json_gzip_and_protobuf(server) -> None:
    body = otlp_json(make_spans("gpt-otlp-partial", "partial_recipes"))
    spans = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
    bad = next(s for s in spans if s["name"].startswith("chat"))
    bad["endTimeUnixNano"] = str(int(bad["startTimeUnixNano"]) - 1)  # ends before it starts
    response = httpx.post(f"{server.url}/v1/traces", content=gzip.compress(json.dumps(body).encode()),
                          headers={**server.auth("ingest"), "Content-Type": "application/json",
                                   "Content-Encoding": "gzip"}, timeout=30)
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == 1 and "ends before it starts" in partial["errorMessage"]
    ai, db = stored(server, "gpt-otlp-partial", "partial_recipes")
    assert ai == [] and len(db) == 2  # the good spans of the request were stored

    proto = encode_spans(make_spans("gpt-otlp-partial-pb", "partial_pb"))
    proto.resource_spans[0].scope_spans[0].spans[0].end_time_unix_nano = 1
    response = httpx.post(f"{server.url}/v1/traces", content=proto.SerializeToString(),
                          headers={**server.auth("ingest"), "Content-Type": "application/x-protobuf"}, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 1


def test_refusals(server) -> None:
    url = f"{server.url}/v1/traces"
    ingest = server.auth("ingest")
    assert httpx.post(url, json={"resourceSpans": []}, timeout=30).status_code == 401
    assert httpx.post(url, json={"resourceSpans": []}, headers=server.auth("read"), timeout=30).status_code == 403
    wrong_type = httpx.post(url, content=b"{}", headers={**ingest, "Content-Type": "text/plain"}, timeout=30)
    assert wrong_type.status_code == 415 and "application/json" in wrong_type.json()["message"]
    not_json = httpx.post(url, content=b"{nope", headers={**ingest, "Content-Type": "application/json"}, timeout=30)
    assert not_json.status_code == 400 and not_json.json()["code"] == 3
    not_otlp = httpx.post(url, json={"resourceSpans": {"x": 1}}, headers=ingest, timeout=30)
    assert not_otlp.status_code == 400 and "resourceSpans must be a list" in not_otlp.json()["message"]
    not_proto = httpx.post(url, content=b"\xff\xff\xff", headers={**ingest, "Content-Type": "application/x-protobuf"},
                           timeout=30)
    assert not_proto.status_code == 400
    empty = httpx.post(url, json={}, headers=ingest, timeout=30)
    assert empty.status_code == 200 and empty.json() == {}
