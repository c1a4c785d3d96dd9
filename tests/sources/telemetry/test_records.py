"""Telemetry record checks: every field's type and limits, errors naming records[i].field, defaults."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from growthos.core.errors import InvalidInput
from growthos.sources.telemetry import KINDS, decode

NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
VITAL = KINDS["web_vital"]
AI = KINDS["ai_call"]


def error(kind, body) -> InvalidInput:
    with pytest.raises(InvalidInput) as exc:
        kind.parse(body, received_at=NOW)
    return exc.value


def test_a_batch_becomes_rows_with_defaults() -> None:
    rows = VITAL.parse({"records": [
        {"name": "LCP", "value": 2300, "route": "/recipes", "timestamp": "2026-02-10T11:59:00Z"},
        {"name": "CLS", "value": 0.12, "route": "/", "rating": "needs-improvement", "timestamp": 1770724740000},
    ]}, received_at=NOW, context={"user_agent": "Mozilla/5.0 test"}).to_pylist()
    assert [(r["name"], r["value"], r["route"]) for r in rows] == [("LCP", 2300.0, "/recipes"), ("CLS", 0.12, "/")]
    assert rows[0]["timestamp"] == datetime(2026, 2, 10, 11, 59, tzinfo=UTC)
    assert rows[1]["timestamp"] == datetime(2026, 2, 10, 11, 59, tzinfo=UTC)  # epoch milliseconds
    assert all(r["user_agent"] == "Mozilla/5.0 test" and r["received_at"] == NOW for r in rows)
    single = AI.parse({"model": "gpt-4o-mini", "latency_ms": 812.5}, received_at=NOW).to_pylist()[0]
    assert (single["tokens_in"], single["cache_hit"], single["status"], single["timestamp"]) == (0, False, "ok", NOW)


@pytest.mark.parametrize(("body", "field", "reason"), [
    ([{"name": "LCP", "value": 1, "route": "/"}, {"name": "XYZ", "value": 1, "route": "/"}], "records[1].name",
     "must be one of"),
    ({"name": "LCP", "route": "/"}, "records[0].value", "required"),
    ({"name": "LCP", "value": -1, "route": "/"}, "records[0].value", "at least 0"),
    ({"name": "LCP", "value": "fast", "route": "/"}, "records[0].value", "must be a number"),
    ({"name": "LCP", "value": True, "route": "/"}, "records[0].value", "must be a number"),
    ({"name": "LCP", "value": 1, "route": "/" * 513}, "records[0].route", "at most 512"),
    ({"name": "LCP", "value": 1, "route": "/", "colour": "red"}, "records[0].colour", "unknown field"),
    ({"name": "LCP", "value": 1, "route": "/", "timestamp": "yesterday"}, "records[0].timestamp", "ISO 8601"),
    ({"name": "LCP", "value": 1, "route": "/", "timestamp": "2026-02-10T12:00:00"}, "records[0].timestamp",
     "time zone"),
    ({"name": "LCP", "value": 1, "route": "/", "timestamp": "2026-02-11T12:00:00Z"}, "records[0].timestamp",
     "future"),
    ([], "records", "no records"),
    ({"records": {"name": "LCP"}}, "records", "must be a list"),
    ({"records": [], "extra": 1}, "body", "nothing else"),
    (["LCP"], "records[0]", "JSON object"),
])
def test_bad_records_name_the_field_and_the_reason(body, field, reason) -> None:
    exc = error(VITAL, body)
    assert exc.field == field and reason in exc.message


def test_whole_numbers_and_limits() -> None:
    assert error(AI, {"model": "m", "latency_ms": 1, "tokens_in": 1.5}).field == "records[0].tokens_in"
    assert AI.parse({"model": "m", "latency_ms": 1, "tokens_in": 12.0}, received_at=NOW).to_pylist()[0][
        "tokens_in"] == 12
    assert "at most 1000" in error(AI, [{"model": "m", "latency_ms": 1}] * 1001).message


def test_decode_takes_any_content_type_but_only_json() -> None:
    assert decode(b'{"a": 1}') == {"a": 1}
    with pytest.raises(InvalidInput) as exc:
        decode(b"{'a': 1}")
    assert exc.value.field == "body"
    with pytest.raises(InvalidInput):
        decode(b'{"value": NaN}')


def test_every_kind_declares_a_table_with_its_columns() -> None:
    for kind in KINDS.values():
        assert kind.table.startswith("telemetry_") and kind.columns[-1] == "received_at"
        assert kind.ddl().startswith(f"CREATE TABLE IF NOT EXISTS {kind.table} (")
        assert kind.schema().names == list(kind.columns)
        assert "timestamp" in kind.columns
