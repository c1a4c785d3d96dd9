"""The journal's payload: what the request path encodes is what DuckDB decodes for the loader, value for
value, frames in order; the first format's frames (Arrow IPC) still decode."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from collector_factories import T0, message, track

from growthos.core.errors import InvalidInput
from growthos.sources.collector import Event, parse_segment
from growthos.sources.collector.payload import ROWS_SCHEMA, check_rows, decode, encode
from growthos.warehouse.duckdb_engine import DuckDBEngine


@pytest.fixture
def engine(tmp_path):
    engine = DuckDBEngine(tmp_path / "w.duckdb", memory_limit="256MB")
    yield engine
    engine.close()


def as_rows(table: pa.Table) -> list[tuple]:
    """Decoded rows in ``Event.to_row`` form (key as hex, naive UTC times, JSON as text)."""
    out = []
    for row in table.to_pylist():
        values = list(row.values())
        values[0] = values[0].hex()
        out.append(tuple(v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v for v in values))
    return out


def tricky_events() -> list[Event]:
    return [
        track("m1", user="u1", properties={"price": 4.5, "big": 12345678901234567, "tiny": 1e-300, "huge": 1e300,
                                           "text": 'é "quoted" \\ back\nslash \u2028 \x00 😀', "list": [1, None, True],
                                           "empty": {}},
              context={"ip": "127.0.0.1"}, at=T0.replace(microsecond=123456)),
        message("identify", "m2", anon="a-ü", user="", traits={"email": "x@example.com"},
                at=datetime(1, 1, 1, tzinfo=UTC)),
        message("page", "m3", anon="a", name="Home", at=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                extra={"integrations": {"All": False}}, original_timestamp=T0 - timedelta(seconds=1), sent_at=T0),
        message("alias", "m4", user="new", previous_id="old", source="app"),
    ]


def test_rows_decode_to_what_was_encoded(engine) -> None:
    rows = [ev.to_row() for ev in tricky_events()]
    table, sizes = decode(engine, [encode(rows)])
    assert table.schema == ROWS_SCHEMA
    assert sizes.tolist() == [len(rows)]
    assert as_rows(table) == rows  # JSON text byte for byte, times to the microsecond, None as NULL
    assert [Event.from_row(r) for r in as_rows(table)] == tricky_events()


def test_the_parsers_rows_decode_to_what_was_encoded(engine) -> None:
    body = {"batch": [
        {"type": "track", "event": "Viewed", "anonymousId": f"a{i}", "messageId": f"m{i}",
         "timestamp": "2026-11-20T10:00:00.123Z", "properties": {"i": i, "n": 12345678901234567890123}}
        for i in range(3)
    ] + [{"type": "identify", "userId": 42, "anonymousId": "a0", "traits": {"plan": "pro"}}],
        "sentAt": "2026-11-20T10:00:01Z", "context": {"library": {"name": "analytics.js"}}}
    parsed = parse_segment("batch", json.dumps(body).encode(), received_at=datetime.now(UTC), client_ip="10.0.0.1")
    table, _ = decode(engine, [encode(parsed.events.rows)])
    assert as_rows(table) == parsed.events.rows


def test_frames_keep_their_order_and_sizes(engine) -> None:
    batches = [[track(f"b{b}-{i}", anon=f"a{i % 7}").to_row() for i in range(n)] for b, n in enumerate([1, 300, 2, 50])]
    table, sizes = decode(engine, [memoryview(encode(rows)) for rows in batches])
    assert sizes.tolist() == [1, 300, 2, 50]
    assert as_rows(table) == [row for rows in batches for row in rows]


def test_frames_of_the_first_format_still_decode(engine) -> None:
    """A journal left by the first format (one Arrow IPC record-batch message per frame) is still loaded."""
    old_rows = [track("old1", user="u").to_row(), track("old2", anon="a", properties={"k": "v"}).to_row()]
    columns = list(zip(*old_rows, strict=True))
    arrays = []
    for field, values in zip(ROWS_SCHEMA, columns, strict=True):
        if field.name == "message_key":
            values = [bytes.fromhex(v) for v in values]
        if isinstance(field.type, pa.ExtensionType):
            arrays.append(pa.ExtensionArray.from_storage(field.type, pa.array(values, field.type.storage_type)))
        else:
            arrays.append(pa.array(values, field.type))
    legacy = pa.Table.from_arrays(arrays, schema=ROWS_SCHEMA).to_batches()[0].serialize().to_pybytes()
    new_rows = [track("new1", user="u").to_row()]
    table, sizes = decode(engine, [legacy, encode(new_rows)])
    assert sizes.tolist() == [2, 1]
    assert as_rows(table) == old_rows + new_rows


def test_rows_the_loader_could_not_decode_are_refused() -> None:
    good = track("m", user="u").to_row()
    check_rows([good])
    with pytest.raises(InvalidInput) as info:
        check_rows([good, good[:2] + (None,) + good[3:]])
    assert info.value.field == "events[1].type"
    with pytest.raises(InvalidInput) as info:
        check_rows([good[:5] + (7,) + good[6:]])
    assert info.value.field == "events[0].user_id"
    with pytest.raises(InvalidInput) as info:
        check_rows([good[:10] + ("2024-05-01",) + good[11:]])
    assert info.value.field == "events[0].timestamp"
    with pytest.raises(InvalidInput):
        check_rows([good[:-1]])
