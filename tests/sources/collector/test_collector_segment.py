"""Segment message parsing: validation naming the field, size limits, unknown fields, write keys, ids."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from growthos.core.errors import InvalidInput
from growthos.sources.collector import PayloadTooLarge, decode_body, parse_segment

NOW = datetime(2024, 5, 1, 10, 3, 5, tzinfo=UTC)
KB = 1024


def parse(path: str, body) -> list:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_segment(path, raw, received_at=NOW).events


def field_of(path: str, body) -> str | None:
    with pytest.raises(InvalidInput) as info:
        parse(path, body)
    return info.value.field


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("track", {"userId": "u"}, "event"),
        ("track", {"userId": "u", "event": "  "}, "event"),
        ("track", {"event": "Clicked"}, "userId"),
        ("track", {"anonymousId": "", "userId": "", "event": "Clicked"}, "userId"),
        ("identify", {"traits": {"a": 1}}, "userId"),
        ("page", {"properties": {}}, "userId"),
        ("page", {"userId": "u", "name": 3}, "name"),
        ("screen", {"context": {}}, "userId"),
        ("group", {"userId": "u"}, "groupId"),
        ("alias", {"userId": "u"}, "previousId"),
        ("alias", {"previousId": "p", "anonymousId": "a"}, "userId"),
        ("track", {"userId": True, "event": "x"}, "userId"),
        ("track", {"userId": "u", "event": "x", "properties": [1]}, "properties"),
        ("identify", {"userId": "u", "traits": "vip"}, "traits"),
        ("track", {"userId": "u", "event": "x", "context": 1}, "context"),
        ("track", {"userId": "u", "event": "x", "integrations": []}, "integrations"),
        ("track", {"userId": "u", "event": "x", "timestamp": "yesterday"}, "timestamp"),
        ("track", {"userId": "u", "event": "x", "timestamp": 1714557600}, "timestamp"),
        ("track", {"userId": "u", "event": "x", "sentAt": "2024-13-01T00:00:00Z"}, "sentAt"),
        ("track", {"userId": "u", "event": "x", "messageId": {"a": 1}}, "messageId"),
        ("bogus", {"userId": "u"}, "type"),
    ],
)
def test_single_messages_name_the_failing_field(path: str, body: dict, field: str) -> None:
    assert field_of(path, body) == field


@pytest.mark.parametrize(
    ("batch", "field"),
    [
        ([{"type": "track", "userId": "u", "event": "a"}] * 3 + [{"type": "track", "userId": "u"}], "batch[3].event"),
        ([{"type": "identify", "userId": "u"}, {"type": "click", "userId": "u"}], "batch[1].type"),
        ([{"type": "identify", "userId": "u"}, {"userId": "u"}], "batch[1].type"),
        ([{"type": "identify", "userId": "u"}, {"type": "alias", "userId": "u"}], "batch[1].previousId"),
        ([{"type": "group", "anonymousId": "a"}], "batch[0].groupId"),
        ([{"type": "page", "name": "Home"}], "batch[0].userId"),
        ([{"type": "identify", "userId": "u"}, {"type": "identify", "userId": "u"}, "x"], "batch[2]"),
        ([{"type": "track", "userId": "u", "event": "a", "originalTimestamp": "soon"}], "batch[0].originalTimestamp"),
    ],
)
def test_batches_name_the_message_and_field(batch: list, field: str) -> None:
    assert field_of("batch", {"batch": batch}) == field


@pytest.mark.parametrize(
    ("body", "field"),
    [(b"{not json", "body"), (b"[1, 2]", "body"), (b'{"userId": "u", "event": "x", "n": NaN}', "body")],
)
def test_malformed_bodies(body: bytes, field: str) -> None:
    assert field_of("track", body) == field


def test_batch_must_be_a_list() -> None:
    assert field_of("batch", {"batch": {"type": "track"}}) == "batch"
    assert field_of("batch", {"messages": []}) == "batch"


def test_every_type_parses_with_its_own_columns() -> None:
    events = parse("batch", {"batch": [
        {"type": "track", "userId": "u", "event": "Order Completed", "properties": {"revenue": 12.5}},
        {"type": "identify", "anonymousId": "a", "userId": "u", "traits": {"email": "u@example.com"}},
        {"type": "page", "anonymousId": "a", "name": "Pricing", "category": "Docs", "properties": {"path": "/p"}},
        {"type": "screen", "userId": "u", "name": "Home"},
        {"type": "group", "userId": "u", "groupId": 42, "traits": {"plan": "pro"}},
        {"type": "alias", "previousId": "a", "userId": "u"},
    ]})
    got = [(e.type, e.event, e.name, e.group_id, e.previous_id) for e in events]
    assert got == [
        ("track", "Order Completed", None, None, None),
        ("identify", None, None, None, None),
        ("page", None, "Pricing", None, None),
        ("screen", None, "Home", None, None),
        ("group", None, None, "42", None),
        ("alias", None, None, None, "a"),
    ]
    assert events[0].properties == {"revenue": 12.5}
    assert events[1].traits == {"email": "u@example.com"}
    assert events[2].extra == {"category": "Docs"}
    assert events[4].traits == {"plan": "pro"}


def test_one_letter_paths_of_analytics_js_and_import() -> None:
    assert parse("t", {"userId": "u", "event": "x"})[0].type == "track"
    assert parse("/p", {"userId": "u"})[0].type == "page"
    assert parse("i", {"userId": "u"})[0].type == "identify"
    assert len(parse("b", {"batch": [{"type": "screen", "userId": "u"}]})) == 1
    assert len(parse("import", {"batch": [{"type": "screen", "userId": "u"}]})) == 1


def test_a_typed_path_decides_the_type_of_its_body() -> None:
    (event,) = parse("track", {"type": "identify", "userId": "u", "event": "x"})
    assert event.type == "track"


def test_integer_ids_are_taken_as_text() -> None:
    (event,) = parse("track", {"userId": 123, "anonymousId": 0, "event": "x", "messageId": 7})
    assert (event.user_id, event.anonymous_id, event.message_id) == ("123", "0", "7")


def test_unknown_fields_are_kept() -> None:
    (event,) = parse("track", {
        "userId": "u", "event": "x", "properties": {"nested": {"deep": [1, 2]}},
        "context": {"library": {"name": "analytics-python"}, "custom": True},
        "integrations": {"All": False}, "channel": "server", "_metadata": {"bundled": []}, "whatever": 1,
        "receivedAt": "2020-01-01T00:00:00Z",
    })
    assert event.properties == {"nested": {"deep": [1, 2]}}
    assert event.context == {"library": {"name": "analytics-python"}, "custom": True}
    assert event.extra == {"channel": "server", "_metadata": {"bundled": []}, "whatever": 1,
                           "receivedAt": "2020-01-01T00:00:00Z", "integrations": {"All": False}}
    assert event.received_at == NOW  # ours, not the client's


def test_write_key_is_returned_and_never_stored() -> None:
    parsed = parse_segment("track", {"writeKey": "wk_1", "userId": "u", "event": "x"}, received_at=NOW)
    assert parsed.write_key == "wk_1"
    assert "writeKey" not in (parsed.events[0].extra or {})
    body = {"writeKey": "wk_1", "batch": [{"type": "identify", "userId": "u", "writeKey": "wk_1"}]}
    assert parse_segment("batch", body, received_at=NOW).write_key == "wk_1"
    inner = {"batch": [{"type": "identify", "userId": "u", "writeKey": "wk_2"}]}
    assert parse_segment("batch", inner, received_at=NOW).write_key == "wk_2"
    assert parse_segment("identify", {"userId": "u"}, received_at=NOW).write_key is None
    with pytest.raises(InvalidInput) as info:
        parse_segment("batch", {"writeKey": "a", "batch": [{"type": "identify", "userId": "u", "writeKey": "b"}]},
                      received_at=NOW)
    assert info.value.field == "writeKey"


def test_batch_context_and_integrations_apply_to_every_message() -> None:
    events = parse("batch", {
        "context": {"library": {"name": "analytics-java"}, "ip": "10.0.0.1"},
        "integrations": {"Amplitude": False},
        "batch": [
            {"type": "identify", "userId": "u"},
            {"type": "identify", "userId": "v", "context": {"ip": "10.0.0.2"}, "integrations": {"All": True}},
        ],
    })
    assert events[0].context == {"library": {"name": "analytics-java"}, "ip": "10.0.0.1"}
    assert events[1].context == {"library": {"name": "analytics-java"}, "ip": "10.0.0.2"}
    assert events[0].extra == {"integrations": {"Amplitude": False}}
    assert events[1].extra == {"integrations": {"Amplitude": False, "All": True}}


def test_client_ip_fills_context_where_missing() -> None:
    got = parse_segment("batch", {"batch": [{"type": "identify", "userId": "u"},
                                            {"type": "identify", "userId": "v", "context": {"ip": "1.2.3.4"}}]},
                        received_at=NOW, client_ip="9.9.9.9").events
    assert [e.context["ip"] for e in got] == ["9.9.9.9", "1.2.3.4"]


# -- sizes ------------------------------------------------------------------------------------------

def padded_track(size: int) -> bytes:
    """A track body of exactly ``size`` bytes."""
    base = {"userId": "u", "event": "x", "properties": {"pad": ""}}
    filler = size - len(json.dumps(base).encode())
    base["properties"]["pad"] = "p" * filler
    raw = json.dumps(base).encode()
    assert len(raw) == size
    return raw


def test_a_message_of_32_kb_passes_and_33_kb_is_refused() -> None:
    assert len(parse("track", padded_track(32 * KB))) == 1
    with pytest.raises(PayloadTooLarge) as info:
        parse("track", padded_track(33 * KB))
    assert (info.value.status, info.value.field) == (413, "body")
    with pytest.raises(PayloadTooLarge):
        parse("track", padded_track(32 * KB + 1))


def test_a_33_kb_message_inside_a_batch_is_refused_by_position() -> None:
    small = {"type": "track", "userId": "u", "event": "x"}
    big = json.loads(padded_track(33 * KB)) | {"type": "track"}
    with pytest.raises(PayloadTooLarge) as info:
        parse("batch", {"batch": [small, big, small]})
    assert info.value.field == "batch[1]"
    assert isinstance(info.value, InvalidInput)


def test_a_501_kb_batch_is_refused_and_500_kb_passes() -> None:
    message = json.loads(padded_track(20 * KB)) | {"type": "track"}

    def batch_of(size: int) -> bytes:
        body = {"batch": [message] * 24, "pad": ""}
        body["pad"] = "p" * (size - len(json.dumps(body).encode()))
        raw = json.dumps(body).encode()
        assert len(raw) == size
        return raw

    assert len(parse("batch", batch_of(500 * KB))) == 24
    with pytest.raises(PayloadTooLarge) as info:
        parse("batch", batch_of(501 * KB))
    assert (info.value.status, info.value.field) == (413, "body")


def test_more_than_2500_messages_are_refused() -> None:
    message = {"type": "identify", "userId": "u"}
    assert len(parse("batch", {"batch": [message] * 2500})) == 2500
    with pytest.raises(PayloadTooLarge) as info:
        parse("batch", {"batch": [message] * 2501})
    assert info.value.field == "batch"


def test_a_parsed_dict_is_measured_as_compact_json() -> None:
    body = json.loads(padded_track(40 * KB))
    with pytest.raises(PayloadTooLarge):
        parse_segment("track", body, received_at=NOW)


def test_text_that_cannot_be_stored_is_refused() -> None:
    lone_surrogate = b'{"userId": "u", "event": "\\ud800"}'
    assert field_of("track", lone_surrogate) == "body"


def test_gzip_bodies_are_inflated_within_the_limit() -> None:
    raw = json.dumps({"userId": "u", "event": "x"}).encode()
    assert decode_body(gzip.compress(raw), "gzip", limit=100) == raw
    assert decode_body(raw, None, limit=100) == raw
    bomb = gzip.compress(b"{" + b" " * 10_000_000 + b"}")
    assert len(bomb) < 20_000
    with pytest.raises(PayloadTooLarge):
        decode_body(bomb, "gzip", limit=500 * KB)
    with pytest.raises(PayloadTooLarge):
        decode_body(b"x" * 101, "identity", limit=100)
    with pytest.raises(InvalidInput) as info:
        decode_body(b"not gzip", "gzip", limit=100)
    assert info.value.field == "body"
    with pytest.raises(InvalidInput) as info:
        decode_body(raw, "br", limit=100)
    assert info.value.field == "Content-Encoding"


# -- message ids ------------------------------------------------------------------------------------

def test_given_message_ids_are_kept() -> None:
    (event,) = parse("track", {"userId": "u", "event": "x", "messageId": "ajs-next-abc"})
    assert event.message_id == "ajs-next-abc"


def test_missing_ids_are_derived_from_content_so_retries_dedupe() -> None:
    body = {"userId": "u", "event": "x", "timestamp": "2024-05-01T10:00:00Z", "sentAt": "2024-05-01T10:00:01Z"}
    first = parse_segment("track", body, received_at=NOW).events[0]
    retry = parse_segment("track", body | {"sentAt": "2024-05-01T10:05:00Z", "writeKey": "k"},
                          received_at=datetime(2024, 5, 1, 11, tzinfo=UTC)).events[0]
    other = parse_segment("track", body | {"properties": {"a": 1}}, received_at=NOW).events[0]
    assert first.message_id == retry.message_id
    assert first.message_id.startswith("gos-") and len(first.message_id) == 36
    assert other.message_id != first.message_id


def test_without_any_client_time_identical_messages_stay_apart() -> None:
    body = {"userId": "u", "event": "x"}
    a = parse_segment("track", body, received_at=NOW).events[0]
    b = parse_segment("track", body, received_at=datetime(2024, 5, 1, 10, 3, 6, tzinfo=UTC)).events[0]
    assert a.message_id != b.message_id
    twins = parse("batch", {"batch": [{"type": "track", **body}, {"type": "track", **body}]})
    assert twins[0].message_id != twins[1].message_id
