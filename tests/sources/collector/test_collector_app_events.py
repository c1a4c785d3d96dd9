"""The GrowthOS app-analytics shape maps onto a Segment track message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from growthos.core.errors import InvalidInput
from growthos.sources.collector import PayloadTooLarge, parse_app_event

NOW = datetime(2024, 5, 1, 10, 3, 5, tzinfo=UTC)


def test_every_field_has_its_place() -> None:
    event = parse_app_event({
        "user_id": "u1", "session_id": "s1", "event": "Checkout Started", "properties": {"cart": 3},
        "route": "/checkout", "referrer": "https://example.com/cart", "user_agent": "Mozilla/5.0",
        "timestamp": "2024-05-01T12:00:00+02:00", "build": "a1b2",
    }, received_at=NOW)
    assert (event.type, event.event, event.user_id, event.anonymous_id) == ("track", "Checkout Started", "u1", "s1")
    assert event.properties == {"cart": 3}
    assert event.context == {"sessionId": "s1", "page": {"path": "/checkout", "referrer": "https://example.com/cart"},
                             "userAgent": "Mozilla/5.0"}
    assert event.timestamp == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert event.received_at == NOW
    assert event.extra == {"build": "a1b2"}
    assert event.source == "app"


def test_minimal_event_uses_receive_time_and_a_derived_id() -> None:
    a = parse_app_event({"session_id": "s1", "event": "Opened"}, received_at=NOW)
    assert a.user_id is None and a.anonymous_id == "s1"
    assert a.timestamp == NOW and a.context == {"sessionId": "s1"} and a.extra is None
    assert a.message_id.startswith("gos-")
    timed = {"user_id": "u", "event": "Opened", "timestamp": "2024-05-01T10:00:00Z"}
    assert parse_app_event(timed, received_at=NOW).message_id == parse_app_event(
        timed, received_at=datetime(2024, 5, 2, tzinfo=UTC)).message_id
    assert parse_app_event(timed | {"message_id": "m-1"}, received_at=NOW).message_id == "m-1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "x"}, "user_id"),
        ({"user_id": "u"}, "event"),
        ({"user_id": "u", "event": ""}, "event"),
        ({"user_id": ["u"], "event": "x"}, "user_id"),
        ({"session_id": 1.5, "event": "x"}, "session_id"),
        ({"user_id": "u", "event": "x", "properties": "p"}, "properties"),
        ({"user_id": "u", "event": "x", "route": 5}, "route"),
        ({"user_id": "u", "event": "x", "user_agent": {}}, "user_agent"),
        ({"user_id": "u", "event": "x", "timestamp": "noon"}, "timestamp"),
        ([{"user_id": "u"}], "body"),
    ],
)
def test_invalid_app_events_name_the_app_field(body, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_app_event(body, received_at=NOW)
    assert info.value.field == field


def test_bytes_bodies_and_size_limit() -> None:
    assert parse_app_event(b'{"user_id": "u", "event": "x"}', received_at=NOW).user_id == "u"
    with pytest.raises(PayloadTooLarge):
        parse_app_event({"user_id": "u", "event": "x", "properties": {"p": "x" * 33 * 1024}}, received_at=NOW)
