"""OTLP/JSON traces mapped by hand: gen_ai spans to AI calls, db spans to database queries (fingerprinted),
other spans ignored, bad spans rejected one by one; attribute values, ids and times decoded as the OTLP
JSON encoding writes them."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from growthos.core.errors import InvalidInput
from growthos.sources.telemetry.otlp import any_value, check, hex_id, map_traces

RECEIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
START = 1_772_452_800_000_000_000  # 2026-03-02T12:00:00Z in nanoseconds
TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"


def attr(key: str, value) -> dict:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}  # proto3 JSON writes int64 as a string
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": value}}


def span(name: str, attrs: dict, *, ms: float = 100.0, status: int = 0, **extra) -> dict:
    out = {"traceId": TRACE, "spanId": SPAN, "name": name, "kind": 3,
           "startTimeUnixNano": str(START), "endTimeUnixNano": str(START + int(ms * 1_000_000)),
           "attributes": [attr(k, v) for k, v in attrs.items()], "status": {"code": status}}
    out.update(extra)
    return out


def request(*spans: dict, service: str = "recipes-api") -> dict:
    return {"resourceSpans": [{
        "resource": {"attributes": [attr("service.name", service)]},
        "scopeSpans": [{"scope": {"name": "test"}, "spans": list(spans)}],
    }]}


def test_a_chat_span_becomes_an_ai_call() -> None:
    mapped = map_traces(request(span("chat gpt-4o-mini", {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.usage.input_tokens": 310,
        "gen_ai.usage.output_tokens": 220, "http.route": "/recipes/{id}/suggest", "enduser.id": "usr_1",
    }, ms=912.5)))
    assert mapped.ignored == 0 and mapped.rejected == [] and mapped.db_queries == []
    [(ref, record)] = mapped.ai_calls
    assert ref == "resourceSpans[0].scopeSpans[0].spans[0]"
    assert record == {
        "model": "gpt-4o-mini", "provider": "openai", "latency_ms": 912.5, "tokens_in": 310, "tokens_out": 220,
        "status": "ok", "user_id": "usr_1", "endpoint": "/recipes/{id}/suggest", "trace_id": TRACE,
        "span_id": SPAN, "timestamp": "2026-03-02T12:00:00+00:00",
    }


def test_older_gen_ai_names_errors_and_the_service_as_endpoint() -> None:
    exception = {"name": "exception", "timeUnixNano": str(START),
                 "attributes": [attr("exception.type", "RateLimitError"), attr("exception.message", "slow down")]}
    mapped = map_traces(request(span("completion", {
        "gen_ai.system": "anthropic", "gen_ai.response.model": "claude-3-5-haiku",
        "gen_ai.usage.prompt_tokens": 12, "gen_ai.usage.completion_tokens": 0,
    }, ms=40, status=2, events=[exception])))
    [(_, record)] = mapped.ai_calls
    assert record["model"] == "claude-3-5-haiku" and record["provider"] == "anthropic"
    assert (record["tokens_in"], record["tokens_out"]) == (12, 0)
    assert record["status"] == "error" and record["error_type"] == "RateLimitError"
    assert record["endpoint"] == "recipes-api"  # no http.route on the span: the resource's service.name


def test_a_db_span_becomes_a_fingerprinted_query() -> None:
    mapped = map_traces(request(
        span("SELECT recipes", {"db.system.name": "postgresql",
                                "db.query.text": "SELECT * FROM recipes WHERE owner_id = 42 AND tag IN ('a','b')",
                                "db.response.returned_rows": 7}, ms=1250.0),
        span("INSERT", {"db.system": "sqlite", "db.statement": "INSERT INTO t VALUES (1)",
                        "db.operation": "insert", "error.type": "IntegrityError"}, ms=2.0),
        span("GET", {"db.system.name": "redis", "db.query.text": "GET session:usr_1", "db.operation.name": "GET"}),
        span("find", {"db.system": "mongodb", "db.operation": "find", "db.collection.name": "users"}),
    ))
    records = [r for _, r in mapped.db_queries]
    assert records[0] == {
        "fingerprint": "SELECT * FROM recipes WHERE owner_id = ? AND tag IN (?)", "duration_ms": 1250.0, "rows": 7,
        "cached": False, "slow": True, "system": "postgresql", "operation": "SELECT", "endpoint": "recipes-api",
        "trace_id": TRACE, "span_id": SPAN, "timestamp": "2026-03-02T12:00:00+00:00",
    }
    assert (records[1]["operation"], records[1]["error_type"], records[1]["slow"]) == ("INSERT", "IntegrityError",
                                                                                       False)
    assert records[2]["fingerprint"] == "GET"  # a Redis key never reaches the fingerprint
    assert records[3]["fingerprint"] == "find users" and records[3]["operation"] == "FIND"


def test_other_spans_are_ignored_and_bad_ones_rejected_alone() -> None:
    mapped = map_traces(request(
        span("GET /recipes", {"http.route": "/recipes", "http.request.method": "GET"}),
        span("invoke_agent planner", {"gen_ai.operation.name": "invoke_agent", "gen_ai.request.model": "gpt-4o"}),
        span("chat", {"gen_ai.operation.name": "chat"}),  # a gen_ai span without a model
        span("chat", {"gen_ai.request.model": "gpt-4o"}, ms=-5),  # ends before it starts
        span("SELECT", {"db.system": "sqlite", "db.statement": "SELECT 1"}, startTimeUnixNano="0"),
        span("chat", {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": -3}),  # parse refuses it
        span("chat", {"gen_ai.request.model": "gpt-4o"}),
        "not a span",
    ))
    assert mapped.ignored == 3
    assert [ref for ref, _ in mapped.rejected] == ["resourceSpans[0].scopeSpans[0].spans[3]",
                                                   "resourceSpans[0].scopeSpans[0].spans[4]",
                                                   "resourceSpans[0].scopeSpans[0].spans[7]"]
    checked = check(mapped, received_at=RECEIVED)
    assert checked.tables["ai_call"].num_rows == 1 and "db_query" not in checked.tables
    assert len(checked.rejected) == 4
    assert checked.rejected[-1][0] == "resourceSpans[0].scopeSpans[0].spans[5]"
    assert "tokens_in must be at least 0" in checked.rejected[-1][1]


def test_checked_rows_have_the_kinds_columns() -> None:
    checked = check(map_traces(request(
        span("chat", {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 5}, ms=250),
        span("q", {"db.system": "sqlite", "db.statement": "SELECT * FROM t WHERE id = 3"}, ms=3),
    )), received_at=RECEIVED)
    ai = checked.tables["ai_call"].to_pylist()[0]
    db = checked.tables["db_query"].to_pylist()[0]
    assert (ai["model"], ai["latency_ms"], ai["tokens_in"], ai["tokens_out"], ai["cache_hit"]) == (
        "gpt-4o", 250.0, 5, 0, False)
    assert ai["timestamp"] == datetime(2026, 3, 2, 12, 0, tzinfo=UTC) and ai["received_at"] == RECEIVED
    assert (db["fingerprint"], db["duration_ms"], db["slow"], db["rows"]) == ("SELECT * FROM t WHERE id = ?", 3.0,
                                                                              False, None)


@pytest.mark.parametrize(("value", "expected"), [
    ({"stringValue": "x"}, "x"), ({"intValue": "9007199254740993"}, 9007199254740993), ({"intValue": 5}, 5),
    ({"doubleValue": 1.5}, 1.5), ({"doubleValue": "NaN"}, None), ({"boolValue": True}, True),
    ({"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "2"}]}}, ["a", 2]),
    ({"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": False}}]}}, {"k": False}),
    ({}, None), ("junk", None),
])
def test_any_value(value, expected) -> None:
    assert any_value(value) == expected


def test_ids_in_hex_or_base64() -> None:
    raw = bytes.fromhex(TRACE)
    assert hex_id(TRACE.upper(), 16) == TRACE
    assert hex_id(base64.b64encode(raw).decode(), 16) == TRACE
    assert hex_id("0" * 32, 16) is None and hex_id("xyz", 8) is None and hex_id(None, 8) is None


def test_a_body_that_is_not_otlp_is_refused() -> None:
    with pytest.raises(InvalidInput, match="JSON object"):
        map_traces([1, 2])
    with pytest.raises(InvalidInput, match="resourceSpans must be a list"):
        map_traces({"resourceSpans": {}})
    assert map_traces({}).ai_calls == [] and map_traces({"resourceSpans": []}).ignored == 0
